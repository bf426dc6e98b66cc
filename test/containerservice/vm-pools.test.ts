/**
 * SPEC C-14: agent pools of type VirtualMachines run nodes of several sizes from `virtualMachinesProfile.scale`, and
 * show them per size in `virtualMachineNodesStatus`; the cluster's Nodes carry those sizes; a change of the profile
 * resizes and scales the pool; an unknown size is refused.
 */
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, startTestEmulator } from '../../testkit/emulator.js';
import { armClient, clusterBody, linuxPool, type ArmClient } from '../../testkit/containerservice.js';
import { httpsCall } from '../../testkit/http.js';

describe('VirtualMachines agent pools', () => {
  let emu: Awaited<ReturnType<typeof startTestEmulator>>;
  let a: ArmClient;
  const pool = () => `${a.cluster('rg', 'c1')}/agentPools/vmpool`;
  const vmPool = (scale: unknown) => ({ properties: { type: 'VirtualMachines', mode: 'User', osType: 'Linux', virtualMachinesProfile: { scale } } });
  /** The instance types of the pool's Nodes, as the cluster's Kubernetes API lists them. */
  async function nodeSizes(): Promise<string[]> {
    const cred = await a.call('POST', `${a.cluster('rg', 'c1')}/listClusterAdminCredential`);
    const cfg = parse(Buffer.from(cred.json().kubeconfigs[0].value, 'base64').toString('utf8'));
    const base = `${cfg.clusters[0].cluster.server}/_k8s/${cfg.clusters[0].cluster['tls-server-name']}`;
    const nodes = await httpsCall(`${base}/api/v1/nodes?labelSelector=agentpool%3Dvmpool`, { headers: { authorization: `Bearer ${cfg.users[0].user.token}` } });
    expect(nodes.status, nodes.text).toBe(200);
    return nodes.json().items.map((n: { metadata: { labels: Record<string, string> } }) => n.metadata.labels['node.kubernetes.io/instance-type']).sort();
  }
  beforeAll(async () => {
    emu = await startTestEmulator();
    a = await armClient(emu.url, emu.env);
    await a.call('PUT', `/subscriptions/${a.sub}/resourcegroups/rg`, { location: 'eastus' }, '2021-04-01');
    expect((await a.run('PUT', a.cluster('rg', 'c1'), clusterBody({ pools: [linuxPool('nodepool1', { count: 1 })] }))).status).toBe('Succeeded');
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('manual scale: nodes of each size, shown per size', async () => {
    const r = await a.run('PUT', pool(), vmPool({ manual: [{ size: 'Standard_D2_v2', count: 2 }, { size: 'Standard_D2_v3', count: 1 }] }));
    expect(r.status).toBe('Succeeded');
    const shown = (await a.call('GET', pool())).json().properties;
    expect(shown.virtualMachineNodesStatus).toEqual([{ size: 'Standard_D2_v2', count: 2 }, { size: 'Standard_D2_v3', count: 1 }]);
    expect(shown.count).toBe(3);
    expect(await nodeSizes()).toEqual(['Standard_D2_v2', 'Standard_D2_v2', 'Standard_D2_v3']);
    const profile = (await a.call('GET', a.cluster('rg', 'c1'))).json().properties.agentPoolProfiles.find((p: { name: string }) => p.name === 'vmpool');
    expect(profile.virtualMachineNodesStatus).toEqual(shown.virtualMachineNodesStatus);
  });

  it('a new profile resizes and scales the pool; autoscale entries run their minimum', async () => {
    const r = await a.run('PUT', pool(), vmPool({ autoscale: [{ size: 'Standard_D2_v3', minCount: 2, maxCount: 4 }] }));
    expect(r.status, r.first.text).toBe('Succeeded');
    expect((await a.call('GET', pool())).json().properties.virtualMachineNodesStatus).toEqual([{ size: 'Standard_D2_v3', count: 2 }]);
    expect(await nodeSizes()).toEqual(['Standard_D2_v3', 'Standard_D2_v3']);
  });

  it('an unknown size or a maximum below the minimum is a 400', async () => {
    const unknown = await a.call('PUT', `${a.cluster('rg', 'c1')}/agentPools/vmbad`, vmPool({ manual: [{ size: 'Standard_Nope', count: 1 }] }));
    expect(unknown.status).toBe(400);
    expect(unknown.json().error.code).toBe('InvalidParameter');
    const inverted = await a.call('PUT', `${a.cluster('rg', 'c1')}/agentPools/vmbad`, vmPool({ autoscale: [{ size: 'Standard_D2_v2', minCount: 3, maxCount: 1 }] }));
    expect(inverted.status).toBe(400);
  });
});
