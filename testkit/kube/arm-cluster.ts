/**
 * Managed clusters created the way users create them: through ARM (the containerservice provider), whose fleet
 * writes the ClusterRecord and the Node objects the Kubernetes API serves.
 */
import { findClusterByFqdn } from '../../src/clusters/cluster-registry.js';
import { armClient } from '../containerservice.js';
import type { FixtureCluster } from './fixtures.js';
import { settle, type TestEmulator } from './kube-env.js';

export interface ArmPool {
  name: string;
  count: number;
  mode?: 'System' | 'User';
  enableFIPS?: boolean;
  [field: string]: unknown;
}

export async function createArmCluster(
  emu: TestEmulator,
  spec: { name: string; resourceGroup: string; pools: ArmPool[]; properties?: Record<string, unknown>; location?: string },
): Promise<FixtureCluster> {
  const arm = await armClient(emu.url, emu.env);
  const location = spec.location ?? 'eastus';
  const rg = await arm.call('PUT', `/subscriptions/${arm.sub}/resourcegroups/${spec.resourceGroup}`, { location }, '2021-04-01');
  if (rg.status >= 300) throw new Error(`resource group: ${rg.status} ${rg.text}`);
  const body = {
    location,
    identity: { type: 'SystemAssigned' },
    properties: {
      dnsPrefix: spec.name.toLowerCase(),
      agentPoolProfiles: spec.pools.map((p) => ({ vmSize: 'Standard_DS2_v2', osType: 'Linux', type: 'VirtualMachineScaleSets', mode: 'System', ...p })),
      ...(spec.properties ?? {}),
    },
  };
  const res = await arm.run('PUT', arm.cluster(spec.resourceGroup, spec.name), body);
  if (res.status !== 'Succeeded') throw new Error(`cluster create ${res.status}: ${JSON.stringify(res.error ?? res.first.text)}`);
  const doc = (await arm.call('GET', arm.cluster(spec.resourceGroup, spec.name))).json();
  const record = await findClusterByFqdn(emu.core.store, doc.properties.fqdn);
  if (!record) throw new Error('the provider wrote no ClusterRecord');
  const nodes = (await emu.core.store.range(`/clusters/${record.uid}/registry/minions/`, { keysOnly: true })).items.map((kv) => kv.key.split('/').pop()!);
  const cluster: FixtureCluster = { uid: record.uid, armId: doc.id, fqdn: record.fqdn, name: spec.name, resourceGroup: spec.resourceGroup, nodeNames: nodes };
  await settle(emu, cluster);
  return cluster;
}
