/**
 * A managed cluster as the Kubernetes API sees it: its ClusterRecord (src/clusters/cluster-registry.ts) and the
 * configuration that shapes the API (its version) and the system pods (SPEC K-7: API Server VNet Integration or
 * Konnectivity). The configuration belongs to the cluster's owner, the container service, which answers through
 * `ClusterConfigSource`: this package never reads ARM documents.
 */
import type { Store } from '../store/store.js';
import { findClusterByFqdn, type ClusterRecord } from '../clusters/cluster-registry.js';

export interface ClusterConfig {
  /** "1.32.4" (the current version, else the requested one); undefined when unknown. */
  kubernetesVersion: string | undefined;
  /** Whether the cluster uses API Server VNet Integration (no Konnectivity then; SPEC K-7). */
  vnetIntegration: boolean;
  /** The cluster's Azure resource id: the scope of Azure RBAC data actions (`<id>/namespaces/<ns>` below it). */
  armId: string;
  /**
   * Microsoft Entra ID integration (`aadProfile.managed`): Entra tokens authenticate users and groups, authorized by
   * Kubernetes RBAC, or by Azure RBAC data actions when `enableAzureRBAC` (SPEC Z-3). Undefined for a cluster with
   * local accounts only, which accepts no Entra token.
   */
  aad: { enableAzureRBAC: boolean; adminGroupObjectIDs: string[]; tenantId: string } | undefined;
  /** Whether local accounts (the admin credential's `masterclient`) may sign in: false with `disableLocalAccounts`. */
  localAccounts: boolean;
  /** networkProfile.serviceCidr: where Services' cluster IPs come from (SPEC W-27). */
  serviceCidr: string;
  /** networkProfile.dnsServiceIP: the cluster IP of the kube-dns Service. */
  dnsServiceIP: string;
}

/** Where the API gets a cluster's configuration, and the store key whose changes mean it may have changed. */
export interface ClusterConfigSource {
  config(record: ClusterRecord): Promise<ClusterConfig>;
  watchKey(record: ClusterRecord): string;
}

export interface ClusterView {
  record: ClusterRecord;
  config: ClusterConfig;
}

export async function clusterByFqdn(store: Store, source: ClusterConfigSource, fqdn: string): Promise<ClusterView | undefined> {
  const record = await findClusterByFqdn(store, fqdn);
  if (!record) return undefined;
  return { record, config: await source.config(record) };
}

/** "1.32.4" as major, minor and gitVersion (patch 0 when absent). */
export function kubernetesVersion(config: ClusterConfig): { major: string; minor: string; gitVersion: string } {
  const v = config.kubernetesVersion || '1.32.4';
  const parts = v.replace(/^v/, '').split('.');
  const major = parts[0] ?? '1';
  const minor = parts[1] ?? '32';
  const patch = parts[2] ?? '0';
  return { major, minor, gitVersion: `v${major}.${minor}.${patch}` };
}
