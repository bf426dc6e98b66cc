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
