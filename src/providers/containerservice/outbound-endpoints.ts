/**
 * `GET .../managedClusters/{name}/outboundNetworkDependenciesEndpoints` (SPEC C-13): the domains a cluster's nodes
 * must reach when its egress is restricted, by category, as AKS lists them (its documented outbound rules: the
 * management and login endpoints, the image registry and its CDN, packages, time, optional OS updates, GPU drivers,
 * Windows nodes, and the API server). The list is fixed; it does not depend on the cluster's settings.
 */
import type { ArmRequest, ArmResponse } from '../../arm/router.js';
import { loadCluster } from './agent-pools.js';
import type { ContainerService } from './service.js';

type Protocol = 'Https' | 'Http' | 'UDP' | 'TCP';
const https = (domainName: string, description?: string) => ({ domainName, endpointDetails: [{ ...(description ? { description } : {}), port: 443, protocol: 'Https' as Protocol }] });
const http = (domainName: string) => ({ domainName, endpointDetails: [{ port: 80, protocol: 'Http' as Protocol }] });

const CATEGORIES = [
  { category: 'azure-resource-management', endpoints: [https('management.azure.com'), https('login.microsoftonline.com')] },
  { category: 'images', endpoints: [https('mcr.microsoft.com'), https('*.data.mcr.microsoft.com', 'mcr cdn')] },
  { category: 'artifacts', endpoints: [https('packages.microsoft.com'), https('acs-mirror.azureedge.net')] },
  { category: 'time-sync', endpoints: [{ domainName: 'ntp.ubuntu.com', endpointDetails: [{ port: 123, protocol: 'UDP' as Protocol }] }] },
  { category: 'ubuntu-optional', endpoints: [http('security.ubuntu.com'), http('azure.archive.ubuntu.com'), http('changelogs.ubuntu.com')] },
  { category: 'gpu', endpoints: [https('nvidia.github.io'), https('us.download.nvidia.com'), https('apt.dockerproject.org')] },
  { category: 'windows', endpoints: [https('onegetcdn.azureedge.net'), https('go.microsoft.com'), http('*.mp.microsoft.com'), http('www.msftconnecttest.com'), http('ctldl.windowsupdate.com')] },
  { category: 'apiserver', endpoints: [https('*.azmk8s.io')] },
  { category: 'tunnel-classic', endpoints: [{ domainName: '*.azmk8s.io', endpointDetails: [{ port: 9000, protocol: 'TCP' as Protocol }] }] },
];

export async function outboundEndpoints(svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  await loadCluster(svc, req);
  return { status: 200, body: { value: CATEGORIES } };
}
