/**
 * The storage transformers in kube-apiserver's exact bytes (SPEC A-3), over a real KMS plugin
 * socket (SPEC X-3). The tests decrypt the Kubernetes golden vectors, and check every value they read back with
 * their own decryption (node:crypto / node-forge for the RSA unwrap, node:crypto AES-GCM and HMAC), not with the
 * transformer code. Key Vault itself is stood in for by a local RSA key here (test/kms/keyvault-plugin.test.ts runs
 * the same plugin against aksemu's Key Vault).
 */
import { createDecipheriv, createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gcmOpen, gcmSeal } from '../../src/encryption/aes-gcm.js';
import { ProviderChain } from '../../src/encryption/chain.js';
import { decodeEncryptedObject, EncryptedObjectEncoder, encodeEncryptedObject, validateEncryptedObject } from '../../src/encryption/encrypted-object.js';
import { randomBytesFast } from '../../src/encryption/random.js';
import { hkdfExpandSha256 } from '../../src/encryption/hkdf.js';
import { IdentityProvider } from '../../src/encryption/identity.js';
import { KmsV1Provider } from '../../src/encryption/kms-v1.js';
import { KmsV2Provider } from '../../src/encryption/kms-v2.js';
import { SeedCryptoPool } from '../../src/encryption/seed-crypto-pool.js';
import { openWithSeed, SeedTransformer } from '../../src/encryption/seed-transformer.js';
import { Lru } from '../../src/encryption/lru.js';
import { KmsV1Client, KmsV2Client } from '../../src/encryption/kms-api/client.js';
import { ANNOTATION, KmsPlugin } from '../../src/kms/plugin.js';
import { sharedReference } from '../../testkit/shared.js';
import { LocalRsaCrypto, rsaUnwrap, tempSocket } from './support.js';

// Kubernetes' golden vectors, read from the shared reference folder (testkit/shared.ts), never copied here.
const golden = JSON.parse(readFileSync(sharedReference('kms-golden-vectors.json'), 'utf8').replace(/^\uFEFF/, '')) as {
  aad_utf8: string;
  aesgcm: { key_utf8: string; ciphertext_hex: string };
  hkdf_sha256_xnonce_aes_gcm_seed: { seed_hex: string; ciphertext_hex: string };
};

/** The test's own AES-GCM open: nonce(12) || ct || tag(16), AAD. */
function independentGcmOpen(key: Buffer, data: Buffer, aad: string): Buffer {
  const d = createDecipheriv(`aes-${key.length * 8}-gcm` as 'aes-256-gcm', key, data.subarray(0, 12));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([d.update(data.subarray(12, data.length - 16)), d.final()]);
}

describe('golden vectors and primitives', () => {
  it('decrypts the Kubernetes AES-GCM golden vector with the etcd key as AAD', () => {
    const plain = gcmOpen(Buffer.from(golden.aesgcm.key_utf8), Buffer.from(golden.aesgcm.ciphertext_hex, 'hex'), Buffer.from(golden.aad_utf8));
    expect(plain.toString()).toBe('pandas are the best');
    expect(() => gcmOpen(Buffer.from(golden.aesgcm.key_utf8), Buffer.from(golden.aesgcm.ciphertext_hex, 'hex'), Buffer.from('other-key'))).toThrow(/authentication failed/);
  });

  it('decrypts the KMS v2 HKDF seed golden vector (info || nonce || ct || tag)', () => {
    const seed = Buffer.from(golden.hkdf_sha256_xnonce_aes_gcm_seed.seed_hex, 'hex');
    const data = Buffer.from(golden.hkdf_sha256_xnonce_aes_gcm_seed.ciphertext_hex, 'hex');
    expect(openWithSeed(seed, data, golden.aad_utf8).toString()).toBe('pandas are the best');
    // The same with the test's own HKDF-Expand (one HMAC block: T(1) = HMAC(seed, info || 0x01)).
    const dek = createHmac('sha256', seed).update(data.subarray(0, 32)).update(Buffer.from([1])).digest();
    expect(independentGcmOpen(dek, data.subarray(32), golden.aad_utf8).toString()).toBe('pandas are the best');
    expect(() => openWithSeed(seed, data, '/registry/secrets/default/other')).toThrow(/authentication failed/);
  });

  it('HKDF-Expand matches RFC 5869 test case 1', () => {
    const prk = Buffer.from('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5', 'hex');
    const info = Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex');
    expect(hkdfExpandSha256(prk, info, 42).toString('hex')).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });

  for (const where of ['on the main thread', 'on the crypto worker'] as const) {
    it(`the seed transformer keeps each etcd key’s derived DEK for 10 minutes, and only for the same info (${where})`, async () => {
      const seed = Buffer.from(golden.hkdf_sha256_xnonce_aes_gcm_seed.seed_hex, 'hex');
      let nowMs = 0;
      const pool = where === 'on the crypto worker' ? new SeedCryptoPool() : undefined;
      try {
        const t = new SeedTransformer(seed, () => nowMs, pool);
        // The golden vector decrypts, its DEK derived from the seed.
        expect((await t.open(Buffer.from(golden.hkdf_sha256_xnonce_aes_gcm_seed.ciphertext_hex, 'hex'), golden.aad_utf8)).toString()).toBe('pandas are the best');
        const key = '/registry/secrets/default/a';
        const first = await t.seal(Buffer.from('one'), key);
        const second = await t.seal(Buffer.from('two'), key); // a new info: the entry of `key` now holds the second DEK
        expect(first.subarray(0, 32).equals(second.subarray(0, 32))).toBe(false);
        expect(t.cachedKeys).toBe(2);
        // The older value's info is not the cached one: its DEK is derived again, not taken from the cache.
        expect((await t.open(first, key)).toString()).toBe('one');
        expect((await t.open(second, key)).toString()).toBe('two');
        // Each value is sealed with HKDF-Expand(seed, its own info), checked with the test's own HMAC.
        const dek = createHmac('sha256', seed).update(second.subarray(0, 32)).update(Buffer.from([1])).digest();
        expect(independentGcmOpen(dek, second.subarray(32), key).toString()).toBe('two');
        // A cached DEK does not bypass the etcd key as authenticated data.
        await expect(t.open(second, '/registry/secrets/default/b')).rejects.toThrow(/authentication failed/);
        expect(t.cachedKeys).toBe(3); // the failed read derived (and kept) the DEK for its own key, as kube-apiserver does

        nowMs += 9 * 60_000;
        await t.seal(Buffer.from('three'), '/registry/secrets/default/c');
        expect(t.cachedKeys).toBe(4);
        nowMs += 2 * 60_000; // 11 minutes after the first three entries, 2 after the fourth
        await t.seal(Buffer.from('four'), '/registry/secrets/default/d');
        expect(t.cachedKeys).toBe(2);
        expect((await t.open(first, key)).toString()).toBe('one'); // an expired entry is only a cache miss
      } finally {
        await pool?.close();
      }
    });
  }

  it('a batch of 500 values through the crypto worker, and a bulk caller’s values on its own thread, give the same results', async () => {
    const seed = Buffer.alloc(32, 5);
    const pool = new SeedCryptoPool();
    try {
      const t = new SeedTransformer(seed, () => 0, pool);
      const keys = Array.from({ length: 500 }, (_, i) => `/registry/secrets/default/m-${i}`);
      const sealed = await Promise.all(keys.map((k, i) => t.seal(Buffer.from(`value-${i}`), k)));
      // Independent check of every value, whichever thread sealed it.
      sealed.forEach((v, i) => expect(openWithSeed(seed, v, keys[i]!).toString()).toBe(`value-${i}`));
      // A bulk caller's values are sealed and opened on this thread, the pool being there or not.
      const bulk = await t.seal(Buffer.from('bulk'), '/registry/secrets/default/bulk', true);
      expect(openWithSeed(seed, bulk, '/registry/secrets/default/bulk').toString()).toBe('bulk');
      expect((await t.open(bulk, '/registry/secrets/default/bulk', true)).toString()).toBe('bulk');
      // Opened in one batch too, one of them under the wrong key: only that one fails.
      const opened = await Promise.allSettled(sealed.map((v, i) => t.open(v, i === 301 ? '/registry/secrets/default/other' : keys[i]!)));
      opened.forEach((r, i) => {
        if (i === 301) expect(r.status === 'rejected' && /authentication failed/.test(String(r.reason))).toBe(true);
        else expect(r.status === 'fulfilled' && r.value.toString()).toBe(`value-${i}`);
      });
    } finally {
      await pool.close();
    }
  });

  it('a crypto worker that is gone fails the calls it had; the transformer then works on the main thread', async () => {
    const pool = new SeedCryptoPool();
    const t = new SeedTransformer(Buffer.alloc(32, 3), () => 0, pool);
    const sealed = await t.seal(Buffer.from('x'), '/k');
    const inFlight = pool.seal(Buffer.alloc(32, 3), Buffer.alloc(32), Buffer.alloc(12), Buffer.from('y'), '/k');
    await pool.close();
    await expect(inFlight).rejects.toThrow(/closed|exited/);
    expect(pool.available).toBe(false);
    expect((await t.open(sealed, '/k')).toString()).toBe('x');
    expect(openWithSeed(Buffer.alloc(32, 3), await t.seal(Buffer.from('z'), '/k2'), '/k2').toString()).toBe('z');
  });

  it('cached derived keys do not keep shared Buffer pool memory alive', async () => {
    const t = new SeedTransformer(Buffer.alloc(32, 9), () => 0);
    const before = process.memoryUsage().arrayBuffers;
    const filler: Buffer[] = [];
    for (let i = 0; i < 20_000; i++) {
      await t.seal(Buffer.from('x'), `/registry/secrets/default/s-${i}`);
      // Small pooled allocations between writes, as a server makes: a cached slice of a pool slab would keep it alive.
      filler.push(Buffer.from('y'.repeat(3000)));
      if (filler.length > 16) filler.shift();
    }
    expect(t.cachedKeys).toBe(20_000);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20);
  });

  it('AES-GCM seals with a fresh nonce each time', () => {
    const key = Buffer.alloc(32, 7);
    const a = gcmSeal(key, Buffer.from('x'), Buffer.from('k'));
    const b = gcmSeal(key, Buffer.from('x'), Buffer.from('k'));
    expect(a.subarray(0, 12).equals(b.subarray(0, 12))).toBe(false);
    expect(independentGcmOpen(key, a, 'k').toString()).toBe('x');
  });

  it('LRU keeps the most recently used entries', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.get('a');
    lru.set('c', 3);
    expect([lru.get('a'), lru.get('b'), lru.get('c')]).toEqual([1, undefined, 3]);
  });

  it('EncryptedObject round-trips and is validated as kube-apiserver does', () => {
    const obj = { encryptedData: Buffer.from('data'), keyID: 'k', encryptedDEKSource: Buffer.from('seed'), annotations: { 'b.example.com': Buffer.from('2'), 'a.example.com': Buffer.from('1') }, encryptedDEKSourceType: 1 };
    const decoded = decodeEncryptedObject(encodeEncryptedObject(obj));
    expect(decoded.keyID).toBe('k');
    expect(decoded.encryptedData.toString()).toBe('data');
    expect(decoded.annotations['a.example.com']!.toString()).toBe('1');
    expect(decoded.encryptedDEKSourceType).toBe(1);
    expect(() => validateEncryptedObject({ ...obj, keyID: '' })).toThrow(/keyID is empty/);
    expect(() => validateEncryptedObject({ ...obj, encryptedDEKSource: Buffer.alloc(1025) })).toThrow(/exceeds the max size of 1024/);
    expect(() => validateEncryptedObject({ ...obj, annotations: { 'Not A DNS name': Buffer.from('x') } })).toThrow(/fully qualified domain name/);
    expect(() => validateEncryptedObject({ ...obj, encryptedData: Buffer.alloc(0) })).toThrow(/encrypted data is empty/);
    expect(() => decodeEncryptedObject(Buffer.from([0xff, 0xff, 0xff]))).toThrow(/failed to unmarshal/);
    // The per-seed encoder writes exactly the bytes of a full encode.
    const { encryptedData, ...shared } = obj;
    expect(new EncryptedObjectEncoder(shared).encode(encryptedData).equals(encodeEncryptedObject(obj))).toBe(true);
  });

  it('random bytes come fresh for every request and are never overwritten', () => {
    const first = randomBytesFast(44);
    const copy = Buffer.from(first);
    const seen = new Set<string>([first.toString('hex')]);
    for (let i = 0; i < 2000; i++) seen.add(randomBytesFast(44).toString('hex')); // crosses several blocks
    expect(seen.size).toBe(2001);
    expect(first.equals(copy)).toBe(true);
  });
});

describe('the plugin over its unix socket, and the transformers through it', () => {
  const crypto = new LocalRsaCrypto();
  const socket = tempSocket();
  const plugin = new KmsPlugin({ listenAddr: `unix://${socket}`, crypto });
  let v1: KmsV1Client;
  let v2: KmsV2Client;
  let nowMs = Date.parse('2025-01-01T00:00:00Z');
  const now = () => nowMs;

  beforeAll(async () => {
    await plugin.start();
    v1 = new KmsV1Client(`unix://${socket}`);
    v2 = new KmsV2Client(`unix://${socket}`);
  });
  afterAll(async () => {
    v1.close();
    v2.close();
    await plugin.stop();
  });

  it('answers v1 Version and v2 Status as Azure’s plugin', async () => {
    expect(await v1.version()).toMatchObject({ version: 'v1beta1', runtime_name: 'Microsoft AzureKMS' });
    const s = await v2.status();
    expect(s).toEqual({ version: 'v2beta1', healthz: 'ok', key_id: createHash('sha256').update(crypto.key.kid).digest('hex') });
  });

  it('v2 Encrypt returns key_id and Azure’s annotations; Decrypt checks them', async () => {
    const enc = await v2.encrypt(Buffer.from('seed-bytes'));
    expect(enc.key_id).toBe(plugin.keyId);
    expect(Object.keys(enc.annotations).sort()).toEqual([ANNOTATION.algorithm, ANNOTATION.date, ANNOTATION.version, ANNOTATION.requestId, ANNOTATION.region].sort());
    expect(enc.annotations[ANNOTATION.algorithm]!.toString()).toBe('RSA-OAEP-256');
    expect(enc.annotations[ANNOTATION.version]!.toString()).toBe('1');
    // The ciphertext is Key Vault's base64url text of an RSA-OAEP-256 ciphertext of the plaintext.
    expect(enc.ciphertext.toString()).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(rsaUnwrap(crypto.privateKey, enc.ciphertext, 'RSA-OAEP-256').toString()).toBe('seed-bytes');
    expect((await v2.decrypt({ ciphertext: enc.ciphertext, keyId: enc.key_id, annotations: enc.annotations })).toString()).toBe('seed-bytes');
    await expect(v2.decrypt({ ciphertext: enc.ciphertext, keyId: 'other', annotations: enc.annotations })).rejects.toThrow(/key id other does not match expected key id/);
    await expect(v2.decrypt({ ciphertext: enc.ciphertext, keyId: enc.key_id, annotations: {} })).rejects.toThrow(/annotations cannot be empty/);
    await expect(v2.decrypt({ ciphertext: enc.ciphertext, keyId: enc.key_id, annotations: { ...enc.annotations, [ANNOTATION.algorithm]: Buffer.from('RSA1_5') } })).rejects.toThrow(/algorithm RSA1_5 does not match/);
    await expect(v2.encrypt(Buffer.alloc(0))).rejects.toThrow(/plaintext is empty/);
  });

  it('KMS v1: k8s:enc:kms:v1:<name>: + uint16 BE len + encDEK + AES-GCM, one Encrypt per write', async () => {
    const p = new KmsV1Provider('azurekmsprovider', v1);
    const key = '/registry/secrets/default/s1';
    const before = crypto.calls.encrypt;
    const stored = await p.write(Buffer.from('{"kind":"Secret"}'), key);
    await p.write(Buffer.from('{"kind":"Secret"}'), key);
    expect(crypto.calls.encrypt - before).toBe(2);
    const prefix = 'k8s:enc:kms:v1:azurekmsprovider:';
    expect(stored.subarray(0, prefix.length).toString()).toBe(prefix);
    const len = stored.readUInt16BE(prefix.length);
    const encDek = stored.subarray(prefix.length + 2, prefix.length + 2 + len);
    const dek = rsaUnwrap(crypto.privateKey, encDek, 'RSA1_5');
    expect(dek.length).toBe(32);
    expect(independentGcmOpen(dek, stored.subarray(prefix.length + 2 + len), key).toString()).toBe('{"kind":"Secret"}');
    // Read back through the transformer: cached DEK, no plugin call.
    const decrypts = crypto.calls.decrypt;
    expect((await p.read(stored.subarray(prefix.length), key)).plain.toString()).toBe('{"kind":"Secret"}');
    expect(crypto.calls.decrypt).toBe(decrypts);
    // The AAD binds the value to its key.
    await expect(p.read(stored.subarray(prefix.length), '/registry/secrets/default/s2')).rejects.toThrow(/authentication failed/);
    // Plugin down: cached DEK still reads, a cache miss fails, writes fail at once.
    crypto.broken = 'KeyNotFound';
    try {
      expect((await p.read(stored.subarray(prefix.length), key)).plain.toString()).toBe('{"kind":"Secret"}');
      p.dropCaches();
      await expect(p.read(stored.subarray(prefix.length), key)).rejects.toThrow(/failed to decrypt.*KeyNotFound/);
      await expect(p.write(Buffer.from('x'), key)).rejects.toThrow(/failed to encrypt.*KeyNotFound/);
      expect((await p.health()).ok).toBe(false);
    } finally {
      crypto.broken = undefined;
    }
    expect((await p.read(stored.subarray(prefix.length), key)).plain.toString()).toBe('{"kind":"Secret"}');
    expect(await p.health()).toEqual({ ok: true });
  });

  it('KMS v2: prefix + EncryptedObject in seed mode; writes cost no plugin call; reads decrypt each seed once', async () => {
    const p = new KmsV2Provider('azurekmsprovider', v2, now);
    const key = '/registry/secrets/ns1/s1';
    const stored = await p.write(Buffer.from('secret-1'), key);
    const encBefore = crypto.calls.encrypt;
    const stored2 = await p.write(Buffer.from('secret-2'), '/registry/secrets/ns1/s2');
    expect(crypto.calls.encrypt).toBe(encBefore);
    const prefix = 'k8s:enc:kms:v2:azurekmsprovider:';
    expect(stored.subarray(0, prefix.length).toString()).toBe(prefix);
    const obj = decodeEncryptedObject(stored.subarray(prefix.length));
    expect(obj.keyID).toBe(createHash('sha256').update(crypto.key.kid).digest('hex'));
    expect(obj.encryptedDEKSourceType).toBe(1);
    expect(obj.annotations[ANNOTATION.algorithm]!.toString()).toBe('RSA-OAEP-256');
    // Independent decryption: RSA-OAEP-256 unwrap of the seed, HKDF-Expand by HMAC, AES-256-GCM with the etcd key.
    const seed = rsaUnwrap(crypto.privateKey, obj.encryptedDEKSource, 'RSA-OAEP-256');
    expect(seed.length).toBe(32);
    const dek = createHmac('sha256', seed).update(obj.encryptedData.subarray(0, 32)).update(Buffer.from([1])).digest();
    expect(independentGcmOpen(dek, obj.encryptedData.subarray(32), key).toString()).toBe('secret-1');
    expect(decodeEncryptedObject(stored2.subarray(prefix.length)).encryptedDEKSource.equals(obj.encryptedDEKSource)).toBe(true);

    p.dropCaches(); // an API server restart
    const decrypts = crypto.calls.decrypt;
    expect((await p.read(stored.subarray(prefix.length), key)).plain.toString()).toBe('secret-1');
    expect((await p.read(stored2.subarray(prefix.length), '/registry/secrets/ns1/s2')).plain.toString()).toBe('secret-2');
    expect(crypto.calls.decrypt - decrypts).toBe(1);
  });

  it('KMS v2 write state: Status every minute, writes fail 3 minutes after the last good Status', async () => {
    const p = new KmsV2Provider('p', v2, now);
    const key = '/registry/secrets/default/w';
    const stored = await p.write(Buffer.from('w1'), key);
    crypto.broken = 'Forbidden';
    try {
      nowMs += 61_000; // a poll is due and fails; the state is still fresh
      expect((await p.write(Buffer.from('w2'), key)).length).toBeGreaterThan(0);
      nowMs += 130_000; // > 3 min since the last good Status
      await expect(p.write(Buffer.from('w3'), key)).rejects.toThrow(/write state for provider p expired/);
      // Reads with the cached seed keep working; after a restart they fail.
      expect((await p.read(stored.subarray(p.prefix.length), key)).plain.toString()).toBe('w1');
      expect((await p.health()).ok).toBe(false);
      p.dropCaches();
      await expect(p.read(stored.subarray(p.prefix.length), key)).rejects.toThrow(/failed to decrypt.*Forbidden/);
    } finally {
      crypto.broken = undefined;
    }
    nowMs += 11_000;
    expect((await p.write(Buffer.from('w4'), key)).length).toBeGreaterThan(0);
    expect(await p.health()).toEqual({ ok: true });
  });

  it('the provider chain: first writes, all read, anything not read by the first is stale', async () => {
    const current = new KmsV2Provider('azurekmsprovider-b', v2, now);
    const previous = new KmsV1Provider('azurekmsprovider-a', v1);
    const identity = new IdentityProvider();
    const key = '/registry/secrets/default/c';
    const enabled = new ProviderChain([current, previous, identity]);
    const onPrevious = await previous.write(Buffer.from('old'), key);
    const onCurrent = await enabled.toStorage(Buffer.from('new'), key);
    expect(onCurrent.subarray(0, 34).toString()).toBe('k8s:enc:kms:v2:azurekmsprovider-b:');
    expect(await enabled.fromStorage(onCurrent, key)).toMatchObject({ stale: false });
    expect((await enabled.fromStorage(onPrevious, key)).stale).toBe(true);
    expect((await enabled.fromStorage(onPrevious, key)).plain.toString()).toBe('old');
    expect(await enabled.fromStorage(Buffer.from('{"plain":1}'), key)).toEqual({ plain: Buffer.from('{"plain":1}'), stale: true });
    await expect(enabled.fromStorage(Buffer.from('k8s:enc:kms:v2:gone:xyz'), key)).rejects.toThrow(/identity transformer tried to read encrypted data/);
    // Disabled: identity first, KMS kept for reads.
    const disabled = new ProviderChain([identity, current, previous]);
    expect((await disabled.toStorage(Buffer.from('plain'), key)).toString()).toBe('plain');
    expect(await disabled.fromStorage(Buffer.from('plain'), key)).toMatchObject({ stale: false });
    expect(await disabled.fromStorage(onCurrent, key)).toMatchObject({ stale: true });
    const health = await enabled.health();
    expect(health.map((h) => [h.provider.name, h.health.ok])).toEqual([
      ['azurekmsprovider-b', true],
      ['azurekmsprovider-a', true],
    ]);
    // Without identity in the list, plaintext is unreadable.
    await expect(new ProviderChain([current]).fromStorage(Buffer.from('plain'), key)).rejects.toThrow(/no matching prefix/);
  });
});
