#!/usr/bin/env node
// Fails when src/, test/ or testkit/ cite a requirement (`SPEC K-9`, `SPEC K-1..K-11`) that docs/requirements.md does
// not define, so every cited ID can be looked up.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const defined = new Set([...readFileSync('docs/requirements.md', 'utf8').matchAll(/^- ([A-Z]-\d+) /gm)].map((m) => m[1]));
const cited = execFileSync('git', ['grep', '-hoE', 'SPEC [A-Z]-[0-9]+(\\.\\.[A-Z]-[0-9]+)?', '--', 'src', 'test', 'testkit', 'bench'], { encoding: 'utf8' });
const missing = new Set();
for (const m of cited.matchAll(/SPEC ([A-Z]-\d+)(?:\.\.([A-Z]-\d+))?/g)) {
  for (const id of [m[1], m[2]]) if (id && !defined.has(id)) missing.add(id);
}
if (missing.size) {
  console.error(`cited but not defined in docs/requirements.md: ${[...missing].sort().join(', ')}`);
  process.exit(1);
}
