/**
 * Acceptance: every command of the four seed documents, extracted from the documents themselves
 * ($AKSEMU_SEEDS_DIR, by default shared/seeds next to the checkout), run in document order with `aksemu` in place
 * of `az` and, where the current az is installed, verbatim through that az on a second instance, with the real
 * kubectl; each variant on fresh instances (see seeds/scenarios.ts for what the articles leave to the reader, and
 * seeds/suite.ts for the two drivers and their differential check). Each command must succeed (or be refused
 * where the article itself says it must be) and the outputs the documents show must match in shape: the
 * enableFips tables, node lists, fips_enabled = 1, the KMS list table, key ids.
 *
 * This file checks the extraction and runs the FIPS articles; the other seeds-*.test.ts files run the rest, so
 * that the variants spread over vitest's workers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../testkit/emulator.js';
import { KNOWN_DIFFERENCES } from './seeds/compare.js';
import { haveSeeds, SEED_FILES, seedSteps as steps, variantsOf } from './seeds/load.js';
import { EXCLUDED, VARIANTS } from './seeds/scenarios.js';
import { seedSuite } from './seeds/suite.js';

const stepAt = (doc: string, line: number) => steps.find((s) => s.doc.startsWith(doc) && s.line === line);

describe('the differences between the aksemu CLI and az that the seed suites allow', () => {
  it('are each listed in docs/cli.md with their reason', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8');
    for (const d of KNOWN_DIFFERENCES) expect(doc, `docs/cli.md does not list ${d.id}`).toContain(`\`${d.id}\``);
  });
});

describe.runIf(haveSeeds)('the seed documents', () => {
  it('are extracted: every command is planned once in document order, or excluded with a reason', () => {
    expect(steps.length).toBeGreaterThan(80);
    const planned = new Set<string>();
    for (const v of VARIANTS) {
      for (const p of v.steps) {
        expect(stepAt(v.doc, p.line), `${v.name}: no command at ${v.doc}:${p.line}`).toBeDefined();
        planned.add(`${v.doc}:${p.line}`);
      }
      const lines = v.steps.map((p) => p.line);
      const ordered = [...lines].sort((a, b) => a - b);
      // Document order, except the KMS check of kube-system pods, which needs the cluster created later.
      expect(lines.filter((l) => !(v.doc === '003' && l === 17)), v.name).toEqual(ordered.filter((l) => !(v.doc === '003' && l === 17)));
    }
    for (const s of steps) {
      const key = `${s.doc.slice(0, 3)}:${s.line}`;
      const excluded = EXCLUDED.some((e) => s.doc.startsWith(e.doc) && e.line === s.line);
      expect(planned.has(key) || excluded, `${key} ${s.command} is not run by any variant`).toBe(true);
    }
  });

  it('are each run by exactly one test file', () => {
    for (const v of VARIANTS) expect(Object.entries(SEED_FILES).filter(([, p]) => p.test(v.name)).map(([f]) => f), v.name).toHaveLength(1);
  });
});

seedSuite(steps, variantsOf('seeds.test.ts'));
