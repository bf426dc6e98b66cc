/**
 * The Services every AKS cluster has (SPEC W-27): `default/kubernetes` at the first address of the service CIDR
 * (kube-apiserver's own, port 443 named https), `kube-system/kube-dns` at networkProfile.dnsServiceIP in front of
 * the coredns pods, and `kube-system/metrics-server` in front of the metrics-server pods. Created when absent
 * when a cluster's controllers start, as the addon manager and kube-apiserver's own reconciler create them.
 */
import type { Registry } from '../api/registry/registry.js';
import type { Service } from '../api/machinery/types.js';
import type { ClusterConfig } from '../clusters.js';
import { services as svcDef } from '../resources/index.js';
import { allocateServiceAddresses, kubernetesServiceIp } from '../resources/service-addresses.js';
import { tolerant } from './workload-common.js';

const ADDON_LABELS = { 'addonmanager.kubernetes.io/mode': 'Reconcile', 'kubernetes.io/cluster-service': 'true' };

/** The system Services of a cluster with this configuration. */
export function systemServices(config: Pick<ClusterConfig, 'serviceCidr' | 'dnsServiceIP'>): Service[] {
  return [
    {
      metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { type: 'ClusterIP', clusterIP: kubernetesServiceIp(config.serviceCidr), ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 443 }] },
    },
    {
      metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { ...ADDON_LABELS, 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' } },
      spec: {
        type: 'ClusterIP',
        clusterIP: config.dnsServiceIP,
        selector: { 'k8s-app': 'kube-dns' },
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        ],
      },
    },
    {
      metadata: { name: 'metrics-server', namespace: 'kube-system', labels: { ...ADDON_LABELS, 'k8s-app': 'metrics-server', 'kubernetes.io/name': 'Metrics-server' } },
      spec: { type: 'ClusterIP', selector: { 'k8s-app': 'metrics-server' }, ports: [{ port: 443, protocol: 'TCP', targetPort: 'https' }] },
    },
  ];
}

/**
 * Creates the missing system Services; answers false when a create should be tried again (a refused write), true
 * when each exists or cannot be made (its address taken by a user's Service: not retried every pass).
 */
export async function ensureSystemServices(registry: Registry, config: ClusterConfig): Promise<boolean> {
  const existing = (await registry.list<Service>(svcDef, undefined)).items;
  const have = new Set(existing.map((s) => `${s.metadata.namespace}/${s.metadata.name}`));
  let all = true;
  for (const svc of systemServices(config)) {
    if (have.has(`${svc.metadata.namespace}/${svc.metadata.name}`)) continue;
    // Through the same allocation as a client's create: an address a user's Service took first is not taken twice.
    if (allocateServiceAddresses(svc, existing, config.serviceCidr).length > 0) continue;
    const created = await tolerant(registry.create(svcDef, svc.metadata.namespace, svc));
    if (created) existing.push(created);
    else all = false;
  }
  return all;
}
