/**
 * `node dist/bench/soak-main.js [--json] [--duration-min M] [--sample-sec S] [--secrets N]`: the soak benchmark
 * (bench/soak.ts) — a mixed KMS load for M minutes (default 30) with the process's RSS sampled every S seconds.
 */
import { benchSoak, formatSoakBench } from './soak.js';
import { positiveIntFlag } from './support.js';

const args = process.argv.slice(2);
const durationMin = positiveIntFlag(args, '--duration-min');
const sampleSec = positiveIntFlag(args, '--sample-sec');
const secrets = positiveIntFlag(args, '--secrets');
const result = await benchSoak({ ...(durationMin ? { durationMin } : {}), ...(sampleSec ? { sampleSec } : {}), ...(secrets ? { secrets } : {}) });
process.stdout.write(args.includes('--json') ? `${JSON.stringify(result, null, 2)}\n` : `${formatSoakBench(result)}\n`);
process.exit(0);
