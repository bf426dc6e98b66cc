/**
 * The cryptographic operations called directly (data-plane/crypto.ts), with real keys: round trips and
 * interoperability with node:crypto, and Key Vault's refusals — disabled, expired and not-yet-valid keys,
 * operations the key does not permit, algorithms that do not fit, input that is not base64url.
 */
import { constants, createHash, publicEncrypt, verify as nodeVerify, createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cryptoOperation } from '../../src/keyvault/data-plane/crypto.js';
import { createKey, updateKey } from '../../src/keyvault/data-plane/keys.js';
import { CryptoPool } from '../../src/keyvault/crypto-pool.js';
import { bob, openWorld, refusal, vault, type OperationWorld } from './operation-fixture.js';

const b64u = (b: Buffer) => b.toString('base64url');

describe('Key Vault crypto operations, called directly', () => {
  let w: OperationWorld;
  const kv = vault('kv-crypto');
  let rsaKid: string;
  let rsaJwk: { kty: 'RSA'; n: string; e: string };
  let ecJwk: { kty: 'EC'; crv: string; x: string; y: string };
  beforeAll(async () => {
    w = await openWorld();
    const rsa = (await createKey(w.deps, w.request(kv, 'create', { kty: 'RSA' }), 'rsa')).body as { key: { kid: string; n: string; e: string } };
    rsaKid = rsa.key.kid;
    rsaJwk = { kty: 'RSA', n: rsa.key.n, e: rsa.key.e };
    const ec = (await createKey(w.deps, w.request(kv, 'create', { kty: 'EC', crv: 'P-256' }), 'ec')).body as { key: { crv: string; x: string; y: string } };
    ecJwk = { kty: 'EC', crv: ec.key.crv, x: ec.key.x, y: ec.key.y };
  });
  afterAll(async () => {
    await w.close();
  });
  const run = (op: 'encrypt' | 'decrypt' | 'wrapkey' | 'unwrapkey' | 'sign' | 'verify', name: string, body: unknown, version?: string) =>
    cryptoOperation(w.deps, w.request(kv, op, body), name, version);

  it('encrypts and decrypts with each RSA algorithm; what node:crypto encrypts to the public key decrypts', async () => {
    const plain = Buffer.from('a data encryption key, 32 bytes.');
    for (const alg of ['RSA-OAEP-256', 'RSA-OAEP', 'RSA1_5']) {
      const enc = (await run('encrypt', 'rsa', { alg, value: b64u(plain) })).body as { kid: string; value: string };
      expect(enc.kid).toBe(rsaKid);
      const dec = (await run('decrypt', 'rsa', { alg, value: enc.value })).body as { value: string };
      expect(Buffer.from(dec.value, 'base64url')).toEqual(plain);
    }
    const outside = publicEncrypt({ key: createPublicKey({ key: rsaJwk, format: 'jwk' }), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, plain);
    const unwrapped = (await run('unwrapkey', 'rsa', { alg: 'RSA-OAEP-256', value: b64u(outside) })).body as { value: string };
    expect(Buffer.from(unwrapped.value, 'base64url')).toEqual(plain);
  });

  it('answers an RSA1_5 ciphertext whose padding is bad with 400 BadParameter, as before the native decoding', async () => {
    const pub = createPublicKey({ key: rsaJwk, format: 'jwk' });
    // 0x00 0x01 (a signature block, not an encryption block) ‖ 0xff… ‖ 0x00 ‖ 32 bytes: a valid RSA input, a bad RSA1_5 padding
    const em = Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(256 - 35, 0xff), Buffer.from([0]), Buffer.alloc(32, 9)]);
    const ciphertext = publicEncrypt({ key: pub, padding: constants.RSA_NO_PADDING }, em);
    const e = await refusal(run('decrypt', 'rsa', { alg: 'RSA1_5', value: b64u(ciphertext) }));
    expect([e.status, e.code, e.message]).toEqual([400, 'BadParameter', 'The ciphertext could not be decrypted with RSA1_5 by this key.']);
    // the same key decrypts a good one
    const good = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, Buffer.alloc(32, 9));
    expect(Buffer.from(((await run('decrypt', 'rsa', { alg: 'RSA1_5', value: b64u(good) })).body as { value: string }).value, 'base64url')).toEqual(Buffer.alloc(32, 9));
  });

  it('signs digests that node:crypto verifies (RS256, PS256, ES256), and verifies its own signatures', async () => {
    const data = Buffer.from('signed data');
    const digest = createHash('sha256').update(data).digest();
    for (const [name, alg, jwk, opts] of [
      ['rsa', 'RS256', () => rsaJwk, {}],
      ['rsa', 'PS256', () => rsaJwk, { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }],
      ['ec', 'ES256', () => ecJwk, { dsaEncoding: 'ieee-p1363' as const }],
    ] as const) {
      const sig = Buffer.from(((await run('sign', name, { alg, value: b64u(digest) })).body as { value: string }).value, 'base64url');
      expect(nodeVerify('sha256', data, { key: createPublicKey({ key: jwk(), format: 'jwk' }), ...opts }, sig), alg).toBe(true);
      expect((await run('verify', name, { alg, digest: b64u(digest), value: b64u(sig) })).body).toEqual({ value: true });
      sig[5] ^= 1;
      expect((await run('verify', name, { alg, digest: b64u(digest), value: b64u(sig) })).body).toEqual({ value: false });
    }
  });

  it('refuses bad algorithms, bad base64url and a digest of the wrong length with BadParameter', async () => {
    const bad = async (p: Promise<unknown>) => {
      const e = await refusal(p);
      expect(e.status).toBe(400);
      return e.message;
    };
    expect(await bad(run('encrypt', 'rsa', { alg: 'A256GCM', value: 'AA' }))).toBe("Invalid algorithm 'A256GCM' for encrypt. Supported for RSA keys: RSA-OAEP-256, RSA-OAEP, RSA1_5.");
    expect(await bad(run('sign', 'rsa', { alg: 'HS256', value: 'AA' }))).toBe("Invalid algorithm 'HS256' for sign. Supported: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512.");
    expect(await bad(run('encrypt', 'rsa', { value: 'AA' }))).toBe("Property 'alg' is required.");
    expect(await bad(run('encrypt', 'rsa', { alg: 'RSA-OAEP', value: 'not base64!' }))).toBe("The parameter 'value' is not valid base64url.");
    expect(await bad(run('verify', 'rsa', { alg: 'RS256', value: 'AA' }))).toBe("The parameter 'digest' is required and must be a base64url string.");
    expect(await bad(run('encrypt', 'rsa', { alg: 'RSA-OAEP', value: 'AA', iv: 'AA' }))).toBe('The parameters iv, aad and tag apply to AES algorithms only, not to RSA-OAEP.');
    expect(await bad(run('sign', 'rsa', { alg: 'RS256', value: b64u(Buffer.alloc(20)) }))).toMatch(/digest/i);
  });

  it('refuses every cryptographic operation on a disabled key, and encrypt/wrapKey/sign outside nbf/exp, as Forbidden', async () => {
    await createKey(w.deps, w.request(kv, 'create', { kty: 'RSA', key_ops: ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'] }), 'stateful');
    const digest = b64u(createHash('sha256').update('x').digest());
    const enc = (await run('encrypt', 'stateful', { alg: 'RSA-OAEP', value: 'AAAA' })).body as { value: string };
    const wrapped = (await run('wrapkey', 'stateful', { alg: 'RSA-OAEP-256', value: 'AAAA' })).body as { value: string };
    const sig = (await run('sign', 'stateful', { alg: 'RS256', value: digest })).body as { value: string };
    const every = {
      encrypt: () => run('encrypt', 'stateful', { alg: 'RSA-OAEP', value: 'AAAA' }),
      decrypt: () => run('decrypt', 'stateful', { alg: 'RSA-OAEP', value: enc.value }),
      wrapKey: () => run('wrapkey', 'stateful', { alg: 'RSA-OAEP-256', value: 'AAAA' }),
      unwrapKey: () => run('unwrapkey', 'stateful', { alg: 'RSA-OAEP-256', value: wrapped.value }),
      sign: () => run('sign', 'stateful', { alg: 'RS256', value: digest }),
      verify: () => run('verify', 'stateful', { alg: 'RS256', digest, value: sig.value }),
    };
    await updateKey(w.deps, w.request(kv, 'update', { attributes: { enabled: false } }), 'stateful');
    for (const [op, call] of Object.entries(every)) {
      const e = await refusal(call());
      expect([e.status, e.code, e.innerCode, e.message], op).toEqual([403, 'Forbidden', 'KeyDisabled', `Operation ${op} is not allowed on a disabled key.`]);
    }
    // Enabled again: every operation works at once.
    await updateKey(w.deps, w.request(kv, 'update', { attributes: { enabled: true } }), 'stateful');
    for (const [op, call] of Object.entries(every)) expect((await call()).status, op).toBe(200);

    // Outside nbf/exp only decrypt, unwrapKey and verify work (data protected earlier stays readable).
    const now = Math.floor(w.deps.clock.nowMs() / 1000);
    await updateKey(w.deps, w.request(kv, 'update', { attributes: { exp: now - 10 } }), 'stateful');
    const refusedWhenExpired: string[] = [];
    for (const [op, call] of Object.entries(every)) {
      const r = await call().then(
        () => undefined,
        (err: unknown) => err as { innerCode?: string; message: string },
      );
      if (r) {
        expect([r.innerCode, r.message], op).toEqual(['KeyExpired', `Operation ${op} is not allowed on an expired key.`]);
        refusedWhenExpired.push(op);
      }
    }
    expect(refusedWhenExpired).toEqual(['encrypt', 'wrapKey', 'sign']);
    await updateKey(w.deps, w.request(kv, 'update', { attributes: { exp: null, nbf: now + 3600 } }), 'stateful');
    for (const op of ['encrypt', 'wrapKey', 'sign'] as const) expect((await refusal(every[op]())).innerCode, op).toBe('KeyNotYetValid');
    for (const op of ['decrypt', 'unwrapKey', 'verify'] as const) expect((await every[op]()).status, op).toBe(200);
    // Disabled wins over the validity window.
    await updateKey(w.deps, w.request(kv, 'update', { attributes: { enabled: false } }), 'stateful');
    expect((await refusal(every.decrypt())).innerCode).toBe('KeyDisabled');
  });

  it('refuses an operation the key does not permit, and a caller without the permission', async () => {
    await createKey(w.deps, w.request(kv, 'create', { kty: 'RSA', key_ops: ['sign', 'verify'] }), 'sign-only');
    const e = await refusal(run('wrapkey', 'sign-only', { alg: 'RSA-OAEP', value: 'AAAA' }));
    expect([e.status, e.innerCode, e.message]).toEqual([403, 'KeyOperationForbidden', 'Operation wrapKey is not permitted on this key.']);
    expect((await refusal(run('encrypt', 'ec', { alg: 'RSA-OAEP', value: 'AAAA' }))).innerCode).toBe('KeyOperationForbidden');
    const c = w.request(kv, 'decrypt', { alg: 'RSA-OAEP', value: 'AAAA' }, { caller: bob });
    expect((await refusal(cryptoOperation(w.deps, c, 'rsa'))).innerCode).toBe('ForbiddenByPolicy');
    expect(c.audit).toEqual({ op: 'KeyDecrypt', keyName: 'rsa', policyMatch: false });
  });

  it('names a version that the key does not have as KeyNotFound', async () => {
    const e = await refusal(run('encrypt', 'rsa', { alg: 'RSA-OAEP', value: 'AAAA' }, 'f'.repeat(32)));
    expect([e.status, e.code]).toEqual([404, 'KeyNotFound']);
  });

  it('runs the private-key work on the crypto worker pool, with the same results', async () => {
    const pool = new CryptoPool(1);
    try {
      const deps = { ...w.deps, pool };
      const plain = Buffer.from('through the pool');
      for (const alg of ['RSA-OAEP-256', 'RSA1_5']) {
        const enc = (await cryptoOperation(deps, w.request(kv, 'encrypt', { alg, value: b64u(plain) }), 'rsa')).body as { value: string };
        const dec = (await cryptoOperation(deps, w.request(kv, 'decrypt', { alg, value: enc.value }), 'rsa')).body as { value: string };
        expect(Buffer.from(dec.value, 'base64url')).toEqual(plain);
      }
    } finally {
      await pool.close();
    }
  });
});
