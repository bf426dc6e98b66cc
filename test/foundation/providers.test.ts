/**
 * SPEC P-4: a resource provider at the tenant (`GET /providers/{namespace}`, no registration state there, readable
 * by every account) and a provider's resource types alone (`.../providers/{namespace}/resourceTypes`), both from the
 * types aksemu registers; an unknown namespace is ARM's InvalidResourceNamespace.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, startTestEmulator } from '../../testkit/emulator.js';
import { getToken, httpsCall } from '../../testkit/http.js';

describe('resource providers at the tenant and their resource types', () => {
  let emu: Awaited<ReturnType<typeof startTestEmulator>>;
  let token: string;
  const get = (path: string, bearer = token) => httpsCall(`${emu.url}${path}${path.includes('?') ? '&' : '?'}api-version=2025-04-01`, { headers: { authorization: `Bearer ${bearer}` } });
  beforeAll(async () => {
    emu = await startTestEmulator();
    token = await getToken(emu.url, emu.env);
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('GET /providers/{namespace}: the namespace and its types, without a registration state, for a caller with no role too', async () => {
    const p = await emu.core.directory.createPrincipal({ displayName: 'norole', type: 'ServicePrincipal' });
    const secret = `s-${randomUUID()}`;
    await emu.core.directory.addSecret(p.appId, secret);
    const noRole = await getToken(emu.url, { ...emu.env, AZURE_CLIENT_ID: p.appId, AZURE_CLIENT_SECRET: secret });
    const r = await get('/providers/microsoft.keyvault', noRole);
    expect(r.status, r.text).toBe(200);
    const body = r.json();
    expect(body.namespace).toBe('Microsoft.KeyVault');
    expect(body.registrationState).toBeUndefined();
    const vaults = body.resourceTypes.find((t: { resourceType: string }) => t.resourceType === 'vaults');
    expect(vaults.apiVersions).toContain('2025-05-01');
    expect(vaults.locations).toContain('East US');
    // Azure Policy's aliases are not emulated: asked for, they are refused rather than left out.
    const aliases = await get('/providers/Microsoft.KeyVault?$expand=resourceTypes/aliases');
    expect(aliases.status).toBe(400);
    expect(aliases.json().error.message).toContain('Azure Policy');
    const unknown = await get('/providers/Microsoft.Nope');
    expect(unknown.status).toBe(400);
    expect(unknown.json().error.code).toBe('InvalidResourceNamespace');
  });

  it('.../providers/{namespace}/resourceTypes lists what the subscription-level provider shows', async () => {
    const sub = emu.info.subscriptionId;
    const r = await get(`/subscriptions/${sub}/providers/Microsoft.ContainerService/resourceTypes`);
    expect(r.status, r.text).toBe(200);
    const provider = (await get(`/subscriptions/${sub}/providers/Microsoft.ContainerService`)).json();
    expect(r.json().value).toEqual(provider.resourceTypes);
    expect(r.json().value.map((t: { resourceType: string }) => t.resourceType)).toContain('managedClusters');
  });
});
