/**
 * `aksemu node show NODE` and `aksemu node exec NODE -- COMMAND...`: a node's facts and a small shell on it
 * (SPEC C-9, F-1, F-7), e.g. `aksemu node exec aks-fipsnp-12345678-vmss000000 -- cat /proc/sys/crypto/fips_enabled`.
 * They find the instance through --data-dir / AKSEMU_DATA_DIR and call its node API over HTTPS with a token of the
 * instance's own principal, as every other client does.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { paths, readInstanceInfo, resolveDataDir } from '../../config/data-dir.js';
import { CommandError } from '../errors.js';
import { instanceEnvironment } from './env.js';

interface NodeOptions {
  dataDir?: string;
  clusterName?: string;
  resourceGroup?: string;
}

interface Reply {
  status: number;
  body: any;
}

function call(url: string, ca: string, method: string, token: string | undefined, body?: string, contentType = 'application/json'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request(
      {
        method,
        hostname: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        ca,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Opens a session with the instance: its URL, CA and a bearer token for its own API. */
async function connect(dataDirFlag: string | undefined) {
  const dataDir = resolveDataDir(dataDirFlag);
  const info = readInstanceInfo(dataDir);
  if (!info) throw new CommandError(`no aksemu instance has been started with the data directory ${dataDir}`);
  const env = instanceEnvironment(dataDir);
  const ca = readFileSync(paths.caCert(dataDir), 'utf8');
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: env.AZURE_CLIENT_ID!,
    client_secret: env.AZURE_CLIENT_SECRET!,
    scope: 'https://management.azure.com/.default',
  }).toString();
  let tokenReply: Reply;
  try {
    tokenReply = await call(`${info.url}/_login/${info.tenantId}/oauth2/v2.0/token`, ca, 'POST', undefined, form, 'application/x-www-form-urlencoded');
  } catch (err) {
    throw new CommandError(`cannot reach the aksemu instance at ${info.url} (${(err as Error).message}); is it running? Start it with 'aksemu start --data-dir ${dataDir}'.`);
  }
  if (tokenReply.status !== 200) throw new CommandError(`the instance refused a token: ${JSON.stringify(tokenReply.body)}`);
  return { url: info.url, ca, token: tokenReply.body.access_token as string };
}

function query(opts: NodeOptions): string {
  const q = new URLSearchParams();
  if (opts.clusterName) q.set('cluster', opts.clusterName);
  if (opts.resourceGroup) q.set('resourceGroup', opts.resourceGroup);
  const s = q.toString();
  return s ? `?${s}` : '';
}

function failed(reply: Reply): CommandError {
  const e = reply.body?.error;
  return new CommandError(e ? `(${e.code}) ${e.message}` : `the instance answered ${reply.status}`);
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export function registerNode(program: Command): void {
  const node = program.command('node').description("the clusters' simulated nodes: facts and a small shell");
  const common = (c: Command) =>
    c
      .option('--cluster-name <name>', 'the managed cluster (needed when several clusters have a node of that name)')
      .option('-g, --resource-group <group>', "the cluster's resource group")
      .option('--data-dir <dir>', 'instance data directory (default: $AKSEMU_DATA_DIR or ~/.local/share/aksemu)');
  common(node.command('show').argument('<node>', 'node name, e.g. aks-nodepool1-12345678-vmss000000').description("print a node's instance, image, labels and facts as JSON")).action(
    async (name: string, opts: NodeOptions) => {
      const s = await connect(opts.dataDir);
      const reply = await call(`${s.url}/_aksemu/nodes/${encodeURIComponent(name)}${query(opts)}`, s.ca, 'GET', s.token);
      if (reply.status !== 200) throw failed(reply);
      process.stdout.write(`${JSON.stringify(reply.body, null, 2)}\n`);
    },
  );
  common(
    node
      .command('exec')
      .argument('<node>', 'node name')
      .argument('<command...>', 'the command and its arguments (after --)')
      .option('-i, --stdin', 'pass standard input to the command')
      .description('run a command on a node, e.g. -- cat /proc/sys/crypto/fips_enabled'),
  ).action(async (name: string, command: string[], opts: NodeOptions & { stdin?: boolean }) => {
    const s = await connect(opts.dataDir);
    const body = JSON.stringify({ command, ...(opts.stdin ? { stdin: (await readStdin()).toString('base64') } : {}) });
    const reply = await call(`${s.url}/_aksemu/nodes/${encodeURIComponent(name)}/exec${query(opts)}`, s.ca, 'POST', s.token, body);
    if (reply.status !== 200) throw failed(reply);
    process.stdout.write(reply.body.stdout);
    process.stderr.write(reply.body.stderr);
    process.exitCode = reply.body.exitCode;
  });
}
