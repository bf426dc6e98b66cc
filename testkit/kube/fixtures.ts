/**
 * Test clusters written exactly per the storage contract of src/kube/cluster-registry.ts and stored-object.ts
 * (what the managed-cluster provider and the fleet write): a ClusterRecord and its fqdn mapping, a minimal
 * managed-cluster ARM document, and full v1 Node objects written with `upsertObject` at the node's registry key,
 * as the fleet's kubelets do. Used until the clusters branch is merged; then acceptance tests create clusters
 * through ARM.
 */
import { randomUUID } from 'node:crypto';
import type { EmulatorCore } from '../../src/emulator.js';
import { putJson } from '../../src/store/json.js';
import { clusterByFqdnKey, clusterRecordKey, registryKey, type ClusterRecord } from '../../src/clusters/cluster-registry.js';
import { upsertObject } from '../../src/clusters/stored-object.js';

export const AKS_API_VERSIONS = ['2025-01-01', '2024-05-01', '2023-01-01', '2022-11-01'];

export interface PoolSpec {
  name: string;
  count: number;
  fips?: boolean;
  mode?: 'System' | 'User';
  vmSize?: string;
  /** Ready (default) or NotReady nodes. */
  ready?: boolean;
  taints?: Array<{ key: string; value?: string; effect: string }>;
}

export interface FixtureClusterSpec {
  name: string;
  resourceGroup: string;
  location?: string;
  kubernetesVersion?: string;
  pools: PoolSpec[];
  vnetIntegration?: boolean;
  disableLocalAccounts?: boolean;
}

export interface FixtureCluster {
  uid: string;
  armId: string;
  fqdn: string;
  name: string;
  resourceGroup: string;
  nodeNames: string[];
}

function hex8(): string {
  return randomUUID().replace(/-/g, '').slice(0, 8);
}

export function nodeObject(cluster: { uid: string; resourceGroup: string; name: string; location: string; version: string; subscriptionId: string }, pool: PoolSpec, vmssId: string, index: number, podCidrIndex: number) {
  const name = `aks-${pool.name}-${vmssId}-vmss${index.toString(36).padStart(6, '0')}`;
  const vmSize = pool.vmSize ?? 'Standard_DS2_v2';
  const fips = pool.fips === true;
  const imageVersion = fips ? 'AKSUbuntu-2004fipscontainerd-202405.03.0' : 'AKSUbuntu-2204gen2containerd-202405.03.0';
  const ready = pool.ready !== false;
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        agentpool: pool.name,
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/instance-type': vmSize,
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.azure.com/agentpool': pool.name,
        'kubernetes.azure.com/cluster': `MC_${cluster.resourceGroup}_${cluster.name}_${cluster.location}`,
        ...(fips ? { 'kubernetes.azure.com/fips_enabled': 'true' } : {}),
        'kubernetes.azure.com/mode': (pool.mode ?? 'System').toLowerCase(),
        'kubernetes.azure.com/node-image-version': imageVersion,
        'kubernetes.azure.com/os-sku': 'Ubuntu',
        'kubernetes.azure.com/role': 'agent',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/role': 'agent',
        'node-role.kubernetes.io/agent': '',
        'node.kubernetes.io/instance-type': vmSize,
        'topology.kubernetes.io/region': cluster.location,
        'topology.kubernetes.io/zone': '0',
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {
      podCIDR: `10.244.${podCidrIndex}.0/24`,
      podCIDRs: [`10.244.${podCidrIndex}.0/24`],
      providerID: `azure:///subscriptions/${cluster.subscriptionId}/resourceGroups/mc_${cluster.resourceGroup}_${cluster.name}_${cluster.location}/providers/Microsoft.Compute/virtualMachineScaleSets/aks-${pool.name}-${vmssId}-vmss/virtualMachines/${index}`,
      ...(pool.taints ? { taints: pool.taints } : {}),
    },
    status: {
      addresses: [
        { type: 'InternalIP', address: `10.224.0.${4 + podCidrIndex}` },
        { type: 'Hostname', address: name },
      ],
      allocatable: { cpu: '1900m', 'ephemeral-storage': '119703055367', memory: '4652480Ki', pods: '110' },
      capacity: { cpu: '2', 'ephemeral-storage': '129886128Ki', memory: '7116224Ki', pods: '110' },
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', lastHeartbeatTime: now, lastTransitionTime: now },
        { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure', lastHeartbeatTime: now, lastTransitionTime: now },
        { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available', lastHeartbeatTime: now, lastTransitionTime: now },
        ready
          ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }
          : { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'container runtime network not ready', lastHeartbeatTime: now, lastTransitionTime: now },
      ],
      nodeInfo: {
        architecture: 'amd64',
        bootID: randomUUID(),
        containerRuntimeVersion: 'containerd://1.7.15-1',
        kernelVersion: fips ? '5.4.0-1121-azure-fips' : '5.15.0-1061-azure',
        kubeProxyVersion: `v${cluster.version}`,
        kubeletVersion: `v${cluster.version}`,
        machineID: randomUUID().replace(/-/g, ''),
        operatingSystem: 'linux',
        osImage: fips ? 'Ubuntu 20.04.6 LTS' : 'Ubuntu 22.04.4 LTS',
        systemUUID: randomUUID(),
      },
    },
  };
}

/** Writes a cluster: ARM document, ClusterRecord, fqdn mapping and its nodes. */
export async function createFixtureCluster(ctx: EmulatorCore, spec: FixtureClusterSpec): Promise<FixtureCluster> {
  const location = spec.location ?? 'eastus';
  const version = spec.kubernetesVersion ?? '1.32.4';
  const sub = ctx.subscriptionId;
  if (!(await ctx.arm.resources.getResourceGroup(sub, spec.resourceGroup))) {
    await ctx.arm.resources.putResourceGroup(
      { id: `/subscriptions/${sub}/resourceGroups/${spec.resourceGroup}`, name: spec.resourceGroup, type: 'Microsoft.Resources/resourceGroups', location, properties: { provisioningState: 'Succeeded' } },
      sub,
    );
  }
  const uid = randomUUID();
  const armId = `/subscriptions/${sub}/resourceGroups/${spec.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${spec.name}`;
  const fqdn = `${spec.name.toLowerCase()}-${hex8()}.hcp.${location}.azmk8s.io`;
  await ctx.arm.resources.put({
    id: armId,
    name: spec.name,
    type: 'Microsoft.ContainerService/ManagedClusters',
    location,
    identity: { type: 'SystemAssigned' },
    properties: {
      provisioningState: 'Succeeded',
      powerState: { code: 'Running' },
      kubernetesVersion: version.split('.').slice(0, 2).join('.'),
      currentKubernetesVersion: version,
      dnsPrefix: spec.name,
      fqdn,
      agentPoolProfiles: spec.pools.map((p) => ({ name: p.name, count: p.count, vmSize: p.vmSize ?? 'Standard_DS2_v2', osType: 'Linux', osSKU: 'Ubuntu', mode: p.mode ?? 'System', enableFIPS: p.fips === true, type: 'VirtualMachineScaleSets' })),
      securityProfile: {},
      apiServerAccessProfile: { enableVnetIntegration: spec.vnetIntegration === true },
      ...(spec.disableLocalAccounts ? { disableLocalAccounts: true } : {}),
      servicePrincipalProfile: { clientId: 'msi' },
    },
  });
  const record: ClusterRecord = { uid, armId, fqdn, createdAt: ctx.clock.iso() };
  await putJson(ctx.store, clusterRecordKey(uid), record);
  await putJson(ctx.store, clusterByFqdnKey(fqdn), { uid });
  const nodeNames: string[] = [];
  let cidr = 0;
  for (const pool of spec.pools) {
    const vmss = String(10_000_000 + Math.floor(Math.random() * 89_999_999));
    for (let i = 0; i < pool.count; i++) {
      const node = nodeObject({ uid, resourceGroup: spec.resourceGroup, name: spec.name, location, version, subscriptionId: sub }, pool, vmss, i, cidr++);
      await upsertObject(ctx.store, registryKey(uid, 'nodes', undefined, node.metadata.name), () => ctx.clock.now(), () => node);
      nodeNames.push(node.metadata.name);
    }
  }
  return { uid, armId, fqdn, name: spec.name, resourceGroup: spec.resourceGroup, nodeNames };
}

/** Marks a node Ready or NotReady, as its kubelet would report (the fleet's write path). */
export async function setNodeReady(ctx: EmulatorCore, uid: string, node: string, ready: boolean): Promise<void> {
  await upsertObject<any>(ctx.store, registryKey(uid, 'nodes', undefined, node), () => ctx.clock.now(), (current) => {
    if (!current) return undefined;
    const now = ctx.clock.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const conditions = current.status.conditions.map((c: any) =>
      c.type === 'Ready' ? { ...c, status: ready ? 'True' : 'False', reason: ready ? 'KubeletReady' : 'KubeletNotReady', lastTransitionTime: now } : c,
    );
    return { ...current, status: { ...current.status, conditions } };
  });
}

export type { EmulatorCore };
