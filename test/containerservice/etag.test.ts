/**
 * Optimistic concurrency on managed clusters and agent pools (SPEC C-12): eTags that change with each change a
 * client makes, and If-Match / If-None-Match on PUT, PATCH and DELETE refused with AKS's 412 when they do not hold.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, startTestEmulator } from '../../testkit/emulator.js';
import { armClient, clusterBody, linuxPool, type ArmClient } from '../../testkit/containerservice.js';

/** Waits until a resource's operation has ended (its provisioningState is terminal). */
async function settle(a: ArmClient, path: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const state = (await a.call('GET', path)).json().properties.provisioningState;
    if (['Succeeded', 'Failed', 'Canceled'].includes(state)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${path} did not settle`);
}

describe('eTags and preconditions', () => {
  let emu: Awaited<ReturnType<typeof startTestEmulator>>;
  let a: ArmClient;
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

  it('a cluster and its pools carry eTags, in the pool documents and the pool profiles alike', async () => {
    const mc = (await a.call('GET', a.cluster('rg', 'c1'))).json();
    expect(mc.eTag).toMatch(/^[0-9a-f-]{36}$/);
    const pool = (await a.call('GET', `${a.cluster('rg', 'c1')}/agentPools/nodepool1`)).json();
    expect(pool.properties.eTag).toMatch(/^[0-9a-f-]{36}$/);
    expect(mc.properties.agentPoolProfiles[0].eTag).toBe(pool.properties.eTag);
  });

  it('If-Match on a cluster PUT: a stale eTag is 412 and changes nothing; the current one proceeds and the eTag changes', async () => {
    const before = (await a.call('GET', a.cluster('rg', 'c1'))).json();
    const body = { location: 'eastus', tags: { team: 'a' }, properties: { dnsPrefix: before.properties.dnsPrefix } };
    const stale = await a.call('PUT', a.cluster('rg', 'c1'), body, undefined, { 'if-match': '"0000"' });
    expect(stale.status).toBe(412);
    expect(stale.json().error.code).toBe('PreconditionFailed');
    const unchanged = (await a.call('GET', a.cluster('rg', 'c1'))).json();
    expect(unchanged.eTag).toBe(before.eTag);
    expect(unchanged.tags).not.toEqual({ team: 'a' });
    const ok = await a.call('PUT', a.cluster('rg', 'c1'), body, undefined, { 'if-match': `"${before.eTag}"` });
    expect(ok.status).toBe(200);
    expect(ok.json().eTag).not.toBe(before.eTag);
    await settle(a, a.cluster('rg', 'c1'));
  });

  it('If-None-Match: * refuses to overwrite an existing cluster; a PATCH of tags checks If-Match and changes the eTag', async () => {
    const mc = (await a.call('GET', a.cluster('rg', 'c1'))).json();
    const r = await a.call('PUT', a.cluster('rg', 'c1'), { location: 'eastus' }, undefined, { 'if-none-match': '*' });
    expect(r.status).toBe(412);
    expect((await a.call('PATCH', a.cluster('rg', 'c1'), { tags: { x: 'y' } }, undefined, { 'if-match': 'stale' })).status).toBe(412);
    const patched = await a.call('PATCH', a.cluster('rg', 'c1'), { tags: { x: 'y' } }, undefined, { 'if-match': mc.eTag });
    expect(patched.status).toBe(200);
    expect(patched.json().eTag).not.toBe(mc.eTag);
  });

  it('agent pools: a stale If-Match on PUT or DELETE is 412; a pool change gives the pool a new eTag', async () => {
    const path = `${a.cluster('rg', 'c1')}/agentPools/userpool`;
    expect((await a.run('PUT', path, { properties: { count: 1, vmSize: 'Standard_DS2_v2', mode: 'User' } })).status).toBe('Succeeded');
    const pool = (await a.call('GET', path)).json();
    expect((await a.call('PUT', path, { properties: { count: 2, vmSize: 'Standard_DS2_v2', mode: 'User' } }, undefined, { 'if-match': 'stale' })).status).toBe(412);
    expect((await a.call('DELETE', path, undefined, undefined, { 'if-match': 'stale' })).status).toBe(412);
    expect((await a.call('GET', path)).json().properties.count).toBe(1);
    const scaled = await a.call('PUT', path, { properties: { count: 2, vmSize: 'Standard_DS2_v2', mode: 'User' } }, undefined, { 'if-match': pool.properties.eTag });
    expect(scaled.status).toBe(200);
    expect(scaled.json().properties.eTag).not.toBe(pool.properties.eTag);
    await settle(a, path);
    const current = (await a.call('GET', path)).json().properties.eTag;
    expect((await a.call('DELETE', path, undefined, undefined, { 'if-match': current })).status).toBe(202);
  });

  it('a DELETE with If-Match on a cluster that does not exist is 412, as the condition cannot hold', async () => {
    expect((await a.call('DELETE', a.cluster('rg', 'missing'), undefined, undefined, { 'if-match': 'x' })).status).toBe(412);
    expect((await a.call('DELETE', a.cluster('rg', 'missing'))).status).toBe(204);
  });
});
