/**
 * SPEC Z-1, Z-2, Z-4: Azure RBAC on every ARM route and every aksemu admin route, as Azure evaluates it.
 *
 * - Every route of the ARM router, walked from the router itself, answers a principal without any role with 403
 *   AuthorizationFailed (routes open to any caller say so in their declaration and are listed here by reason).
 * - Built-in roles at their scopes: Reader reads and cannot write or list credentials; Cluster User Role lists user
 *   credentials and not admin ones; a Contributor of one resource group manages it and nothing else; the admin API
 *   needs Owner or aksemu's Emulator Operator role (Contributor's wildcard does not reach it).
 * - Through the official SDK (@azure/arm-containerservice, @azure/arm-resources) as well as raw HTTP.
 * - Token checks: a foreign tenant, an unknown object id and a missing `exp` are refused everywhere.
 * - A refused write changes nothing.
 */
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { ResourceManagementClient } from '@azure/arm-resources';
import { ClientSecretCredential } from '@azure/identity';
import { randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterBody, NEW_API } from '../../testkit/containerservice.js';
import { removeDataDir, startTestEmulator, useEnvironment } from '../../testkit/emulator.js';
import { getToken, httpsCall, type TestResponse } from '../../testkit/http.js';
import { az } from '../../testkit/az.js';
import { describeWith } from '../../testkit/optional.js';

type Emu = Awaited<ReturnType<typeof startTestEmulator>>;

const ROLE = {
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  clusterUser: '4abbcc35-e782-43d8-92c5-2d3f1bd2253f',
  clusterAdmin: '0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8',
  operator: 'a4e5e0a1-0c3b-4d9e-9e55-6b73656d7501',
  miOperator: 'f1a07417-d97a-45cb-824c-7a7467783830',
};

interface Actor {
  objectId: string;
  env: Record<string, string>;
  token: string;
}

describe('Azure RBAC on every route (SPEC Z-1, Z-2, Z-4)', () => {
  let emu: Emu;
  let sub: string;
  let owner: string;
  const actors: Record<string, Actor> = {};
  const rg = 'rbacRG';
  const otherRg = 'otherRG';
  let clusterId: string;

  async function call(token: string, method: string, path: string, body?: unknown): Promise<TestResponse> {
    return httpsCall(`${emu.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  async function newActor(name: string): Promise<Actor> {
    const p = await emu.core.directory.createPrincipal({ displayName: name, type: 'ServicePrincipal' });
    const secret = `s-${randomUUID()}`;
    await emu.core.directory.addSecret(p.appId, secret);
    const env = { ...emu.env, AZURE_CLIENT_ID: p.appId, AZURE_CLIENT_SECRET: secret };
    return { objectId: p.objectId, env, token: await getToken(emu.url, env) };
  }

  async function assign(actor: Actor, role: string, scope: string): Promise<void> {
    const res = await call(owner, 'PUT', `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, {
      properties: { roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${role}`, principalId: actor.objectId, principalType: 'ServicePrincipal' },
    });
    expect(res.status, res.text).toBe(201);
  }

  beforeAll(async () => {
    emu = await startTestEmulator();
    sub = emu.info.subscriptionId;
    owner = await getToken(emu.url, emu.env);
    for (const g of [rg, otherRg]) expect((await call(owner, 'PUT', `/subscriptions/${sub}/resourcegroups/${g}?api-version=2021-04-01`, { location: 'eastus' })).status).toBe(201);
    clusterId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/c1`;
    const created = await call(owner, 'PUT', `${clusterId}?api-version=${NEW_API}`, clusterBody());
    expect(created.status, created.text).toBe(201);
    for (const g of [rg, otherRg]) {
      const mi = await call(owner, 'PUT', `/subscriptions/${sub}/resourceGroups/${g}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-${g}?api-version=2023-01-31`, { location: 'eastus' });
      expect(mi.status, mi.text).toBe(201);
    }
    for (const name of ['none', 'reader', 'clusterUser', 'clusterAdmin', 'rgContributor', 'subContributor', 'operator', 'miOperator']) actors[name] = await newActor(name);
    await assign(actors.reader!, ROLE.reader, `/subscriptions/${sub}`);
    await assign(actors.clusterUser!, ROLE.clusterUser, clusterId);
    await assign(actors.clusterAdmin!, ROLE.clusterAdmin, clusterId);
    await assign(actors.rgContributor!, ROLE.contributor, `/subscriptions/${sub}/resourceGroups/${rg}`);
    await assign(actors.subContributor!, ROLE.contributor, `/subscriptions/${sub}`);
    await assign(actors.operator!, ROLE.operator, `/subscriptions/${sub}`);
    await assign(actors.miOperator!, ROLE.miOperator, `/subscriptions/${sub}/resourceGroups/${rg}`);
  }, 120_000);
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  /** A concrete request for a route template: sample names for its parameters and an api-version it accepts. */
  function concrete(path: string, apiVersions: unknown): string {
    const values: Record<string, string> = {
      subscriptionId: sub,
      resourceGroupName: rg,
      resourceName: 'c1',
      agentPoolName: 'nodepool1',
      vaultName: 'kv1',
      name: 'id1',
      credentialName: 'fic1',
      namespace: 'Microsoft.ContainerService',
      ns: 'Microsoft.KeyVault',
      location: 'eastus',
      operationId: randomUUID(),
      assignmentName: randomUUID(),
      roleDefinitionName: ROLE.reader,
      featureName: 'MutableFipsPreview',
      operationKind: 'add',
      roleName: 'clusterUser',
      vmScaleSetName: 'aks-nodepool1-vmss',
      t1: 'vaults',
      n1: 'kv1',
      t2: 'keys',
      n2: 'k1',
    };
    const filled = path.replace(/\{(\w+)\}/g, (_, p: string) => {
      if (!(p in values)) throw new Error(`no sample value for {${p}} in ${path}`);
      return values[p]!;
    });
    const candidates = Array.isArray(apiVersions) ? apiVersions : emu.core.arm.types.all().flatMap((ns) => ns.types.flatMap((t) => t.apiVersions));
    const version = candidates.find((v) => typeof apiVersions !== 'function' || (apiVersions as (v: string) => unknown)(v) === undefined) ?? '2024-01-01';
    return apiVersions === 'none' ? filled : `${filled}?api-version=${version}`;
  }

  it('every ARM route declares its authorization, and a principal without a role gets 403 AuthorizationFailed on each', async () => {
    const routes = emu.core.arm.router.all();
    expect(routes.length).toBeGreaterThan(70);
    const open: string[] = [];
    let checked = 0;
    for (const route of routes) {
      expect(route.authorization, `${route.methods} ${route.path}`).toBeDefined();
      const url = concrete(route.path, route.apiVersions);
      for (const method of route.methods) {
        const res = await call(actors.none!.token, method, url, ['PUT', 'PATCH', 'POST'].includes(method) ? { location: 'eastus', properties: {} } : undefined);
        if ('anyCaller' in route.authorization) {
          open.push(`${method} ${route.path}: ${route.authorization.anyCaller}`);
          expect(res.status, `${method} ${url}`).not.toBe(403);
          continue;
        }
        checked++;
        expect(res.status, `${method} ${url}: ${res.text}`).toBe(403);
        if (method !== 'HEAD') {
          const err = res.json<{ error: { code: string; message: string } }>().error;
          expect(err.code).toBe('AuthorizationFailed');
          expect(err.message).toMatch(
            new RegExp(`^The client '${actors.none!.env.AZURE_CLIENT_ID}' with object id '${actors.none!.objectId}' does not have authorization to perform action '[^']+' over scope '/[^']*' or the scope is invalid\\.`),
          );
        }
      }
    }
    expect(checked).toBeGreaterThan(70);
    // The open ones are the lists that filter what they show, and the tenant-level reads.
    expect(open.map((o) => o.split(':')[0]).sort()).toEqual([
      'GET /providers/Microsoft.Authorization/roleDefinitions',
      'GET /providers/Microsoft.Authorization/roleDefinitions/{roleDefinitionName}',
      'GET /providers/{namespace}',
      'GET /providers/{namespace}/operations',
      'GET /subscriptions',
      'GET /subscriptions/{subscriptionId}/resourcegroups',
      'GET /subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/Microsoft.Authorization/permissions',
      'GET /subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/{ns}/{t1}/{n1}/providers/Microsoft.Authorization/permissions',
      'GET /subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/{ns}/{t1}/{n1}/{t2}/{n2}/providers/Microsoft.Authorization/permissions',
      'GET /subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/resources',
      'GET /subscriptions/{subscriptionId}/resources',
      'GET /tenants',
    ]);
    // And they show nothing of the subscription to a caller without a role.
    expect((await call(actors.none!.token, 'GET', '/subscriptions?api-version=2022-12-01')).json().value).toEqual([]);
    expect((await call(actors.none!.token, 'GET', `/subscriptions/${sub}/resources?api-version=2021-04-01`)).json().value).toEqual([]);
  }, 180_000);

  it('a refused write changes nothing: the cluster and the group are still there, no group was created', async () => {
    const none = actors.none!.token;
    expect((await call(none, 'DELETE', `${clusterId}?api-version=${NEW_API}`)).status).toBe(403);
    expect((await call(none, 'DELETE', `/subscriptions/${sub}/resourcegroups/${rg}?api-version=2021-04-01`)).status).toBe(403);
    expect((await call(none, 'PUT', `/subscriptions/${sub}/resourcegroups/sneaky?api-version=2021-04-01`, { location: 'eastus' })).status).toBe(403);
    expect((await call(owner, 'GET', `${clusterId}?api-version=${NEW_API}`)).status).toBe(200);
    expect((await call(owner, 'GET', `/subscriptions/${sub}/resourcegroups/${rg}?api-version=2021-04-01`)).status).toBe(200);
    expect((await call(owner, 'GET', `/subscriptions/${sub}/resourcegroups/sneaky?api-version=2021-04-01`)).status).toBe(404);
  });

  const expectDenied = (res: TestResponse, action: string, scope: string) => {
    expect(res.status, res.text).toBe(403);
    expect(res.json().error.code).toBe('AuthorizationFailed');
    expect(res.json().error.message).toContain(`perform action '${action}' over scope '${scope}'`);
  };

  it('roles × actions × scopes: the table of who may do what, inherited downward and not sideways', async () => {
    const id = (g: string) => `/subscriptions/${sub}/resourceGroups/${g}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-${g}?api-version=2023-01-31`;
    const group = (g: string) => `/subscriptions/${sub}/resourcegroups/${g}?api-version=2021-04-01`;
    const assignment = (scope: string) => `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`;
    const assignmentBody = { properties: { roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${ROLE.reader}`, principalId: actors.none!.objectId } };
    const tags = { tags: { checked: 'yes' } };
    const table: Array<[actor: string, method: string, path: string, body: unknown, allowed: boolean]> = [
      ['reader', 'GET', `${clusterId}?api-version=${NEW_API}`, undefined, true],
      ['reader', 'GET', id(otherRg), undefined, true], // inherited from the subscription
      ['reader', 'PATCH', group(rg), tags, false],
      ['reader', 'PUT', assignment(`/subscriptions/${sub}`), assignmentBody, false],
      ['rgContributor', 'PATCH', id(rg), tags, true],
      ['rgContributor', 'PATCH', id(otherRg), tags, false], // not sideways to another group
      ['rgContributor', 'GET', `/subscriptions/${sub}/resourcegroups/${otherRg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2023-01-31`, undefined, false],
      ['rgContributor', 'PUT', assignment(`/subscriptions/${sub}/resourceGroups/${rg}`), assignmentBody, false], // Contributor's notActions
      ['subContributor', 'PATCH', group(otherRg), tags, true],
      ['subContributor', 'PUT', assignment(`/subscriptions/${sub}/resourceGroups/${rg}`), assignmentBody, false],
      ['clusterUser', 'GET', `${clusterId}?api-version=${NEW_API}`, undefined, true],
      ['clusterUser', 'GET', `${clusterId}/agentPools/nodepool1?api-version=${NEW_API}`, undefined, false], // managedClusters/read is not agentPools/read
      ['clusterAdmin', 'PATCH', `${clusterId}?api-version=${NEW_API}`, tags, false],
      ['miOperator', 'GET', id(rg), undefined, true], // userAssignedIdentities/*/read covers .../read
      ['miOperator', 'PATCH', id(rg), tags, false],
      ['miOperator', 'GET', id(otherRg), undefined, false],
      ['operator', 'GET', `${clusterId}?api-version=${NEW_API}`, undefined, false], // aksemu's role holds aksemu's actions only
    ];
    const wrong: string[] = [];
    for (const [who, method, path, body, allowed] of table) {
      const res = await call(actors[who]!.token, method, path, body);
      const denied = res.status === 403 && res.json().error?.code === 'AuthorizationFailed';
      if (denied === allowed || (allowed && res.status >= 400)) wrong.push(`${who} ${method} ${path} → ${res.status} ${res.text.slice(0, 200)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('Reader reads but cannot write or list credentials', async () => {
    const t = actors.reader!.token;
    expect((await call(t, 'GET', `${clusterId}?api-version=${NEW_API}`)).status).toBe(200);
    expect((await call(t, 'GET', `/subscriptions/${sub}/resourcegroups?api-version=2021-04-01`)).json().value.map((g: { name: string }) => g.name)).toEqual(
      expect.arrayContaining([rg, otherRg]),
    );
    expectDenied(await call(t, 'PUT', `${clusterId}?api-version=${NEW_API}`, clusterBody()), 'Microsoft.ContainerService/managedClusters/write', clusterId);
    expectDenied(await call(t, 'POST', `${clusterId}/listClusterUserCredential?api-version=${NEW_API}`), 'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action', clusterId);
    expectDenied(
      await call(t, 'POST', `/subscriptions/${sub}/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/MutableFipsPreview/register?api-version=2021-07-01`),
      'Microsoft.Features/providers/features/register/action',
      `/subscriptions/${sub}`,
    );
  });

  it('Cluster User Role lists user credentials, not admin ones; Cluster Admin Role lists admin ones', async () => {
    expect((await call(actors.clusterUser!.token, 'POST', `${clusterId}/listClusterUserCredential?api-version=${NEW_API}`)).status).toBe(200);
    expectDenied(
      await call(actors.clusterUser!.token, 'POST', `${clusterId}/listClusterAdminCredential?api-version=${NEW_API}`),
      'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action',
      clusterId,
    );
    expect((await call(actors.clusterAdmin!.token, 'POST', `${clusterId}/listClusterAdminCredential?api-version=${NEW_API}`)).status).toBe(200);
    // Neither may read the resource group the cluster is in: their roles are scoped to the cluster.
    expectDenied(await call(actors.clusterUser!.token, 'GET', `/subscriptions/${sub}/resourcegroups/${rg}?api-version=2021-04-01`), 'Microsoft.Resources/subscriptions/resourcegroups/read', `/subscriptions/${sub}/resourcegroups/${rg}`);
  });

  it('a Contributor of one resource group manages it through the SDKs, and nothing beyond it', async () => {
    useEnvironment(actors.rgContributor!.env);
    const credential = new ClientSecretCredential(emu.env.AZURE_TENANT_ID!, actors.rgContributor!.env.AZURE_CLIENT_ID!, actors.rgContributor!.env.AZURE_CLIENT_SECRET!);
    const resources = new ResourceManagementClient(credential, sub);
    const groups: string[] = [];
    for await (const g of resources.resourceGroups.list()) groups.push(g.name!);
    expect(groups).toEqual([rg]);
    await resources.resourceGroups.update(rg, { tags: { team: 'platform' } });
    await expect(resources.resourceGroups.createOrUpdate('elsewhere', { location: 'eastus' })).rejects.toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
    await expect(resources.resourceGroups.get(otherRg)).rejects.toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
    const aks = new ContainerServiceClient(credential, sub);
    const cluster = await aks.managedClusters.get(rg, 'c1');
    expect(cluster.id?.toLowerCase()).toBe(clusterId.toLowerCase());
    const creds = await aks.managedClusters.listClusterAdminCredentials(rg, 'c1');
    expect(creds.kubeconfigs?.[0]?.name).toBe('clusterAdmin');
    await expect(aks.managedClusters.get(otherRg, 'c1')).rejects.toMatchObject({ statusCode: 403 });
  });

  it('custom role definitions: created at a scope, assignable only within it, enforced like built-in ones, kept while assigned', async () => {
    const roleId = randomUUID();
    const rgScope = `/subscriptions/${sub}/resourceGroups/${rg}`;
    const def = {
      properties: {
        roleName: 'AKS cluster viewer',
        description: 'Reads clusters and what is needed to find them; can look at the emulated clock.',
        type: 'CustomRole',
        permissions: [{ actions: ['Microsoft.ContainerService/managedClusters/read', 'Microsoft.Resources/subscriptions/resourceGroups/read', 'Aksemu.Emulator/clock/read'], notActions: [], dataActions: [], notDataActions: [] }],
        assignableScopes: [rgScope],
      },
    };
    const path = (scope: string, id = roleId) => `${scope}/providers/Microsoft.Authorization/roleDefinitions/${id}?api-version=2022-04-01`;
    // Created by the Owner; not by a Reader; not with an assignable scope outside the request's, nor at the root.
    expect((await call(actors.reader!.token, 'PUT', path(rgScope), def)).status).toBe(403);
    const bad = await call(owner, 'PUT', path(rgScope), { properties: { ...def.properties, assignableScopes: [`/subscriptions/${sub}/resourceGroups/${otherRg}`] } });
    expect(bad.status).toBe(400);
    expect(bad.json().error.code).toBe('InvalidAssignableScope');
    const created = await call(owner, 'PUT', path(rgScope), def);
    expect(created.status, created.text).toBe(201);
    expect(created.json().properties).toMatchObject({ type: 'CustomRole', roleName: 'AKS cluster viewer', assignableScopes: [rgScope] });
    const dup = await call(owner, 'PUT', path(`/subscriptions/${sub}`, randomUUID()), { properties: { ...def.properties, assignableScopes: [`/subscriptions/${sub}`] } });
    expect(dup.status).toBe(409);
    expect(dup.json().error.code).toBe('RoleDefinitionWithSameNameExists');
    const listed = await call(owner, 'GET', `${rgScope}/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01&$filter=type eq 'CustomRole'`);
    expect(listed.json().value.map((r: { name: string }) => r.name)).toEqual([roleId]);

    const viewer = await newActor('viewer');
    const assignAt = (scope: string) =>
      call(owner, 'PUT', `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, {
        properties: { roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`, principalId: viewer.objectId },
      });
    expect((await assignAt(`/subscriptions/${sub}/resourceGroups/${otherRg}`)).status).toBe(403);
    expect((await assignAt(rgScope)).status).toBe(201);
    expect((await call(viewer.token, 'GET', `${clusterId}?api-version=${NEW_API}`)).status).toBe(200);
    expectDenied(await call(viewer.token, 'POST', `${clusterId}/listClusterUserCredential?api-version=${NEW_API}`), 'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action', clusterId);
    expectDenied(await call(viewer.token, 'DELETE', `${clusterId}?api-version=${NEW_API}`), 'Microsoft.ContainerService/managedClusters/delete', clusterId);
    // The role names aksemu's namespace, so it reaches the clock's read, over its own scope only.
    expect((await call(viewer.token, 'GET', '/_aksemu/clock')).status).toBe(403); // the clock's scope is the subscription
    const removed = await call(owner, 'DELETE', path(rgScope));
    expect(removed.status).toBe(409);
    expect(removed.json().error.code).toBe('RoleDefinitionHasAssignments');
  });

  it("the admin API needs Owner or aksemu's Emulator Operator role; Contributor's and Reader's wildcards do not reach it", async () => {
    const put = (t: string) => call(t, 'PUT', '/_aksemu/clock', { advanceSeconds: 0 });
    expect((await put(owner)).status).toBe(200);
    expect((await put(actors.operator!.token)).status).toBe(200);
    for (const who of ['none', 'reader', 'subContributor', 'rgContributor'] as const) {
      const res = await put(actors[who]!.token);
      expect(res.status, who).toBe(403);
      expect(res.json().error.code).toBe('AuthorizationFailed');
      expect(res.json().error.message).toContain("perform action 'Aksemu.Emulator/clock/write'");
    }
    // Scoped rights: a node's right is over its cluster, an encryption status over the cluster.
    const enc = await call(actors.subContributor!.token, 'GET', `/_aksemu/aks/encryption?resourceGroup=${rg}&name=c1`);
    expect(enc.status).toBe(403);
    expect(enc.json().error.message).toContain(`over scope '${clusterId}'`);
    // Every admin route declared a right (the start fails otherwise); the open ones are public keys, the 404, the
    // dashboard's files (no data) and its sign-in codes and change feed (a caller's own code; changes it may read).
    const open = emu.core.adminRoutes.filter((r) => 'anyCaller' in r.right).map((r) => r.url);
    expect([...new Set(open)].sort()).toEqual([
      '/_aksemu/*',
      '/_aksemu/attestation/.well-known/openid-configuration',
      '/_aksemu/attestation/certs',
      '/_aksemu/ui',
      '/_aksemu/ui/*',
      '/_aksemu/ui/api/events',
      '/_aksemu/ui/api/sign-in-codes',
    ]);
  });

  it('refuses tokens of another tenant, of an unknown principal, and without exp, on ARM, Key Vault, Graph and the admin API (SPEC Z-4)', async () => {
    const principal = (await emu.core.directory.getByObjectId(actors.subContributor!.objectId))!;
    const foreign = await emu.core.tokens.issue({ ...principal, tenantId: randomUUID() }, 'https://management.azure.com/');
    const unknown = await emu.core.tokens.issue({ ...principal, objectId: randomUUID() }, 'https://management.azure.com/');
    // The instance's own signing key (a test reaches into the token service): a well-signed token without `exp`.
    const key = await (emu.core.tokens as unknown as { key: Promise<{ kid: string; privateKey: KeyObject }> }).key;
    const now = Math.floor(Date.now() / 1000);
    const claims = { aud: 'https://management.azure.com/', iss: `https://sts.windows.net/${emu.info.tenantId}/`, tid: emu.info.tenantId, oid: principal.objectId, appid: principal.appId, idtyp: 'app' };
    const signed = (c: Record<string, unknown>) => new SignJWT(c).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid }).setIssuedAt(now).setNotBefore(now - 60);
    const withExp = await signed(claims).setExpirationTime(now + 3600).sign(key.privateKey);
    const noExp = await signed(claims).sign(key.privateKey);
    const notYet = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: key.kid }).setNotBefore(now + 3600).setExpirationTime(now + 7200).sign(key.privateKey);
    expect((await call(withExp, 'GET', `/subscriptions/${sub}?api-version=2022-12-01`)).status).toBe(200);
    for (const [what, token] of [['foreign tenant', foreign], ['unknown principal', unknown], ['no exp', noExp], ['nbf in the future', notYet]] as const) {
      for (const path of [`/subscriptions/${sub}?api-version=2022-12-01`, '/_aksemu/clock']) {
        const res = await call(token, 'GET', path);
        expect(res.status, `${what} on ${path}`).toBe(401);
      }
    }
  });

  describeWith(['az'], 'the real az CLI (Debian 2.45) as principals with and without roles', () => {
    const azAs = async (actor: Actor, dir: string) => {
      const env: Record<string, string> = { ...actor.env, AZURE_CONFIG_DIR: `${emu.dataDir}/az-${dir}` };
      const login = await az(['login', '--service-principal', '-u', env.AZURE_CLIENT_ID!, '-p', env.AZURE_CLIENT_SECRET!, '--tenant', env.AZURE_TENANT_ID!, '--allow-no-subscriptions', '-o', 'json'], env);
      expect(login.code, login.stderr).toBe(0);
      return { env, accounts: login.json<Array<{ id: string }>>() };
    };

    it('a principal without a role sees no subscription; a Reader sees it, lists groups, and is refused writes and credentials with AuthorizationFailed', async () => {
      const none = await azAs(actors.none!, 'none');
      expect(none.accounts.map((a) => a.id)).not.toContain(sub);
      const reader = await azAs(actors.reader!, 'reader');
      expect(reader.accounts.map((a) => a.id)).toContain(sub);
      const groups = await az(['group', 'list', '--query', '[].name', '-o', 'json'], reader.env);
      expect(groups.code, groups.stderr).toBe(0);
      expect(groups.json()).toEqual(expect.arrayContaining([rg, otherRg]));
      const create = await az(['group', 'create', '-n', 'readerGroup', '-l', 'eastus'], reader.env);
      expect(create.code).not.toBe(0);
      expect(create.stderr).toContain('(AuthorizationFailed)');
      expect(create.stderr).toContain(`does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourcegroups/write' over scope '/subscriptions/${sub}/resourcegroups/readerGroup'`);
      const creds = await az(['aks', 'get-credentials', '-g', rg, '-n', 'c1', '--file', `${emu.dataDir}/reader-kubeconfig`], reader.env);
      expect(creds.code).not.toBe(0);
      expect(creds.stderr).toContain("perform action 'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action'");
      const shown = await az(['aks', 'show', '-g', rg, '-n', 'c1', '--query', 'name', '-o', 'tsv'], reader.env);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout.trim()).toBe('c1');
    }, 120_000);

    it('a Contributor of one resource group creates there and nowhere else', async () => {
      const c = await azAs(actors.rgContributor!, 'rgc');
      const tag = await az(['group', 'update', '-n', rg, '--tags', 'owner=rbac-test', '-o', 'none'], c.env);
      expect(tag.code, tag.stderr).toBe(0);
      const elsewhere = await az(['group', 'create', '-n', 'notMine', '-l', 'eastus'], c.env);
      expect(elsewhere.code).not.toBe(0);
      expect(elsewhere.stderr).toContain('(AuthorizationFailed)');
      const feature = await az(['feature', 'register', '--namespace', 'Microsoft.ContainerService', '--name', 'MutableFipsPreview'], c.env);
      expect(feature.code).not.toBe(0);
      expect(feature.stderr).toContain("perform action 'Microsoft.Features/providers/features/register/action'");
    }, 120_000);
  });
});
