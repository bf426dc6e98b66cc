/**
 * The key lifecycle called directly (data-plane/lifecycle.ts): soft delete, deleted keys, recover, purge and purge
 * protection, backup and restore — and the RBAC decision of an RBAC vault (data-plane/auth.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cryptoOperation } from '../../src/keyvault/data-plane/crypto.js';
import { createKey, getKey } from '../../src/keyvault/data-plane/keys.js';
import { backupKey, deleteKey, getDeletedKey, listDeletedKeys, purgeKey, recoverKey, restoreKey } from '../../src/keyvault/data-plane/lifecycle.js';
import { alice, openWorld, refusal, vault, type OperationWorld } from './operation-fixture.js';

describe('Key Vault key lifecycle, called directly', () => {
  let w: OperationWorld;
  const kv = vault('kv-life');
  beforeAll(async () => {
    w = await openWorld();
  });
  afterAll(async () => {
    await w.close();
  });

  it('soft-deletes a key for the retention period, shows and lists it, recovers it', async () => {
    const created = (await createKey(w.deps, w.request(kv, 'create', { kty: 'EC' }), 'k1')).body as { key: { kid: string } };
    const deleted = (await deleteKey(w.deps, w.request(kv, 'delete'), 'k1')).body as { recoveryId: string; deletedDate: number; scheduledPurgeDate: number; key: { kid: string } };
    expect(deleted.recoveryId).toBe('https://kv-life.vault.azure.net/deletedkeys/k1');
    expect(deleted.scheduledPurgeDate - deleted.deletedDate).toBe(7 * 86_400);
    expect(deleted.key.kid).toBe(created.key.kid);
    expect((await refusal(getKey(w.deps, w.request(kv, 'get'), 'k1'))).code).toBe('KeyNotFound');
    const reuse = await refusal(createKey(w.deps, w.request(kv, 'create', { kty: 'EC' }), 'k1'));
    expect([reuse.status, reuse.innerCode]).toEqual([409, 'ObjectIsDeletedButRecoverable']);
    expect(((await getDeletedKey(w.deps, w.request(kv, 'getDeleted'), 'k1')).body as { recoveryId: string }).recoveryId).toBe(deleted.recoveryId);
    expect(((await listDeletedKeys(w.deps, w.request(kv, 'listDeleted'))).body as { value: Array<{ kid: string }> }).value.map((k) => k.kid)).toEqual(['https://kv-life.vault.azure.net/keys/k1']);
    expect(((await recoverKey(w.deps, w.request(kv, 'recover'), 'k1')).body as { key: { kid: string } }).key.kid).toBe(created.key.kid);
    expect((await getKey(w.deps, w.request(kv, 'get'), 'k1')).status).toBe(200);
    expect((await refusal(recoverKey(w.deps, w.request(kv, 'recover'), 'k1'))).message).toBe('Deleted Key not found: k1');
  });

  it('purges a deleted key unless the vault has purge protection; past its date it is gone by itself', async () => {
    await deleteKey(w.deps, w.request(kv, 'delete'), 'k1');
    const guarded = vault('kv-life', { purgeProtection: true });
    const e = await refusal(purgeKey(w.deps, w.request(guarded, 'purge'), 'k1'));
    expect([e.status, e.innerCode]).toEqual([403, 'ForbiddenByPolicy']);
    expect(e.message).toContain('purge protection is enabled');
    expect(await purgeKey(w.deps, w.request(kv, 'purge'), 'k1')).toEqual({ status: 204 });
    expect((await w.deps.keys.meta('kv-life', 'k1')).meta).toBeUndefined();

    await createKey(w.deps, w.request(kv, 'create', { kty: 'EC' }), 'k2');
    await deleteKey(w.deps, w.request(kv, 'delete'), 'k2');
    w.deps.clock.advance(8 * 86_400_000);
    expect((await refusal(getDeletedKey(w.deps, w.request(kv, 'getDeleted'), 'k2'))).message).toBe('Deleted Key not found: k2');
    expect((await w.deps.keys.meta('kv-life', 'k2')).meta).toBeUndefined();
  });

  it('backs up a key with every version and restores it, working, into a vault without it', async () => {
    await createKey(w.deps, w.request(kv, 'create', { kty: 'RSA' }), 'bk');
    const enc = (await cryptoOperation(w.deps, w.request(kv, 'encrypt', { alg: 'RSA-OAEP-256', value: 'c2VjcmV0' }), 'bk')).body as { value: string };
    const blob = (await backupKey(w.deps, w.request(kv, 'backup'), 'bk')).body as { value: string };
    expect(Buffer.from(blob.value, 'base64url').toString('latin1')).not.toContain('PRIVATE');
    const conflict = await refusal(restoreKey(w.deps, w.request(kv, 'restore', blob)));
    expect(conflict.status).toBe(409);
    await deleteKey(w.deps, w.request(kv, 'delete'), 'bk');
    await purgeKey(w.deps, w.request(kv, 'purge'), 'bk');
    const c = w.request(kv, 'restore', blob);
    expect((await restoreKey(w.deps, c)).status).toBe(200);
    expect(c.audit).toMatchObject({ op: 'KeyRestore', keyName: 'bk' });
    const dec = (await cryptoOperation(w.deps, w.request(kv, 'decrypt', { alg: 'RSA-OAEP-256', value: enc.value }), 'bk')).body as { value: string };
    expect(dec.value).toBe('c2VjcmV0');
    expect((await refusal(restoreKey(w.deps, w.request(kv, 'restore', { value: 'AAAA' })))).message).toBe('Backup blob contains invalid or corrupt version.');
    expect((await refusal(restoreKey(w.deps, w.request(kv, 'restore', { value: '%%%' })))).message).toBe("The parameter 'value' is not valid base64url.");
  });

  it('on an RBAC vault, needs a role assignment granting the data action at or above the key', async () => {
    const rbac = vault('kv-rbac', { rbac: true });
    const c = w.request(rbac, 'create', { kty: 'EC' });
    const e = await refusal(createKey(w.deps, c, 'rk'));
    expect([e.status, e.innerCode]).toEqual([403, 'ForbiddenByRbac']);
    expect(e.message).toContain("Action: 'Microsoft.KeyVault/vaults/keys/create/action'");
    expect(c.audit).toEqual({ op: 'KeyCreate', keyName: 'rk', rbac: false });
    // Key Vault Crypto Officer on the vault
    await w.deps.authz.ensure(rbac.id, '14b46e9e-c2b7-41b4-b07b-48a6ebf60603', alice.objectId, 'ServicePrincipal', new Date().toISOString());
    const ok = w.request(rbac, 'create', { kty: 'EC' });
    expect((await createKey(w.deps, ok, 'rk')).status).toBe(200);
    expect(ok.audit.rbac).toBe(true);
  });
});
