/**
 * SPEC C-15: a managed cluster in an Edge Zone of its region; the zone is kept and cannot change; a zone of another
 * region is refused; the provider shows the regions' Edge Zones as locationMappings of managedClusters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, startTestEmulator } from '../../testkit/emulator.js';
import { armClient, clusterBody, linuxPool, type ArmClient } from '../../testkit/containerservice.js';

describe('managed clusters in Edge Zones', () => {
  let emu: Awaited<ReturnType<typeof startTestEmulator>>;
  let a: ArmClient;
  const inZone = (name: string, location = 'eastus2') => ({ ...clusterBody({ location, pools: [linuxPool('nodepool1', { count: 1 })] }), extendedLocation: { type: 'EdgeZone', name } });
  beforeAll(async () => {
    emu = await startTestEmulator();
    a = await armClient(emu.url, emu.env);
    await a.call('PUT', `/subscriptions/${a.sub}/resourcegroups/rg`, { location: 'eastus2' }, '2021-04-01');
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('a cluster created in an Edge Zone of its region shows it and keeps it; another zone is refused', async () => {
    expect((await a.run('PUT', a.cluster('rg', 'edge'), inZone('attatlanta1'))).status).toBe('Succeeded');
    const mc = (await a.call('GET', a.cluster('rg', 'edge'))).json();
    expect(mc.extendedLocation).toEqual({ type: 'EdgeZone', name: 'attatlanta1' });
    const moved = await a.call('PUT', a.cluster('rg', 'edge'), { ...inZone('attatlanta1'), extendedLocation: { type: 'EdgeZone', name: 'attdallas1' } });
    expect(moved.status).toBe(400);
    const kept = await a.run('PUT', a.cluster('rg', 'edge'), { location: 'eastus2', tags: { a: 'b' }, properties: { dnsPrefix: mc.properties.dnsPrefix } });
    expect(kept.status).toBe('Succeeded');
    expect((await a.call('GET', a.cluster('rg', 'edge'))).json().extendedLocation).toEqual({ type: 'EdgeZone', name: 'attatlanta1' });
  });

  it('an Edge Zone of another region, or an unknown one, is a 400 InvalidParameter', async () => {
    for (const zone of ['attdallas1', 'nowhere1']) {
      const r = await a.call('PUT', a.cluster('rg', `bad${zone}`), inZone(zone));
      expect(r.status, r.text).toBe(400);
      expect(r.json().error.code).toBe('InvalidParameter');
    }
  });

  it("the provider shows managedClusters' Edge Zones per region", async () => {
    const p = (await a.call('GET', `/subscriptions/${a.sub}/providers/Microsoft.ContainerService`, undefined, '2025-04-01')).json();
    const mc = p.resourceTypes.find((t: { resourceType: string }) => t.resourceType === 'managedClusters');
    expect(mc.locationMappings).toEqual(expect.arrayContaining([{ location: 'East US 2', type: 'EdgeZone', extendedLocations: ['attatlanta1'] }]));
    const pools = p.resourceTypes.find((t: { resourceType: string }) => t.resourceType === 'managedClusters/agentPools');
    expect(pools.locationMappings).toBeUndefined();
  });
});
