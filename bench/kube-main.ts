/**
 * `node dist/bench/kube-main.js [--json] [--secrets N] [--watchers W] [--updates U]`: measures the clusters'
 * Kubernetes API (bench/kube.ts) and prints a markdown table (or the raw result as JSON).
 */
import { benchKube, formatKubeBench } from './kube.js';
import { positiveIntFlag } from './support.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const num = (flag: string) => positiveIntFlag(args, flag);

const result = await benchKube({ secrets: num('--secrets'), watchers: num('--watchers'), updates: num('--updates') });
process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : `${formatKubeBench(result)}\n`);
process.exit(0);
