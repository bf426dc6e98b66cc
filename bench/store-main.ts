/**
 * `node dist/bench/store-main.js [--json] [--duration-ms N]`: measures store throughput (bench/store.ts) and prints
 * a markdown table (or the raw result as JSON).
 */
import { benchStore, formatStoreBench } from './store.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const d = args.indexOf('--duration-ms');
const durationMs = d >= 0 ? Number(args[d + 1]) : undefined;
if (durationMs !== undefined && !(durationMs > 0)) {
  process.stderr.write('--duration-ms needs a positive number\n');
  process.exit(2);
}

const result = await benchStore(durationMs !== undefined ? { durationMs } : {});
process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : `${formatStoreBench(result)}\n`);
