/**
 * `aksemu keyvault audit --vault-name V [--data-dir D] [--top N] [--since ISO] [-o json|table]`: a vault's audit
 * log (SPEC V-5, K-12), read from the instance's store (running or stopped), oldest first.
 * A later CLI will fold this into the az-compatible `keyvault` group.
 */
import type { Command } from 'commander';
import { resolveDataDir } from '../../config/data-dir.js';
import { readAudit, type AuditEvent } from '../../keyvault/audit.js';
import { IdentityNotFoundError, openInstanceStoreReadonly } from '../../providers/managedidentity/identity-env.js';
import { CommandError, UsageError } from '../errors.js';

function table(events: AuditEvent[]): string {
  const rows = events.map((e) => [e.time, e.operationName, e.identity.claim.oid, e.keyName ?? '', e.keyVersion ?? '', String(e.httpStatusCode), e.resultSignature, e.durationMs.toFixed(1)]);
  const header = ['Time', 'Operation', 'CallerObjectId', 'Key', 'Version', 'Status', 'Result', 'DurationMs'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function registerKeyVaultAudit(program: Command): void {
  const group = program.commands.find((c) => c.name() === 'keyvault') ?? program.command('keyvault').description('Key Vault commands');
  group
    .command('audit')
    .description("print a vault's audit log (every data-plane operation: time, caller, operation, key, result, duration)")
    .requiredOption('--vault-name <name>', 'the vault')
    .option('--data-dir <dir>', 'instance data directory')
    .option('--top <n>', 'only the last N events')
    .option('--since <iso>', 'only events at or after this time')
    .option('-o, --output <format>', 'json or table', 'json')
    .action(async (opts: { vaultName: string; dataDir?: string; top?: string; since?: string; output: string }) => {
      if (opts.output !== 'json' && opts.output !== 'table') throw new UsageError(`--output must be json or table, not '${opts.output}'`);
      let top: number | undefined;
      if (opts.top !== undefined) {
        top = Number(opts.top);
        if (!Number.isInteger(top) || top < 1) throw new UsageError(`--top must be a positive integer, not '${opts.top}'`);
      }
      if (opts.since !== undefined && Number.isNaN(Date.parse(opts.since))) throw new UsageError(`--since must be an ISO-8601 time, not '${opts.since}'`);
      let store;
      try {
        store = await openInstanceStoreReadonly(resolveDataDir(opts.dataDir));
      } catch (err) {
        if (err instanceof IdentityNotFoundError) throw new CommandError(err.message);
        throw err;
      }
      try {
        const events = await readAudit(store, opts.vaultName, { ...(top ? { top } : {}), ...(opts.since ? { since: new Date(opts.since).toISOString() } : {}) });
        process.stdout.write(opts.output === 'table' ? `${table(events)}\n` : `${JSON.stringify(events, null, 2)}\n`);
      } finally {
        await store.close();
      }
    });
}
