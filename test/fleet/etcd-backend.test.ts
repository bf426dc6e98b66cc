/**
 * The fleet and the provider on the etcd store backend (one Debian etcd member): every transaction stays within
 * etcd's limits (128 operations, no key twice), a cluster is created, a pool reimaged and the cluster removed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmulatorOnEtcd, type EtcdEmulator } from '../../testkit/etcd-emulator.js';
import { describeWith } from '../../testkit/optional.js';
import { armClient, clusterBody, linuxPool, type ArmClient } from '../../testkit/containerservice.js';

describeWith(['etcd'], 'clusters on the etcd backend', () => {
  let running: EtcdEmulator | undefined;
  let emu: EtcdEmulator['emu'];
  let a: ArmClient;
  beforeAll(async () => {
    running = await startEmulatorOnEtcd('/aksemu-test', { now: new Date('2025-09-01T00:00:00Z') });
    emu = running.emu;
    a = await armClient(emu.url, emu.env);
    await a.call('PUT', `/subscriptions/${a.sub}/resourcegroups/rg`, { location: 'eastus' }, '2021-04-01');
  });
  afterAll(async () => {
    await running?.close();
  });

  it('creates 2 pools (one of 70 nodes: more than one transaction), switches FIPS on, deletes', async () => {
    const r = await a.run('PUT', a.cluster('rg', 'c1'), clusterBody({ pools: [linuxPool('nodepool1', { count: 1 }), linuxPool('np', { mode: 'User', count: 70 })] }));
    expect(r.status, JSON.stringify(r.error)).toBe('Succeeded');
    const uid = r.first.json().properties.resourceUID;
    expect(await emu.core.store.count(`/clusters/${uid}/registry/minions/`)).toBe(71);
    const fips = await a.run('PUT', `${a.cluster('rg', 'c1')}/agentPools/np`, { properties: linuxPool('np', { mode: 'User', count: 70, enableFIPS: true }) });
    expect(fips.status, JSON.stringify(fips.error)).toBe('Succeeded');
    const insts = await emu.services.fleet.instances(uid, 'np');
    expect(new Set(insts.map((i) => i.model.image)).size).toBe(1);
    expect(insts[0]!.model.image).toMatch(/fips/);
    expect((await a.run('DELETE', a.cluster('rg', 'c1'))).status).toBe('Succeeded');
    expect(await emu.core.store.count(`/clusters/${uid}/`)).toBe(0);
    expect(await emu.core.store.count(`/fleet/${uid}/`)).toBe(0);
  });
});
