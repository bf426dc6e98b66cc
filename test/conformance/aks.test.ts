/** Azure's AKS REST API examples (managedClusters.json) replayed against aksemu (SPEC P-4). */
import { aksHarness } from './aks-harness.js';
import { conformanceSuite } from './suite.js';

conformanceSuite('aks', aksHarness());
