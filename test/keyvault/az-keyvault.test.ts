/**
 * Acceptance with the real Debian az 2.45 (SPEC V-1, I-1, K-5): `az keyvault create` (access-policy and
 * RBAC), `show`, `set-policy --key-permissions decrypt encrypt --object-id`, `update --public-network-access
 * Disabled`, `az identity create/show --query principalId -o tsv`. (`az keyvault key create` and `az role assignment
 * create` fail inside Debian's az before sending anything: see CLIENTS.md; its every `az keyvault key` command does,
 * so the key data plane is driven with `az rest`, which az signs for https://vault.azure.net.)
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { az, azLogin } from '../../testkit/az.js';
import { spawnEmulator, type SpawnedEmulator } from '../../testkit/emulator.js';
import { describeWith } from '../../testkit/optional.js';

describeWith(['az'], 'real az CLI: key vaults and identities', () => {
  let emu: SpawnedEmulator;
  beforeAll(async () => {
    emu = await spawnEmulator();
    await azLogin(emu.env);
    const rg = await az(['group', 'create', '-n', 'kv-az', '-l', 'eastus', '-o', 'none'], emu.env);
    expect(rg.code, rg.stderr).toBe(0);
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it('creates user-assigned identities and shows their principalId', async () => {
    const created = await az(['identity', 'create', '-g', 'kv-az', '-n', 'kms-id'], emu.env);
    expect(created.code, created.stderr).toBe(0);
    expect(created.json()).toMatchObject({ name: 'kms-id', type: 'Microsoft.ManagedIdentity/userAssignedIdentities', tenantId: emu.env.AZURE_TENANT_ID });
    const principalId = await az(['identity', 'show', '-g', 'kv-az', '-n', 'kms-id', '--query', 'principalId', '-o', 'tsv'], emu.env);
    expect(principalId.code, principalId.stderr).toBe(0);
    expect(principalId.stdout.trim()).toBe(created.json().principalId);
    expect(principalId.stdout.trim()).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('creates an access-policy vault, sets a key policy for an identity, and disables public access', async () => {
    const created = await az(['keyvault', 'create', '-g', 'kv-az', '-n', 'kv-az-policy', '-l', 'eastus'], emu.env);
    expect(created.code, created.stderr).toBe(0);
    const vault = created.json();
    expect(vault.properties.vaultUri).toBe('https://kv-az-policy.vault.azure.net/');
    expect(vault.properties.enableRbacAuthorization).toBe(false);
    // az adds the signed-in principal with full permissions (found through Graph)
    expect(vault.properties.accessPolicies).toHaveLength(1);
    expect(vault.properties.accessPolicies[0].permissions.keys).toEqual(['all']);

    const principalId = (await az(['identity', 'show', '-g', 'kv-az', '-n', 'kms-id', '--query', 'principalId', '-o', 'tsv'], emu.env)).stdout.trim();
    const policy = await az(['keyvault', 'set-policy', '-n', 'kv-az-policy', '--key-permissions', 'decrypt', 'encrypt', '--object-id', principalId], emu.env);
    expect(policy.code, policy.stderr).toBe(0);
    const shown = await az(['keyvault', 'show', '-n', 'kv-az-policy'], emu.env);
    expect(shown.code, shown.stderr).toBe(0);
    const entry = shown.json().properties.accessPolicies.find((p: { objectId: string }) => p.objectId === principalId);
    expect(entry.permissions.keys.sort()).toEqual(['decrypt', 'encrypt']);

    const updated = await az(['keyvault', 'update', '-n', 'kv-az-policy', '-g', 'kv-az', '--public-network-access', 'Disabled'], emu.env);
    expect(updated.code, updated.stderr).toBe(0);
    const pna = await az(['keyvault', 'show', '-n', 'kv-az-policy', '--query', 'properties.publicNetworkAccess', '-o', 'tsv'], emu.env);
    expect(pna.stdout.trim()).toBe('Disabled');
  });

  it('creates an RBAC vault and refuses a name that is taken in another resource group', async () => {
    const created = await az(['keyvault', 'create', '-g', 'kv-az', '-n', 'kv-az-rbac', '-l', 'eastus', '--enable-rbac-authorization', 'true'], emu.env);
    expect(created.code, created.stderr).toBe(0);
    expect(created.json().properties.enableRbacAuthorization).toBe(true);
    expect(created.json().properties.accessPolicies).toEqual([]);
    await az(['group', 'create', '-n', 'kv-az-other', '-l', 'westeurope', '-o', 'none'], emu.env);
    const clash = await az(['keyvault', 'create', '-g', 'kv-az-other', '-n', 'kv-az-rbac', '-l', 'westeurope'], emu.env);
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toContain('VaultAlreadyExists');
    const list = await az(['keyvault', 'list', '-g', 'kv-az', '--query', '[].name', '-o', 'tsv'], emu.env);
    expect(list.stdout.trim().split('\n').sort()).toEqual(['kv-az-policy', 'kv-az-rbac']);
  });

  it('SPEC V-3: a disabled key refuses encrypt, wrapKey and verify too (az rest), and works again once enabled', async () => {
    const created = await az(['keyvault', 'create', '-g', 'kv-az', '-n', 'kv-az-states', '-l', 'eastus', '-o', 'none'], emu.env);
    expect(created.code, created.stderr).toBe(0);
    const url = 'https://kv-az-states.vault.azure.net/keys/k1';
    const rest = (method: string, path: string, body: unknown) =>
      az(['rest', '--method', method, '--url', `${url}${path}?api-version=7.4`, '--resource', 'https://vault.azure.net', '--body', JSON.stringify(body)], emu.env);
    expect((await rest('post', '/create', { kty: 'RSA' })).code).toBe(0);
    const digest = Buffer.alloc(32, 7).toString('base64url');
    const signed = await rest('post', '/sign', { alg: 'RS256', value: digest });
    expect(signed.code, signed.stderr).toBe(0);
    const calls = {
      encrypt: () => rest('post', '/encrypt', { alg: 'RSA-OAEP-256', value: 'aGVsbG8' }),
      wrapKey: () => rest('post', '/wrapkey', { alg: 'RSA-OAEP-256', value: 'aGVsbG8' }),
      verify: () => rest('post', '/verify', { alg: 'RS256', digest, value: signed.json().value }),
    };
    const disabled = await rest('patch', '', { attributes: { enabled: false } });
    expect(disabled.json().attributes.enabled).toBe(false);
    for (const [op, call] of Object.entries(calls)) {
      const r = await call();
      expect(r.code, op).not.toBe(0);
      expect(JSON.parse(r.stderr.slice(r.stderr.indexOf('{'), r.stderr.lastIndexOf('}') + 1))).toEqual({
        error: { code: 'Forbidden', message: `Operation ${op} is not allowed on a disabled key.`, innererror: { code: 'KeyDisabled' } },
      });
    }
    expect((await rest('patch', '', { attributes: { enabled: true } })).code).toBe(0);
    for (const [op, call] of Object.entries(calls)) expect((await call()).code, op).toBe(0);
    expect((await calls.verify()).json().value).toBe(true);
  });
});
