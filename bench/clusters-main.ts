/** `node dist/bench/clusters-main.js [--json]`: runs bench/clusters.ts and prints a markdown table (or JSON). */
import { benchClusters, formatClusterBench } from './clusters.js';

const json = process.argv.includes('--json');
const result = await benchClusters();
process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : `${formatClusterBench(result)}\n`);
