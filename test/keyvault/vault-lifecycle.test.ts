/**
 * Vault management rules (SPEC V-1): names (format, global uniqueness, reserved while soft-deleted), soft delete,
 * recovery with createMode recover, purge and purge protection, scheduled purge on the emulated clock, immutable
 * retention, validation errors as ARM 400s; and everything survives a restart (keys, access, private endpoints).
 */
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator } from '../../testkit/emulator.js';
import { getToken, httpsCall, testCa } from '../../testkit/http.js';

type Emu = Awaited<ReturnType<typeof startTestEmulator>>;

describe('vault lifecycle', () => {
  let emu: Emu;
  let arm: string;
  let sub: string;
  let oid: string;
  const armCall = (path: string, method = 'GET', body?: unknown) =>
    httpsCall(`${emu.url}${path}`, { method, headers: { authorization: `Bearer ${arm}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const vaultPath = (rg: string, name: string, v = '2023-07-01') => `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.KeyVault/vaults/${name}?api-version=${v}`;
  const props = (extra: Record<string, unknown> = {}) => ({
    tenantId: emu.env.AZURE_TENANT_ID,
    sku: { family: 'A', name: 'standard' },
    accessPolicies: [{ tenantId: emu.env.AZURE_TENANT_ID, objectId: oid, permissions: { keys: ['all'] } }],
    ...extra,
  });

  beforeAll(async () => {
    emu = await startTestEmulator();
    sub = emu.env.AZURE_SUBSCRIPTION_ID!;
    arm = await getToken(emu.url, emu.env);
    oid = JSON.parse(Buffer.from(arm.split('.')[1]!, 'base64url').toString()).oid;
    for (const rg of ['life-a', 'life-b']) await armCall(`/subscriptions/${sub}/resourcegroups/${rg}?api-version=2021-04-01`, 'PUT', { location: 'westeurope' });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('validates names and properties with ARM 400s', async () => {
    const bad = async (name: string, body: unknown, code: string, message: RegExp) => {
      const res = await armCall(vaultPath('life-a', name), 'PUT', body);
      expect(res.status, res.text).toBe(400);
      expect(res.json().error.code).toBe(code);
      expect(res.json().error.message).toMatch(message);
    };
    await bad('ab', { location: 'westeurope', properties: props() }, 'VaultNameNotValid', /between 3-24 alphanumeric/);
    await bad('a--b', { location: 'westeurope', properties: props() }, 'VaultNameNotValid', /consecutive hyphens/);
    await bad('1abc', { location: 'westeurope', properties: props() }, 'VaultNameNotValid', /begin with a letter/);
    await bad('kv-valid', { location: 'westeurope', properties: { sku: { family: 'A', name: 'standard' } } }, 'BadRequest', /tenantId' is required/);
    await bad('kv-valid', { location: 'westeurope', properties: props({ sku: { family: 'A', name: 'gold' } }) }, 'BadRequest', /SKU family must be 'A'/);
    await bad('kv-valid', { location: 'westeurope', properties: props({ softDeleteRetentionInDays: 3 }) }, 'BadRequest', /from 7 to 90 days/);
    await bad('kv-valid', { location: 'westeurope', properties: props({ enableSoftDelete: false }) }, 'BadRequest', /soft delete' functionality is mandatory/);
    await bad('kv-valid', { location: 'westeurope', properties: props({ accessPolicies: [{ tenantId: emu.env.AZURE_TENANT_ID, objectId: oid, permissions: { keys: ['teleport'] } }] }) }, 'BadRequest', /accessPolicies\[0\]\.permissions\.keys\[0\]: 'teleport'/);
    await bad('kv-valid', { location: 'westeurope', properties: props({ publicNetworkAccess: 'Sometimes' }) }, 'BadRequest', /publicNetworkAccess/);
    const missing = await armCall(vaultPath('life-a', 'kv-valid'), 'PUT', { properties: props() });
    expect(missing.status).toBe(400);
    const version = await armCall(vaultPath('life-a', 'kv-valid', '2014-01-01'), 'PUT', { location: 'westeurope', properties: props() });
    expect(version.json().error.code).toBe('NoRegisteredProviderFound');
    const name = await armCall(`/subscriptions/${sub}/providers/Microsoft.KeyVault/checkNameAvailability?api-version=2023-07-01`, 'POST', { name: 'kv-valid', type: 'Microsoft.KeyVault/vaults' });
    expect(name.json()).toEqual({ nameAvailable: true });
  });

  it('keeps names globally unique and reserved while soft-deleted; recovers and purges', async () => {
    const created = await armCall(vaultPath('life-a', 'kv-life', '2022-07-01'), 'PUT', { location: 'westeurope', properties: props({ softDeleteRetentionInDays: 7 }) });
    expect(created.status).toBe(200);
    expect(created.json().properties.vaultUri).toBe('https://kv-life.vault.azure.net/');
    // The api-version the Python SDK azure-mgmt-keyvault 14.1 sends reads the same vault.
    const newest = await armCall(vaultPath('life-a', 'kv-life', '2026-05-15'));
    expect(newest.status, newest.text).toBe(200);
    expect(newest.json().properties.vaultUri).toBe('https://kv-life.vault.azure.net/');
    const vaultToken = await getToken(emu.url, emu.env, 'https://vault.azure.net/.default');
    const key = await httpsCall(`${emu.url}/_vault/kv-life/keys/k/create?api-version=7.4`, { method: 'POST', headers: { authorization: `Bearer ${vaultToken}`, 'content-type': 'application/json' }, body: '{"kty":"RSA"}' });
    expect(key.status).toBe(200);
    expect((await armCall(vaultPath('life-b', 'KV-LIFE'), 'PUT', { location: 'westeurope', properties: props() })).json().error.code).toBe('VaultAlreadyExists');
    expect((await armCall(`/subscriptions/${sub}/providers/Microsoft.KeyVault/checkNameAvailability?api-version=2023-07-01`, 'POST', { name: 'kv-life' })).json()).toMatchObject({ nameAvailable: false, reason: 'AlreadyExists' });

    expect((await armCall(vaultPath('life-a', 'kv-life'), 'DELETE')).status).toBe(200);
    expect((await armCall(vaultPath('life-a', 'kv-life'))).status).toBe(404);
    expect((await httpsCall(`${emu.url}/_vault/kv-life/keys?api-version=7.4`, { headers: { authorization: `Bearer ${vaultToken}` } })).status).toBe(404);
    const deleted = await armCall(`/subscriptions/${sub}/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/kv-life?api-version=2023-07-01`);
    expect(deleted.status).toBe(200);
    expect(deleted.json().properties).toMatchObject({ vaultId: created.json().id, location: 'westeurope', purgeProtectionEnabled: false });
    expect(Date.parse(deleted.json().properties.scheduledPurgeDate) - Date.parse(deleted.json().properties.deletionDate)).toBe(7 * 86_400_000);
    const again = await armCall(vaultPath('life-b', 'kv-life'), 'PUT', { location: 'westeurope', properties: props() });
    expect(again.status).toBe(409);
    expect(again.json().error.code).toBe('ConflictError');

    const recovered = await armCall(vaultPath('life-a', 'kv-life'), 'PUT', { location: 'westeurope', properties: { createMode: 'recover' } });
    expect(recovered.status, recovered.text).toBe(200);
    expect((await httpsCall(`${emu.url}/_vault/kv-life/keys/k?api-version=7.4`, { headers: { authorization: `Bearer ${vaultToken}` } })).json().key.kid).toBe(key.json().key.kid);

    await armCall(vaultPath('life-a', 'kv-life'), 'DELETE');
    const purge = await armCall(`/subscriptions/${sub}/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/kv-life/purge?api-version=2023-07-01`, 'POST');
    expect(purge.status).toBe(202);
    await emu.core.tasks.idle();
    expect((await armCall(`/subscriptions/${sub}/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/kv-life?api-version=2023-07-01`)).status).toBe(404);
    // the name is free again, the keys are gone
    expect((await armCall(vaultPath('life-b', 'kv-life'), 'PUT', { location: 'westeurope', properties: props() })).status).toBe(200);
    expect((await httpsCall(`${emu.url}/_vault/kv-life/keys/k?api-version=7.4`, { headers: { authorization: `Bearer ${vaultToken}` } })).status).toBe(404);
  });

  it('honours purge protection and purges at the scheduled date on the emulated clock', async () => {
    const created = await armCall(vaultPath('life-a', 'kv-protected'), 'PUT', { location: 'westeurope', properties: props({ enablePurgeProtection: true, softDeleteRetentionInDays: 7 }) });
    expect(created.status).toBe(200);
    const off = await armCall(vaultPath('life-a', 'kv-protected'), 'PUT', { location: 'westeurope', properties: props({ enablePurgeProtection: false }) });
    expect(off.status).toBe(400);
    expect(off.json().error.message).toMatch(/irreversible/);
    const retention = await armCall(vaultPath('life-a', 'kv-protected'), 'PUT', { location: 'westeurope', properties: props({ softDeleteRetentionInDays: 30 }) });
    expect(retention.status).toBe(400);
    const vaultToken = await getToken(emu.url, emu.env, 'https://vault.azure.net/.default');
    const kv = (path: string, method = 'GET', body?: string) =>
      httpsCall(`${emu.url}/_vault/kv-protected${path}`, { method, headers: { authorization: `Bearer ${vaultToken}`, 'content-type': 'application/json' }, ...(body ? { body } : {}) });
    expect((await kv('/keys/k/create?api-version=7.4', 'POST', '{"kty":"RSA"}')).json().attributes.recoveryLevel).toBe('CustomizedRecoverable');
    expect((await kv('/keys/k?api-version=7.4', 'DELETE')).status).toBe(200);
    const purgeKey = await kv('/deletedkeys/k?api-version=7.4', 'DELETE');
    expect(purgeKey.status).toBe(403);
    expect(purgeKey.json().error.message).toMatch(/purge protection is enabled/);

    await armCall(vaultPath('life-a', 'kv-protected'), 'DELETE');
    const purge = await armCall(`/subscriptions/${sub}/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/kv-protected/purge?api-version=2023-07-01`, 'POST');
    expect(purge.status).toBe(409);
    emu.core.clock.advance(8 * 86_400_000);
    await new Promise((r) => setTimeout(r, 50));
    await emu.core.tasks.idle();
    expect((await armCall(`/subscriptions/${sub}/providers/Microsoft.KeyVault/deletedVaults?api-version=2023-07-01`)).json().value.map((v: { name: string }) => v.name)).not.toContain('kv-protected');
    expect((await armCall(`/subscriptions/${sub}/providers/Microsoft.KeyVault/checkNameAvailability?api-version=2023-07-01`, 'POST', { name: 'kv-protected' })).json().nameAvailable).toBe(true);
  });

  it('soft-deletes the vaults and removes the identities of a deleted resource group', async () => {
    await armCall(`/subscriptions/${sub}/resourcegroups/life-c?api-version=2021-04-01`, 'PUT', { location: 'westeurope' });
    expect((await armCall(vaultPath('life-c', 'kv-rgdel'), 'PUT', { location: 'westeurope', properties: props() })).status).toBe(200);
    const id = await armCall(`/subscriptions/${sub}/resourceGroups/life-c/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-rgdel?api-version=2023-01-31`, 'PUT', { location: 'westeurope' });
    expect(id.status).toBe(201);
    const principalId = id.json().properties.principalId;
    expect(await emu.core.directory.getByObjectId(principalId)).toBeDefined();
    expect((await armCall(`/subscriptions/${sub}/resourcegroups/life-c?api-version=2021-04-01`, 'DELETE')).status).toBe(202);
    // (tasks.idle() would wait for the vault's scheduled purge, 90 days away: poll the group instead)
    for (let i = 0; i < 100 && (await armCall(`/subscriptions/${sub}/resourcegroups/life-c?api-version=2021-04-01`)).status !== 404; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await armCall(`/subscriptions/${sub}/resourcegroups/life-c?api-version=2021-04-01`)).status).toBe(404);
    expect((await armCall(`/subscriptions/${sub}/providers/Microsoft.KeyVault/deletedVaults?api-version=2023-07-01`)).json().value.map((v: { name: string }) => v.name)).toContain('kv-rgdel');
    expect(await emu.core.directory.getByObjectId(principalId)).toBeUndefined();
  });

  it('keeps vaults, keys, identities and private endpoints across a restart', async () => {
    await armCall(vaultPath('life-a', 'kv-restart'), 'PUT', { location: 'westeurope', properties: props() });
    const vaultToken = await getToken(emu.url, emu.env, 'https://vault.azure.net/.default');
    const key = await httpsCall(`${emu.url}/_vault/kv-restart/keys/k/create?api-version=7.4`, { method: 'POST', headers: { authorization: `Bearer ${vaultToken}`, 'content-type': 'application/json' }, body: '{"kty":"RSA"}' });
    const path = new URL(key.json().key.kid).pathname;
    const enc = await httpsCall(`${emu.url}/_vault/kv-restart${path}/encrypt?api-version=7.4`, { method: 'POST', headers: { authorization: `Bearer ${vaultToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ alg: 'RSA-OAEP-256', value: Buffer.from('persist').toString('base64url') }) });
    const pe = await emu.services.keyVault.privateEndpoints.create({ subscriptionId: sub, resourceGroup: 'life-b', name: 'pe-restart', vaultName: 'kv-restart' });
    const doc = (await armCall(vaultPath('life-a', 'kv-restart'))).json();
    await armCall(vaultPath('life-a', 'kv-restart'), 'PUT', { ...doc, properties: { ...doc.properties, publicNetworkAccess: 'Disabled' } });

    const dataDir = emu.dataDir;
    await emu.close();
    emu = await startTestEmulator({ dataDir });
    arm = await getToken(emu.url, emu.env);
    const token2 = await getToken(emu.url, emu.env, 'https://vault.azure.net/.default');
    expect((await httpsCall(`${emu.url}/_vault/kv-restart/keys/k?api-version=7.4`, { headers: { authorization: `Bearer ${token2}` } })).status).toBe(403);
    const dec = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const body = JSON.stringify({ alg: 'RSA-OAEP-256', value: enc.json().value });
      const req = httpsRequest(
        {
          host: 'kv-restart.vault.azure.net',
          path: `${path}/decrypt?api-version=7.4`,
          method: 'POST',
          headers: { authorization: `Bearer ${token2}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          agent: Object.assign(new HttpsAgent(), { createConnection: () => tlsConnect({ socket: netConnect(pe.socketPath), servername: 'kv-restart.vault.azure.net', ca: testCa() }) }),
        },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(dec.status, dec.body).toBe(200);
    expect(Buffer.from(JSON.parse(dec.body).value, 'base64url').toString()).toBe('persist');
  });
});
