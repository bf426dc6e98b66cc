/**
 * What the clusters' Kubernetes APIs learn about a cluster from its owner (src/kube/clusters.ts
 * `ClusterConfigSource`): the Kubernetes version the API server reports, whether the cluster uses API Server
 * VNet Integration (SPEC K-7: then no konnectivity-agent pods), its sign-in settings and its service CIDR. Read from the managed cluster's ARM document, whose
 * store key the controllers watch for changes.
 */
import type { Arm } from '../../arm/arm.js';
import { resourceKey } from '../../arm/repository.js';
import type { ClusterRecord } from '../../clusters/cluster-registry.js';
import type { ClusterConfig, ClusterConfigSource } from '../../kube/clusters.js';
import type { ManagedClusterDoc } from './models.js';

/** `tenantId`: the instance's tenant, an Entra-integrated cluster's tenant unless its aadProfile names one. */
export function clusterConfigSource(arm: Arm, tenantId: string): ClusterConfigSource {
  return {
    async config(record: ClusterRecord): Promise<ClusterConfig> {
      const props = (await arm.resources.get<ManagedClusterDoc>(record.armId))?.value.properties as
        | {
            currentKubernetesVersion?: string;
            kubernetesVersion?: string;
            apiServerAccessProfile?: { enableVnetIntegration?: boolean };
            aadProfile?: { managed?: boolean; enableAzureRBAC?: boolean; adminGroupObjectIDs?: string[]; tenantID?: string };
            disableLocalAccounts?: boolean;
            networkProfile?: { serviceCidr?: string; dnsServiceIP?: string };
          }
        | undefined;
      const aad = props?.aadProfile?.managed === true ? props.aadProfile : undefined;
      return {
        kubernetesVersion: props?.currentKubernetesVersion || props?.kubernetesVersion || undefined,
        vnetIntegration: props?.apiServerAccessProfile?.enableVnetIntegration === true,
        armId: record.armId,
        aad: aad
          ? { enableAzureRBAC: aad.enableAzureRBAC === true, adminGroupObjectIDs: aad.adminGroupObjectIDs ?? [], tenantId: aad.tenantID ?? tenantId }
          : undefined,
        localAccounts: props?.disableLocalAccounts !== true,
        // AKS's defaults, which a cluster created before aksemu recorded them also had.
        serviceCidr: props?.networkProfile?.serviceCidr ?? '10.0.0.0/16',
        dnsServiceIP: props?.networkProfile?.dnsServiceIP ?? '10.0.0.10',
      };
    },
    watchKey: (record) => resourceKey(record.armId),
  };
}
