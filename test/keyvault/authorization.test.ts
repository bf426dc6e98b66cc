/**
 * Acceptance: @azure/arm-keyvault, @azure/arm-msi and @azure/arm-authorization create vaults, identities
 * and role assignments; a managed identity (acting through ManagedIdentityCredential and aksemu's App Service-style
 * endpoint, set up with `aksemu env --identity`) gets 403 on decrypt, gets through after set-policy (access policy
 * vault) or a "Key Vault Crypto User" assignment (RBAC vault), and is denied again after removal (SPEC V-4, I-1..3).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { KeyVaultManagementClient } from '@azure/arm-keyvault';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { ManagedIdentityCredential } from '@azure/identity';
import { CryptographyClient, KeyClient } from '@azure/keyvault-keys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, spawnEmulator, useEnvironment, type SpawnedEmulator } from '../../testkit/emulator.js';
import { getToken, httpsCall } from '../../testkit/http.js';
import { createVault, defaultCredential } from './helpers.js';

const run = promisify(execFile);

/** The Key Vault error body of a failed SDK call (RestError from the typespec runtime or core-rest-pipeline). */
function kvError(err: unknown): { code: string; message: string; innererror?: { code: string } } {
  const e = err as { details?: { error?: unknown }; response?: { bodyAsText?: string } };
  const body = (e.details as { error?: unknown } | undefined)?.error ? e.details : JSON.parse(e.response?.bodyAsText ?? '{}');
  const error = (body as { error: { code: string; message: string; innererror?: { code: string }; innerError?: { code: string } } }).error;
  // the SDK deserializes Key Vault's `innererror` as `innerError`
  return { ...error, innererror: error.innererror ?? error.innerError };
}

/** `aksemu env --identity X` parsed into name → value (and the unset lines). */
async function identityEnv(dataDir: string, identity: string): Promise<{ env: Record<string, string>; unset: string[] }> {
  const { stdout } = await run(process.execPath, [CLI, 'env', '--data-dir', dataDir, '--identity', identity]);
  const env: Record<string, string> = {};
  const unset: string[] = [];
  for (const line of stdout.trim().split('\n')) {
    const m = /^export ([A-Z_a-z]+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1');
    const u = /^unset (\w+)$/.exec(line);
    if (u) unset.push(u[1]!);
  }
  return { env, unset };
}

describe('vaults, identities and role assignments with the ARM SDKs', () => {
  let emu: SpawnedEmulator;
  let sub: string;
  let identity: { id: string; principalId: string; clientId: string };
  let asIdentity: ManagedIdentityCredential;

  beforeAll(async () => {
    emu = await spawnEmulator();
    useEnvironment(emu.env);
    sub = emu.env.AZURE_SUBSCRIPTION_ID!;
    await createVault(emu.env, 'authz-rg', 'kv-policy');
    await createVault(emu.env, 'authz-rg', 'kv-rbac', { rbac: true });
    const msi = new ManagedServiceIdentityClient(defaultCredential(emu.env), sub);
    const created = await msi.userAssignedIdentities.createOrUpdate('authz-rg', 'kms-identity', { location: 'eastus' });
    identity = { id: created.id!, principalId: created.principalId!, clientId: created.clientId! };
    const { env, unset } = await identityEnv(emu.dataDir, 'kms-identity');
    expect(unset).toContain('AZURE_CLIENT_SECRET');
    expect(env.AZURE_CLIENT_ID).toBe(identity.clientId);
    expect(env.IDENTITY_ENDPOINT).toBe(`${emu.env.AKSEMU_URL}/_msi/token`);
    process.env.IDENTITY_ENDPOINT = env.IDENTITY_ENDPOINT;
    process.env.IDENTITY_HEADER = env.IDENTITY_HEADER;
    asIdentity = new ManagedIdentityCredential({ clientId: identity.clientId });
  });
  afterAll(async () => {
    delete process.env.IDENTITY_ENDPOINT;
    delete process.env.IDENTITY_HEADER;
    await emu?.stop();
  });

  it('creates and shows user-assigned identities that are directory principals', async () => {
    const msi = new ManagedServiceIdentityClient(defaultCredential(emu.env), sub);
    const shown = await msi.userAssignedIdentities.get('authz-rg', 'kms-identity');
    expect(shown).toMatchObject({ name: 'kms-identity', type: 'Microsoft.ManagedIdentity/userAssignedIdentities', tenantId: emu.env.AZURE_TENANT_ID, principalId: identity.principalId, clientId: identity.clientId });
    const token = await asIdentity.getToken('https://vault.azure.net/.default');
    const claims = JSON.parse(Buffer.from(token.token.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ oid: identity.principalId, appid: identity.clientId, xms_mirid: identity.id, aud: 'https://vault.azure.net' });
  });

  it('refuses the identity endpoint without the right secret', async () => {
    const url = `${process.env.IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=https://vault.azure.net`;
    expect((await httpsCall(url)).status).toBe(401);
    const forged = process.env.IDENTITY_HEADER!.slice(0, -2) + (process.env.IDENTITY_HEADER!.endsWith('AA') ? 'AB' : 'AA');
    const res = await httpsCall(url, { headers: { 'x-identity-header': forged } });
    expect(res.status).toBe(401);
    expect(res.json().error).toBe('invalid_request');
    const wrongId = await httpsCall(`${url}&client_id=${emu.env.AZURE_CLIENT_ID}`, { headers: { 'x-identity-header': process.env.IDENTITY_HEADER! } });
    expect(wrongId.status).toBe(400);
  });

  it('hands the identity header to a caller allowed to assign the identity, and only to such a caller', async () => {
    const armToken = await getToken(emu.url, emu.env);
    const ok = await httpsCall(`${emu.url}/_msi/credentials`, { method: 'POST', headers: { authorization: `Bearer ${armToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ resourceId: identity.id }) });
    expect(ok.status).toBe(200);
    expect(ok.json()).toMatchObject({ IDENTITY_HEADER: process.env.IDENTITY_HEADER, AZURE_CLIENT_ID: identity.clientId });
    const own = (await asIdentity.getToken('https://management.azure.com/.default')).token;
    const refused = await httpsCall(`${emu.url}/_msi/credentials`, { method: 'POST', headers: { authorization: `Bearer ${own}`, 'content-type': 'application/json' }, body: JSON.stringify({ resourceId: identity.id }) });
    expect(refused.status).toBe(403);
    expect(refused.json().error.code).toBe('AuthorizationFailed');
    const unknown = await run(process.execPath, [CLI, 'env', '--data-dir', emu.dataDir, '--identity', 'no-such-identity']).catch((e: { code: number; stderr: string }) => e);
    expect((unknown as { code: number }).code).not.toBe(0);
    expect((unknown as { stderr: string }).stderr).toContain("no user-assigned identity named 'no-such-identity'");
  });

  it('access-policy vault: 403 ForbiddenByPolicy, allowed after an access policy, denied after its removal', async () => {
    const key = await new KeyClient('https://kv-policy.vault.azure.net/', defaultCredential(emu.env)).createRsaKey('kek');
    const mine = new CryptographyClient(key.id!, defaultCredential(emu.env));
    const ciphertext = (await mine.encrypt({ algorithm: 'RSA-OAEP-256', plaintext: Buffer.from('dek') })).result;
    const theirs = new CryptographyClient(key.id!, asIdentity);
    await expect(theirs.decrypt({ algorithm: 'RSA-OAEP-256', ciphertext })).rejects.toMatchObject({ statusCode: 403, code: 'Forbidden' });
    try {
      await theirs.decrypt({ algorithm: 'RSA-OAEP-256', ciphertext });
    } catch (err) {
      const body = kvError(err);
      expect(body.innererror?.code).toBe('ForbiddenByPolicy');
      expect(body.message).toContain(`oid=${identity.principalId}`);
      expect(body.message).toContain('does not have keys decrypt permission on key vault');
    }
    const kv = new KeyVaultManagementClient(defaultCredential(emu.env), sub);
    await kv.vaults.updateAccessPolicy('authz-rg', 'kv-policy', 'add', {
      properties: { accessPolicies: [{ tenantId: emu.env.AZURE_TENANT_ID!, objectId: identity.principalId, permissions: { keys: ['encrypt', 'decrypt'] } }] },
    });
    expect(Buffer.from((await theirs.decrypt({ algorithm: 'RSA-OAEP-256', ciphertext })).result).toString()).toBe('dek');
    // encrypt/decrypt only: no 'get'
    await expect(new KeyClient('https://kv-policy.vault.azure.net/', asIdentity).getKey('kek')).rejects.toMatchObject({ statusCode: 403 });
    await kv.vaults.updateAccessPolicy('authz-rg', 'kv-policy', 'remove', {
      properties: { accessPolicies: [{ tenantId: emu.env.AZURE_TENANT_ID!, objectId: identity.principalId, permissions: { keys: ['encrypt', 'decrypt'] } }] },
    });
    const vault = await kv.vaults.get('authz-rg', 'kv-policy');
    expect(vault.properties.accessPolicies?.map((p) => p.objectId)).not.toContain(identity.principalId);
    await expect(theirs.decrypt({ algorithm: 'RSA-OAEP-256', ciphertext })).rejects.toMatchObject({ statusCode: 403 });
  });

  it('RBAC vault: the Owner needs a data role too; Key Vault Crypto User allows, removal denies again', async () => {
    const vaultId = `/subscriptions/${sub}/resourceGroups/authz-rg/providers/Microsoft.KeyVault/vaults/kv-rbac`;
    const owner = new KeyClient('https://kv-rbac.vault.azure.net/', defaultCredential(emu.env));
    const denied = await owner.createRsaKey('kek').catch((e: { statusCode: number; response: { bodyAsText: string } }) => e);
    expect((denied as { statusCode: number }).statusCode).toBe(403);
    expect(kvError(denied).innererror?.code).toBe('ForbiddenByRbac');

    const authz = new AuthorizationManagementClient(defaultCredential(emu.env), sub);
    const roles: Record<string, string> = {};
    for (const name of ['Key Vault Crypto Officer', 'Key Vault Crypto User']) {
      for await (const r of authz.roleDefinitions.list(vaultId, { filter: `roleName eq '${name}'` })) roles[name] = r.id!;
    }
    expect(roles['Key Vault Crypto User']).toMatch(/\/roleDefinitions\/12338af0-0e69-4776-bea7-57ae8d297424$/);
    const ownerOid = JSON.parse(Buffer.from((await getToken(emu.url, emu.env)).split('.')[1]!, 'base64url').toString()).oid;
    await authz.roleAssignments.create(vaultId, '0b5d1d51-6f77-4a8b-9e4e-2f5b1d9f0a01', { roleDefinitionId: roles['Key Vault Crypto Officer']!, principalId: ownerOid, principalType: 'ServicePrincipal' });
    const key = await owner.createRsaKey('kek');
    const ciphertext = (await new CryptographyClient(key.id!, defaultCredential(emu.env)).encrypt({ algorithm: 'RSA-OAEP-256', plaintext: Buffer.from('dek') })).result;

    const theirs = new CryptographyClient(key.id!, asIdentity);
    await expect(theirs.decrypt({ algorithm: 'RSA-OAEP-256', ciphertext })).rejects.toMatchObject({ statusCode: 403 });
    // a principal type that does not match the directory is refused
    await expect(
      authz.roleAssignments.create(vaultId, '7c2a3f0e-1111-4a8b-9e4e-2f5b1d9f0a02', { roleDefinitionId: roles['Key Vault Crypto User']!, principalId: identity.principalId, principalType: 'User' }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'UnmatchedPrincipalType' });
    const assignment = await authz.roleAssignments.create(vaultId, '7c2a3f0e-2222-4a8b-9e4e-2f5b1d9f0a02', {
      roleDefinitionId: roles['Key Vault Crypto User']!,
      principalId: identity.principalId,
      principalType: 'ServicePrincipal',
    });
    expect(assignment.scope).toBe(vaultId);
    expect(Buffer.from((await theirs.decrypt({ algorithm: 'RSA-OAEP-256', ciphertext })).result).toString()).toBe('dek');
    // Crypto User cannot create keys
    await expect(new KeyClient('https://kv-rbac.vault.azure.net/', asIdentity).createRsaKey('other')).rejects.toMatchObject({ statusCode: 403 });
    const listed: string[] = [];
    for await (const a of authz.roleAssignments.listForScope(vaultId, { filter: `assignedTo('${identity.principalId}')` })) listed.push(a.name!);
    expect(listed).toEqual(['7c2a3f0e-2222-4a8b-9e4e-2f5b1d9f0a02']);
    await authz.roleAssignments.delete(vaultId, '7c2a3f0e-2222-4a8b-9e4e-2f5b1d9f0a02');
    await expect(theirs.decrypt({ algorithm: 'RSA-OAEP-256', ciphertext })).rejects.toMatchObject({ statusCode: 403 });

    // inherited from the resource group scope
    const rgScope = `/subscriptions/${sub}/resourceGroups/authz-rg`;
    await authz.roleAssignments.create(rgScope, '7c2a3f0e-3333-4a8b-9e4e-2f5b1d9f0a02', { roleDefinitionId: roles['Key Vault Crypto User']!, principalId: identity.principalId, principalType: 'ServicePrincipal' });
    expect(Buffer.from((await theirs.decrypt({ algorithm: 'RSA-OAEP-256', ciphertext })).result).toString()).toBe('dek');
    await authz.roleAssignments.delete(rgScope, '7c2a3f0e-3333-4a8b-9e4e-2f5b1d9f0a02');
    // at the key's own scope
    await authz.roleAssignments.create(`${vaultId}/keys/kek`, '7c2a3f0e-4444-4a8b-9e4e-2f5b1d9f0a02', { roleDefinitionId: roles['Key Vault Crypto User']!, principalId: identity.principalId, principalType: 'ServicePrincipal' });
    expect(Buffer.from((await theirs.decrypt({ algorithm: 'RSA-OAEP-256', ciphertext })).result).toString()).toBe('dek');
  });

  it('the management plane refuses an identity without a role (AuthorizationFailed) and role assignment errors are Azure\'s', async () => {
    const asId = new KeyVaultManagementClient(asIdentity, sub);
    await expect(asId.vaults.get('authz-rg', 'kv-rbac')).rejects.toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
    const authz = new AuthorizationManagementClient(defaultCredential(emu.env), sub);
    const scope = `/subscriptions/${sub}/resourceGroups/authz-rg`;
    const reader = `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`;
    await expect(authz.roleAssignments.create(scope, 'not-a-guid', { roleDefinitionId: reader, principalId: identity.principalId })).rejects.toMatchObject({ statusCode: 400, code: 'InvalidRoleAssignmentId' });
    await expect(
      authz.roleAssignments.create(scope, '9d0f0e4c-5555-4a8b-9e4e-2f5b1d9f0a02', { roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/00000000-0000-0000-0000-000000000001`, principalId: identity.principalId }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'RoleDefinitionDoesNotExist' });
    await expect(authz.roleAssignments.create(scope, '9d0f0e4c-6666-4a8b-9e4e-2f5b1d9f0a02', { roleDefinitionId: reader, principalId: '11111111-2222-3333-4444-555555555555' })).rejects.toMatchObject({ statusCode: 400, code: 'PrincipalNotFound' });
    await authz.roleAssignments.create(scope, '9d0f0e4c-7777-4a8b-9e4e-2f5b1d9f0a02', { roleDefinitionId: reader, principalId: identity.principalId, principalType: 'ServicePrincipal' });
    await expect(authz.roleAssignments.create(scope, '9d0f0e4c-8888-4a8b-9e4e-2f5b1d9f0a02', { roleDefinitionId: reader, principalId: identity.principalId, principalType: 'ServicePrincipal' })).rejects.toMatchObject({ statusCode: 409, code: 'RoleAssignmentExists' });
    expect((await asId.vaults.get('authz-rg', 'kv-rbac')).name).toBe('kv-rbac');
    // Reader cannot write, and cannot assign roles
    await expect(asId.vaults.update('authz-rg', 'kv-rbac', { properties: { publicNetworkAccess: 'Disabled' } })).rejects.toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
    const authzAsId = new AuthorizationManagementClient(asIdentity, sub);
    await expect(authzAsId.roleAssignments.create(scope, '9d0f0e4c-9999-4a8b-9e4e-2f5b1d9f0a02', { roleDefinitionId: reader, principalId: identity.principalId, principalType: 'ServicePrincipal' })).rejects.toMatchObject({ statusCode: 403 });
  });
});
