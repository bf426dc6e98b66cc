/**
 * `aks get-credentials`: writes the kubeconfig a cluster's listClusterUserCredential returns into ~/.kube/config
 * (or --file, or $KUBECONFIG's first entry), merged as az merges it: entries with the same name are replaced when
 * identical or with --overwrite-existing, a different one is refused; the new context becomes current; an admin
 * context gets the -admin suffix; --context renames the context and cluster; `--file -` prints it.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse, stringify } from 'yaml';
import { AzCliError } from '../../framework/errors.js';

type Named = { name?: string; [k: string]: unknown };
interface KubeConfig {
  clusters?: Named[];
  users?: Named[];
  contexts?: Array<Named & { context?: { cluster?: string; user?: string } }>;
  'current-context'?: string;
  [k: string]: unknown;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function merge(existing: KubeConfig, addition: KubeConfig, key: 'clusters' | 'users' | 'contexts', replace: boolean): void {
  const add = addition[key];
  if (!add || add.length === 0) return;
  if (!(key in existing)) {
    throw new AzCliError(`No such key '${key}' in existing config, please confirm whether it is a valid config file. May back up this config file, delete it and retry the command.`);
  }
  if (!existing[key]) {
    (existing as Record<string, unknown>)[key] = add;
    return;
  }
  const list = existing[key] as Named[];
  for (const item of add) {
    const idx = list.findIndex((j) => item.name && j.name && item.name === j.name);
    if (idx >= 0) {
      if (replace || sameJson(item, list[idx])) list.splice(idx, 1);
      else throw new AzCliError(`A different object named ${item.name} already exists in ${key} in your kubeconfig file.`);
    }
    list.push(item);
  }
}

export interface MergeResult {
  path: string;
  context: string;
  warnings: string[];
}

export function writeKubeconfig(path: string, kubeconfigText: string, opts: { overwrite: boolean; contextName?: string }): MergeResult {
  const addition = (parse(kubeconfigText) ?? {}) as KubeConfig;
  if (opts.contextName !== undefined) {
    addition.contexts![0]!.name = opts.contextName;
    addition.contexts![0]!.context!.cluster = opts.contextName;
    addition.clusters![0]!.name = opts.contextName;
    addition['current-context'] = opts.contextName;
  }
  for (const ctx of addition.contexts ?? []) {
    if (typeof ctx.context?.user === 'string' && ctx.context.user.startsWith('clusterAdmin')) {
      // AKS names the admin context after the cluster and az appends -admin; aksemu's listClusterAdminCredential
      // already returns `<cluster>-admin`, which is then kept as it is (same result as AKS + az).
      if (ctx.name === `${ctx.context.cluster}-admin`) {
        addition['current-context'] = ctx.name;
        break;
      }
      const admin = `${ctx.name}-admin`;
      addition['current-context'] = ctx.name = admin;
      break;
    }
  }
  const warnings: string[] = [];
  mkdirSync(dirname(path), { recursive: true });
  if (!existsSync(path)) writeFileSync(path, '', { mode: 0o600 });
  let existing: KubeConfig | null;
  try {
    existing = (parse(readFileSync(path, 'utf8')) ?? null) as KubeConfig | null;
  } catch (err) {
    throw new AzCliError(`Error parsing ${path} (${(err as Error).message})`);
  }
  if (existing === null) existing = addition;
  else {
    merge(existing, addition, 'clusters', opts.overwrite);
    merge(existing, addition, 'users', opts.overwrite);
    merge(existing, addition, 'contexts', opts.overwrite);
    existing['current-context'] = addition['current-context'];
  }
  if (!lstatSync(path).isSymbolicLink()) {
    const mode = (lstatSync(path).mode & 0o777).toString(8);
    if (!mode.endsWith('600')) warnings.push(`${path} has permissions "${mode}".\nIt should be readable and writable only by its owner.`);
  }
  writeFileSync(path, stringify(existing, { sortMapEntries: true, indentSeq: false, lineWidth: 0 }));
  const context = addition['current-context'] ?? 'UNKNOWN';
  warnings.push(`Merged "${context}" as current context in ${path}`);
  return { path, context, warnings };
}
