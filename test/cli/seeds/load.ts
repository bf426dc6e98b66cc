/**
 * The seed documents as the seed suites read them: from $AKSEMU_SEEDS_DIR, by default the `shared/seeds` folder
 * next to the checkout. When they are absent the suites say so and run nothing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../../testkit/emulator.js';
import { extractAll, type SeedStep } from './extract.js';
import { VARIANTS, type Variant } from './scenarios.js';

export const SEEDS = process.env.AKSEMU_SEEDS_DIR ?? join(ROOT, '..', 'shared', 'seeds');
export const haveSeeds = existsSync(SEEDS);
if (!haveSeeds) process.stderr.write(`SKIP the seed documents: ${SEEDS} does not exist (set AKSEMU_SEEDS_DIR)\n`);

export const seedSteps: SeedStep[] = haveSeeds ? extractAll(SEEDS) : [];

/** Which test file runs which variants (by name), so that they spread over vitest's workers; each runs in one. */
export const SEED_FILES: Record<string, RegExp> = {
  'seeds.test.ts': /^FIPS node pools/,
  'seeds-trusted-launch.test.ts': /^Trusted Launch/,
  'seeds-kms.test.ts': /^KMS with a public/,
  'seeds-kms-private.test.ts': /^KMS with a private vault|^KMS v1 to v2/,
};

/** The variants a test file runs, when the documents are there. */
export function variantsOf(file: keyof typeof SEED_FILES): Variant[] {
  return haveSeeds ? VARIANTS.filter((v) => SEED_FILES[file]!.test(v.name)) : [];
}
