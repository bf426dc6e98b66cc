/** `node dist/bench/keyvault-main.js [--json] [--duration-ms N] [--concurrency N]`: bench/keyvault.ts as a table. */
import { benchKeyVault, formatKeyVaultBench } from './keyvault.js';

const args = process.argv.slice(2);
const num = (flag: string) => {
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  const v = Number(args[i + 1]);
  if (!(v > 0)) {
    process.stderr.write(`${flag} needs a positive number\n`);
    process.exit(2);
  }
  return v;
};
const durationMs = num('--duration-ms');
const concurrency = num('--concurrency');
const result = await benchKeyVault({ ...(durationMs ? { durationMs } : {}), ...(concurrency ? { concurrency } : {}) });
process.stdout.write(args.includes('--json') ? `${JSON.stringify(result, null, 2)}\n` : `${formatKeyVaultBench(result)}\n`);
