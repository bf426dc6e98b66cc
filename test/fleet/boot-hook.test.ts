/**
 * The boot seam Trusted Launch builds on: a boot hook can refuse a node's boot. The node ends Failed, the rollout
 * stops there, the pool's operation fails with the hook's code and message, and a later change of the pool tries
 * again. The first node to boot the new model is the rollout's surge node (SPEC C-16): it fails before any old node
 * is touched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, startTestEmulator } from '../../testkit/emulator.js';
import { armClient, clusterBody, linuxPool, type ArmClient } from '../../testkit/containerservice.js';

describe('boot hooks', () => {
  let emu: Awaited<ReturnType<typeof startTestEmulator>>;
  let a: ArmClient;
  let refuse = false;
  beforeAll(async () => {
    emu = await startTestEmulator({ now: new Date('2025-09-01T00:00:00Z') });
    a = await armClient(emu.url, emu.env);
    emu.services.fleet.addBootHook(async ({ model, facts }) =>
      refuse && model.securityProfile.enableSecureBoot
        ? { ok: false, code: 'SecureBootViolation', message: 'The boot loader is not signed by a trusted publisher.' }
        : { ok: true, facts: { ...facts, files: { ...facts.files, '/var/log/measured': 'yes\n' } } },
    );
    await a.call('PUT', `/subscriptions/${a.sub}/resourcegroups/rg`, { location: 'eastus' }, '2021-04-01');
    expect((await a.run('PUT', a.cluster('rg', 'c1'), clusterBody({ pools: [linuxPool('nodepool1', { count: 1 }), linuxPool('np', { mode: 'User', count: 3 })] }))).status).toBe('Succeeded');
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('hooks can add facts to a booting node', async () => {
    const inst = (await emu.services.fleet.instances((await a.call('GET', a.cluster('rg', 'c1'))).json().properties.resourceUID, 'np'))[0]!;
    expect(inst.facts?.files['/var/log/measured']).toBe('yes\n');
  });

  it('a refused boot fails the operation with the hook error and stops the rollout at the surge node', async () => {
    refuse = true;
    const r = await a.run('PUT', `${a.cluster('rg', 'c1')}/agentPools/np`, { properties: linuxPool('np', { mode: 'User', count: 3, securityProfile: { enableSecureBoot: true } }) });
    expect(r.status).toBe('Failed');
    expect(r.error).toEqual({ code: 'SecureBootViolation', message: 'The boot loader is not signed by a trusted publisher.' });
    expect((await a.call('GET', `${a.cluster('rg', 'c1')}/agentPools/np`)).json().properties.provisioningState).toBe('Failed');
    const uid = (await a.call('GET', a.cluster('rg', 'c1'))).json().properties.resourceUID;
    const insts = await emu.services.fleet.instances(uid, 'np');
    expect(insts.map((i) => [i.instanceId, i.state, i.surge ?? false])).toEqual([
      [0, 'Running', false],
      [1, 'Running', false],
      [2, 'Running', false],
      [3, 'Failed', true],
    ]);
    expect(insts[3]!.failure?.code).toBe('SecureBootViolation');
    // The old nodes were not touched: no cordon, still on the old model; the surge node never registered a Node.
    for (const i of insts.slice(0, 3)) {
      expect(i.draining).toBeUndefined();
      expect(i.facts?.secureBoot).not.toBe('enabled');
    }
    expect(await emu.core.store.get(`/clusters/${uid}/registry/minions/${insts[3]!.name}`)).toBeUndefined();

    refuse = false;
    const retry = await a.run('PUT', `${a.cluster('rg', 'c1')}/agentPools/np`, { properties: linuxPool('np', { mode: 'User', count: 3, securityProfile: { enableSecureBoot: true } }) });
    expect(retry.status).toBe('Succeeded');
    // The failed surge node is deleted, a new one (the next instance id) serves the rollout and leaves at its end.
    expect((await emu.services.fleet.instances(uid, 'np')).map((i) => [i.instanceId, i.state, i.facts?.secureBoot])).toEqual([
      [0, 'Running', 'enabled'],
      [1, 'Running', 'enabled'],
      [2, 'Running', 'enabled'],
    ]);
    const status = (await emu.services.fleet.pool(uid, 'np'))!.status;
    expect(status.nextInstanceId).toBe(5);
  });
});
