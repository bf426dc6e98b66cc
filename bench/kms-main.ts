/**
 * `node dist/bench/kms-main.js [--json] [--secrets N] [--duration-ms D] [--only plugin,api,v1cold,transform,migration]`: measures KMS etcd encryption
 * (bench/kms.ts) and prints markdown tables (or the raw result as JSON).
 */
import { benchKms, formatKmsBench } from './kms.js';
import { positiveIntFlag } from './support.js';

const args = process.argv.slice(2);
const num = (flag: string) => positiveIntFlag(args, flag);
const secrets = num('--secrets');
const durationMs = num('--duration-ms');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? '').split(',').filter(Boolean) : undefined;
const result = await benchKms({ ...(secrets ? { secrets } : {}), ...(durationMs ? { durationMs } : {}), ...(only ? { only } : {}) });
process.stdout.write(args.includes('--json') ? `${JSON.stringify(result, null, 2)}\n` : `${formatKmsBench(result)}\n`);
process.exit(0);
