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

describe('federated identity credentials and provider operations', () => {
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
    await call('PUT', `/subscriptions/${sub}/resourcegroups/rg?api-version=2021-04-01`, { location: 'eastus' });
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('an identity keeps federated credentials: created, read, listed in pages, refused when malformed or twice, gone with it', async () => {
    const identity = `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/workload`;
    const made = await call('PUT', `${identity}?api-version=2024-11-30`, { location: 'eastus' });
    expect(made.status, made.text).toBe(201);
    const fic = (n: string) => `${identity}/federatedIdentityCredentials/${n}?api-version=2024-11-30`;
    const body = (subject: string) => ({ properties: { issuer: 'https://oidc.example.com/issuer', subject, audiences: ['api://AzureADTokenExchange'] } });
    const created = await call('PUT', fic('fic1'), body('system:serviceaccount:default:a'));
    expect(created.status, created.text).toBe(201);
    expect(created.json()).toMatchObject({ name: 'fic1', type: 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials', properties: { subject: 'system:serviceaccount:default:a' } });
    expect((await call('PUT', fic('fic1'), body('system:serviceaccount:default:a'))).status).toBe(200);
    expect((await call('PUT', fic('fic2'), body('system:serviceaccount:default:b'))).status).toBe(201);
    expect((await call('PUT', fic('fic3'), body('system:serviceaccount:default:a'))).status).toBe(409);
    expect((await call('PUT', fic('fic4'), { properties: { issuer: 'http://plain', subject: 's', audiences: ['x'] } })).status).toBe(400);
    expect((await call('PUT', fic('fic4'), { properties: { issuer: 'https://ok', subject: 's', audiences: ['x', 'y'] } })).status).toBe(400);
    const first = (await call('GET', `${identity}/federatedIdentityCredentials?api-version=2024-11-30&$top=1`)).json();
    expect(first.value).toHaveLength(1);
    const second = (await call('GET', first.nextLink)).json();
    expect([first.value[0].name, second.value[0].name].sort()).toEqual(['fic1', 'fic2']);
    expect((await call('DELETE', fic('fic2'))).status).toBe(200);
    expect((await call('GET', fic('fic2'))).status).toBe(404);
    expect((await call('DELETE', `${identity}?api-version=2024-11-30`)).status).toBe(200);
    expect((await call('GET', fic('fic1'))).status).toBe(404);
  });

  it('a provider lists the operations aksemu authorizes, with display strings; an unknown namespace is a 4xx', async () => {
    const r = await call('GET', '/providers/Microsoft.ManagedIdentity/operations?api-version=2024-11-30');
    expect(r.status).toBe(200);
    const names = r.json().value.map((o: { name: string }) => o.name);
    expect(names).toContain('Microsoft.ManagedIdentity/userAssignedIdentities/write');
    expect(names).toContain('Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write');
    expect(r.json().value[0]).toMatchObject({ display: { provider: 'Managed Service Identity', operation: expect.any(String), resource: expect.any(String), description: expect.any(String) } });
    expect((await call('GET', '/providers/Microsoft.Nope/operations?api-version=2024-11-30')).status).toBe(400);
  });
});
