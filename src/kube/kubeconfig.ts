/**
 * Kubeconfig files as AKS hands them out (`listClusterUserCredential` / `listClusterAdminCredential`) and as
 * `az aks get-credentials` merges them into ~/.kube/config (SPEC A-1).
 *
 * Shape: one cluster named after the managed cluster, one user `clusterUser_<rg>_<name>` (admin:
 * `clusterAdmin_<rg>_<name>`), one context `<name>` that is the current context, for the admin credential too: as
 * on AKS, `az aks get-credentials --admin` renames it `<name>-admin` when it merges it. The
 * server is the emulator's direct address (`https://127.0.0.1:PORT`) with `tls-server-name: <cluster fqdn>`:
 * the front door routes by that server name, so kubectl reaches the cluster on every path (also
 * `kubectl get --raw`) with or without the proxy settings of `aksemu env`, and verifies the API server's
 * certificate for the cluster's fqdn against the instance's local CA (certificate-authority-data).
 *
 * The user is a bearer token (the cluster's local account) or, for the cluster user of an Entra-integrated
 * cluster, an exec entry that fetches the caller's Entra token each time kubectl runs. Either way the entry is the
 * same on every call for the same cluster, so `az aks get-credentials` run twice merges silently, as on AKS.
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
  /** The credential's role: its user is `<role>_<rg>_<name>`. */
  role: 'clusterAdmin' | 'clusterUser' | 'clusterMonitoringUser';
  server: string;
  /** The cluster's fqdn, sent as TLS server name. */
  tlsServerName?: string;
  caPem: string;
  user: KubeconfigUser;
}

/** A kubeconfig user: a bearer token, or a client-go credential plugin (`exec`) that prints an ExecCredential. */
export type KubeconfigUser = { token: string } | { exec: Record<string, unknown> };

/**
 * The cluster user of an Entra-integrated cluster (SPEC ). AKS hands out a kubelogin entry (`kubelogin
 * get-token --login devicecode --server-id ...`); kubelogin's `azurecli` login runs `az account get-access-token
 * --resource <server-id>` for the account az is signed in as. aksemu's entry runs that az command itself, shaping its
 * output into the ExecCredential kubectl reads, so kubectl works with az alone (no kubelogin) and the entry never
 * holds a token: it is identical on every call.
 */
export function azCliExecUser(serverAppId: string): KubeconfigUser {
  return {
    exec: {
      apiVersion: EXEC_CREDENTIAL_API,
      command: 'az',
      args: ['account', 'get-access-token', '--resource', serverAppId, '--query', `{kind:'ExecCredential',apiVersion:'${EXEC_CREDENTIAL_API}',status:{token:accessToken}}`, '--output', 'json'],
      env: null,
      installHint: 'kubectl needs the Azure CLI signed in to this aksemu instance to get a Microsoft Entra token for the cluster: eval "$(aksemu az-setup)" (or az login), then retry.',
      interactiveMode: 'Never',
      provideClusterInfo: false,
    },
  };
}

export const EXEC_CREDENTIAL_API = 'client.authentication.k8s.io/v1beta1';

export function buildKubeconfig(input: KubeconfigInput): Kubeconfig {
  const user = `${input.role}_${input.resourceGroup}_${input.clusterName}`;
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
    contexts: [{ context: { cluster: input.clusterName, user }, name: input.clusterName }],
    'current-context': input.clusterName,
    kind: 'Config',
    preferences: {},
    users: [{ name: user, user: input.user }],
  };
}

export function kubeconfigYaml(cfg: Kubeconfig): string {
  return yaml().stringify(cfg);
}
