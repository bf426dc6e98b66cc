/**
 * The key operations of the data plane called directly (data-plane/keys.ts): create, import, get, list, update,
 * rotate and the rotation policy, on a real store with real key material, and Key Vault's refusals.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, getKey, getRotationPolicy, importKey, listKeys, listVersions, rotateKey, setRotationPolicy, updateKey } from '../../src/keyvault/data-plane/keys.js';
import { bob, openWorld, refusal, vault, type OperationWorld } from './operation-fixture.js';

type Bundle = { key: { kid: string; kty: string; key_ops: string[]; n?: string; e?: string; crv?: string; x?: string }; attributes: { enabled: boolean; exp?: number; recoveryLevel: string }; tags: Record<string, string> };

describe('Key Vault key operations, called directly', () => {
  let w: OperationWorld;
  const kv = vault('kv-ops');
  beforeAll(async () => {
    w = await openWorld();
  });
  afterAll(async () => {
    await w.close();
  });

  it('creates an RSA key: a Key Vault kid, the public JWK, default operations, the private key sealed at rest', async () => {
    const c = w.request(kv, 'create', { kty: 'RSA', key_size: 2048, tags: { env: 'test' } });
    const res = await createKey(w.deps, c, 'rsa1');
    const b = res.body as Bundle;
    expect(res.status).toBe(200);
    expect(b.key.kid).toMatch(/^https:\/\/kv-ops\.vault\.azure\.net\/keys\/rsa1\/[0-9a-f]{32}$/);
    expect(b.key.kty).toBe('RSA');
    expect(b.key.key_ops).toEqual(['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey']);
    expect(Buffer.from(b.key.n!, 'base64url').length).toBe(256);
    expect(b.tags).toEqual({ env: 'test' });
    expect(b.attributes.recoveryLevel).toBe('CustomizedRecoverable+Purgeable');
    expect(c.audit).toMatchObject({ op: 'KeyCreate', keyName: 'rsa1', keyVersion: b.key.kid.split('/').pop(), policyMatch: true });
    // what the store holds: the public key in clear, the private key only sealed
    const record = (await w.deps.keys.version('kv-ops', 'rsa1', b.key.kid.split('/').pop()!))!;
    expect(record.jwk.n).toBe(b.key.n);
    expect(JSON.stringify(record)).not.toContain('"d"');
    expect(Buffer.from(record.sealedPrivateKey, 'base64').subarray(0, 4).toString()).toBe('aks1');
  });

  it('creates an EC key on the curve asked for', async () => {
    const b = (await createKey(w.deps, w.request(kv, 'create', { kty: 'EC', crv: 'P-384' }), 'ec1')).body as Bundle;
    expect(b.key).toMatchObject({ kty: 'EC', crv: 'P-384', key_ops: ['sign', 'verify'] });
  });

  it('refuses bad names, key types, sizes, curves and HSM keys in a Standard vault with BadParameter', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['bad_name', { kty: 'RSA' }, "The key name 'bad_name' is invalid: it must be 1-127 characters of letters, digits and hyphens."],
      ['k', {}, "Property 'kty' is required."],
      ['k', { kty: 'oct' }, "The key type 'oct' is not supported by a vault. Supported: RSA, RSA-HSM, EC, EC-HSM (oct keys exist only in managed HSMs)."],
      ['k', { kty: 'RSA', key_size: 1024 }, 'The key size 1024 is not supported for RSA keys. Supported sizes: 2048, 3072, 4096.'],
      ['k', { kty: 'EC', crv: 'P-192' }, "The curve 'P-192' is not supported. Supported curves: P-256, P-384, P-521."],
      ['k', { kty: 'RSA-HSM' }, "HSM-protected keys (kty RSA-HSM) need a Premium vault; the vault 'kv-ops' is Standard."],
      ['k', { kty: 'EC', key_ops: ['encrypt'] }, "The key operation 'encrypt' is not valid for a key of type EC."],
      ['k', { kty: 'RSA', attributes: { exportable: true } }, 'Exportable keys need a release policy, which aksemu does not support.'],
    ];
    for (const [name, body, message] of cases) {
      const e = await refusal(createKey(w.deps, w.request(kv, 'create', body), name));
      expect(e.toBody(), JSON.stringify(body)).toEqual({ error: { code: 'BadParameter', message } });
      expect(e.status).toBe(400);
    }
    expect((await refusal(createKey(w.deps, w.request(kv, 'create', undefined, { rawBody: '{not json' }), 'k'))).message).toBe('The request body is not valid JSON.');
  });

  it('refuses a caller without the key permission (ForbiddenByPolicy) and records the policy miss', async () => {
    const c = w.request(kv, 'create', { kty: 'EC' }, { caller: bob });
    const e = await refusal(createKey(w.deps, c, 'bobs'));
    expect(e.status).toBe(403);
    expect(e.innerCode).toBe('ForbiddenByPolicy');
    expect(e.message).toContain(`does not have keys create permission on key vault 'kv-ops;location=eastus'`);
    expect(c.audit).toEqual({ op: 'KeyCreate', keyName: 'bobs', policyMatch: false });
    const readOnly = vault('kv-ops', { alicePermissions: ['get', 'list'] });
    expect((await refusal(createKey(w.deps, w.request(readOnly, 'create', { kty: 'EC' }), 'k'))).innerCode).toBe('ForbiddenByPolicy');
    expect((await getKey(w.deps, w.request(readOnly, 'get'), 'rsa1')).status).toBe(200);
  });

  it('imports a JWK and serves it back with its public members only', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = privateKey.export({ format: 'jwk' });
    const b = (await importKey(w.deps, w.request(kv, 'import', { key: { ...jwk, key_ops: ['encrypt', 'decrypt'] } }), 'imported')).body as Bundle;
    expect(b.key).toMatchObject({ kty: 'RSA', n: jwk.n, e: jwk.e, key_ops: ['encrypt', 'decrypt'] });
    expect(b.key).not.toHaveProperty('d');
    expect(createPublicKey({ key: { kty: 'RSA', n: b.key.n!, e: b.key.e! }, format: 'jwk' }).equals(publicKey)).toBe(true);
    expect((await refusal(importKey(w.deps, w.request(kv, 'import', {}), 'imported'))).message).toBe("Property 'key' is required.");
  });

  it("refuses a JWK whose private part is not its public part's, for EC and RSA, with 400 and nothing stored", async () => {
    const ec = [generateKeyPairSync('ec', { namedCurve: 'P-256' }), generateKeyPairSync('ec', { namedCurve: 'P-256' })].map((k) => k.privateKey.export({ format: 'jwk' }));
    // The fuzzer's case: a tiny private scalar under another key's point.
    const tiny = Buffer.alloc(32);
    tiny[15] = 1;
    for (const [name, key] of [
      ['mixed-ec', { ...ec[0], d: ec[1]!.d }],
      ['tiny-ec', { ...ec[0], d: tiny.toString('base64url') }],
    ] as const) {
      const e = await refusal(importKey(w.deps, w.request(kv, 'import', { key }), name));
      expect([e.status, e.code], e.message).toEqual([400, 'BadParameter']);
      expect((await refusal(getKey(w.deps, w.request(kv, 'get'), name))).status).toBe(404);
    }
    const rsa = [generateKeyPairSync('rsa', { modulusLength: 2048 }), generateKeyPairSync('rsa', { modulusLength: 2048 })].map((k) => k.privateKey.export({ format: 'jwk' }));
    const mixed = await refusal(importKey(w.deps, w.request(kv, 'import', { key: { ...rsa[0], n: rsa[1]!.n } }), 'mixed-rsa'));
    expect(mixed.status).toBe(400);
  });

  it('gets the latest version or a named one; an unknown key or version is KeyNotFound', async () => {
    const first = (await getKey(w.deps, w.request(kv, 'get'), 'rsa1')).body as Bundle;
    const rotated = (await rotateKey(w.deps, w.request(kv, 'rotate'), 'rsa1')).body as Bundle;
    expect(rotated.key.kid).not.toBe(first.key.kid);
    expect(Buffer.from(rotated.key.n!, 'base64url').length).toBe(256);
    expect(rotated.tags).toEqual({ env: 'test' });
    expect(((await getKey(w.deps, w.request(kv, 'get'), 'RSA1')).body as Bundle).key.kid).toBe(rotated.key.kid);
    const firstVersion = first.key.kid.split('/').pop()!;
    expect(((await getKey(w.deps, w.request(kv, 'get'), 'rsa1', firstVersion)).body as Bundle).key.kid).toBe(first.key.kid);
    const missing = await refusal(getKey(w.deps, w.request(kv, 'get'), 'nope'));
    expect([missing.status, missing.code]).toEqual([404, 'KeyNotFound']);
    const noVersion = await refusal(getKey(w.deps, w.request(kv, 'get'), 'rsa1', '0'.repeat(32)));
    expect(noVersion.message).toContain(`rsa1/${'0'.repeat(32)} was not found`);
    const versions = (await listVersions(w.deps, w.request(kv, 'listVersions'), 'rsa1')).body as { value: Array<{ kid: string }> };
    expect(versions.value.map((v) => v.kid)).toEqual([first.key.kid, rotated.key.kid]);
  });

  it('lists keys in pages of maxresults with a nextLink on the vault host', async () => {
    const page = (await listKeys(w.deps, w.request(kv, 'list', undefined, { query: { maxresults: '2' } }))).body as { value: Array<{ kid: string }>; nextLink: string | null };
    expect(page.value.map((k) => k.kid)).toEqual(['https://kv-ops.vault.azure.net/keys/ec1', 'https://kv-ops.vault.azure.net/keys/imported']);
    expect(page.nextLink).toBe(`https://kv-ops.vault.azure.net/keys?api-version=7.4&$skiptoken=${Buffer.from('2').toString('base64url')}&maxresults=2`);
    expect((await refusal(listKeys(w.deps, w.request(kv, 'list', undefined, { query: { maxresults: '26' } })))).message).toBe("The parameter 'maxresults' must be an integer from 1 to 25, not '26'.");
  });

  it('updates attributes and tags of a version; null clears an expiry', async () => {
    const b = (await updateKey(w.deps, w.request(kv, 'update', { attributes: { enabled: false, exp: 4102444800.7 }, tags: { a: 'b' } }), 'ec1')).body as Bundle;
    expect(b.attributes).toMatchObject({ enabled: false, exp: 4102444800 });
    expect(b.tags).toEqual({ a: 'b' });
    const cleared = (await updateKey(w.deps, w.request(kv, 'update', { attributes: { exp: null } }), 'ec1')).body as Bundle;
    expect(cleared.attributes).not.toHaveProperty('exp');
    expect(cleared.attributes.enabled).toBe(false);
    expect((await refusal(updateKey(w.deps, w.request(kv, 'update', { attributes: { enabled: 'yes' } }), 'ec1'))).message).toBe("The attribute 'enabled' must be a boolean.");
  });

  it('keeps a rotation policy, with the default one until it is set', async () => {
    expect((await getRotationPolicy(w.deps, w.request(kv, 'getRotationPolicy'), 'ec1')).body).toEqual({
      id: 'https://kv-ops.vault.azure.net/keys/ec1/rotationpolicy',
      lifetimeActions: [{ trigger: { timeBeforeExpiry: 'P30D' }, action: { type: 'Notify' } }],
      attributes: null,
    });
    const actions = [{ trigger: { timeAfterCreate: 'P90D' }, action: { type: 'Rotate' } }];
    const set = (await setRotationPolicy(w.deps, w.request(kv, 'setRotationPolicy', { lifetimeActions: actions, attributes: { expiryTime: 'P1Y' } }), 'ec1')).body as { lifetimeActions: unknown; attributes: { expiryTime: string } };
    expect(set.lifetimeActions).toEqual(actions);
    expect(set.attributes.expiryTime).toBe('P1Y');
    expect((await refusal(setRotationPolicy(w.deps, w.request(kv, 'setRotationPolicy', { lifetimeActions: [{ action: { type: 'Explode' } }] }), 'ec1'))).message).toBe(
      "Each lifetime action needs action.type 'Rotate' or 'Notify'.",
    );
  });
});
