/**
 * Acceptance: the FIPS article (seeds 000/001) end to end with @azure/arm-containerservice through the
 * proxy: a cluster with a MOTD, a FIPS pool `fipsnp` (F-1), the agentPoolProfiles view, the nodes' names, labels and
 * /proc/sys/crypto/fips_enabled, a Windows FIPS pool with FIPSAlgorithmPolicy Enabled = 1, FIPS switched on and off
 * on an existing Linux pool with the nodes reimaged one by one (C-5, F-6), MOTD on node pool add (C-6), and MD4
 * blocked on FIPS nodes (F-7).
 */
import { ClientSecretCredential } from '@azure/identity';
import { ContainerServiceClient, type AgentPool } from '@azure/arm-containerservice';
import { ResourceManagementClient } from '@azure/arm-resources';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryKey } from '../../src/clusters/cluster-registry.js';
import { decodeObject } from '../../src/clusters/stored-object.js';
import { getToken, httpsCall } from '../../testkit/http.js';
import { removeDataDir, startTestEmulator, useEnvironment } from '../../testkit/emulator.js';

type Emu = Awaited<ReturnType<typeof startTestEmulator>>;
const RG = 'myResourceGroup';
const CLUSTER = 'myAKSCluster';
const poll = { updateIntervalInMs: 5 };
const MOTD = 'Authorized access only. Activity is monitored.\n';

interface NodeView {
  metadata: { name: string; labels: Record<string, string> };
  spec: { unschedulable?: boolean };
  status: { conditions: Array<{ type: string; status: string }>; nodeInfo: { kubeletVersion: string; kernelVersion: string; osImage: string } };
}

describe('FIPS article end to end with @azure/arm-containerservice', () => {
  let emu: Emu;
  let client: ContainerServiceClient;
  let token: string;
  let uid: string;

  const nodes = async (): Promise<NodeView[]> => {
    const page = await emu.core.store.range(`/clusters/${uid}/registry/minions/`);
    return page.items.map((kv) => decodeObject(kv.value, kv.modRevision) as unknown as NodeView);
  };
  const ready = (n: NodeView) => n.status.conditions.find((c) => c.type === 'Ready')?.status === 'True';
  const exec = async (node: string, ...command: string[]) => {
    const r = await httpsCall(`${emu.url}/_aksemu/nodes/${node}/exec?cluster=${CLUSTER}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ command }),
    });
    expect(r.status, r.text).toBe(200);
    return r.json<{ exitCode: number; stdout: string; stderr: string }>();
  };
  const fipsTable = async () => {
    const mc = await client.managedClusters.get(RG, CLUSTER);
    return mc.agentPoolProfiles!.map((p) => ({ Name: p.name, enableFips: p.enableFips }));
  };

  beforeAll(async () => {
    // A date when Ubuntu 22.04 is the default and has no FIPS image (seed: "AKS defaults to Ubuntu 20.04").
    emu = await startTestEmulator({ now: new Date('2025-09-01T00:00:00Z') });
    useEnvironment(emu.env);
    const cred = new ClientSecretCredential(emu.env.AZURE_TENANT_ID!, emu.env.AZURE_CLIENT_ID!, emu.env.AZURE_CLIENT_SECRET!);
    token = await getToken(emu.url, emu.env);
    await new ResourceManagementClient(cred, emu.env.AZURE_SUBSCRIPTION_ID!).resourceGroups.createOrUpdate(RG, { location: 'eastus' });
    client = new ContainerServiceClient(cred, emu.env.AZURE_SUBSCRIPTION_ID!);
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('creates the cluster (with a message of the day) and a FIPS pool fipsnp; agentPoolProfiles show fipsnp True, nodepool1 False', async () => {
    const mc = await client.managedClusters.beginCreateOrUpdateAndWait(
      RG,
      CLUSTER,
      {
        location: 'eastus',
        identity: { type: 'SystemAssigned' },
        dnsPrefix: 'myakscluster',
        agentPoolProfiles: [{ name: 'nodepool1', count: 1, vmSize: 'Standard_DS2_v2', mode: 'System', osType: 'Linux', messageOfTheDay: Buffer.from(MOTD).toString('base64') }],
      },
      poll,
    );
    expect(mc.provisioningState).toBe('Succeeded');
    expect(mc.nodeResourceGroup).toBe(`MC_${RG}_${CLUSTER}_eastus`);
    expect(mc.fqdn).toMatch(/^myakscluster-[0-9a-f]{8}\.hcp\.eastus\.azmk8s\.io$/);
    expect(mc.identityProfile?.kubeletidentity?.resourceId).toMatch(new RegExp(`/resourcegroups/MC_${RG}_${CLUSTER}_eastus/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${CLUSTER}-agentpool$`));
    uid = mc.resourceUID!;

    const pool = await client.agentPools.beginCreateOrUpdateAndWait(RG, CLUSTER, 'fipsnp', { enableFips: true, count: 3, vmSize: 'Standard_DS2_v2', osType: 'Linux', mode: 'User' } as AgentPool, poll);
    expect(pool.provisioningState).toBe('Succeeded');
    expect(pool.enableFips).toBe(true);
    expect(await fipsTable()).toEqual([
      { Name: 'fipsnp', enableFips: true },
      { Name: 'nodepool1', enableFips: false },
    ]);
    // The node resource group is a real resource group managed by the cluster.
    const rg = await new ResourceManagementClient(new ClientSecretCredential(emu.env.AZURE_TENANT_ID!, emu.env.AZURE_CLIENT_ID!, emu.env.AZURE_CLIENT_SECRET!), emu.env.AZURE_SUBSCRIPTION_ID!).resourceGroups.get(mc.nodeResourceGroup!);
    expect(rg.managedBy).toBe(mc.id);
  });

  it('F-1: fipsnp nodes are aks-fipsnp-XXXXXXXX-vmss00000{0,1,2}, Ready, labelled fips_enabled=true, and fips_enabled = 1', async () => {
    const all = await nodes();
    const fips = all.filter((n) => n.metadata.name.startsWith('aks-fipsnp-')).map((n) => n.metadata.name).sort();
    expect(fips).toHaveLength(3);
    const digits = /^aks-fipsnp-(\d{8})-vmss00000[0-2]$/.exec(fips[0]!)![1];
    expect(fips).toEqual([0, 1, 2].map((i) => `aks-fipsnp-${digits}-vmss00000${i}`));
    const plain = all.find((n) => n.metadata.name.startsWith('aks-nodepool1-'))!;
    expect(plain.metadata.name).toBe(`aks-nodepool1-${digits}-vmss000000`);
    for (const n of all) {
      expect(ready(n)).toBe(true);
      expect(n.status.nodeInfo.kubeletVersion).toMatch(/^v1\.32\.\d+$/);
      expect(n.metadata.labels['kubernetes.azure.com/agentpool']).toBe(n.metadata.name.split('-')[1]);
      expect(n.metadata.labels['kubernetes.io/role']).toBe('agent');
    }
    for (const name of fips) {
      const n = all.find((x) => x.metadata.name === name)!;
      expect(n.metadata.labels['kubernetes.azure.com/fips_enabled']).toBe('true');
      // SPEC F-3: Ubuntu 22.04 has no FIPS image here, so the pool runs the Ubuntu 20.04 FIPS image.
      expect(n.metadata.labels['kubernetes.azure.com/node-image-version']).toMatch(/^AKSUbuntu-2004gen2fipscontainerd-/);
      expect(n.status.nodeInfo.osImage).toBe('Ubuntu 20.04.6 LTS');
      expect(n.status.nodeInfo.kernelVersion).toMatch(/-azure-fips$/);
      expect(await exec(name, 'cat', '/proc/sys/crypto/fips_enabled')).toEqual({ exitCode: 0, stdout: '1\n', stderr: '' });
    }
    expect(plain.metadata.labels['kubernetes.azure.com/fips_enabled']).toBeUndefined();
    expect((await exec(plain.metadata.name, 'cat', '/proc/sys/crypto/fips_enabled')).stdout).toBe('0\n');
  });

  it('F-7: MD4 and MD5 are blocked on FIPS nodes, available elsewhere', async () => {
    const [fipsNode] = (await nodes()).filter((n) => n.metadata.name.startsWith('aks-fipsnp-'));
    const plainNode = (await nodes()).find((n) => n.metadata.name.startsWith('aks-nodepool1-'))!;
    const blocked = await exec(fipsNode!.metadata.name, 'openssl', 'dgst', '-md4', '/etc/hostname');
    expect(blocked.exitCode).toBe(1);
    expect(blocked.stderr).toContain('disabled for FIPS');
    expect((await exec(fipsNode!.metadata.name, 'openssl', 'dgst', '-md5', '/etc/hostname')).exitCode).toBe(1);
    expect((await exec(fipsNode!.metadata.name, 'openssl', 'dgst', '-sha256', '/etc/hostname')).exitCode).toBe(0);
    // Ubuntu 22.04's OpenSSL 3 keeps MD4 in the legacy provider.
    const md4 = await exec(plainNode.metadata.name, 'openssl', 'dgst', '-md4', '-provider', 'legacy', '/etc/hostname');
    expect(md4.exitCode, md4.stderr).toBe(0);
    expect(md4.stdout).toMatch(/^MD4\(\/etc\/hostname\)= [0-9a-f]{32}\n$/);
    expect((await exec(plainNode.metadata.name, 'openssl', 'dgst', '-md5', '/etc/hostname')).exitCode).toBe(0);
  });

  it('C-6: the message of the day replaces /etc/motd on create and on node pool add', async () => {
    const plainNode = (await nodes()).find((n) => n.metadata.name.startsWith('aks-nodepool1-'))!;
    expect((await exec(plainNode.metadata.name, 'cat', '/etc/motd')).stdout).toBe(MOTD);
    const added = await client.agentPools.beginCreateOrUpdateAndWait(RG, CLUSTER, 'mynodepool1', { count: 1, vmSize: 'Standard_DS2_v2', osType: 'Linux', mode: 'User', messageOfTheDay: Buffer.from('Pool MOTD\n').toString('base64') } as AgentPool, poll);
    expect(added.messageOfTheDay).toBe(Buffer.from('Pool MOTD\n').toString('base64'));
    const n = (await nodes()).find((x) => x.metadata.name.startsWith('aks-mynodepool1-'))!;
    expect((await exec(n.metadata.name, 'cat', '/etc/motd')).stdout).toBe('Pool MOTD\n');
  });

  it('Windows FIPS pool: FIPSAlgorithmPolicy Enabled = 1 and the fips_enabled label', async () => {
    const pool = await client.agentPools.beginCreateOrUpdateAndWait(RG, CLUSTER, 'fipwin', { enableFips: true, count: 1, vmSize: 'Standard_DS2_v2', osType: 'Windows', mode: 'User' } as AgentPool, poll);
    expect(pool.enableFips).toBe(true);
    expect(pool.osSKU).toBe('Windows2022');
    const n = (await nodes()).find((x) => x.metadata.labels['kubernetes.azure.com/agentpool'] === 'fipwin')!;
    expect(n.metadata.name).toMatch(/^aksfipwin00000[0-9a-z]$/);
    expect(n.metadata.labels['kubernetes.io/os']).toBe('windows');
    expect(n.metadata.labels['kubernetes.azure.com/fips_enabled']).toBe('true');
    const reg = await exec(n.metadata.name, 'reg', 'query', 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\FIPSAlgorithmPolicy', '/v', 'Enabled');
    expect(reg.exitCode).toBe(0);
    expect(reg.stdout).toMatch(/HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\FIPSAlgorithmPolicy\r\n\s+Enabled\s+REG_DWORD\s+0x1/);
    // Windows pools share one image set: FIPS cannot be switched on an existing one (F-6).
    await expect(
      client.agentPools.beginCreateOrUpdateAndWait(RG, CLUSTER, 'fipwin', { ...pool, enableFips: false }, poll),
    ).rejects.toMatchObject({ statusCode: 400, code: 'FipsChangeNotSupportedForWindows' });
  });

  it('F-6: enabling then disabling FIPS on an existing Linux pool reimages its nodes one by one; label and fact follow', async () => {
    await client.agentPools.beginCreateOrUpdateAndWait(RG, CLUSTER, 'np', { count: 3, vmSize: 'Standard_DS2_v2', osType: 'Linux', mode: 'User' } as AgentPool, poll);
    const before = (await client.agentPools.get(RG, CLUSTER, 'np')).nodeImageVersion!;
    // SPEC T-2: a Trusted Launch compatible pool runs the Trusted Launch image, Secure Boot and vTPM off.
    expect(before).toMatch(/^AKSUbuntu-2204gen2TLcontainerd-/);

    for (const enable of [true, false]) {
      // Watch the pool's Node objects while the update runs.
      const events: Array<{ name: string; ready: boolean; unschedulable: boolean; image: string }> = [];
      const watch = await emu.core.store.watch(`/clusters/${uid}/registry/minions/aks-np-`, {}, (evs) => {
        for (const e of evs) {
          if (e.type !== 'put') continue;
          const n = decodeObject(e.kv.value, e.kv.modRevision) as unknown as NodeView;
          events.push({ name: n.metadata.name, ready: ready(n), unschedulable: !!n.spec.unschedulable, image: n.metadata.labels['kubernetes.azure.com/node-image-version']! });
        }
      });
      const current = await client.agentPools.get(RG, CLUSTER, 'np');
      const own = (await nodes()).map((n) => n.metadata.name).filter((n) => n.startsWith('aks-np-'));
      const updated = await client.agentPools.beginCreateOrUpdateAndWait(RG, CLUSTER, 'np', { ...current, enableFips: enable }, poll);
      await new Promise((r) => setTimeout(r, 50));
      watch.cancel();
      expect(updated.provisioningState).toBe('Succeeded');
      expect(updated.enableFips).toBe(enable);
      // The recommended (non-)FIPS image of the same OS SKU.
      expect(updated.osSKU).toBe('Ubuntu');
      expect(updated.nodeImageVersion).toMatch(enable ? /^AKSUbuntu-2004gen2fipscontainerd-/ : /^AKSUbuntu-2204gen2TLcontainerd-/);

      // One by one (the default maxSurge, 10% of 3 nodes, is one surge node, SPEC C-16): never two of the pool's
      // nodes down at once; each went down once and came back on the new image.
      const surge = [...new Set(events.map((e) => e.name))].filter((n) => !own.includes(n));
      expect(surge).toHaveLength(1);
      expect(events.find((e) => e.name === surge[0])!.image).toBe(updated.nodeImageVersion);
      const state = new Map<string, boolean>();
      let maxDown = 0;
      const downs = new Map<string, number>();
      for (const e of events.filter((ev) => own.includes(ev.name))) {
        const wasUp = state.get(e.name) ?? true;
        const up = e.ready && !e.unschedulable;
        if (wasUp && !up) downs.set(e.name, (downs.get(e.name) ?? 0) + 1);
        state.set(e.name, up);
        maxDown = Math.max(maxDown, [...state.values()].filter((v) => !v).length);
      }
      expect(maxDown).toBe(1);
      expect([...downs.values()]).toEqual([1, 1, 1]);
      const order = [...downs.keys()];
      expect(order).toEqual([...order].sort());

      const np = (await nodes()).filter((n) => n.metadata.name.startsWith('aks-np-'));
      expect(np).toHaveLength(3);
      for (const n of np) {
        expect(ready(n)).toBe(true);
        expect(n.metadata.labels['kubernetes.azure.com/node-image-version']).toBe(updated.nodeImageVersion);
        expect(n.metadata.labels['kubernetes.azure.com/fips_enabled']).toBe(enable ? 'true' : undefined);
        expect((await exec(n.metadata.name, 'cat', '/proc/sys/crypto/fips_enabled')).stdout).toBe(enable ? '1\n' : '0\n');
      }
      expect(await fipsTable()).toContainEqual({ Name: 'np', enableFips: enable });
    }
  });

  it('node image upgrade and deletion: the pool moves to the newest image of its variant; deleting the cluster removes everything', async () => {
    emu.core.clock.set(new Date('2026-03-15T00:00:00Z'));
    const before = (await client.agentPools.get(RG, CLUSTER, 'fipsnp')).nodeImageVersion!;
    await client.agentPools.beginUpgradeNodeImageVersionAndWait(RG, CLUSTER, 'fipsnp', poll);
    const after = (await client.agentPools.get(RG, CLUSTER, 'fipsnp')).nodeImageVersion!;
    expect(after).not.toBe(before);
    // F-5: the FIPS images have their own release train (2025-10-06 here, not the default images' 2025-09-12).
    expect(after).toBe('AKSUbuntu-2004gen2fipscontainerd-202510.06.0');
    for (const n of (await nodes()).filter((x) => x.metadata.name.startsWith('aks-fipsnp-'))) {
      expect(n.metadata.labels['kubernetes.azure.com/node-image-version']).toBe(after);
    }

    const nodeRg = `MC_${RG}_${CLUSTER}_eastus`;
    await client.managedClusters.beginDeleteAndWait(RG, CLUSTER, poll);
    await expect(client.managedClusters.get(RG, CLUSTER)).rejects.toMatchObject({ statusCode: 404 });
    expect(await emu.core.store.count(`/clusters/${uid}/`)).toBe(0);
    expect(await emu.core.store.count(`/fleet/${uid}/`)).toBe(0);
    expect(await emu.core.store.get(`/aks/clusters/${uid}`)).toBeUndefined();
    expect(await emu.core.arm.resources.getResourceGroup(emu.env.AZURE_SUBSCRIPTION_ID!, nodeRg)).toBeUndefined();
    expect(await emu.core.store.get(registryKey(uid, 'nodes', undefined, 'x'))).toBeUndefined();
  });
});
