/** Acceptance: the Trusted Launch article, through the aksemu CLI and the current az in lockstep (see seeds.test.ts and seeds/suite.ts). */
import { seedSteps, variantsOf } from './seeds/load.js';
import { seedSuite } from './seeds/suite.js';

seedSuite(seedSteps, variantsOf('seeds-trusted-launch.test.ts'));
