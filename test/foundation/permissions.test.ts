/**
 * SPEC I-2: `Microsoft.Authorization/permissions` at a resource group and at a resource answers the caller's own
 * effective permissions there: the permission blocks of the roles assigned to it at that scope or above, nothing
 * from assignments elsewhere; a caller without a role gets an empty list, never a 403.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, startTestEmulator } from '../../testkit/emulator.js';
import { getToken, httpsCall } from '../../testkit/http.js';

const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const CONTRIBUTOR = 'b24988ac-6180-42a0-ab88-20f7382dd24c';
const KV_SECRETS_USER = '4633458b-17de-408a-b874-0445c86b69e6';

describe("the caller's permissions at a scope", () => {
  let emu: Awaited<ReturnType<typeof startTestEmulator>>;
  let sub: string;
  let owner: string;
  const call = (token: string, method: string, path: string, body?: unknown) =>
    httpsCall(`${emu.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  async function principal(roles: Array<[string, string]>): Promise<string> {
    const p = await emu.core.directory.createPrincipal({ displayName: `p-${randomUUID().slice(0, 6)}`, type: 'ServicePrincipal' });
    const secret = `s-${randomUUID()}`;
    await emu.core.directory.addSecret(p.appId, secret);
    for (const [role, scope] of roles) {
      const r = await call(owner, 'PUT', `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, {
        properties: { roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${role}`, principalId: p.objectId, principalType: 'ServicePrincipal' },
      });
      expect(r.status, r.text).toBe(201);
    }
    return getToken(emu.url, { ...emu.env, AZURE_CLIENT_ID: p.appId, AZURE_CLIENT_SECRET: secret });
  }
  const rg = (name: string) => `/subscriptions/${sub}/resourceGroups/${name}`;
  const identity = (group: string) => `${rg(group)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1`;
  const permissions = async (token: string, scope: string, api = '2022-04-01') => {
    const r = await call(token, 'GET', `${scope}/providers/Microsoft.Authorization/permissions?api-version=${api}`);
    expect(r.status, r.text).toBe(200);
    return r.json().value as Array<Record<string, string[]>>;
  };

  beforeAll(async () => {
    emu = await startTestEmulator();
    sub = emu.info.subscriptionId;
    owner = await getToken(emu.url, emu.env);
    for (const g of ['a', 'b']) {
      expect((await call(owner, 'PUT', `${rg(g)}?api-version=2021-04-01`, { location: 'eastus' })).status).toBe(201);
      expect((await call(owner, 'PUT', `${identity(g)}?api-version=2023-01-31`, { location: 'eastus' })).status).toBe(201);
    }
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('a Reader of the subscription reads its Reader permissions in every group and resource', async () => {
    const token = await principal([[READER, `/subscriptions/${sub}`]]);
    expect(await permissions(token, rg('a'))).toEqual([{ actions: ['*/read'], notActions: [], dataActions: [], notDataActions: [] }]);
    expect(await permissions(token, identity('b'))).toEqual([{ actions: ['*/read'], notActions: [], dataActions: [], notDataActions: [] }]);
  });

  it('roles of one group count there and below, not in another group; data actions show from 2018 on', async () => {
    const token = await principal([[CONTRIBUTOR, rg('a')], [KV_SECRETS_USER, identity('a')]]);
    const atGroup = await permissions(token, rg('a'));
    expect(atGroup).toHaveLength(1);
    expect(atGroup[0]!.actions).toEqual(['*']);
    expect(atGroup[0]!.notActions).toEqual(expect.arrayContaining(['Microsoft.Authorization/*/Delete', 'Microsoft.Authorization/*/Write']));
    const atResource = await permissions(token, identity('a'));
    expect(atResource).toHaveLength(2);
    expect(atResource.flatMap((p) => p.dataActions)).toContain('Microsoft.KeyVault/vaults/secrets/getSecret/action');
    expect(await permissions(token, rg('b'))).toEqual([]);
    const old = await permissions(token, identity('a'), '2015-07-01');
    expect(old.map((p) => Object.keys(p).sort())).toEqual([['actions', 'notActions'], ['actions', 'notActions']]);
  });

  it('a caller without a role gets an empty list; an unknown group is a 404', async () => {
    const token = await principal([]);
    expect(await permissions(token, rg('a'))).toEqual([]);
    const missing = await call(token, 'GET', `${rg('nope')}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`);
    expect(missing.status).toBe(404);
    expect(missing.json().error.code).toBe('ResourceGroupNotFound');
  });
});
