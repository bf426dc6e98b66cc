/**
 * Kubeconfig files as AKS hands them out (`listClusterUserCredential` / `listClusterAdminCredential`) and as
 * `az aks get-credentials` merges them into ~/.kube/config (SPEC A-1).
 *
 * Shape: one cluster named after the managed cluster, one user `clusterUser_<rg>_<name>` (admin:
 * `clusterAdmin_<rg>_<name>`), one context `<name>` (admin: `<name>-admin`) that is the current context. The
 * server is the emulator's direct address (`https://127.0.0.1:PORT`) with `tls-server-name: <cluster fqdn>`:
 * the front door routes by that server name, so kubectl reaches the cluster on every path (also
 * `kubectl get --raw`) with or without the proxy settings of `aksemu env`, and verifies the API server's
 * certificate for the cluster's fqdn against the instance's local CA (certificate-authority-data).
 */
import { yaml } from '../util/yaml.js';
import { deepEqual } from './util/deep.js';

export interface NamedEntry {
  name: string;
  [field: string]: unknown;
}

export interface Kubeconfig {
  apiVersion: 'v1';
  kind: 'Config';
  clusters: NamedEntry[];
  contexts: NamedEntry[];
  users: NamedEntry[];
  'current-context': string;
  preferences: Record<string, unknown>;
  [field: string]: unknown;
}

export interface KubeconfigInput {
  clusterName: string;
  resourceGroup: string;
  admin: boolean;
  server: string;
  /** The cluster's fqdn, sent as TLS server name. */
  tlsServerName?: string;
  caPem: string;
  token: string;
}

export function buildKubeconfig(input: KubeconfigInput): Kubeconfig {
  const user = `${input.admin ? 'clusterAdmin' : 'clusterUser'}_${input.resourceGroup}_${input.clusterName}`;
  const context = input.admin ? `${input.clusterName}-admin` : input.clusterName;
  return {
    apiVersion: 'v1',
    clusters: [
      {
        cluster: {
          'certificate-authority-data': Buffer.from(input.caPem, 'utf8').toString('base64'),
          server: input.server,
          ...(input.tlsServerName ? { 'tls-server-name': input.tlsServerName } : {}),
        },
        name: input.clusterName,
      },
    ],
    contexts: [{ context: { cluster: input.clusterName, user }, name: context }],
    'current-context': context,
    kind: 'Config',
    preferences: {},
    users: [{ name: user, user: { token: input.token } }],
  };
}

export function kubeconfigYaml(cfg: Kubeconfig): string {
  return yaml().stringify(cfg);
}

export class KubeconfigMergeError extends Error {}

/**
 * Merges `addition` into the kubeconfig text `existing` the way az does: entries with the same name are
 * replaced when identical or when `overwrite`, otherwise the merge fails ("A different object named X already
 * exists in users in your kubeconfig file."); the addition's context becomes the current one.
 */
export function mergeKubeconfig(existing: string | undefined, addition: Kubeconfig, overwrite: boolean): Kubeconfig {
  let base: Partial<Kubeconfig> = {};
  if (existing && existing.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = yaml().parse(existing);
    } catch (err) {
      throw new KubeconfigMergeError(`the existing kubeconfig file is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) throw new KubeconfigMergeError('the existing kubeconfig file is not a kubeconfig (expected a mapping)');
    base = (parsed ?? {}) as Partial<Kubeconfig>;
  }
  const out: Kubeconfig = {
    ...base,
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [...(base.clusters ?? [])],
    contexts: [...(base.contexts ?? [])],
    users: [...(base.users ?? [])],
    preferences: base.preferences ?? {},
    'current-context': addition['current-context'],
  };
  for (const key of ['clusters', 'users', 'contexts'] as const) {
    for (const item of addition[key]) {
      const i = out[key].findIndex((e) => e?.name === item.name);
      if (i >= 0) {
        if (!overwrite && !deepEqual(out[key][i], item)) {
          throw new KubeconfigMergeError(`A different object named ${item.name} already exists in ${key} in your kubeconfig file.`);
        }
        out[key].splice(i, 1);
      }
      out[key].push(item);
    }
  }
  return out;
}
