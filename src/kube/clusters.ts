/**
 * A managed cluster as the Kubernetes API sees it: its ClusterRecord (cluster-registry.ts) and the parts of its
 * ARM document that shape the API (version) and the system pods (SPEC K-7: API Server VNet Integration or
 * Konnectivity; KMS).
 */
import type { ArmResource } from '../arm/repository.js';
import type { Arm } from '../arm/arm.js';
import type { Store } from '../store/store.js';
import { findClusterByFqdn, type ClusterRecord } from '../clusters/cluster-registry.js';

export interface ClusterView {
  record: ClusterRecord;
  arm: ArmResource | undefined;
}

export async function clusterByFqdn(store: Store, arm: Arm, fqdn: string): Promise<ClusterView | undefined> {
  const record = await findClusterByFqdn(store, fqdn);
  if (!record) return undefined;
  return { record, arm: (await arm.resources.get(record.armId))?.value };
}

/** "1.32.4" from the ARM document (currentKubernetesVersion, else kubernetesVersion), patch 0 when absent. */
export function kubernetesVersion(arm: ArmResource | undefined): { major: string; minor: string; gitVersion: string } {
  const props = (arm?.properties ?? {}) as { currentKubernetesVersion?: string; kubernetesVersion?: string };
  const v = props.currentKubernetesVersion || props.kubernetesVersion || '1.32.4';
  const parts = v.replace(/^v/, '').split('.');
  const major = parts[0] ?? '1';
  const minor = parts[1] ?? '32';
  const patch = parts[2] ?? '0';
  return { major, minor, gitVersion: `v${major}.${minor}.${patch}` };
}

/** Whether the cluster uses API Server VNet Integration (no Konnectivity then; SPEC K-7). */
export function usesVnetIntegration(arm: ArmResource | undefined): boolean {
  const props = (arm?.properties ?? {}) as { apiServerAccessProfile?: { enableVnetIntegration?: boolean } };
  return props.apiServerAccessProfile?.enableVnetIntegration === true;
}
