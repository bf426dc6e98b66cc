/** Azure's resource group and provider REST API examples replayed against aksemu (SPEC P-4). */
import { resourcesHarness } from './resources-harness.js';
import { conformanceSuite } from './suite.js';

conformanceSuite('resources', resourcesHarness());
