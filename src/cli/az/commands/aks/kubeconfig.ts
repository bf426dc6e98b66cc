/**
 * `aks get-credentials`: writes the kubeconfig a cluster's listClusterUserCredential returns into ~/.kube/config
 * (or --file, or $KUBECONFIG's first entry), merged as az merges it: entries with the same name are replaced when
 * identical or with --overwrite-existing, a different one is refused; the new context becomes current; an admin
 * context gets the -admin suffix; --context renames the context and cluster; `--file -` prints it.
 *
 * The user of an Entra-integrated cluster is an exec entry that runs `az account get-access-token` (see
 * src/kube/kubeconfig.ts); the kubeconfig the aksemu CLI writes runs the aksemu CLI's own `account
 * get-access-token` instead, so kubectl works where only aksemu is installed.
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

/** Deep equality regardless of key order, as az compares the parsed entries (Python dicts). */
function sameJson(a: unknown, b: unknown): boolean {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, x]) => [k, canonical(x)])) : v;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
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

/** The same kubeconfig with each `az` exec entry running `command prefix... <az's args> suffix...` (the aksemu CLI). */
export function execWithCli(kubeconfigText: string, cli: { command: string; prefix: string[]; suffix: string[] }): string {
  const cfg = (parse(kubeconfigText) ?? {}) as KubeConfig;
  let changed = false;
  for (const u of cfg.users ?? []) {
    const exec = (u.user as { exec?: { command?: string; args?: string[] } } | undefined)?.exec;
    if (exec?.command !== 'az') continue;
    exec.command = cli.command;
    exec.args = [...cli.prefix, ...(exec.args ?? []), ...cli.suffix];
    changed = true;
  }
  return changed ? stringify(cfg, { lineWidth: 0 }) : kubeconfigText;
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
    // az renames the admin context so it does not overwrite the user context (AKS names both after the cluster).
    if (typeof ctx.context?.user === 'string' && ctx.context.user.startsWith('clusterAdmin')) {
      addition['current-context'] = ctx.name = `${ctx.name}-admin`;
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
