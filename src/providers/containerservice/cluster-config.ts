/**
 * What the clusters' Kubernetes APIs learn about a cluster from its owner (src/kube/clusters.ts
 * `ClusterConfigSource`): the Kubernetes version the API server reports and whether the cluster uses API Server
 * VNet Integration (SPEC K-7: then no konnectivity-agent pods). Read from the managed cluster's ARM document, whose
 * store key the controllers watch for changes.
 */
import type { Arm } from '../../arm/arm.js';
import { resourceKey } from '../../arm/repository.js';
import type { ClusterRecord } from '../../clusters/cluster-registry.js';
import type { ClusterConfig, ClusterConfigSource } from '../../kube/clusters.js';
import type { ManagedClusterDoc } from './models.js';

export function clusterConfigSource(arm: Arm): ClusterConfigSource {
  return {
    async config(record: ClusterRecord): Promise<ClusterConfig> {
      const props = (await arm.resources.get<ManagedClusterDoc>(record.armId))?.value.properties as
        | { currentKubernetesVersion?: string; kubernetesVersion?: string; apiServerAccessProfile?: { enableVnetIntegration?: boolean } }
        | undefined;
      return {
        kubernetesVersion: props?.currentKubernetesVersion || props?.kubernetesVersion || undefined,
        vnetIntegration: props?.apiServerAccessProfile?.enableVnetIntegration === true,
      };
    },
    watchKey: (record) => resourceKey(record.armId),
  };
}
