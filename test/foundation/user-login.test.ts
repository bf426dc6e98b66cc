/**
 * Users sign in the Azure way (SPEC I-2, I-3): the directory's default user (`aksemu env`: AKSEMU_USER,
 * AKSEMU_PASSWORD) gets delegated tokens from the password grant (az's public client or a registered client with
 * its secret) and MSAL's refresh-token grant; Graph's /me answers the signed-in user and refuses app-only tokens;
 * the role-assignment principal type matches the directory; the default user is Owner of the subscription like
 * the default service principal. Every error path answers Entra ID's or Graph's own error.
 */
import { UsernamePasswordCredential } from '@azure/identity';
import { ResourceManagementClient } from '@azure/arm-resources';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../src/config/data-dir.js';
import { RefreshTokens, REFRESH_TOKEN_LIFETIME_SECONDS } from '../../src/identity/refresh-tokens.js';
import { Sealer } from '../../src/secrets/sealer.js';
import { spawnEmulator, useEnvironment, type SpawnedEmulator } from '../../testkit/emulator.js';
import { AZ_CLIENT_ID, getToken, getUserToken, httpsCall, type TestResponse } from '../../testkit/http.js';

const ARM_SCOPE = 'https://management.core.windows.net//.default';
const OIDC = 'openid profile offline_access';

function claims(jwt: string): Record<string, any> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));
}

describe('user sign-in (password and refresh-token grants), Graph /me, user role assignments', () => {
  let emu: SpawnedEmulator;
  let env: Record<string, string>;
  let tenant: string;
  const post = (form: Record<string, string>, opts: { tenant?: string; v1?: boolean } = {}): Promise<TestResponse> =>
    httpsCall(`${emu.url}/_login/${opts.tenant ?? tenant}/oauth2${opts.v1 ? '' : '/v2.0'}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  const ropc = (over: Record<string, string> = {}, opts: { tenant?: string; v1?: boolean } = {}) =>
    post({ grant_type: 'password', client_id: AZ_CLIENT_ID, username: env.AKSEMU_USER!, password: env.AKSEMU_PASSWORD!, scope: `${ARM_SCOPE} ${OIDC}`, client_info: '1', ...over }, opts);
  const aad = (res: TestResponse) => ({ status: res.status, error: res.json().error, codes: res.json().error_codes, description: String(res.json().error_description).split('\r\n')[0] });

  beforeAll(async () => {
    emu = await spawnEmulator();
    env = emu.env;
    tenant = env.AZURE_TENANT_ID!;
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it('aksemu env names the default user in the tenant\'s default domain, with a password derived from the master key', () => {
    expect(env.AKSEMU_USER).toMatch(/^aksemu-admin@aksemu[0-9a-f]{8}\.onmicrosoft\.com$/);
    expect(env.AKSEMU_PASSWORD).toMatch(/^Aks1-[A-Za-z0-9_-]{43}$/);
    // Never stored: neither the password nor the instance file holds it.
    expect(readFileSync(paths.instance(emu.dataDir), 'utf8')).not.toContain(env.AKSEMU_PASSWORD);
    expect(readFileSync(paths.sqlite(emu.dataDir)).includes(Buffer.from(env.AKSEMU_PASSWORD!))).toBe(false);
  });

  it('issues user tokens to az\'s public client: access (idtyp user, upn, scp), ID (MSAL\'s account) and refresh tokens, client_info', async () => {
    const res = await ropc();
    expect(res.status, res.text).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 });
    expect(body.scope.split(' ').sort()).toEqual(['https://management.core.windows.net//.default', 'https://management.core.windows.net//user_impersonation']);
    const at = claims(body.access_token);
    expect(at).toMatchObject({
      aud: 'https://management.core.windows.net/',
      iss: `https://sts.windows.net/${tenant}/`,
      tid: tenant,
      idtyp: 'user',
      appid: AZ_CLIENT_ID,
      appidacr: '0',
      upn: env.AKSEMU_USER,
      unique_name: env.AKSEMU_USER,
      scp: 'user_impersonation',
      name: 'aksemu admin',
      ver: '1.0',
    });
    expect(at.oid).toBe(JSON.parse(readFileSync(paths.instance(emu.dataDir), 'utf8')).defaultUser.objectId);
    const id = claims(body.id_token);
    expect(id).toMatchObject({ aud: AZ_CLIENT_ID, iss: `https://login.microsoftonline.com/${tenant}/v2.0`, preferred_username: env.AKSEMU_USER, oid: at.oid, tid: tenant, ver: '2.0' });
    expect(JSON.parse(Buffer.from(body.client_info, 'base64url').toString())).toEqual({ uid: at.oid, utid: tenant });
    // The refresh token is opaque: nothing of the grant is readable in it.
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(body.refresh_token, 'base64url').toString('latin1')).not.toContain(at.oid);

    // Without openid / offline_access: an access token only. The v1 endpoint takes `resource` and answers v1 fields.
    const bare = (await ropc({ scope: 'https://vault.azure.net/.default', client_info: '' })).json();
    expect(Object.keys(bare).sort()).toEqual(['access_token', 'expires_in', 'ext_expires_in', 'scope', 'token_type']);
    expect(claims(bare.access_token).aud).toBe('https://vault.azure.net');
    const v1 = await ropc({ scope: '', resource: 'https://vault.azure.net' }, { v1: true });
    expect(v1.status, v1.text).toBe(200);
    expect(v1.json()).toMatchObject({ resource: 'https://vault.azure.net', scope: 'user_impersonation', expires_in: '3599' });
    expect(claims(v1.json().id_token)).toMatchObject({ aud: AZ_CLIENT_ID, upn: env.AKSEMU_USER, ver: '1.0' });
    // Only OIDC scopes: a Graph token, as Entra ID issues.
    expect(claims((await ropc({ scope: OIDC })).json().access_token).aud).toBe('https://graph.microsoft.com/');
    // The generic authorities stand for the user's home tenant (az signs in through 'organizations').
    expect(claims((await ropc({}, { tenant: 'organizations' })).json().access_token).tid).toBe(tenant);
    expect((await ropc({}, { tenant: 'common' })).status).toBe(200);
  });

  it('a registered (confidential) client signs users in with its secret', async () => {
    const res = await ropc({ client_id: env.AZURE_CLIENT_ID!, client_secret: env.AZURE_CLIENT_SECRET! });
    expect(res.status, res.text).toBe(200);
    expect(claims(res.json().access_token)).toMatchObject({ appid: env.AZURE_CLIENT_ID, appidacr: '1', idtyp: 'user', upn: env.AKSEMU_USER });
    expect(claims(res.json().id_token).aud).toBe(env.AZURE_CLIENT_ID);
  });

  it('refuses wrong passwords, unknown users, service principal names and incomplete requests with Entra ID\'s errors', async () => {
    expect(aad(await ropc({ password: 'not-the-password' }))).toEqual({
      status: 400,
      error: 'invalid_grant',
      codes: [50126],
      description: 'AADSTS50126: Error validating credentials due to invalid username or password.',
    });
    const unknown = aad(await ropc({ username: `nobody@${env.AKSEMU_USER!.split('@')[1]}` }));
    expect(unknown).toMatchObject({ status: 400, error: 'invalid_grant', codes: [50034] });
    expect(unknown.description).toBe(`AADSTS50034: The user account {EUII Hidden} does not exist in the ${tenant} directory. To sign into this application, the account must be added to the directory.`);
    // A service principal is not a user account, even with its own secret as the password.
    const sp = aad(await ropc({ username: env.AZURE_CLIENT_ID!, password: env.AZURE_CLIENT_SECRET! }));
    expect(sp).toMatchObject({ status: 400, error: 'invalid_grant', codes: [50034] });
    expect(sp.description).toContain(`'${env.AZURE_CLIENT_ID}' is a service principal: it signs in with its client secret (az login --service-principal).`);
    // And a user is no application: the client-credentials grant does not know it.
    const asApp = await post({ grant_type: 'client_credentials', client_id: env.AKSEMU_USER!, client_secret: env.AKSEMU_PASSWORD!, scope: ARM_SCOPE });
    expect(aad(asApp)).toMatchObject({ status: 400, codes: [700016] });

    expect(aad(await ropc({ username: '' }))).toMatchObject({ status: 400, error: 'invalid_request', codes: [900144], description: "AADSTS900144: The request body must contain the following parameter: 'username'." });
    expect(aad(await ropc({ password: '' }))).toMatchObject({ status: 400, codes: [900144], description: expect.stringContaining("'password'") });
    expect(aad(await ropc({ resource: '', scope: '' }, { v1: true }))).toMatchObject({ status: 400, codes: [900144], description: expect.stringContaining("'resource'") });
    expect(aad(await ropc({ client_id: '00000000-0000-0000-0000-00000000000a' }))).toMatchObject({ status: 400, error: 'unauthorized_client', codes: [700016] });
    expect(aad(await ropc({ client_secret: 'x' }))).toMatchObject({ status: 401, error: 'invalid_client', codes: [700025] });
    expect(aad(await ropc({ client_id: env.AZURE_CLIENT_ID! }))).toMatchObject({ status: 401, error: 'invalid_client', codes: [7000218] });
    expect(aad(await ropc({ client_id: env.AZURE_CLIENT_ID!, client_secret: 'wrong' }))).toMatchObject({ status: 401, codes: [7000215] });
    expect(aad(await ropc({ scope: `${ARM_SCOPE} https://vault.azure.net/.default` }))).toMatchObject({ status: 400, error: 'invalid_scope', codes: [28000] });
    expect(aad(await ropc({ scope: 'https://example.com/.default' }))).toMatchObject({ status: 400, codes: [500011] });
    expect(aad(await ropc({}, { tenant: 'not-a-tenant' }))).toMatchObject({ status: 400, codes: [90002] });
    // An application has no generic authority.
    const appCommon = await post({ grant_type: 'client_credentials', client_id: env.AZURE_CLIENT_ID!, client_secret: env.AZURE_CLIENT_SECRET!, scope: ARM_SCOPE }, { tenant: 'organizations' });
    expect(aad(appCommon)).toMatchObject({ status: 400, codes: [90002] });
    expect(aad(await ropc({ grant_type: 'device_code' }))).toMatchObject({ status: 400, error: 'unsupported_grant_type', codes: [70003] });
    // Authorization codes are the dashboard's only (aksemu ui's one-time links): az's client may not redeem one.
    expect(aad(await ropc({ grant_type: 'authorization_code', code: 'x' }))).toMatchObject({ status: 400, error: 'unauthorized_client', codes: [700016] });
  });

  it('redeems refresh tokens for other resources (MSAL\'s silent renewal) and refuses forged, foreign and expired ones', async () => {
    const first = (await ropc()).json();
    const refresh = (over: Record<string, string>) =>
      post({ grant_type: 'refresh_token', client_id: AZ_CLIENT_ID, refresh_token: first.refresh_token, scope: `https://graph.microsoft.com/.default ${OIDC}`, client_info: '1', ...over });
    const graph = await refresh({});
    expect(graph.status, graph.text).toBe(200);
    const g = graph.json();
    expect(claims(g.access_token)).toMatchObject({ aud: 'https://graph.microsoft.com/', idtyp: 'user', upn: env.AKSEMU_USER, oid: claims(first.access_token).oid });
    expect(claims(g.access_token).scp).toContain('Directory.AccessAsUser.All');
    expect(g.refresh_token).not.toBe(first.refresh_token);
    expect(claims(g.id_token).preferred_username).toBe(env.AKSEMU_USER);
    // The tenant-specific authority az switches to after listing tenants.
    expect((await refresh({ scope: `${ARM_SCOPE} ${OIDC}` })).status).toBe(200);

    expect(aad(await refresh({ refresh_token: 'not-a-refresh-token' }))).toMatchObject({ status: 400, error: 'invalid_grant', codes: [9002313] });
    const tampered = Buffer.from(first.refresh_token, 'base64url');
    tampered[tampered.length - 1] ^= 1;
    expect(aad(await refresh({ refresh_token: tampered.toString('base64url') }))).toMatchObject({ status: 400, codes: [9002313] });
    expect(aad(await refresh({ refresh_token: '' }))).toMatchObject({ status: 400, codes: [900144] });
    // Issued to az's client: another client cannot redeem it.
    expect(aad(await refresh({ client_id: env.AZURE_CLIENT_ID!, client_secret: env.AZURE_CLIENT_SECRET! }))).toMatchObject({ status: 400, error: 'invalid_grant', codes: [70000] });
    // 90 days without use: expired (made with the instance's own master key, as the instance makes them).
    const sealer = new Sealer(readFileSync(paths.masterKey(emu.dataDir)));
    const old = new RefreshTokens(sealer).issue({ oid: claims(first.access_token).oid, tid: tenant, cid: AZ_CLIENT_ID }, Date.now() - (REFRESH_TOKEN_LIFETIME_SECONDS + 60) * 1000);
    expect(aad(await refresh({ refresh_token: old }))).toMatchObject({ status: 400, error: 'invalid_grant', codes: [70008] });
    // A user the directory no longer has.
    const ghost = new RefreshTokens(sealer).issue({ oid: '00000000-0000-4000-8000-000000000001', tid: tenant, cid: AZ_CLIENT_ID });
    expect(aad(await refresh({ refresh_token: ghost }))).toMatchObject({ status: 400, codes: [50034] });
  });

  it('answers MSAL\'s user realm discovery as for a managed (non-federated) account', async () => {
    const realm = await httpsCall(`${emu.url}/_login/common/userrealm/${encodeURIComponent(env.AKSEMU_USER!)}?api-version=1.0`);
    expect(realm.status).toBe(200);
    expect(realm.json()).toEqual({ ver: '1.0', account_type: 'Managed', domain_name: env.AKSEMU_USER!.split('@')[1], cloud_instance_name: 'microsoftonline.com', cloud_audience_urn: 'urn:federation:MicrosoftOnline' });
    const other = await httpsCall(`${emu.url}/_login/common/userrealm/someone@contoso.com?api-version=1.0`);
    expect(other.json()).toEqual({ ver: '1.0', account_type: 'Unknown', cloud_instance_name: 'microsoftonline.com' });
    const v2 = await httpsCall(`${emu.url}/_login/common/userrealm/${encodeURIComponent(env.AKSEMU_USER!)}?api-version=2.0`);
    expect(v2.json()).toMatchObject({ NameSpaceType: 'Managed', Login: env.AKSEMU_USER, DomainName: env.AKSEMU_USER!.split('@')[1] });
  });

  it('Graph: /me is the signed-in user; with an app-only token it is 400 BadRequest, as in Graph', async () => {
    const userGraph = await getUserToken(emu.url, env, 'https://graph.microsoft.com/.default');
    const me = await httpsCall(`${emu.url}/_graph/v1.0/me`, { headers: { authorization: `Bearer ${userGraph}` } });
    expect(me.status).toBe(200);
    expect(me.json()).toEqual({
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity',
      businessPhones: [],
      displayName: 'aksemu admin',
      givenName: null,
      jobTitle: null,
      mail: null,
      mobilePhone: null,
      officeLocation: null,
      preferredLanguage: null,
      surname: null,
      userPrincipalName: env.AKSEMU_USER,
      id: claims(userGraph).oid,
    });
    const appGraph = await getToken(emu.url, env, 'https://graph.microsoft.com/.default');
    const appMe = await httpsCall(`${emu.url}/_graph/v1.0/me`, { headers: { authorization: `Bearer ${appGraph}` } });
    expect(appMe.status).toBe(400);
    expect(appMe.json().error).toMatchObject({ code: 'BadRequest', message: '/me request is only valid with delegated authentication flow.' });

    // Users by sign-in name (az's --upn and --assignee user@domain) and by id; a user is no service principal.
    const g = (path: string, token = appGraph) => httpsCall(`${emu.url}/_graph/v1.0${path}`, { headers: { authorization: `Bearer ${token}` } });
    const filter = encodeURIComponent(`userPrincipalName eq '${env.AKSEMU_USER}'`);
    expect((await g(`/users?$filter=${filter}`)).json().value.map((u: any) => u.id)).toEqual([claims(userGraph).oid]);
    expect((await g(`/users?$filter=${encodeURIComponent("userPrincipalName eq 'nobody@contoso.com'")}`)).json().value).toEqual([]);
    expect((await g(`/users/${encodeURIComponent(env.AKSEMU_USER!.toUpperCase())}`)).json().id).toBe(claims(userGraph).oid);
    expect((await g(`/users/${claims(userGraph).oid}`)).json().userPrincipalName).toBe(env.AKSEMU_USER);
    expect((await g('/users')).json().value.map((u: any) => u.userPrincipalName)).toEqual([env.AKSEMU_USER]);
    const badFilter = await g(`/users?$filter=${encodeURIComponent("appId eq 'x'")}`);
    expect(badFilter.status).toBe(400);
    expect(badFilter.json().error.code).toBe('Request_UnsupportedQuery');
    expect((await g(`/servicePrincipals/${claims(userGraph).oid}`)).status).toBe(404);
    const spId = claims(await getToken(emu.url, env)).oid;
    expect((await g(`/users/${spId}`)).status).toBe(404);
    const objects = await httpsCall(`${emu.url}/_graph/v1.0/directoryObjects/getByIds`, {
      method: 'POST',
      headers: { authorization: `Bearer ${appGraph}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ids: [claims(userGraph).oid, spId] }),
    });
    expect(objects.json().value.map((o: any) => o['@odata.type'])).toEqual(['#microsoft.graph.user', '#microsoft.graph.servicePrincipal']);
  });

  it('the Azure SDK signs the user in with UsernamePasswordCredential (through the proxy, as `aksemu env` configures it)', async () => {
    useEnvironment(env);
    const cred = new UsernamePasswordCredential(tenant, AZ_CLIENT_ID, env.AKSEMU_USER!, env.AKSEMU_PASSWORD!);
    const token = await cred.getToken('https://management.azure.com/.default');
    expect(claims(token.token)).toMatchObject({ idtyp: 'user', upn: env.AKSEMU_USER, aud: 'https://management.azure.com/' });
    const client = new ResourceManagementClient(cred, env.AZURE_SUBSCRIPTION_ID!);
    expect((await client.resourceGroups.createOrUpdate('sdkUserRG', { location: 'westeurope' })).properties?.provisioningState).toBe('Succeeded');
    const groups: string[] = [];
    for await (const g of client.resourceGroups.list()) groups.push(g.name!);
    expect(groups).toContain('sdkUserRG');
    const wrong = new UsernamePasswordCredential(tenant, AZ_CLIENT_ID, env.AKSEMU_USER!, 'wrong');
    await expect(wrong.getToken('https://management.azure.com/.default')).rejects.toThrow(/AADSTS50126/);
  });

  it('the default user is Owner of the subscription; role assignments check the principal type against the directory', async () => {
    const sub = env.AZURE_SUBSCRIPTION_ID!;
    const user = await getUserToken(emu.url, env);
    const userId = claims(user).oid;
    const spId = claims(await getToken(emu.url, env)).oid;
    const arm = (token: string, method: string, path: string, body?: unknown) =>
      httpsCall(`${emu.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const list = await arm(user, 'GET', `/subscriptions/${sub}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`);
    expect(list.status).toBe(200);
    const owners = list.json().value.filter((a: any) => a.properties.roleDefinitionId.endsWith('8e3af657-a8ff-443c-a75c-2fe8c4bcb635'));
    expect(owners.map((a: any) => [a.properties.principalId, a.properties.principalType]).sort()).toEqual(
      [
        [userId, 'User'],
        [spId, 'ServicePrincipal'],
      ].sort(),
    );
    expect((await arm(user, 'PUT', `/subscriptions/${sub}/resourcegroups/userRG?api-version=2022-09-01`, { location: 'eastus' })).status).toBe(201);

    const scope = `/subscriptions/${sub}/resourceGroups/userRG`;
    const officer = `${scope}/providers/Microsoft.Authorization/roleDefinitions/14b46e9e-c2b7-41b4-b07b-48a6ebf60603`;
    const assign = (name: string, principalId: string, principalType: string) =>
      arm(user, 'PUT', `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=2022-04-01`, { properties: { roleDefinitionId: officer, principalId, principalType } });
    const ok = await assign('6a6c1f4e-0f0c-4d3b-9d64-3f3a1c6f0b01', userId, 'User');
    expect(ok.status, ok.text).toBe(201);
    expect(ok.json().properties).toMatchObject({ principalId: userId, principalType: 'User' });
    const userAsSp = await assign('6a6c1f4e-0f0c-4d3b-9d64-3f3a1c6f0b02', userId, 'ServicePrincipal');
    expect(userAsSp.status).toBe(400);
    expect(userAsSp.json().error).toEqual({ code: 'UnmatchedPrincipalType', message: `The PrincipalId '${userId}' has type 'User' , which is different from specified PrincipalType 'ServicePrincipal'.` });
    const spAsUser = await assign('6a6c1f4e-0f0c-4d3b-9d64-3f3a1c6f0b03', spId, 'User');
    expect(spAsUser.status).toBe(400);
    expect(spAsUser.json().error.code).toBe('UnmatchedPrincipalType');

    // Without its Owner assignment the user is refused, and ARM names it by its sign-in name.
    const mine = owners.find((a: any) => a.properties.principalId === userId);
    expect((await arm(await getToken(emu.url, env), 'DELETE', `${mine.id}?api-version=2022-04-01`)).status).toBe(200);
    const refused = await arm(user, 'PUT', `${scope}/providers/Microsoft.Authorization/roleAssignments/6a6c1f4e-0f0c-4d3b-9d64-3f3a1c6f0b04?api-version=2022-04-01`, {
      properties: { roleDefinitionId: officer, principalId: userId, principalType: 'User' },
    });
    expect(refused.status).toBe(403);
    expect(refused.json().error.message).toMatch(new RegExp(`^The client '${env.AKSEMU_USER!.replace(/\./g, '\\.')}' with object id '${userId}' does not have authorization`));
  });

  it('the default user, its object id and its password survive a restart', async () => {
    const before = { user: env.AKSEMU_USER, password: env.AKSEMU_PASSWORD, oid: claims(await getUserToken(emu.url, env)).oid };
    await emu.stop();
    emu = await spawnEmulator({ dataDir: emu.dataDir });
    env = emu.env;
    expect({ user: env.AKSEMU_USER, password: env.AKSEMU_PASSWORD }).toEqual({ user: before.user, password: before.password });
    expect(claims(await getUserToken(emu.url, env)).oid).toBe(before.oid);
  });
});
