/**
 * Managed cluster and agent pool REST shapes that Azure's own examples show (SPEC C-1, P-4): what AKS computes
 * (outbound IPs, private FQDNs, defaults), what it echoes (a service principal's client id), the VM sizes the
 * examples use, and the 4xx for what aksemu does not emulate (pools from snapshots).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, startTestEmulator } from '../../testkit/emulator.js';
import { armClient, clusterBody, linuxPool, type ArmClient } from '../../testkit/containerservice.js';

describe('managed cluster shapes as in Azure\'s examples', () => {
  let emu: Awaited<ReturnType<typeof startTestEmulator>>;
  let a: ArmClient;
  let n = 0;
  const create = async (body: unknown) => {
    const name = `c${n++}`;
    const r = await a.run('PUT', a.cluster('rg', name), body);
    if (r.status !== 'Succeeded') throw new Error(`${r.first.status} ${r.first.text}`);
    return (await a.call('GET', a.cluster('rg', name))).json();
  };
  beforeAll(async () => {
    emu = await startTestEmulator();
    a = await armClient(emu.url, emu.env);
    await a.call('PUT', `/subscriptions/${a.sub}/resourcegroups/rg`, { location: 'eastus' }, '2021-04-01');
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('a cluster made with a service principal shows its client id (never the secret) and no managed identity', async () => {
    const { identity: _i, ...body } = clusterBody({ pools: [linuxPool('nodepool1', { count: 1, vmSize: 'Standard_DS1_v2' })] });
    const mc = await create({ ...body, properties: { ...body.properties, servicePrincipalProfile: { clientId: 'my-app-id', secret: 's3cret' } } });
    expect(mc.properties.servicePrincipalProfile).toEqual({ clientId: 'my-app-id' });
    expect(mc.identity).toBeUndefined();
    expect(mc.properties.agentPoolProfiles[0].vmSize).toBe('Standard_DS1_v2');
    expect(JSON.stringify(mc)).not.toContain('s3cret');
  });

  it('with a managed identity the service principal profile says msi', async () => {
    const mc = await create(clusterBody({ pools: [linuxPool('nodepool1', { count: 1 })] }));
    expect(mc.properties.servicePrincipalProfile).toEqual({ clientId: 'msi' });
    expect(mc.identity.type).toBe('SystemAssigned');
  });

  it('the load balancer shows its effective outbound IPs in the node resource group, its ports and idle timeout', async () => {
    const mc = await create(clusterBody({ pools: [linuxPool('nodepool1', { count: 1 })], properties: { networkProfile: { loadBalancerProfile: { managedOutboundIPs: { count: 2 } } } } }));
    const lb = mc.properties.networkProfile.loadBalancerProfile;
    expect(lb.effectiveOutboundIPs).toHaveLength(2);
    expect(lb.effectiveOutboundIPs[0].id).toContain(`/resourceGroups/${mc.properties.nodeResourceGroup}/providers/Microsoft.Network/publicIPAddresses/`);
    expect(lb).toMatchObject({ allocatedOutboundPorts: 0, idleTimeoutInMinutes: 30 });
  });
});

describe('what AKS computes from a request, and what aksemu refuses', () => {
  let emu: Awaited<ReturnType<typeof startTestEmulator>>;
  let a: ArmClient;
  let n = 0;
  const put = (body: unknown) => a.run('PUT', a.cluster('rg', `d${n++}`), body);
  const settled = async (body: unknown) => {
    const name = `d${n}`;
    const r = await put(body);
    if (r.status !== 'Succeeded') throw new Error(`${r.first.status} ${r.first.text}`);
    return (await a.call('GET', a.cluster('rg', name))).json();
  };
  beforeAll(async () => {
    emu = await startTestEmulator();
    a = await armClient(emu.url, emu.env);
    await a.call('PUT', `/subscriptions/${a.sub}/resourcegroups/rg`, { location: 'eastus' }, '2021-04-01');
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('a private cluster gets a private FQDN in the system zone, or in its own zone with its subdomain', async () => {
    const system = await settled(clusterBody({ pools: [linuxPool('nodepool1', { count: 1 })], properties: { apiServerAccessProfile: { enablePrivateCluster: true } } }));
    expect(system.properties.apiServerAccessProfile.privateDNSZone).toBe('system');
    expect(system.properties.privateFQDN).toMatch(new RegExp(`^${system.properties.dnsPrefix}-[0-9a-f]+\\.[0-9a-f-]{36}\\.privatelink\\.eastus\\.azmk8s\\.io$`));
    const zone = `/subscriptions/${a.sub}/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.eastus.azmk8s.io`;
    const own = await settled(clusterBody({ pools: [linuxPool('nodepool1', { count: 1 })], properties: { fqdnSubdomain: 'team1', apiServerAccessProfile: { enablePrivateCluster: true, privateDNSZone: zone } } }));
    expect(own.properties.privateFQDN).toBe('team1.privatelink.eastus.azmk8s.io');
    const open = await settled(clusterBody({ pools: [linuxPool('nodepool1', { count: 1 })] }));
    expect(open.properties.privateFQDN).toBeUndefined();
  });

  it('defaults: the Istio revision, a dual-stack load balancer\'s IPv6 address, a Spot pool\'s eviction and price', async () => {
    const mc = await settled(
      clusterBody({
        pools: [linuxPool('nodepool1', { count: 1 })],
        properties: { serviceMeshProfile: { mode: 'Istio', istio: {} }, networkProfile: { ipFamilies: ['IPv4', 'IPv6'], loadBalancerProfile: { managedOutboundIPs: { count: 1 } } } },
      }),
    );
    expect(mc.properties.serviceMeshProfile.istio.revisions).toEqual([expect.stringMatching(/^asm-1-\d+$/)]);
    expect(mc.properties.networkProfile.loadBalancerProfile.managedOutboundIPs).toEqual({ count: 1, countIPv6: 1 });
    expect(mc.properties.networkProfile.loadBalancerProfile.effectiveOutboundIPs).toHaveLength(2);
    const pool = `${a.cluster('rg', `d${n - 1}`)}/agentPools/spot`;
    expect((await a.run('PUT', pool, { properties: { count: 1, vmSize: 'Standard_DS2_v2', mode: 'User', scaleSetPriority: 'Spot' } })).status).toBe('Succeeded');
    expect((await a.call('GET', pool)).json().properties).toMatchObject({ scaleSetPriority: 'Spot', scaleSetEvictionPolicy: 'Delete', spotMaxPrice: -1 });
  });

  it('a pool made from a snapshot is refused with a 400 that says snapshots are not emulated, and nothing is made', async () => {
    const source = `/subscriptions/${a.sub}/resourceGroups/rg/providers/Microsoft.ContainerService/snapshots/snap1`;
    const name = `d${n}`;
    const r = await put(clusterBody({ pools: [linuxPool('nodepool1', { count: 1, creationData: { sourceResourceId: source } })] }));
    expect(r.first.status).toBe(400);
    expect(r.first.json().error).toMatchObject({ code: 'InvalidParameter', target: 'agentPoolProfile.creationData.sourceResourceId' });
    expect(r.first.json().error.message).toContain('snapshots are not emulated');
    expect((await a.call('GET', a.cluster('rg', name))).status).toBe(404);
  });
});
