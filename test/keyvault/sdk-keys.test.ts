/**
 * Acceptance: @azure/keyvault-keys KeyClient and CryptographyClient, authenticated with @azure/identity
 * through aksemu's proxy and local CA, run the key lifecycle (SPEC V-2, V-3), and the cryptography is real:
 * ciphertexts and signatures interoperate with node:crypto in both directions.
 */
import { constants, createHash, createPublicKey, generateKeyPairSync, privateDecrypt, publicEncrypt, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { CryptographyClient, KeyClient, type JsonWebKey } from '@azure/keyvault-keys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { spawnEmulator, useEnvironment, type SpawnedEmulator } from '../../testkit/emulator.js';

/** ECDSA over a digest needs @noble/curves (node:crypto cannot sign a precomputed digest with ECDSA). */
const haveNoble = (() => {
  try {
    createRequire(import.meta.url).resolve('@noble/curves/p256');
    return true;
  } catch {
    process.stderr.write('SKIP ES256/ES384 signatures: @noble/curves is not installed (requested as a dependency)\n');
    return false;
  }
})();
import { createVault, defaultCredential } from './helpers.js';

describe('@azure/keyvault-keys against aksemu', () => {
  let emu: SpawnedEmulator;
  let keys: KeyClient;
  const vaultUrl = 'https://kv-sdk-test.vault.azure.net/';
  beforeAll(async () => {
    emu = await spawnEmulator();
    useEnvironment(emu.env);
    const vault = await createVault(emu.env, 'kv-sdk', 'kv-sdk-test', { sku: 'premium', retentionDays: 7 });
    expect(vault.properties.vaultUri).toBe(vaultUrl);
    keys = new KeyClient(vaultUrl, defaultCredential(emu.env));
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it('creates RSA, RSA-HSM and EC keys with Key Vault kids', async () => {
    const rsa = await keys.createRsaKey('rsa-key', { keySize: 2048 });
    expect(rsa.id).toMatch(/^https:\/\/kv-sdk-test\.vault\.azure\.net\/keys\/rsa-key\/[0-9a-f]{32}$/);
    expect(rsa.keyType).toBe('RSA');
    expect(rsa.key?.n?.length).toBe(256);
    expect(rsa.keyOperations).toEqual(['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey']);
    expect(rsa.properties.enabled).toBe(true);
    expect(rsa.properties.recoveryLevel).toBe('CustomizedRecoverable+Purgeable');
    const hsm = await keys.createRsaKey('hsm-key', { hsm: true, keySize: 3072 });
    expect(hsm.keyType).toBe('RSA-HSM');
    expect(hsm.key?.n?.length).toBe(384);
    const big = await keys.createRsaKey('rsa-4096', { keySize: 4096 });
    expect(big.key?.n?.length).toBe(512);
    expect((await keys.createEcKey('ec-521', { curve: 'P-521' })).key?.crv).toBe('P-521');
    const ec = await keys.createEcKey('ec-key', { curve: 'P-384' });
    expect(ec.keyType).toBe('EC');
    expect(ec.key?.crv).toBe('P-384');
    expect(ec.keyOperations).toEqual(['sign', 'verify']);
  });

  it('gets latest and by version, lists keys and versions, updates and rotates', async () => {
    const v1 = await keys.createRsaKey('life', { tags: { team: 'a' } });
    const v2 = await keys.rotateKey('life');
    expect(v2.properties.version).not.toBe(v1.properties.version);
    expect(v2.properties.tags).toEqual({ team: 'a' });
    expect((await keys.getKey('life')).properties.version).toBe(v2.properties.version);
    expect((await keys.getKey('life', { version: v1.properties.version! })).key?.n).toEqual(v1.key?.n);
    const versions: string[] = [];
    for await (const p of keys.listPropertiesOfKeyVersions('life')) versions.push(p.version!);
    expect(versions.sort()).toEqual([v1.properties.version!, v2.properties.version!].sort());
    const names: string[] = [];
    for await (const p of keys.listPropertiesOfKeys()) names.push(p.name);
    expect(names).toContain('life');
    const policy = await keys.updateKeyRotationPolicy('life', { expiresIn: 'P90D', lifetimeActions: [{ action: 'Rotate', timeBeforeExpiry: 'P30D' }] });
    expect(policy.expiresIn).toBe('P90D');
    expect((await keys.getKeyRotationPolicy('life')).lifetimeActions?.[0]).toMatchObject({ action: 'Rotate', timeBeforeExpiry: 'P30D' });
    const exp = new Date(Date.now() + 86_400_000);
    const updated = await keys.updateKeyProperties('life', v1.properties.version!, { enabled: false, expiresOn: exp, tags: { team: 'b' }, keyOps: ['encrypt', 'decrypt'] });
    expect(updated.properties.enabled).toBe(false);
    expect(updated.properties.expiresOn?.getTime()).toBe(Math.floor(exp.getTime() / 1000) * 1000);
    expect(updated.properties.tags).toEqual({ team: 'b' });
    expect(updated.keyOperations).toEqual(['encrypt', 'decrypt']);
  });

  it('pages through more keys than one page holds', async () => {
    for (let i = 0; i < 27; i++) await keys.createEcKey(`many-${String(i).padStart(2, '0')}`);
    const names: string[] = [];
    for await (const p of keys.listPropertiesOfKeys()) names.push(p.name);
    expect(names.filter((n) => n.startsWith('many-'))).toHaveLength(27);
  });

  it('encrypts, decrypts, wraps and unwraps with RSA-OAEP-256, RSA-OAEP and RSA1_5', async () => {
    const key = await keys.createRsaKey('crypto-rsa');
    const crypto = new CryptographyClient(key.id!, defaultCredential(emu.env));
    const plaintext = Buffer.from('a data encryption key, 32 bytes!');
    for (const algorithm of ['RSA-OAEP-256', 'RSA-OAEP', 'RSA1_5'] as const) {
      const enc = await crypto.encrypt({ algorithm, plaintext });
      expect(enc.result).toHaveLength(256);
      expect(enc.keyID).toBe(key.id);
      const dec = await crypto.decrypt({ algorithm, ciphertext: enc.result });
      expect(Buffer.from(dec.result).equals(plaintext)).toBe(true);
      const wrapped = await crypto.wrapKey(algorithm, plaintext);
      const unwrapped = await crypto.unwrapKey(algorithm, wrapped.result);
      expect(Buffer.from(unwrapped.result).equals(plaintext)).toBe(true);
    }
  });

  it('interoperates with node:crypto: imported key, encryption and signatures both ways', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = privateKey.export({ format: 'jwk' }) as JsonWebKey;
    const toBytes = (s: string) => Buffer.from(s, 'base64url');
    const imported = await keys.importKey('imported', { kty: 'RSA', n: toBytes(jwk.n as unknown as string), e: toBytes(jwk.e as unknown as string), d: toBytes(jwk.d as unknown as string), p: toBytes(jwk.p as unknown as string), q: toBytes(jwk.q as unknown as string), dp: toBytes(jwk.dp as unknown as string), dq: toBytes(jwk.dq as unknown as string), qi: toBytes(jwk.qi as unknown as string) } as JsonWebKey);
    expect(Buffer.from(imported.key!.n!).equals(toBytes(jwk.n as unknown as string))).toBe(true);
    expect(imported.key?.d).toBeUndefined();
    const crypto = new CryptographyClient(imported.id!, defaultCredential(emu.env));
    const secret = Buffer.from('KMS v2 DEK seed material........');
    // the emulator encrypts, node decrypts with the private key it kept
    const enc = await crypto.encrypt({ algorithm: 'RSA-OAEP-256', plaintext: secret });
    expect(privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, enc.result).equals(secret)).toBe(true);
    // node encrypts with the exported public key, the emulator decrypts
    const exported = createPublicKey({ key: { kty: 'RSA', n: Buffer.from(imported.key!.n!).toString('base64url'), e: Buffer.from(imported.key!.e!).toString('base64url') }, format: 'jwk' });
    const ct = publicEncrypt({ key: exported, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, secret);
    expect(Buffer.from((await crypto.decrypt({ algorithm: 'RSA-OAEP-256', ciphertext: ct })).result).equals(secret)).toBe(true);
    const ct15 = publicEncrypt({ key: exported, padding: constants.RSA_PKCS1_PADDING }, secret);
    expect(Buffer.from((await crypto.decrypt({ algorithm: 'RSA1_5', ciphertext: ct15 })).result).equals(secret)).toBe(true);
    // signatures: emulator signs a digest, node verifies the data; node signs, the emulator verifies
    const data = Buffer.from('the data that was signed');
    const digest = createHash('sha256').update(data).digest();
    const rs = await crypto.sign('RS256', digest);
    expect(nodeVerify('sha256', data, publicKey, Buffer.from(rs.result))).toBe(true);
    const ps = await crypto.sign('PS256', digest);
    expect(nodeVerify('sha256', data, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, Buffer.from(ps.result))).toBe(true);
    const nodePs = nodeSign('sha256', data, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    const remote = new CryptographyClient(imported.id!, defaultCredential(emu.env));
    expect((await remote.verify('PS256', digest, nodePs)).result).toBe(true);
    expect((await remote.verify('RS256', digest, nodeSign('sha256', data, privateKey))).result).toBe(true);
    expect((await remote.verify('RS256', digest, Buffer.from(rs.result).map((b, i) => (i === 0 ? b ^ 1 : b)))).result).toBe(false);
  });

  it.skipIf(!haveNoble)('signs and verifies with ES256 and ES384, interoperating with node:crypto', async () => {
    for (const [curve, alg, hash] of [['P-256', 'ES256', 'sha256'], ['P-384', 'ES384', 'sha384']] as const) {
      const key = await keys.createEcKey(`ec-${alg.toLowerCase()}`, { curve });
      const crypto = new CryptographyClient(key.id!, defaultCredential(emu.env));
      const data = Buffer.from(`data signed with ${alg}`);
      const digest = createHash(hash).update(data).digest();
      const signed = await crypto.sign(alg, digest);
      const publicKey = createPublicKey({ key: { kty: 'EC', crv: curve, x: Buffer.from(key.key!.x!).toString('base64url'), y: Buffer.from(key.key!.y!).toString('base64url') }, format: 'jwk' });
      expect(nodeVerify(hash, data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signed.result))).toBe(true);
      expect((await crypto.verify(alg, digest, signed.result)).result).toBe(true);
      const tampered = Buffer.from(digest);
      tampered[0]! ^= 1;
      expect((await crypto.verify(alg, tampered, signed.result)).result).toBe(false);
    }
    await expect(new CryptographyClient((await keys.getKey('ec-es256')).id!, defaultCredential(emu.env)).sign('ES384', Buffer.alloc(48))).rejects.toMatchObject({ statusCode: 400 });
  });

  it('refuses disabled, expired and not-yet-valid keys with Key Vault errors', async () => {
    const key = await keys.createRsaKey('states');
    const crypto = new CryptographyClient(key.id!, defaultCredential(emu.env));
    const digest = createHash('sha256').update('states').digest();
    // RSA-OAEP-256 and digest verification have no local implementation in the SDK: these calls reach the vault.
    const enc = await crypto.encrypt({ algorithm: 'RSA-OAEP-256', plaintext: Buffer.from('x') });
    const wrapped = await crypto.wrapKey('RSA-OAEP-256', Buffer.from('k'));
    const signed = await crypto.sign('PS256', digest);
    await keys.updateKeyProperties('states', key.properties.version!, { enabled: false });
    const disabled = (op: string) => ({ statusCode: 403, code: 'Forbidden', message: `Operation ${op} is not allowed on a disabled key.` });
    // A disabled key does nothing at all: public-key operations included.
    await expect(crypto.encrypt({ algorithm: 'RSA-OAEP-256', plaintext: Buffer.from('x') })).rejects.toMatchObject(disabled('encrypt'));
    await expect(crypto.decrypt({ algorithm: 'RSA-OAEP-256', ciphertext: enc.result })).rejects.toMatchObject(disabled('decrypt'));
    await expect(crypto.wrapKey('RSA-OAEP-256', Buffer.from('k'))).rejects.toMatchObject(disabled('wrapKey'));
    await expect(crypto.unwrapKey('RSA-OAEP-256', wrapped.result)).rejects.toMatchObject(disabled('unwrapKey'));
    await expect(crypto.sign('PS256', digest)).rejects.toMatchObject(disabled('sign'));
    await expect(crypto.verify('PS256', digest, signed.result)).rejects.toMatchObject(disabled('verify'));
    // Enabled again: usable again, nothing else to do.
    await keys.updateKeyProperties('states', key.properties.version!, { enabled: true });
    expect(Buffer.from((await crypto.unwrapKey('RSA-OAEP-256', wrapped.result)).result).toString()).toBe('k');
    expect((await crypto.verify('PS256', digest, signed.result)).result).toBe(true);
    await keys.updateKeyProperties('states', key.properties.version!, { expiresOn: new Date(Date.now() - 60_000) });
    await expect(crypto.encrypt({ algorithm: 'RSA-OAEP-256', plaintext: Buffer.from('x') })).rejects.toMatchObject({ statusCode: 403, message: 'Operation encrypt is not allowed on an expired key.' });
    // decrypt still works outside the validity window (Key Vault keeps old data readable)
    expect(Buffer.from((await crypto.decrypt({ algorithm: 'RSA-OAEP-256', ciphertext: enc.result })).result).toString()).toBe('x');
    await keys.updateKeyProperties('states', key.properties.version!, { expiresOn: new Date(Date.now() + 3_600_000), notBefore: new Date(Date.now() + 600_000) });
    await expect(crypto.wrapKey('RSA-OAEP-256', Buffer.from('x'))).rejects.toMatchObject({ statusCode: 403, message: 'Operation wrapKey is not allowed on a key that is not yet valid.' });
  });

  it('soft-deletes, shows deleted, recovers, deletes again and purges', async () => {
    const key = await keys.createRsaKey('doomed');
    const poller = await keys.beginDeleteKey('doomed', { intervalInMs: 10 });
    const deleted = await poller.pollUntilDone();
    expect(deleted.properties.recoveryId).toBe('https://kv-sdk-test.vault.azure.net/deletedkeys/doomed');
    expect(deleted.properties.version).toBe(key.properties.version);
    await expect(keys.getKey('doomed')).rejects.toMatchObject({ statusCode: 404, code: 'KeyNotFound' });
    await expect(keys.createRsaKey('doomed')).rejects.toMatchObject({ statusCode: 409, code: 'Conflict' });
    expect((await keys.getDeletedKey('doomed')).name).toBe('doomed');
    const listed: string[] = [];
    for await (const d of keys.listDeletedKeys()) listed.push(d.name);
    expect(listed).toContain('doomed');
    const recovered = await (await keys.beginRecoverDeletedKey('doomed', { intervalInMs: 10 })).pollUntilDone();
    expect(recovered.id).toBe(key.id);
    const crypto = new CryptographyClient(key.id!, defaultCredential(emu.env));
    expect((await crypto.encrypt({ algorithm: 'RSA-OAEP-256', plaintext: Buffer.from('back') })).result).toHaveLength(256);
    await (await keys.beginDeleteKey('doomed', { intervalInMs: 10 })).pollUntilDone();
    await keys.purgeDeletedKey('doomed');
    await expect(keys.getDeletedKey('doomed')).rejects.toMatchObject({ statusCode: 404 });
    expect((await keys.createRsaKey('doomed')).id).not.toBe(key.id);
  });

  it('backs up a key and restores it after a purge', async () => {
    const key = await keys.createRsaKey('saved');
    const crypto = new CryptographyClient(key.id!, defaultCredential(emu.env));
    const enc = await crypto.encrypt({ algorithm: 'RSA-OAEP-256', plaintext: Buffer.from('kept') });
    const backup = await keys.backupKey('saved');
    await (await keys.beginDeleteKey('saved', { intervalInMs: 10 })).pollUntilDone();
    await keys.purgeDeletedKey('saved');
    const restored = await keys.restoreKeyBackup(backup!);
    expect(restored.id).toBe(key.id);
    expect(Buffer.from((await crypto.decrypt({ algorithm: 'RSA-OAEP-256', ciphertext: enc.result })).result).toString()).toBe('kept');
  });
});
