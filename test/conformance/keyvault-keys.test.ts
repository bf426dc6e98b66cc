/** Azure's Key Vault keys REST API examples (data plane, keys.json) replayed against aksemu (SPEC P-4). */
import { keysHarness } from './keys-harness.js';
import { conformanceSuite } from './suite.js';

conformanceSuite('keyvault-keys', keysHarness());
