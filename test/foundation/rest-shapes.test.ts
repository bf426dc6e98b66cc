/**
 * ARM shapes Azure's own examples show for identities and vaults (SPEC I-1, V-1, P-4): isolationScope honoured by
 * PUT and PATCH, vault lists paged by `$top` with a `nextLink` that carries on, and each vault's HSM pool.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, startTestEmulator } from '../../testkit/emulator.js';
import { getToken, httpsCall } from '../../testkit/http.js';

describe('identity and vault shapes', () => {
  let emu: Awaited<ReturnType<typeof startTestEmulator>>;
  let token: string;
  let sub: string;
  const call = (method: string, path: string, body?: unknown) =>
    httpsCall(path.startsWith('https://') ? path : `${emu.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  beforeAll(async () => {
    emu = await startTestEmulator();
    token = await getToken(emu.url, emu.env);
    sub = emu.env.AZURE_SUBSCRIPTION_ID!;
    for (const rg of ['rg', 'other']) await call('PUT', `/subscriptions/${sub}/resourcegroups/${rg}?api-version=2021-04-01`, { location: 'eastus' });
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('a PATCH (and a PUT) of an identity sets its isolationScope; an unknown scope is a 400', async () => {
    const path = `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1?api-version=2024-11-30`;
    expect((await call('PUT', path, { location: 'eastus' })).json().properties.isolationScope).toBe('None');
    const patched = await call('PATCH', path, { properties: { isolationScope: 'Regional' } });
    expect(patched.status).toBe(200);
    expect(patched.json().properties.isolationScope).toBe('Regional');
    expect((await call('GET', path)).json().properties.isolationScope).toBe('Regional');
    expect((await call('PUT', path, { location: 'eastus', properties: { isolationScope: 'None' } })).json().properties.isolationScope).toBe('None');
    const bad = await call('PATCH', path, { properties: { isolationScope: 'Global' } });
    expect(bad.status).toBe(400);
    expect((await call('GET', path)).json().properties.isolationScope).toBe('None');
  });

  it('vault lists take $top and link to the next page until every vault was listed', async () => {
    const tenant = emu.env.AZURE_TENANT_ID!;
    const names = ['pagea1', 'pageb2', 'pagec3'].map((n) => `${n}${Date.now() % 100000}`);
    for (const n of names) {
      const r = await call('PUT', `/subscriptions/${sub}/resourceGroups/other/providers/Microsoft.KeyVault/vaults/${n}?api-version=2025-05-01`, {
        location: 'eastus',
        properties: { tenantId: tenant, sku: { family: 'A', name: 'standard' }, accessPolicies: [] },
      });
      expect(r.status).toBe(200);
      expect(r.json().properties.hsmPoolResourceId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
    const seen: string[] = [];
    let url: string | undefined = `/subscriptions/${sub}/resourceGroups/other/providers/Microsoft.KeyVault/vaults?api-version=2025-05-01&$top=2`;
    let pages = 0;
    while (url) {
      const r = await call('GET', url);
      expect(r.status).toBe(200);
      const body = r.json<{ value: Array<{ name: string; properties: { hsmPoolResourceId: string } }>; nextLink?: string }>();
      expect(body.value.length).toBeLessThanOrEqual(2);
      seen.push(...body.value.map((v) => v.name));
      url = body.nextLink;
      if (url) expect(url).toContain('$skiptoken=');
      pages++;
    }
    expect(pages).toBe(2);
    expect(seen.sort()).toEqual([...names].sort());
    expect((await call('GET', `/subscriptions/${sub}/resourceGroups/other/providers/Microsoft.KeyVault/vaults?api-version=2025-05-01&$top=0`)).status).toBe(400);
    expect((await call('GET', `/subscriptions/${sub}/resourceGroups/other/providers/Microsoft.KeyVault/vaults?api-version=2025-05-01&$skiptoken=garbage`)).status).toBe(400);
    // Vaults of one region and SKU share their HSM pool.
    const pools = new Set<string>();
    for (const n of names) pools.add((await call('GET', `/subscriptions/${sub}/resourceGroups/other/providers/Microsoft.KeyVault/vaults/${n}?api-version=2025-05-01`)).json().properties.hsmPoolResourceId);
    expect(pools.size).toBe(1);
  });
});
