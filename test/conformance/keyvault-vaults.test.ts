/** Azure's Key Vault management REST API examples (keyvault.json) replayed against aksemu (SPEC P-4). */
import { conformanceSuite } from './suite.js';
import { vaultsHarness } from './vaults-harness.js';

conformanceSuite('keyvault-vaults', vaultsHarness());
