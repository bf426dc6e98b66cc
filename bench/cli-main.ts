/** `node dist/bench/cli-main.js [--json] [--runs N]`: runs bench/cli.ts and prints a markdown table (or JSON). */
import { benchCommands, benchWalkthrough, formatCliBench } from './cli.js';
import { machine } from './support.js';

const json = process.argv.includes('--json');
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
const walk = await benchWalkthrough(runs);
const commands = await benchCommands();
process.stdout.write(json ? `${JSON.stringify({ machine: machine(), walk, commands }, null, 2)}\n` : `Machine: ${machine()}\n\n${formatCliBench(walk, commands)}\n`);
