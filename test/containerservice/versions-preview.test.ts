/**
 * SPEC C-10: a Kubernetes minor in preview (1.36 between its preview and its GA date) is offered with `isPreview`
 * in the version list and in the upgrade profiles, is never the default, and loses the flag once generally available.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, startTestEmulator } from '../../testkit/emulator.js';
import { armClient, clusterBody, linuxPool, type ArmClient } from '../../testkit/containerservice.js';

describe('Kubernetes versions in preview', () => {
  let emu: Awaited<ReturnType<typeof startTestEmulator>>;
  let a: ArmClient;
  const versions = async () => (await a.call('GET', `/subscriptions/${a.sub}/providers/Microsoft.ContainerService/locations/eastus/kubernetesVersions`)).json().values;
  beforeAll(async () => {
    emu = await startTestEmulator({ now: new Date('2026-05-20T00:00:00Z') });
    a = await armClient(emu.url, emu.env);
    await a.call('PUT', `/subscriptions/${a.sub}/resourcegroups/rg`, { location: 'eastus' }, '2021-04-01');
    const body = clusterBody({ pools: [linuxPool('nodepool1', { count: 1, orchestratorVersion: '1.35.1' })], properties: { kubernetesVersion: '1.35.3' } });
    expect((await a.run('PUT', a.cluster('rg', 'c1'), body)).status).toBe('Succeeded');
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('the version list shows 1.36 as a preview, and the default is a generally available minor', async () => {
    const values = await versions();
    expect(values.find((v: { version: string }) => v.version === '1.36')).toMatchObject({ isPreview: true });
    expect(values.filter((v: { isPreview?: boolean }) => v.isPreview).map((v: { version: string }) => v.version)).toEqual(['1.36']);
    expect(values.find((v: { isDefault?: boolean }) => v.isDefault).version).toBe('1.34');
  });

  it('upgrade profiles: the control plane may go to the preview minor (isPreview), the pool to its control plane\'s patch', async () => {
    const profile = (await a.call('GET', `${a.cluster('rg', 'c1')}/upgradeProfiles/default`)).json().properties;
    expect(profile.controlPlaneProfile.upgrades).toEqual([{ kubernetesVersion: '1.36.0', isPreview: true }]);
    expect(profile.agentPoolProfiles[0].upgrades).toEqual([{ kubernetesVersion: '1.35.3' }]);
    const pool = (await a.call('GET', `${a.cluster('rg', 'c1')}/agentPools/nodepool1/upgradeProfiles/default`)).json().properties;
    expect(pool.upgrades).toEqual([{ kubernetesVersion: '1.35.3' }]);
  });

  it('from the GA date on, 1.36 is no preview any more', async () => {
    emu.core.clock.set(new Date('2026-06-02T00:00:00Z'));
    expect((await versions()).some((v: { isPreview?: boolean }) => v.isPreview)).toBe(false);
    const profile = (await a.call('GET', `${a.cluster('rg', 'c1')}/upgradeProfiles/default`)).json().properties;
    expect(profile.controlPlaneProfile.upgrades).toEqual([{ kubernetesVersion: '1.36.0' }]);
  });
});
