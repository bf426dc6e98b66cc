/** Acceptance: the KMS article with a private vault, and its KMS v1 to v2 migration, through the aksemu CLI and the current az in lockstep (see seeds.test.ts and seeds/suite.ts). */
import { seedSteps, variantsOf } from './seeds/load.js';
import { seedSuite } from './seeds/suite.js';

seedSuite(seedSteps, variantsOf('seeds-kms-private.test.ts'));
