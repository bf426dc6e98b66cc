/**
 * Acceptance: unauthenticated requests get 401; the proxy refuses non-Azure hosts (403); malformed
 * JSON, missing or unknown api-versions and unknown resource types get ARM 4xx errors, never a 500 or a crash.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnEmulator, type SpawnedEmulator } from '../../testkit/emulator.js';
import { getToken, httpsCall, openTunnel, sendOversized } from '../../testkit/http.js';
import { connect } from 'node:net';

describe('bad input gets a clear 4xx in the service format', () => {
  let emu: SpawnedEmulator;
  let token: string;
  let sub: string;
  beforeAll(async () => {
    emu = await spawnEmulator();
    token = await getToken(emu.url, emu.env);
    sub = emu.env.AZURE_SUBSCRIPTION_ID!;
  });
  afterAll(async () => {
    await emu?.stop();
  });
  const auth = () => ({ authorization: `Bearer ${token}` });

  it('ARM answers 401 with WWW-Authenticate for missing, malformed, forged and wrong-audience tokens', async () => {
    const url = `${emu.url}/subscriptions?api-version=2022-12-01`;
    const missing = await httpsCall(url);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer authorization_uri="https:\/\/login\.windows\.net\/"/);
    expect(missing.json().error.code).toBe('AuthenticationFailed');

    const malformed = await httpsCall(url, { headers: { authorization: 'Basic abc' } });
    expect(malformed.status).toBe(401);
    expect(malformed.json().error.code).toBe('AuthenticationFailedInvalidHeader');

    // A token with a valid shape but a signature the instance did not make.
    const [h, p] = token.split('.');
    const forged = await httpsCall(url, { headers: { authorization: `Bearer ${h}.${p}.${Buffer.from('x'.repeat(256)).toString('base64url')}` } });
    expect(forged.status).toBe(401);
    expect(forged.json().error.code).toBe('InvalidAuthenticationToken');

    const vaultToken = await getToken(emu.url, emu.env, 'https://vault.azure.net/.default');
    const wrongAudience = await httpsCall(url, { headers: { authorization: `Bearer ${vaultToken}` } });
    expect(wrongAudience.status).toBe(401);
    expect(wrongAudience.json().error.code).toBe('InvalidAuthenticationTokenAudience');
    expect(wrongAudience.json().error.message).toContain("'https://vault.azure.net'");
  });

  it('Graph answers 401 without a token, and the admin API too', async () => {
    const graph = await httpsCall(`${emu.url}/_graph/v1.0/me`);
    expect(graph.status).toBe(401);
    expect(graph.json().error.code).toBe('InvalidAuthenticationToken');
    const admin = await httpsCall(`${emu.url}/_aksemu/status`);
    expect(admin.status).toBe(401);
  });

  it('the token endpoint refuses unknown clients, wrong secrets, bad scopes and unknown tenants', async () => {
    const post = (tenant: string, form: Record<string, string>) =>
      httpsCall(`${emu.url}/_login/${tenant}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      });
    const tenant = emu.env.AZURE_TENANT_ID!;
    const base = { grant_type: 'client_credentials', client_id: emu.env.AZURE_CLIENT_ID!, client_secret: emu.env.AZURE_CLIENT_SECRET!, scope: 'https://management.azure.com/.default' };
    const wrongSecret = await post(tenant, { ...base, client_secret: 'nope' });
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.json()).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
    const unknownClient = await post(tenant, { ...base, client_id: '00000000-0000-0000-0000-000000000001' });
    expect(unknownClient.status).toBe(400);
    expect(unknownClient.json().error_codes).toEqual([700016]);
    const badScope = await post(tenant, { ...base, scope: 'https://management.azure.com/user_impersonation' });
    expect(badScope.status).toBe(400);
    expect(badScope.json().error).toBe('invalid_scope');
    const unknownResource = await post(tenant, { ...base, scope: 'https://example.com/.default' });
    expect(unknownResource.json().error_codes).toEqual([500011]);
    const badTenant = await post('not-a-tenant', base);
    expect(badTenant.status).toBe(400);
    expect(badTenant.json().error_codes).toEqual([90002]);
    const badGrant = await post(tenant, { ...base, grant_type: 'device_code' });
    expect(badGrant.json().error).toBe('unsupported_grant_type');
    const notTheDashboard = await post(tenant, { ...base, grant_type: 'authorization_code', code: 'x' });
    expect(notTheDashboard.json().error).toBe('unauthorized_client');
  });

  it('the proxy tunnels only to Azure hosts aksemu serves (403 otherwise), and plain HTTP only for CONNECT', async () => {
    await expect(openTunnel(emu.port, 'example.com', 443)).rejects.toMatchObject({ status: 403 });
    await expect(openTunnel(emu.port, 'management.azure.com', 80)).rejects.toMatchObject({ status: 403 });
    await expect(openTunnel(emu.port, '127.0.0.1', 443)).rejects.toMatchObject({ status: 403 });
    const tunnel = await openTunnel(emu.port, 'management.azure.com', 443);
    tunnel.destroy();
    const viaProxy = await httpsCall(`https://management.azure.com/subscriptions?api-version=2022-12-01`, { proxyPort: emu.port, headers: auth() });
    expect(viaProxy.status).toBe(200);
    expect(viaProxy.json().value[0].subscriptionId).toBe(sub);

    const plain = await new Promise<string>((resolve) => {
      const s = connect(emu.port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
      let out = '';
      s.on('data', (d) => (out += d.toString()));
      s.on('end', () => resolve(out));
    });
    expect(plain).toMatch(/^HTTP\/1\.1 400/);
    expect(plain).toContain('HttpsRequired');
  });

  it('answers every malformed ARM request with a 4xx ARM error body', async () => {
    const rg = `/subscriptions/${sub}/resourcegroups`;
    const cases: Array<{ what: string; method: string; path: string; body?: string; headers?: Record<string, string>; status: number; code: string }> = [
      { what: 'missing api-version', method: 'GET', path: `${rg}`, status: 400, code: 'MissingApiVersionParameter' },
      { what: 'unknown api-version', method: 'GET', path: `${rg}?api-version=2099-01-01`, status: 400, code: 'InvalidApiVersionParameter' },
      { what: 'malformed JSON', method: 'PUT', path: `${rg}/bad?api-version=2022-09-01`, body: '{"location": "eastus",', status: 400, code: 'InvalidRequestContent' },
      { what: 'JSON that is not an object', method: 'PUT', path: `${rg}/bad?api-version=2022-09-01`, body: '[1,2]', status: 400, code: 'InvalidRequestContent' },
      { what: 'missing location', method: 'PUT', path: `${rg}/bad?api-version=2022-09-01`, body: '{}', status: 400, code: 'InvalidRequestContent' },
      { what: 'unknown location', method: 'PUT', path: `${rg}/bad?api-version=2022-09-01`, body: '{"location":"moon"}', status: 400, code: 'LocationNotAvailableForResourceGroup' },
      { what: 'invalid group name', method: 'PUT', path: `${rg}/bad%20name!?api-version=2022-09-01`, body: '{"location":"eastus"}', status: 400, code: 'InvalidResourceGroup' },
      { what: 'name ending in a period', method: 'PUT', path: `${rg}/bad.?api-version=2022-09-01`, body: '{"location":"eastus"}', status: 400, code: 'InvalidResourceGroup' },
      { what: 'tags not strings', method: 'PUT', path: `${rg}/bad?api-version=2022-09-01`, body: '{"location":"eastus","tags":{"a":1}}', status: 400, code: 'InvalidRequestContent' },
      { what: 'wrong content type', method: 'PUT', path: `${rg}/bad?api-version=2022-09-01`, body: 'location=eastus', headers: { 'content-type': 'text/plain' }, status: 415, code: 'UnsupportedMediaType' },
      { what: 'missing group', method: 'GET', path: `${rg}/nope?api-version=2022-09-01`, status: 404, code: 'ResourceGroupNotFound' },
      { what: 'unknown subscription', method: 'GET', path: `/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups?api-version=2022-09-01`, status: 404, code: 'SubscriptionNotFound' },
      { what: 'unknown namespace', method: 'GET', path: `${rg}/x/providers/Microsoft.Nope/things/a?api-version=2022-09-01`, status: 400, code: 'InvalidResourceNamespace' },
      { what: 'unknown resource type', method: 'GET', path: `${rg}/x/providers/Microsoft.Features/gadgets/a?api-version=2022-09-01`, status: 400, code: 'InvalidResourceType' },
      { what: 'unknown path', method: 'GET', path: `/nonsense?api-version=2022-09-01`, status: 404, code: 'InvalidRequestUri' },
      { what: 'bad escape', method: 'GET', path: `${rg}/%E0%A4%A?api-version=2022-09-01`, status: 400, code: 'InvalidRequestUri' },
      { what: 'method not allowed', method: 'POST', path: `${rg}?api-version=2022-09-01`, status: 405, code: 'MethodNotAllowed' },
      { what: 'unsupported $filter', method: 'GET', path: `/subscriptions/${sub}/resources?api-version=2022-09-01&$filter=${encodeURIComponent("location eq 'x'")}`, status: 400, code: 'InvalidFilterInQueryString' },
      { what: 'unknown feature', method: 'POST', path: `/subscriptions/${sub}/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/Nope/register?api-version=2021-07-01`, status: 404, code: 'FeatureNotFound' },
      { what: 'unknown operation', method: 'GET', path: `/subscriptions/${sub}/providers/Microsoft.ContainerService/locations/eastus/operations/abc?api-version=2022-11-01`, status: 404, code: 'OperationNotFound' },
    ];
    for (const c of cases) {
      const res = await httpsCall(`${emu.url}${c.path}`, {
        method: c.method,
        headers: { ...auth(), ...(c.body !== undefined ? { 'content-type': 'application/json' } : {}), ...c.headers },
        ...(c.body !== undefined ? { body: c.body } : {}),
      });
      expect({ what: c.what, status: res.status }).toEqual({ what: c.what, status: c.status });
      expect({ what: c.what, code: res.json().error?.code }).toEqual({ what: c.what, code: c.code });
      expect(typeof res.json().error.message).toBe('string');
    }
    // A body over the limit is refused with 413 (the server may answer before reading it all).
    const big = await sendOversized(`${emu.url}${rg}/big?api-version=2022-09-01`, { ...auth(), 'content-type': 'application/json' }, 9 * 1024 * 1024);
    expect(big.status).toBe(413);
    expect(big.json().error.code).toBe('RequestEntityTooLarge');
    // Nothing was half-created by the refused requests, and the emulator is still up.
    const list = await httpsCall(`${emu.url}${rg}?api-version=2022-09-01`, { headers: auth() });
    expect(list.status).toBe(200);
    expect(list.json().value).toEqual([]);
    expect(emu.process.exitCode).toBeNull();
    expect(emu.stderr()).not.toMatch(/unhandled error/);
  });
});
