/**
 * `aksemu node show NODE` and `aksemu node exec NODE -- COMMAND...`: a node's facts and a small shell on it
 * (SPEC C-9, F-1, F-7), e.g. `aksemu node exec aks-fipsnp-12345678-vmss000000 -- cat /proc/sys/crypto/fips_enabled`.
 * They find the instance through --data-dir / AKSEMU_DATA_DIR and call its node API over HTTPS with the CLI's
 * client (the instance's CA, a token of the principal the CLI acts as), as the az-compatible commands do.
 */
import type { Command } from 'commander';
import { resolveDataDir } from '../../config/data-dir.js';
import { AzCliError } from '../az/framework/errors.js';
import { loadCredentials } from '../az/client/credentials.js';
import { HttpClient } from '../az/client/http.js';
import { locateInstance } from '../az/client/instance.js';
import { TokenProvider } from '../az/client/tokens.js';
import { CommandError } from '../errors.js';

export interface NodeOptions {
  dataDir?: string;
  clusterName?: string;
  resourceGroup?: string;
}

interface Reply {
  status: number;
  body: any;
}

/**
 * Opens a session with the instance through the CLI's client (its CA, the account `aksemu login` chose, or the
 * instance's default user) and returns a caller for its node API.
 */
async function connect(dataDirFlag: string | undefined) {
  const dataDir = resolveDataDir(dataDirFlag);
  let instance;
  try {
    instance = locateInstance(dataDir);
  } catch {
    throw new CommandError(`no aksemu instance has been started with the data directory ${dataDir}`);
  }
  const creds = loadCredentials(instance);
  const http = new HttpClient(instance.baseUrl, instance.ca);
  const tokens = new TokenProvider(http, creds);
  let token: string;
  try {
    token = await tokens.token('arm');
  } catch (err) {
    http.close();
    if (err instanceof AzCliError && /Cannot reach/.test(err.message)) {
      throw new CommandError(`cannot reach the aksemu instance at ${instance.baseUrl}; is it running? Start it with 'aksemu start --data-dir ${dataDir}'.`);
    }
    throw new CommandError(`the instance refused a token: ${(err as Error).message}`);
  }
  const call = async (method: string, path: string, body?: string): Promise<Reply> => {
    const res = await http.request(method, path, {
      headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body } : {}),
    });
    return { status: res.status, body: res.json() ?? res.text };
  };
  return { call, close: () => http.close() };
}

function failed(reply: Reply): CommandError {
  const e = reply.body?.error;
  return new CommandError(e ? `(${e.code}) ${e.message}` : `the instance answered ${reply.status}`);
}

/**
 * One call to the instance's `/_aksemu` API as the CLI's account, for a node (the cluster and resource group
 * options become the query that picks it) or the instance (alerts). Answers the reply's body; anything but 200 is
 * a CommandError with the service's message.
 */
export async function callInstanceApi(opts: NodeOptions, method: string, path: string, body?: unknown): Promise<any> {
  const s = await connect(opts.dataDir);
  try {
    const url = new URL(path, 'https://instance.invalid');
    if (opts.clusterName) url.searchParams.set('cluster', opts.clusterName);
    if (opts.resourceGroup) url.searchParams.set('resourceGroup', opts.resourceGroup);
    const reply = await s.call(method, `${url.pathname}${url.search}`, body === undefined ? undefined : JSON.stringify(body));
    if (reply.status !== 200) throw failed(reply);
    return reply.body;
  } finally {
    s.close();
  }
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
      const body = await callInstanceApi(opts, 'GET', `/_aksemu/nodes/${encodeURIComponent(name)}`);
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
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
    const stdin = opts.stdin ? (await readStdin()).toString('base64') : undefined;
    const reply = await callInstanceApi(opts, 'POST', `/_aksemu/nodes/${encodeURIComponent(name)}/exec`, { command, ...(stdin !== undefined ? { stdin } : {}) });
    process.stdout.write(reply.stdout);
    process.stderr.write(reply.stderr);
    process.exitCode = reply.exitCode;
  });
}
