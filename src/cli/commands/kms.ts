/**
 * The KMS commands:
 *   aksemu kms-plugin --key-id KID --listen-addr unix:///path [--healthz-port N]   the KMS plugin as a process
 *   aksemu aks encryption status -g RG -n NAME                                      secrets at rest, by key
 *   aksemu aks encryption migrate -g RG -n NAME                                     server-side re-encryption
 *   aksemu aks encryption plugin -g RG -n NAME [--socket unix:///path | --builtin]  which plugin serves the key
 * The `aks encryption` commands are thin clients of the instance's `/_aksemu/encryption` API (they will fold into
 * the az-compatible CLI framework as they are).
 */
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { paths, readInstanceInfo, resolveDataDir } from '../../config/data-dir.js';
import { instanceEnvironment } from './env.js';
import { ListenAddressError } from '../../encryption/kms-api/address.js';
import { KeyIdError } from '../../kms/key-id.js';
import { runStandalonePlugin } from '../../kms/standalone.js';
import { CommandError, UsageError } from '../errors.js';

export function registerKms(program: Command): void {
  program
    .command('kms-plugin')
    .description('run the Azure Key Vault KMS plugin (gRPC KMS v1beta1 + v2 on a unix socket) for a kube-apiserver')
    .option('--key-id <kid>', 'the versioned Key Vault key id, https://<vault>.vault.azure.net/keys/<name>/<version>')
    .option('--keyvault-name <name>', "the vault (Azure's plugin's flag; with --key-name and --key-version)")
    .option('--key-name <name>', 'the key name')
    .option('--key-version <version>', 'the key version')
    .requiredOption('--listen-addr <addr>', 'unix socket to serve, e.g. unix:///opt/azurekms.socket', 'unix:///opt/azurekms.socket')
    .option('--healthz-port <n>', 'serve the health check on this port (127.0.0.1)')
    .option('--healthz-path <path>', 'health check path', '/healthz')
    .option('-v, --verbose', 'log every plugin call to stderr')
    .action(async (opts: { keyId?: string; keyvaultName?: string; keyName?: string; keyVersion?: string; listenAddr: string; healthzPort?: string; healthzPath: string; verbose?: boolean }) => {
      let healthzPort: number | undefined;
      if (opts.healthzPort !== undefined) {
        healthzPort = Number(opts.healthzPort);
        if (!Number.isInteger(healthzPort) || healthzPort < 0 || healthzPort > 65535) throw new UsageError(`--healthz-port must be an integer from 0 to 65535, not '${opts.healthzPort}'`);
      }
      let running: Awaited<ReturnType<typeof runStandalonePlugin>>;
      try {
        running = await runStandalonePlugin({
          ...(opts.keyId ? { keyId: opts.keyId } : {}),
          ...(opts.keyvaultName ? { keyvaultName: opts.keyvaultName } : {}),
          ...(opts.keyName ? { keyName: opts.keyName } : {}),
          ...(opts.keyVersion ? { keyVersion: opts.keyVersion } : {}),
          listenAddr: opts.listenAddr,
          ...(healthzPort !== undefined ? { healthzPort, healthzPath: opts.healthzPath } : {}),
          ...(opts.verbose ? { log: (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`) } : {}),
        });
      } catch (err) {
        if (err instanceof KeyIdError || err instanceof ListenAddressError || /^give --key-id/.test((err as Error).message)) throw new UsageError((err as Error).message);
        throw err;
      }
      process.stdout.write(
        `kms-plugin ready ${opts.listenAddr} key_id=${running.plugin.keyId}${running.healthzPort !== undefined ? ` healthz=http://127.0.0.1:${running.healthzPort}${opts.healthzPath}` : ''}\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      await running.stop();
    });
  registerEncryptionCommands(program);
}

// ------------------------------------------------------------------------------------ aks encryption status|migrate

interface Session {
  url: string;
  ca: string;
  token: string;
}

interface Reply {
  status: number;
  body: any;
}

function call(s: Session, method: string, path: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(`${s.url}${path}`);
    const headers: Record<string, string> = { authorization: `Bearer ${s.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    const req = request({ method, hostname: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, ca: s.ca, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** A token of the instance's own principal, as every other aksemu client command gets one. */
async function connect(dataDirFlag: string | undefined): Promise<Session> {
  const dataDir = resolveDataDir(dataDirFlag);
  const info = readInstanceInfo(dataDir);
  if (!info) throw new CommandError(`no aksemu instance has been started with the data directory ${dataDir}`);
  const env = instanceEnvironment(dataDir);
  const ca = readFileSync(paths.caCert(dataDir), 'utf8');
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: env.AZURE_CLIENT_ID!, client_secret: env.AZURE_CLIENT_SECRET!, scope: 'https://management.azure.com/.default' }).toString();
  const reply = await new Promise<Reply>((resolve, reject) => {
    const u = new URL(`${info.url}/_login/${info.tenantId}/oauth2/v2.0/token`);
    const req = request({ method: 'POST', hostname: u.hostname, port: u.port, path: u.pathname, ca, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(form)) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
    });
    req.on('error', (err) => reject(new CommandError(`cannot reach the aksemu instance at ${info.url} (${err.message}); is it running?`)));
    req.end(form);
  });
  if (reply.status !== 200) throw new CommandError(`the instance refused a token: ${JSON.stringify(reply.body)}`);
  return { url: info.url, ca, token: reply.body.access_token as string };
}

function failed(reply: Reply): CommandError {
  const e = reply.body?.error;
  return new CommandError(e ? `(${e.code}) ${e.message}` : `the instance answered ${reply.status}`);
}

function statusTable(s: any): string {
  const head = ['Provider', 'API', 'Role', 'Secrets', 'KeyVault', 'KeyName', 'KeyVersion'];
  const rows: string[][] = s.keys.map((k: any) => [k.provider, k.api, k.role, String(k.secrets), k.keyVault ?? '?', k.keyName ?? '?', k.keyVersion ?? '?']);
  if (s.plaintext > 0) rows.unshift(['(plaintext)', '-', s.writer === 'identity' ? 'write' : 'read', String(s.plaintext), '', '', '']);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const m = s.migration;
  return [
    `Cluster:    ${s.cluster}`,
    `Writes:     ${s.writer}`,
    `Secrets:    ${s.total} (plaintext ${s.plaintext}, stale ${s.stale}, unreadable ${s.unreadable})`,
    ...(m ? [`Migration:  ${m.state} ${m.processed}/${m.total} (rewritten ${m.rewritten}, failed ${m.failed})`] : []),
    '',
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    ...(s.unreadableSecrets.length ? ['', 'Unreadable:', ...s.unreadableSecrets.map((u: string) => `  ${u}`)] : []),
  ].join('\n');
}

function registerEncryptionCommands(program: Command): void {
  const aks = program.commands.find((c) => c.name() === 'aks') ?? program.command('aks').description('Azure Kubernetes Service commands');
  const enc = aks.command('encryption').description("KMS etcd encryption of a cluster's secrets at rest (beyond Azure)");
  const q = (o: { resourceGroup: string; name: string }) => `?resourceGroup=${encodeURIComponent(o.resourceGroup)}&name=${encodeURIComponent(o.name)}`;
  enc
    .command('status')
    .description('how many secrets are plaintext, on which key (id and version), and unreadable — from the raw store')
    .requiredOption('-g, --resource-group <group>', "the cluster's resource group")
    .requiredOption('-n, --name <name>', 'the cluster')
    .option('-o, --output <format>', 'table or json', 'table')
    .option('--data-dir <dir>', 'instance data directory')
    .action(async (o: { resourceGroup: string; name: string; output: string; dataDir?: string }) => {
      if (o.output !== 'table' && o.output !== 'json') throw new UsageError(`--output must be table or json, not '${o.output}'`);
      const s = await connect(o.dataDir);
      const reply = await call(s, 'GET', `/_aksemu/aks/encryption${q(o)}`);
      if (reply.status !== 200) throw failed(reply);
      process.stdout.write(`${o.output === 'json' ? JSON.stringify(reply.body, null, 2) : statusTable(reply.body)}\n`);
    });
  enc
    .command('plugin')
    .description("which KMS plugin serves the cluster's current key; --socket: an external plugin (e.g. Azure's own) instead of aksemu's, --builtin: aksemu's again (aksemu extension)")
    .requiredOption('-g, --resource-group <group>', "the cluster's resource group")
    .requiredOption('-n, --name <name>', 'the cluster')
    .option('--socket <address>', "the external plugin's socket, unix:///path/to/plugin.socket (it must answer the KMS API of the cluster's key)")
    .option('--builtin', "serve the key with aksemu's own plugin again")
    .option('--data-dir <dir>', 'instance data directory')
    .action(async (o: { resourceGroup: string; name: string; socket?: string; builtin?: boolean; dataDir?: string }) => {
      if (o.socket !== undefined && o.builtin) throw new UsageError('give either --socket or --builtin, not both');
      const s = await connect(o.dataDir);
      const change = o.socket !== undefined ? { socket: o.socket } : o.builtin ? { builtin: true } : undefined;
      const reply = await call(s, change ? 'PUT' : 'GET', `/_aksemu/aks/encryption/plugin${q(o)}`, change);
      if (reply.status !== 200) throw failed(reply);
      process.stdout.write(`${JSON.stringify(reply.body, null, 2)}\n`);
    });
  enc
    .command('migrate')
    .description('re-encrypt every stale secret server side with the current configuration (resumable; instead of get | replace)')
    .requiredOption('-g, --resource-group <group>', "the cluster's resource group")
    .requiredOption('-n, --name <name>', 'the cluster')
    .option('--no-wait', 'start the migration and return')
    .option('--max-per-second <n>', 'rewrite at most N secrets per second (default: as fast as it goes)')
    .option('--data-dir <dir>', 'instance data directory')
    .action(async (o: { resourceGroup: string; name: string; wait: boolean; maxPerSecond?: string; dataDir?: string }) => {
      if (o.maxPerSecond !== undefined && !/^[1-9]\d*$/.test(o.maxPerSecond)) throw new UsageError(`--max-per-second must be a positive integer, not '${o.maxPerSecond}'`);
      const s = await connect(o.dataDir);
      const started = await call(s, 'POST', `/_aksemu/aks/encryption/migrate${q(o)}${o.maxPerSecond ? `&maxPerSecond=${o.maxPerSecond}` : ''}`);
      if (started.status !== 202) throw failed(started);
      let rec = started.body;
      if (!o.wait) {
        process.stdout.write(`${JSON.stringify(rec, null, 2)}\n`);
        return;
      }
      const bar = process.stderr.isTTY ? new SingleBar({ format: 'migrating secrets [{bar}] {percentage}% | {value}/{total} | rewritten {rewritten} | failed {failed}', hideCursor: true }, Presets.shades_classic) : undefined;
      bar?.start(Math.max(rec.total, 1), 0, { rewritten: 0, failed: 0 });
      let lastLine = 0;
      while (rec.state === 'Running') {
        await new Promise((r) => setTimeout(r, 200));
        const cur = await call(s, 'GET', `/_aksemu/aks/encryption/migrate${q(o)}`);
        if (cur.status !== 200) throw failed(cur);
        rec = cur.body;
        if (bar) {
          bar.setTotal(Math.max(rec.total, rec.processed, 1));
          bar.update(rec.processed, { rewritten: rec.rewritten, failed: rec.failed });
        } else if (Date.now() - lastLine > 2000) {
          lastLine = Date.now();
          process.stderr.write(`migrating secrets: ${rec.processed}/${rec.total} (rewritten ${rec.rewritten}, failed ${rec.failed})\n`);
        }
      }
      bar?.stop();
      process.stdout.write(`${JSON.stringify(rec, null, 2)}\n`);
      if (rec.state !== 'Succeeded') throw new CommandError(`the migration ended ${rec.state}: ${rec.error ?? ''}`);
    });
}
