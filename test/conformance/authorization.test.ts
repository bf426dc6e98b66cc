/** Azure's role assignment and role definition REST API examples replayed against aksemu (SPEC P-4). */
import { authorizationHarness } from './authorization-harness.js';
import { conformanceSuite } from './suite.js';

conformanceSuite('authorization', authorizationHarness());
