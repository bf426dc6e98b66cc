#!/usr/bin/env node
/**
 * `npm run fuzz`: the long fuzz campaign (SPEC ). Runs test/fuzz with AKSEMU_FUZZ_RUNS inputs per
 * property (default 5000) and one seed for every file (AKSEMU_FUZZ_SEED, else a fresh one), collects each
 * service's tally, and writes the whole — inputs per service, answers by class, 5xx, crashes, seed, wall time — to
 * <tmp>/aksemu-fuzz-<seed>.json and prints it. Exits with vitest's status.
 *
 *   npm run fuzz                                   # 5000 inputs per property
 *   AKSEMU_FUZZ_RUNS=500 npm run fuzz -- kube      # fewer, one service (extra arguments go to vitest)
 *   AKSEMU_FUZZ_SEED=123 npm run fuzz              # replay a run
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const runs = process.env.AKSEMU_FUZZ_RUNS || '5000';
const seed = process.env.AKSEMU_FUZZ_SEED || String((Date.now() ^ Math.floor(Math.random() * 2 ** 31)) | 0);
const tallies = mkdtempSync(join(tmpdir(), 'aksemu-fuzz-tallies-'));
const filters = process.argv.slice(2).map((f) => (f.startsWith('test/') ? f : `test/fuzz/${f}`));

const started = Date.now();
const vitest = spawnSync('npx', ['vitest', 'run', ...(filters.length ? filters : ['test/fuzz'])], {
  stdio: 'inherit',
  env: { ...process.env, AKSEMU_FUZZ_RUNS: runs, AKSEMU_FUZZ_SEED: seed, AKSEMU_FUZZ_TALLY_DIR: tallies },
});
const wallSeconds = Math.round((Date.now() - started) / 1000);

const services = {};
for (const file of readdirSync(tallies).filter((f) => f.endsWith('.json')).sort()) {
  const t = JSON.parse(readFileSync(join(tallies, file), 'utf8'));
  services[t.service] = { inputs: t.inputs, answers: t.answers, '4xx': t.answers['4xx'] ?? 0, '5xx': t.answers['5xx'] ?? 0, crashes: t.crashes, properties: t.properties };
}
rmSync(tallies, { recursive: true, force: true });
const all = Object.values(services);
const report = {
  seed: Number(seed),
  runsPerProperty: Number(runs),
  wallSeconds,
  passed: vitest.status === 0,
  totals: {
    inputs: all.reduce((n, s) => n + s.inputs, 0),
    '4xx': all.reduce((n, s) => n + s['4xx'], 0),
    '5xx': all.reduce((n, s) => n + s['5xx'], 0),
    crashes: all.reduce((n, s) => n + s.crashes, 0),
  },
  services,
};
const out = join(tmpdir(), `aksemu-fuzz-${seed}.json`);
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`\nfuzz report (${out}):\n${JSON.stringify(report, null, 2)}\n`);
process.exit(vitest.status ?? 1);
