/**
 * keyvault (vaults, set-policy, keys), identity and role assignment commands against a running instance
 * (SPEC V-1, V-2, I-1, I-2, K-5), with the real az 2.45 reading the same resources after
 * `aksemu az-setup`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { az } from '../../testkit/az.js';
import { spawnEmulator, type SpawnedEmulator } from '../../testkit/emulator.js';
import { haveCommand } from '../../testkit/optional.js';
import { aksemu, describeWithBackend, type CliEnv } from './support/cli.js';

const KID = /^https:\/\/mykeyvault\.vault\.azure\.net\/keys\/MyKeyName\/[0-9a-f]{32}$/;

describeWithBackend('keyvault/module.js', 'keyvault, identity and role assignment commands', () => {
  let emu: SpawnedEmulator;
  let env: CliEnv;
  let home: string;
  const run = (...args: string[]) => aksemu(env, args);

  beforeAll(async () => {
    emu = await spawnEmulator();
    home = mkdtempSync(join(tmpdir(), 'aksemu-cli-home-'));
    env = { dataDir: emu.dataDir, home };
    expect((await run('group', 'create', '-n', 'MyResourceGroup', '-l', 'eastus', '-o', 'none')).code).toBe(0);
  });
  afterAll(async () => {
    await emu?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('identity create/show/list/delete with the properties az prints at the top (SPEC I-1)', async () => {
    const created = await run('identity', 'create', '--name', 'MyIdentity', '--resource-group', 'MyResourceGroup');
    expect(created.code, created.stderr).toBe(0);
    const id = created.json();
    expect(id).toMatchObject({ name: 'MyIdentity', location: 'eastus', resourceGroup: 'MyResourceGroup', type: 'Microsoft.ManagedIdentity/userAssignedIdentities' });
    expect(id.principalId).toMatch(/^[0-9a-f-]{36}$/);
    expect(id.clientId).toMatch(/^[0-9a-f-]{36}$/);
    expect(id.properties).toBeUndefined();
    expect((await run('identity', 'show', '--name', 'MyIdentity', '--resource-group', 'MyResourceGroup', '--query', 'principalId', '-o', 'tsv')).stdout.trim()).toBe(id.principalId);
    expect((await run('identity', 'list', '-g', 'MyResourceGroup', '--query', '[].name', '-o', 'tsv')).stdout).toBe('MyIdentity\n');
    await run('identity', 'create', '-n', 'Temp', '-g', 'MyResourceGroup', '-o', 'none');
    expect((await run('identity', 'delete', '-n', 'Temp', '-g', 'MyResourceGroup')).code).toBe(0);
    expect((await run('identity', 'show', '-n', 'Temp', '-g', 'MyResourceGroup')).code).toBe(3);
  });

  it('keyvault create (access policies by default, the creator gets all permissions), show without -g, list', async () => {
    const created = await run('keyvault', 'create', '--name', 'MyKeyVault', '--resource-group', 'MyResourceGroup');
    expect(created.code, created.stderr).toBe(0);
    const vault = created.json();
    expect(vault.properties).toMatchObject({ enableRbacAuthorization: false, vaultUri: 'https://mykeyvault.vault.azure.net/', sku: { family: 'A', name: 'standard' } });
    const me = (await run('ad', 'signed-in-user', 'show', '--query', 'id', '-o', 'tsv')).stdout.trim();
    expect(vault.properties.accessPolicies).toEqual([expect.objectContaining({ objectId: me, permissions: expect.objectContaining({ keys: ['all'] }) })]);
    expect((await run('keyvault', 'show', '--name', 'MyKeyVault', '--query', 'resourceGroup', '-o', 'tsv')).stdout).toBe('MyResourceGroup\n');
    const again = await run('keyvault', 'create', '--name', 'MyKeyVault', '--resource-group', 'MyResourceGroup');
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('ERROR: The specified vault: MyKeyVault already exists\n');
    const missing = await run('keyvault', 'show', '--name', 'NoSuchVault');
    expect(missing.stderr).toBe("ERROR: The Vault 'NoSuchVault' not found within subscription.\n");
    expect((await run('keyvault', 'list', '--query', '[].name', '-o', 'tsv')).stdout).toBe('MyKeyVault\n');
  });

  it('keys: create, show key.kid, list, list-versions, rotate, delete, recover, purge (SPEC V-2)', async () => {
    const created = await run('keyvault', 'key', 'create', '--name', 'MyKeyName', '--vault-name', 'MyKeyVault');
    expect(created.code, created.stderr).toBe(0);
    const key = created.json();
    expect(key.key.kid).toMatch(KID);
    expect(key.key).toMatchObject({ kty: 'RSA', e: 'AQAB', keyOps: expect.arrayContaining(['encrypt', 'decrypt']) });
    expect(Buffer.from(key.key.n, 'base64').length).toBe(256);
    expect(key.attributes).toMatchObject({ enabled: true, recoveryLevel: expect.stringContaining('Recoverable'), created: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/) });
    const kid = (await run('keyvault', 'key', 'show', '--name', 'MyKeyName', '--vault-name', 'MyKeyVault', '--query', 'key.kid', '-o', 'tsv')).stdout.trim();
    expect(kid).toBe(key.key.kid);
    expect((await run('keyvault', 'key', 'show', '--id', kid, '--query', 'key.kid', '-o', 'tsv')).stdout.trim()).toBe(kid);
    const rotated = await run('keyvault', 'key', 'rotate', '--name', 'MyKeyName', '--vault-name', 'MyKeyVault', '--query', 'key.kid', '-o', 'tsv');
    expect(rotated.stdout.trim()).toMatch(KID);
    expect(rotated.stdout.trim()).not.toBe(kid);
    expect((await run('keyvault', 'key', 'list-versions', '--name', 'MyKeyName', '--vault-name', 'MyKeyVault', '--query', 'length(@)')).stdout.trim()).toBe('2');
    expect((await run('keyvault', 'key', 'list', '--vault-name', 'MyKeyVault', '--query', '[].name', '-o', 'tsv')).stdout).toBe('MyKeyName\n');

    await run('keyvault', 'key', 'create', '--name', 'Doomed', '--vault-name', 'MyKeyVault', '-o', 'none');
    const deleted = await run('keyvault', 'key', 'delete', '--name', 'Doomed', '--vault-name', 'MyKeyVault');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.json()).toMatchObject({ name: 'Doomed', recoveryId: 'https://mykeyvault.vault.azure.net/deletedkeys/Doomed' });
    const notFound = await run('keyvault', 'key', 'show', '--name', 'Doomed', '--vault-name', 'MyKeyVault');
    expect(notFound.code).toBe(3);
    expect(notFound.stderr).toMatch(/^ERROR: \(KeyNotFound\) /);
    expect((await run('keyvault', 'key', 'recover', '--name', 'Doomed', '--vault-name', 'MyKeyVault', '--query', 'key.kty', '-o', 'tsv')).stdout).toBe('RSA\n');
    await run('keyvault', 'key', 'delete', '--name', 'Doomed', '--vault-name', 'MyKeyVault', '-o', 'none');
    expect((await run('keyvault', 'key', 'purge', '--name', 'Doomed', '--vault-name', 'MyKeyVault')).code).toBe(0);
    expect((await run('keyvault', 'key', 'show-deleted', '--name', 'Doomed', '--vault-name', 'MyKeyVault')).code).toBe(3);
  });

  it('set-policy grants key permissions to the identity; an RBAC vault refuses policies (SPEC K-5)', async () => {
    const oid = (await run('identity', 'show', '--name', 'MyIdentity', '--resource-group', 'MyResourceGroup', '--query', 'principalId', '-o', 'tsv')).stdout.trim();
    const set = await run('keyvault', 'set-policy', '--name', 'MyKeyVault', '--key-permissions', 'decrypt', 'encrypt', '--object-id', oid);
    expect(set.code, set.stderr).toBe(0);
    expect(set.json().properties.accessPolicies).toContainEqual(expect.objectContaining({ objectId: oid, permissions: expect.objectContaining({ keys: ['decrypt', 'encrypt'] }) }));
    // --upn: the user by its sign-in name (Graph users?$filter=userPrincipalName eq), as az finds it.
    const me = (await run('ad', 'signed-in-user', 'show', '--query', 'id', '-o', 'tsv')).stdout.trim();
    const byUpn = await run('keyvault', 'set-policy', '--name', 'MyKeyVault', '--key-permissions', 'get', '--upn', emu.env.AKSEMU_USER!);
    expect(byUpn.code, byUpn.stderr).toBe(0);
    expect(byUpn.json().properties.accessPolicies).toContainEqual(expect.objectContaining({ objectId: me, permissions: expect.objectContaining({ keys: ['get'] }) }));
    const nobody = await run('keyvault', 'set-policy', '--name', 'MyKeyVault', '--key-permissions', 'get', '--upn', 'nobody@contoso.com');
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toBe("WARNING: Unable to find user with upn 'nobody@contoso.com'\nERROR: Unable to get object id from principal name.\n");
    const none = await run('keyvault', 'set-policy', '--name', 'MyKeyVault', '--object-id', oid);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^ERROR: specify at least one: --key-permissions, --secret-permissions, --certificate-permissions --storage-permissions/);

    const rbac = await run('keyvault', 'create', '--name', 'MyRbacVault', '--resource-group', 'MyResourceGroup', '--enable-rbac-authorization', 'true', '--query', 'id', '-o', 'tsv');
    expect(rbac.code, rbac.stderr).toBe(0);
    const refused = await run('keyvault', 'set-policy', '--name', 'MyRbacVault', '--key-permissions', 'decrypt', '--object-id', oid);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe("ERROR: Cannot set policies to a vault with '--enable-rbac-authorization' specified\n");
  });

  it('role assignment create/list/delete with role names at a vault scope (SPEC I-2)', async () => {
    const scope = (await run('keyvault', 'show', '-n', 'MyRbacVault', '--query', 'id', '-o', 'tsv')).stdout.trim();
    const oid = (await run('identity', 'show', '-n', 'MyIdentity', '-g', 'MyResourceGroup', '--query', 'principalId', '-o', 'tsv')).stdout.trim();
    const created = await run('role', 'assignment', 'create', '--role', 'Key Vault Crypto User', '--assignee-object-id', oid, '--assignee-principal-type', 'ServicePrincipal', '--scope', scope);
    expect(created.code, created.stderr).toBe(0);
    expect(created.json()).toMatchObject({ principalId: oid, principalType: 'ServicePrincipal', scope, roleDefinitionId: expect.stringMatching(/\/roleDefinitions\/12338af0-0e69-4776-bea7-57ae8d297424$/i) });
    const table = await run('role', 'assignment', 'list', '--scope', scope, '-o', 'table');
    expect(table.stdout).toMatch(/^Principal\s+Role\s+Scope$/m);
    expect(table.stdout).toContain('Key Vault Crypto User');
    const unknown = await run('role', 'assignment', 'create', '--role', 'No Such Role', '--assignee-object-id', oid, '--scope', scope);
    expect(unknown.stderr).toBe("ERROR: Role 'No Such Role' doesn't exist.\n");
    expect((await run('role', 'assignment', 'delete', '--assignee', oid, '--role', 'Key Vault Crypto User', '--scope', scope)).code).toBe(0);
    expect((await run('role', 'assignment', 'list', '--scope', scope, '--query', 'length(@)')).stdout.trim()).toBe('0');
  });

  it('keyvault update --public-network-access Disabled, delete and purge the vault (SPEC K-9)', async () => {
    const upd = await run('keyvault', 'update', '--name', 'MyKeyVault', '--resource-group', 'MyResourceGroup', '--public-network-access', 'Disabled', '--query', 'properties.publicNetworkAccess', '-o', 'tsv');
    expect(upd.code, upd.stderr).toBe(0);
    expect(upd.stdout).toBe('Disabled\n');
    await run('keyvault', 'create', '-n', 'TempVault', '-g', 'MyResourceGroup', '-o', 'none');
    expect((await run('keyvault', 'delete', '-n', 'TempVault')).code).toBe(0);
    expect((await run('keyvault', 'list-deleted', '--query', '[].name', '-o', 'tsv')).stdout).toContain('TempVault');
    const purged = await run('keyvault', 'purge', '-n', 'TempVault');
    expect(purged.code, purged.stderr).toBe(0);
    expect((await run('keyvault', 'list-deleted', '--query', '[].name', '-o', 'tsv')).stdout).not.toContain('TempVault');
  });

  it.runIf(haveCommand('az'))('the real az reads the same vault, keys and identity', async () => {
    expect((await run('az-setup')).code).toBe(0);
    const azEnv = { ...emu.env, HOME: home };
    const q = async (args: string[]) => {
      const [ours, theirs] = await Promise.all([run(...args), az(args, azEnv)]);
      expect(ours.code, `${args.join(' ')}: ${ours.stderr}`).toBe(theirs.code);
      expect(ours.stdout, args.join(' ')).toBe(theirs.stdout);
    };
    await q(['keyvault', 'show', '--name', 'MyKeyVault', '--query', '{id:id, uri:properties.vaultUri, rbac:properties.enableRbacAuthorization, policies:properties.accessPolicies[].objectId}']);
    await q(['identity', 'show', '--name', 'MyIdentity', '--resource-group', 'MyResourceGroup', '--query', '[principalId, clientId, tenantId, resourceGroup]', '-o', 'tsv']);
    // The columns az's table shows follow the api-version it calls (2.91 and the aksemu CLI add IsolationScope;
    // Debian's 2.45 does not): the same projection for any az.
    await q(['identity', 'list', '-g', 'MyResourceGroup', '--query', '[].{Name:name, Location:location, ClientId:clientId, PrincipalId:principalId, TenantId:tenantId}', '-o', 'table']);
    await q(['keyvault', 'show', '--name', 'MyKeyVault', '-g', 'MyResourceGroup', '--query', 'properties.accessPolicies[].permissions.keys']);
  });
});
