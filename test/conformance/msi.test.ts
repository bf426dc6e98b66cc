/** Azure's managed identity REST API examples (ManagedIdentity.json) replayed against aksemu (SPEC P-4). */
import { msiHarness } from './msi-harness.js';
import { conformanceSuite } from './suite.js';

conformanceSuite('msi', msiHarness());
