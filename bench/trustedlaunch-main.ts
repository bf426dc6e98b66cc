/** `node dist/bench/trustedlaunch-main.js [--json]`: runs bench/trustedlaunch.ts and prints a markdown table (or JSON). */
import { benchTrustedLaunch, formatTrustedLaunchBench } from './trustedlaunch.js';

const json = process.argv.includes('--json');
const result = await benchTrustedLaunch();
process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : `${formatTrustedLaunchBench(result)}\n`);
