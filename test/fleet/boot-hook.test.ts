/**
 * The boot seam Trusted Launch builds on: a boot hook can refuse a node's boot. The node ends Failed
 * (its Node stays NotReady and cordoned), the rollout stops there (one node at a time), the pool's operation fails with the hook's
 * code and message, and a later change of the pool tries again.
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

  it('a refused boot fails the operation with the hook error and stops the rollout at that node', async () => {
    refuse = true;
    const r = await a.run('PUT', `${a.cluster('rg', 'c1')}/agentPools/np`, { properties: linuxPool('np', { mode: 'User', count: 3, securityProfile: { enableSecureBoot: true } }) });
    expect(r.status).toBe('Failed');
    expect(r.error).toEqual({ code: 'SecureBootViolation', message: 'The boot loader is not signed by a trusted publisher.' });
    expect((await a.call('GET', `${a.cluster('rg', 'c1')}/agentPools/np`)).json().properties.provisioningState).toBe('Failed');
    const uid = (await a.call('GET', a.cluster('rg', 'c1'))).json().properties.resourceUID;
    const insts = await emu.services.fleet.instances(uid, 'np');
    expect(insts.map((i) => i.state)).toEqual(['Failed', 'Running', 'Running']);
    expect(insts[0]!.failure?.code).toBe('SecureBootViolation');
    expect(await emu.core.store.get(`/clusters/${uid}/registry/minions/${insts[0]!.name}`)).toBeDefined();

    refuse = false;
    const retry = await a.run('PUT', `${a.cluster('rg', 'c1')}/agentPools/np`, { properties: linuxPool('np', { mode: 'User', count: 3, securityProfile: { enableSecureBoot: true } }) });
    expect(retry.status).toBe('Succeeded');
    expect((await emu.services.fleet.instances(uid, 'np')).map((i) => [i.state, i.facts?.secureBoot])).toEqual([
      ['Running', 'enabled'],
      ['Running', 'enabled'],
      ['Running', 'enabled'],
    ]);
  });
});
