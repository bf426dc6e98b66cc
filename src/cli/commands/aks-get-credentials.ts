/**
 * `aksemu aks get-credentials -g RG -n NAME [--admin] [--file F] [--overwrite-existing] [--context NAME]`, as
 * `az aks get-credentials` (SPEC ): asks the instance's ARM for `listClusterUserCredential` (or
 * `listClusterAdminCredential`) as its default principal and merges the kubeconfig into ~/.kube/config (or F;
 * `-` prints it), making its context the current one.
 */
import type { Command } from 'commander';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as yamlParse, stringify as yamlStringify } from 'yaml';
import { paths, resolveDataDir } from '../../config/data-dir.js';
import { KubeconfigMergeError, mergeKubeconfig, type Kubeconfig } from '../../kube/kubeconfig.js';
import { CommandError, UsageError } from '../errors.js';
import { instanceEnvironment } from './env.js';

interface Options {
  resourceGroup?: string;
  name?: string;
  admin?: boolean;
  file?: string;
  overwriteExisting?: boolean;
  context?: string;
  dataDir?: string;
}

interface HttpAnswer {
  status: number;
  body: string;
}

function call(url: string, ca: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<HttpAnswer> {
  return new Promise((resolvePromise, reject) => {
    const u = new URL(url);
    const req = request(
      { method: init.method, hostname: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, headers: { ...init.headers, ...(init.body !== undefined ? { 'content-length': String(Buffer.byteLength(init.body)) } : {}) }, ca },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', (err) => reject(new CommandError(`cannot reach the aksemu instance at ${u.origin}: ${err.message}; is it running?`)));
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}

/** ARM's error body as az prints it: "(Code) Message". */
function armFailure(res: HttpAnswer): CommandError {
  try {
    const err = (JSON.parse(res.body) as { error?: { code?: string; message?: string } }).error;
    if (err?.code) return new CommandError(`(${err.code}) ${err.message ?? ''}`);
  } catch {
    // not JSON
  }
  return new CommandError(`the request failed with status ${res.status}: ${res.body.slice(0, 500)}`);
}

export function registerAksGetCredentials(program: Command): void {
  const aks = program.commands.find((c) => c.name() === 'aks') ?? program.command('aks').description('manage Azure Kubernetes Service clusters (az aks)');
  aks
    .command('get-credentials')
    .description('get access credentials for a managed Kubernetes cluster and merge them into a kubeconfig')
    .option('-g, --resource-group <name>', 'name of resource group')
    .option('-n, --name <name>', 'name of the managed cluster')
    .option('-a, --admin', 'get cluster administrator credentials')
    .option('-f, --file <path>', "kubernetes configuration file to update; '-' prints it to stdout", join(homedir(), '.kube', 'config'))
    .option('--overwrite-existing', 'overwrite any existing cluster entry with the same name')
    .option('--context <name>', 'if specified, overwrite the default context name')
    .option('--data-dir <dir>', 'instance data directory (default: $AKSEMU_DATA_DIR or ~/.local/share/aksemu)')
    .action(async (opts: Options) => {
      if (!opts.resourceGroup) throw new UsageError('the following arguments are required: --resource-group/-g');
      if (!opts.name) throw new UsageError('the following arguments are required: --name/-n');
      const dataDir = resolveDataDir(opts.dataDir);
      const env = instanceEnvironment(dataDir);
      const base = env.AKSEMU_URL!;
      const ca = readFileSync(paths.caCert(dataDir), 'utf8');
      const token = await call(`${base}/_login/${env.AZURE_TENANT_ID}/oauth2/v2.0/token`, ca, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: env.AZURE_CLIENT_ID!, client_secret: env.AZURE_CLIENT_SECRET!, scope: 'https://management.azure.com/.default' }).toString(),
      });
      if (token.status !== 200) throw new CommandError(`could not sign in to the aksemu instance: ${token.body.slice(0, 300)}`);
      const auth = { authorization: `Bearer ${(JSON.parse(token.body) as { access_token: string }).access_token}` };
      const sub = env.AZURE_SUBSCRIPTION_ID!;
      // The newest api-version the instance's Microsoft.ContainerService provider serves for managedClusters.
      const provider = await call(`${base}/subscriptions/${sub}/providers/Microsoft.ContainerService?api-version=2021-04-01`, ca, { method: 'GET', headers: auth });
      if (provider.status !== 200) throw armFailure(provider);
      const types = (JSON.parse(provider.body) as { resourceTypes?: Array<{ resourceType: string; apiVersions: string[] }> }).resourceTypes ?? [];
      const apiVersion = types.find((t) => t.resourceType.toLowerCase() === 'managedclusters')?.apiVersions[0];
      if (!apiVersion) throw new CommandError('this aksemu instance does not serve Microsoft.ContainerService/managedClusters');
      const action = opts.admin ? 'listClusterAdminCredential' : 'listClusterUserCredential';
      const path = `/subscriptions/${sub}/resourceGroups/${encodeURIComponent(opts.resourceGroup)}/providers/Microsoft.ContainerService/managedClusters/${encodeURIComponent(opts.name)}/${action}`;
      const res = await call(`${base}${path}?api-version=${apiVersion}`, ca, { method: 'POST', headers: auth });
      if (res.status !== 200) throw armFailure(res);
      const value = (JSON.parse(res.body) as { kubeconfigs?: Array<{ value: string }> }).kubeconfigs?.[0]?.value;
      if (!value) throw new CommandError('the credential response carried no kubeconfig');
      const kubeconfig = yamlParse(Buffer.from(value, 'base64').toString('utf8')) as Kubeconfig;
      if (opts.context) {
        const old = kubeconfig['current-context'];
        for (const c of kubeconfig.contexts) if (c.name === old) c.name = opts.context;
        kubeconfig['current-context'] = opts.context;
      }
      if (opts.file === '-') {
        process.stdout.write(yamlStringify(kubeconfig));
        return;
      }
      const file = resolve(opts.file!);
      let merged: Kubeconfig;
      try {
        merged = mergeKubeconfig(existsSync(file) ? readFileSync(file, 'utf8') : undefined, kubeconfig, opts.overwriteExisting === true);
      } catch (err) {
        if (err instanceof KubeconfigMergeError) throw new CommandError(`${err.message}${/already exists/.test(err.message) ? ' Use --overwrite-existing to replace it.' : ''}`);
        throw err;
      }
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, yamlStringify(merged), { mode: 0o600 });
      chmodSync(file, 0o600);
      process.stdout.write(`Merged "${merged['current-context']}" as current context in ${file}\n`);
    });
}
