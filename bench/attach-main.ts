/**
 * `node dist/bench/attach-main.js [--json]`: measures pods/attach and pods/exec (bench/attach.ts) and prints a
 * markdown table (or the rows as JSON).
 */
import { benchAttach, formatAttachBench } from './attach.js';

const rows = await benchAttach();
process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(rows, null, 2)}\n` : `${formatAttachBench(rows)}\n`);
process.exit(0);
