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
