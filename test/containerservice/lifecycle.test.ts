/**
 * Managed cluster and agent pool lifecycle (SPEC C-1): list/show/tags, upgrade through PUT, node image state,
 * scaling, pool and cluster deletion, resource group deletion, identities, provisioningState through async
 * operations at realistic speed and the 409 for a second operation while one runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeObject } from '../../src/clusters/stored-object.js';
import { removeDataDir, startTestEmulator } from '../../testkit/emulator.js';
import { armClient, AZ_API, clusterBody, linuxPool, type ArmClient } from '../../testkit/containerservice.js';

type Emu = Awaited<ReturnType<typeof startTestEmulator>>;

async function nodeNames(emu: Emu, uid: string, prefix = ''): Promise<string[]> {
  return (await emu.core.store.range(`/clusters/${uid}/registry/minions/${prefix}`, { keysOnly: true })).items.map((k) => k.key.split('/').pop()!);
}

describe('cluster lifecycle (instant)', () => {
  let emu: Emu;
  let a: ArmClient;
  let uid: string;
  beforeAll(async () => {
    emu = await startTestEmulator({ now: new Date('2025-09-01T00:00:00Z') });
    a = await armClient(emu.url, emu.env);
    for (const rg of ['rg', 'other']) await a.call('PUT', `/subscriptions/${a.sub}/resourcegroups/${rg}`, { location: 'westeurope' }, '2021-04-01');
    const r = await a.run('PUT', a.cluster('rg', 'c1'), clusterBody({ location: 'westeurope', properties: { kubernetesVersion: '1.32', dnsPrefix: 'c1dns' } }));
    expect(r.status).toBe('Succeeded');
    expect(r.first.status).toBe(201);
    expect(r.first.headers['azure-asyncoperation']).toMatch(/\/providers\/Microsoft\.ContainerService\/locations\/westeurope\/operations\/[0-9a-f-]+\?api-version=/);
    uid = r.first.json().properties.resourceUID;
    expect((await a.run('PUT', a.cluster('other', 'c2'), clusterBody({ location: 'westeurope', pools: [linuxPool('nodepool1', { count: 1 })] }))).status).toBe('Succeeded');
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('shows, lists per resource group and subscription, and answers 404 as ARM does', async () => {
    const mc = (await a.call('GET', a.cluster('rg', 'c1'))).json();
    expect(mc).toMatchObject({ name: 'c1', type: 'Microsoft.ContainerService/ManagedClusters', location: 'westeurope' });
    expect(mc.properties).toMatchObject({ provisioningState: 'Succeeded', powerState: { code: 'Running' }, kubernetesVersion: '1.32', currentKubernetesVersion: '1.32.7', servicePrincipalProfile: { clientId: 'msi' } });
    expect(mc.identity).toMatchObject({ type: 'SystemAssigned', tenantId: emu.core.tenantId });
    const sp = await emu.core.directory.getByObjectId(mc.identity.principalId);
    expect(sp).toMatchObject({ type: 'ManagedIdentity', resourceId: mc.id });
    const kubelet = mc.properties.identityProfile.kubeletidentity;
    expect((await emu.core.directory.getByObjectId(kubelet.objectId))?.appId).toBe(kubelet.clientId);
    const identityDoc = await emu.core.arm.resources.get(kubelet.resourceId);
    expect(identityDoc?.value).toMatchObject({ type: 'Microsoft.ManagedIdentity/userAssignedIdentities', properties: { principalId: kubelet.objectId, clientId: kubelet.clientId } });
    // The scale sets are documents in the node resource group.
    const inRg = (await a.call('GET', `/subscriptions/${a.sub}/resourceGroups/${mc.properties.nodeResourceGroup}/resources`, undefined, '2021-04-01')).json().value.map((r: { type: string }) => r.type).sort();
    expect(inRg).toEqual(['Microsoft.Compute/virtualMachineScaleSets', 'Microsoft.ManagedIdentity/userAssignedIdentities']);

    expect((await a.call('GET', `/subscriptions/${a.sub}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters`)).json().value.map((c: { name: string }) => c.name)).toEqual(['c1']);
    expect((await a.call('GET', `/subscriptions/${a.sub}/providers/Microsoft.ContainerService/managedClusters`)).json().value.map((c: { name: string }) => c.name).sort()).toEqual(['c1', 'c2']);
    const missing = await a.call('GET', a.cluster('rg', 'nope'));
    expect(missing.status).toBe(404);
    expect(missing.json().error.code).toBe('ResourceNotFound');
    // The api-version the Python SDK azure-mgmt-containerservice 41.9 sends (SPEC P-1).
    const pythonSdkVersion = await a.call('GET', a.cluster('rg', 'c1'), undefined, '2026-09-01');
    expect(pythonSdkVersion.status, pythonSdkVersion.text).toBe(200);
    expect(pythonSdkVersion.json().name).toBe('c1');
    const badVersion = await a.call('GET', a.cluster('rg', 'c1'), undefined, '2099-01-01');
    expect(badVersion.status).toBe(400);
    expect(badVersion.json().error.code).toBe('NoRegisteredProviderFound');
  });

  it('PATCH updates tags; GetOSOptions and kubernetesVersions answer', async () => {
    const r = await a.call('PATCH', a.cluster('rg', 'c1'), { tags: { team: 'sec' } });
    expect(r.status).toBe(200);
    expect(r.json().tags).toEqual({ team: 'sec' });
    const versions = await a.call('GET', `/subscriptions/${a.sub}/providers/Microsoft.ContainerService/locations/westeurope/kubernetesVersions`);
    expect(versions.json().values.map((v: { version: string }) => v.version)).toEqual(['1.31', '1.32', '1.33']);
    // On the day the KMS article's 1.26 → 1.27 example was written, 1.27 offers the two patches AKS had then.
    const today = emu.core.clock.now();
    emu.core.clock.set(new Date('2023-08-01T00:00:00Z'));
    try {
      const then = (await a.call('GET', `/subscriptions/${a.sub}/providers/Microsoft.ContainerService/locations/westeurope/kubernetesVersions`)).json().values;
      const v127 = then.find((v: { version: string }) => v.version === '1.27');
      expect(Object.keys(v127.patchVersions)).toEqual(['1.27.1', '1.27.3']);
      expect(v127.patchVersions['1.27.1'].upgrades).toEqual(['1.27.3']);
      // 1.26.12 came out in December 2023 (SPEC C-10): on that day 1.26 had only its first patch.
      expect(then.find((v: { version: string }) => v.version === '1.26').patchVersions).toEqual({ '1.26.6': { upgrades: ['1.27.1', '1.27.3'] } });
    } finally {
      emu.core.clock.set(today);
    }
  });

  it('keeps the seams of the next issues: KMS and VNet integration settings and pool security profiles round-trip', async () => {
    // Disabled: enabling KMS needs a real vault, key and user-assigned identity (test/kms).
    const kms = { enabled: false, keyId: 'https://kv1.vault.azure.net/keys/k1/0123456789abcdef0123456789abcdef', keyVaultNetworkAccess: 'Public' };
    const r = await a.run('PUT', a.cluster('rg', 'seams'), clusterBody({
      location: 'westeurope',
      properties: { dnsPrefix: 'seams', securityProfile: { azureKeyVaultKms: kms }, apiServerAccessProfile: { enableVnetIntegration: true } },
      pools: [linuxPool('nodepool1', { count: 1, securityProfile: { enableSecureBoot: true, enableVTPM: false } })],
    }));
    expect(r.status, JSON.stringify(r.error)).toBe('Succeeded');
    const mc = (await a.call('GET', a.cluster('rg', 'seams'))).json();
    expect(mc.properties.securityProfile.azureKeyVaultKms).toEqual(kms);
    expect(mc.properties.apiServerAccessProfile).toEqual({ enableVnetIntegration: true });
    const pool = mc.properties.agentPoolProfiles[0];
    expect(pool.securityProfile).toEqual({ enableSecureBoot: true, enableVTPM: false });
    // A Trusted Launch setting selects the pool's Trusted Launch image variant.
    expect(pool.nodeImageVersion).toMatch(/^AKSUbuntu-2204gen2TLcontainerd-/);
    expect((await a.run('DELETE', a.cluster('rg', 'seams'))).status).toBe('Succeeded');
  });

  it('scales a pool up and down: new nodes get the next instance ids, the newest go first', async () => {
    const digits = (await nodeNames(emu, uid))[0]!.split('-')[2];
    expect((await a.run('PUT', `${a.cluster('rg', 'c1')}/agentPools/nodepool1`, { properties: linuxPool('nodepool1', { count: 5 }) })).status).toBe('Succeeded');
    expect(await nodeNames(emu, uid)).toEqual([0, 1, 2, 3, 4].map((i) => `aks-nodepool1-${digits}-vmss00000${i}`));
    const scaled = await a.run('PUT', `${a.cluster('rg', 'c1')}/agentPools/nodepool1`, { properties: linuxPool('nodepool1', { count: 2 }) });
    expect(scaled.first.json().properties.provisioningState).toBe('Scaling');
    expect(await nodeNames(emu, uid)).toEqual([0, 1].map((i) => `aks-nodepool1-${digits}-vmss00000${i}`));
  });

  it('upgrades the cluster through PUT (az aks upgrade): Upgrading, then every node on the new version and image', async () => {
    const mc = (await a.call('GET', a.cluster('rg', 'c1'))).json();
    mc.properties.kubernetesVersion = '1.33';
    for (const p of mc.properties.agentPoolProfiles) p.orchestratorVersion = '1.33';
    const r = await a.run('PUT', a.cluster('rg', 'c1'), mc, AZ_API);
    expect(r.first.status).toBe(200);
    expect(r.first.json().properties.provisioningState).toBe('Upgrading');
    expect(r.first.json().properties.agentPoolProfiles[0].provisioningState).toBe('Upgrading');
    expect(r.status).toBe('Succeeded');
    const after = (await a.call('GET', a.cluster('rg', 'c1'))).json();
    expect(after.properties).toMatchObject({ provisioningState: 'Succeeded', kubernetesVersion: '1.33', currentKubernetesVersion: '1.33.2' });
    expect(after.properties.agentPoolProfiles[0]).toMatchObject({ currentOrchestratorVersion: '1.33.2', provisioningState: 'Succeeded' });
    for (const name of await nodeNames(emu, uid)) {
      const kv = await emu.core.store.get(`/clusters/${uid}/registry/minions/${name}`);
      const node = decodeObject(kv!.value, kv!.modRevision) as unknown as { status: { nodeInfo: { kubeletVersion: string } } };
      expect(node.status.nodeInfo.kubeletVersion).toBe('v1.33.2');
    }
  });

  it('stops (nodes deallocated, powerState Stopped) and starts again (same nodes back Ready)', async () => {
    const names = await nodeNames(emu, uid);
    const stop = await a.run('POST', `${a.cluster('rg', 'c1')}/stop`);
    expect(stop.first.status).toBe(202);
    expect(stop.status).toBe('Succeeded');
    const stopped = (await a.call('GET', a.cluster('rg', 'c1'))).json().properties;
    expect(stopped.powerState.code).toBe('Stopped');
    expect(stopped.agentPoolProfiles.map((p: { powerState: { code: string } }) => p.powerState.code)).toEqual(['Stopped']);
    expect(await nodeNames(emu, uid)).toEqual([]);
    const start = await a.run('POST', `${a.cluster('rg', 'c1')}/start`);
    expect(start.status).toBe('Succeeded');
    const started = (await a.call('GET', a.cluster('rg', 'c1'))).json().properties;
    expect([started.provisioningState, started.powerState.code, started.agentPoolProfiles[0].powerState.code]).toEqual(['Succeeded', 'Running', 'Running']);
    expect(await nodeNames(emu, uid)).toEqual(names);
  });

  it('deletes a pool (nodes and scale set go) and a cluster through its resource group', async () => {
    expect((await a.run('PUT', `${a.cluster('rg', 'c1')}/agentPools/extra`, { properties: linuxPool('extra', { mode: 'User', count: 2 }) })).status).toBe('Succeeded');
    expect(await nodeNames(emu, uid, 'aks-extra-')).toHaveLength(2);
    const del = await a.run('DELETE', `${a.cluster('rg', 'c1')}/agentPools/extra`);
    expect(del.first.status).toBe(202);
    expect(del.status).toBe('Succeeded');
    expect(await nodeNames(emu, uid, 'aks-extra-')).toEqual([]);
    expect((await a.call('GET', `${a.cluster('rg', 'c1')}/agentPools/extra`)).status).toBe(404);
    const nodeRg = (await a.call('GET', a.cluster('rg', 'c1'))).json().properties.nodeResourceGroup;
    const vmss = (await a.call('GET', `/subscriptions/${a.sub}/resourceGroups/${nodeRg}/resources`, undefined, '2021-04-01')).json().value.filter((r: { type: string }) => r.type === 'Microsoft.Compute/virtualMachineScaleSets');
    expect(vmss.map((r: { name: string }) => r.name.split('-')[1])).toEqual(['nodepool1']);
    expect((await a.call('DELETE', `${a.cluster('rg', 'c1')}/agentPools/extra`)).status).toBe(204);

    const mc = (await a.call('GET', a.cluster('rg', 'c1'))).json();
    const principal = mc.identity.principalId;
    const rgDel = await a.call('DELETE', `/subscriptions/${a.sub}/resourcegroups/rg`, undefined, '2021-04-01');
    expect(rgDel.status).toBe(202);
    await emu.core.tasks.idle();
    expect(await emu.core.store.count(`/clusters/${uid}/`)).toBe(0);
    expect(await emu.core.store.count(`/fleet/${uid}/`)).toBe(0);
    expect(await emu.core.directory.getByObjectId(principal)).toBeUndefined();
    expect(await emu.core.arm.resources.getResourceGroup(a.sub, mc.properties.nodeResourceGroup)).toBeUndefined();
    // The other cluster is untouched.
    expect((await a.call('GET', a.cluster('other', 'c2'))).json().properties.provisioningState).toBe('Succeeded');
  });
});

describe('provisioningState through operations at realistic speed', () => {
  let emu: Emu;
  let a: ArmClient;
  beforeAll(async () => {
    emu = await startTestEmulator({ now: new Date('2025-09-01T00:00:00Z'), speed: 'realistic' });
    a = await armClient(emu.url, emu.env);
    await a.call('PUT', `/subscriptions/${a.sub}/resourcegroups/rg`, { location: 'eastus' }, '2021-04-01');
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  const opStatus = async (url: string) => {
    const u = new URL(url);
    return (await a.call('GET', `${u.pathname}?${[...u.searchParams].filter(([k]) => k !== 'api-version').map(([k, v]) => `${k}=${v}`).join('&')}`, undefined, u.searchParams.get('api-version')!)).json();
  };
  const settle = async () => {
    for (let i = 0; i < 20; i++) {
      emu.core.clock.advance(60_000);
      await new Promise((r) => setTimeout(r, 20));
    }
    await emu.core.tasks.idle();
  };

  it('Creating → Succeeded; a second operation meanwhile is refused with 409 and changes nothing; Deleting → gone', async () => {
    const put = await a.call('PUT', a.cluster('rg', 'c1'), clusterBody({ pools: [linuxPool('nodepool1', { count: 2 })] }));
    expect(put.status).toBe(201);
    expect(put.json().properties.provisioningState).toBe('Creating');
    expect(put.json().properties.agentPoolProfiles[0].provisioningState).toBe('Creating');
    const asyncUrl = put.headers['azure-asyncoperation'] as string;
    expect(put.headers['retry-after']).toBe('10');
    expect(put.headers['retry-after-ms']).toBe('10000');
    expect((await opStatus(asyncUrl)).status).toBe('InProgress');

    // Nothing of ARM's or AKS's records changes (the new cluster's own controllers keep writing its Kubernetes
    // objects meanwhile, so the store's revision is no measure here).
    const armState = async () => (await Promise.all(['/arm/', '/aks/'].map((p) => emu.core.store.range(p)))).flatMap((r) => r.items.map((kv) => `${kv.key}@${kv.modRevision}`));
    const before = await armState();
    const second = await a.call('PUT', `${a.cluster('rg', 'c1')}/agentPools/np2`, { properties: linuxPool('np2', { mode: 'User' }) });
    expect(second.status).toBe(409);
    expect(second.json().error.code).toBe('OperationNotAllowed');
    expect(await armState()).toEqual(before);

    await settle();
    expect((await opStatus(asyncUrl)).status).toBe('Succeeded');
    expect((await a.call('GET', a.cluster('rg', 'c1'))).json().properties.provisioningState).toBe('Succeeded');

    const del = await a.call('DELETE', a.cluster('rg', 'c1'));
    expect(del.status).toBe(202);
    expect(del.headers.location).toBeDefined();
    expect((await a.call('GET', a.cluster('rg', 'c1'))).json().properties.provisioningState).toBe('Deleting');
    await settle();
    expect((await opStatus(del.headers['azure-asyncoperation'] as string)).status).toBe('Succeeded');
    expect((await a.call('GET', a.cluster('rg', 'c1'))).status).toBe(404);
  });
});
