/**
 * Fuzz, the KMS plugin socket (SPEC ): a KMS cluster on a spawned emulator serves kube-apiserver's
 * KMS v1beta1 and v2 gRPC APIs on a unix socket in the data directory (one plugin per key, in the emulator's
 * process); generated calls — random and huge plaintexts, random, truncated and bit-flipped ciphertexts, empty
 * fields, wrong key ids and annotations, and raw bytes that are not the request messages at all — each get a gRPC
 * status before the deadline (never a hang), a decrypt of what is not a ciphertext is an error, and afterwards the
 * plugin still encrypts and decrypts, and the instance still answers its status.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsCallError, KmsV1Client, KmsV2Client } from '../../src/encryption/kms-api/client.js';
import type { Annotations } from '../../src/encryption/kms-api/protos.js';
import { spawnEmulator, useEnvironment, type SpawnedEmulator } from '../../testkit/emulator.js';
import { getToken } from '../../testkit/http.js';
import { identity, importKey, kit, kmsCluster, rawCluster, resourceGroup, setPolicy, vault } from '../kms/fixtures.js';
import { fuzz, runs, spawnedTarget, Tally, timeoutFor, within, type FuzzTarget } from './harness.js';
import { hostileKey, oddString } from './generators.js';

const BOUNDED = 60;
/** The clients' deadline: kube-apiserver's is 3 s; a call still unanswered after this long is a hang. */
const DEADLINE_MS = 15_000;
/** Codes that mean the plugin did not answer: it hung, or its socket is gone. */
const NO_ANSWER = new Set([grpc.status.DEADLINE_EXCEEDED, grpc.status.UNAVAILABLE, grpc.status.CANCELLED]);

/** Plaintexts: empty, the sizes around RSA-2048's limits, large and over gRPC's 4 MiB message limit. */
const plaintext = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(0, 1, 32, 190, 191, 245, 246, 256, 1024).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })).map((b) => Buffer.from(b)) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.constantFrom(100_000, 3 * 1024 * 1024, 5 * 1024 * 1024).map((n) => Buffer.alloc(n, 7)) },
);

/** A ciphertext derived from a genuine one: truncated, extended, bit-flipped, re-encoded; or random bytes. */
function ciphertext(genuine: () => Buffer): fc.Arbitrary<{ bytes: Buffer; garbage: boolean }> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 600 }).map((b) => ({ bytes: Buffer.from(b), garbage: true })),
    fc.nat().map((n) => {
      const g = genuine();
      return { bytes: g.subarray(0, n % g.length), garbage: true };
    }),
    fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([i, bit]) => {
      const b = Buffer.from(genuine());
      b[i % b.length]! ^= 1 << bit;
      // A flipped bit may leave a base64url character that decodes to the same bytes: not always garbage.
      return { bytes: b, garbage: false };
    }),
    // Longer than the text Key Vault returned, or in padded standard base64: never the ciphertext's text.
    fc.uint8Array({ minLength: 1, maxLength: 8 }).map((extra) => ({ bytes: Buffer.concat([genuine(), Buffer.from(extra)]), garbage: true })),
    fc.constant(0).map(() => ({ bytes: Buffer.from(`${Buffer.from(genuine().toString(), 'base64url').toString('base64')}=`), garbage: true })),
    fc.constant(0).map(() => ({ bytes: genuine(), garbage: false })),
  );
}

describe('fuzz: KMS plugin socket (SPEC R-1, R-4)', () => {
  let emu: SpawnedEmulator;
  let armToken: string;
  let emulatorTarget: FuzzTarget;
  let target: FuzzTarget;
  let socket: string;
  let v1: KmsV1Client;
  let v2: KmsV2Client;
  let raw: grpc.Client;
  const tally = new Tally('kms');
  const genuine: { v1?: Buffer; v2?: { ciphertext: Buffer; key_id: string; annotations: Annotations } } = {};

  /** The gRPC status of a call (OK when it succeeded); a call that does not answer is a failure. */
  async function outcome<T>(call: Promise<T>): Promise<{ code: grpc.status; value?: T; detail?: string }> {
    try {
      const value = await within(DEADLINE_MS + 5_000, 'a KMS call', call);
      return { code: grpc.status.OK, value };
    } catch (err) {
      if (!(err instanceof KmsCallError) && !('code' in (err as object))) throw err;
      const code = (err as { code?: grpc.status }).code ?? grpc.status.UNKNOWN;
      return { code, detail: (err as Error).message };
    }
  }

  function record(o: { code: grpc.status; detail?: string }, what: string): void {
    tally.answer(grpc.status[o.code] ?? String(o.code));
    expect(NO_ANSWER.has(o.code), `${what}: ${grpc.status[o.code]} ${o.detail ?? ''}`).toBe(false);
  }

  /** A good encrypt and decrypt through both APIs: the plugin still works after what it was sent. */
  async function roundTrip(): Promise<void> {
    const dek = Buffer.from('a-data-encryption-key-of-32-byte');
    expect((await v1.decrypt(await v1.encrypt(dek))).equals(dek)).toBe(true);
    const enc = await v2.encrypt(dek);
    expect((await v2.decrypt({ ciphertext: enc.ciphertext, keyId: enc.key_id, annotations: enc.annotations })).equals(dek)).toBe(true);
    expect((await v2.status()).healthz).toBe('ok');
  }

  beforeAll(async () => {
    emu = await spawnEmulator();
    useEnvironment(emu.env);
    armToken = await getToken(emu.url, emu.env);
    emulatorTarget = spawnedTarget(emu, () => armToken);
    target = { ...emulatorTarget, healthy: async () => (await emulatorTarget.healthy(), await roundTrip()) };
    const k = kit(emu.env);
    await resourceGroup(k, 'fuzz');
    await vault(k, 'fuzz', 'fuzz-kms-kv');
    const id = await identity(k, 'fuzz', 'fuzz-kms-id');
    await setPolicy(k, 'fuzz', 'fuzz-kms-kv', id.principalId);
    const key = await importKey(k, 'fuzz-kms-kv', 'kms-key');
    const mc = await k.aks.managedClusters.beginCreateOrUpdateAndWait('fuzz', 'fuzz-kms', kmsCluster({ identityId: id.id, kid: key.kid }));
    const uid = (await rawCluster(emu.url, emu.env, mc.id!)).properties.resourceUID as string;
    const dir = join(emu.dataDir, 'kms', uid);
    const name = readdirSync(dir).find((f) => f.endsWith('.sock'));
    expect(name, `a plugin socket in ${dir}`).toBeDefined();
    socket = `unix://${join(dir, name!)}`;
    v1 = new KmsV1Client(socket, DEADLINE_MS);
    v2 = new KmsV2Client(socket, DEADLINE_MS);
    raw = new grpc.Client(join(dir, name!).replace(/^/, 'unix://'), grpc.credentials.createInsecure());
    genuine.v1 = await v1.encrypt(Buffer.alloc(32, 1));
    genuine.v2 = await v2.encrypt(Buffer.alloc(32, 2));
    await roundTrip();
  }, 180_000);
  afterAll(async () => {
    tally.report();
    v1?.close();
    v2?.close();
    raw?.close();
    await emu?.stop();
  });

  it('v1beta1 Encrypt and Decrypt with generated plaintexts and ciphertexts', async () => {
    const input = fc.oneof(plaintext.map((p) => ({ op: 'encrypt' as const, p })), ciphertext(() => genuine.v1!).map((c) => ({ op: 'decrypt' as const, c })));
    await fuzz(tally, 'v1', input, async (i) => {
      if (i.op === 'encrypt') {
        const o = await outcome(v1.encrypt(i.p));
        record(o, `v1 Encrypt of ${i.p.length} bytes`);
        if (i.p.length === 0) expect(o.code).toBe(grpc.status.INVALID_ARGUMENT);
        if (i.p.length > 0 && i.p.length <= 245) expect(o.code, o.detail).toBe(grpc.status.OK);
      } else {
        const o = await outcome(v1.decrypt(i.c.bytes));
        record(o, `v1 Decrypt of ${i.c.bytes.length} bytes`);
        if (i.c.garbage) expect(o.code, 'a decrypt of what is not a ciphertext succeeded').not.toBe(grpc.status.OK);
      }
    }, { runs: BOUNDED, target });
  }, timeoutFor(runs(BOUNDED)));

  it('v2 Status, Encrypt and Decrypt with generated fields, key ids and annotations', async () => {
    const annotations = fc.oneof(
      fc.constant(undefined),
      fc.constant({}),
      fc.dictionary(fc.oneof(fc.constantFrom('version.azure.akv.io', 'algorithm.azure.akv.io', 'date.azure.akv.io', 'x-ms-request-id.azure.akv.io'), hostileKey), fc.oneof(fc.constantFrom('1', '2', 'RSA-OAEP-256', 'RSA1_5', ''), oddString.filter((s) => s.length < 1000)).map((s) => Buffer.from(s)), { maxKeys: 5 }),
      fc.tuple(fc.constantFrom('version.azure.akv.io', 'algorithm.azure.akv.io'), fc.constantFrom('', '0', 'RSA-OAEP', '1 ')).map(([k, v]) => ({ ...genuine.v2!.annotations, [k]: Buffer.from(v) })),
    );
    const keyId = fc.oneof(fc.constant('genuine'), fc.constantFrom('', 'x', '0'.repeat(64), 'A'.repeat(100_000)), oddString.filter((s) => s.length < 1000));
    const input = fc.oneof(
      fc.constant({ op: 'status' as const }),
      fc.tuple(plaintext, fc.oneof(fc.constant(''), oddString.filter((s) => s.length < 1000))).map(([p, uid]) => ({ op: 'encrypt' as const, p, uid })),
      fc.record({ c: ciphertext(() => genuine.v2!.ciphertext), keyId, annotations: fc.oneof(fc.constant('genuine' as const), annotations), uid: fc.oneof(fc.constant(''), oddString.filter((s) => s.length < 1000)) }).map((d) => ({ op: 'decrypt' as const, ...d })),
    );
    await fuzz(tally, 'v2', input, async (i) => {
      if (i.op === 'status') {
        const o = await outcome(v2.status());
        record(o, 'v2 Status');
        expect(o.code, o.detail).toBe(grpc.status.OK);
      } else if (i.op === 'encrypt') {
        const o = await outcome(v2.encrypt(i.p, i.uid));
        record(o, `v2 Encrypt of ${i.p.length} bytes`);
        if (i.p.length === 0) expect(o.code).toBe(grpc.status.INVALID_ARGUMENT);
        if (i.p.length > 0 && i.p.length <= 190) expect(o.code, o.detail).toBe(grpc.status.OK);
      } else {
        const keyIdValue = i.keyId === 'genuine' ? genuine.v2!.key_id : i.keyId;
        const notes = i.annotations === 'genuine' ? genuine.v2!.annotations : i.annotations;
        const o = await outcome(v2.decrypt({ ciphertext: i.c.bytes, keyId: keyIdValue, annotations: notes as Annotations, uid: i.uid }));
        record(o, `v2 Decrypt of ${i.c.bytes.length} bytes`);
        if (keyIdValue !== genuine.v2!.key_id || i.c.garbage) expect(o.code, 'a decrypt that cannot be right succeeded').not.toBe(grpc.status.OK);
      }
    }, {
      runs: BOUNDED,
      target,
      // A status message quoting a 100,000-character key id never reached the client: the call hung.
      examples: [{ op: 'decrypt', c: { bytes: Buffer.from('AAAA'), garbage: true }, keyId: 'A'.repeat(100_000), annotations: 'genuine', uid: '' }],
    });
  }, timeoutFor(runs(BOUNDED)));

  it('raw bytes that are not the request messages, to every method and to methods that do not exist', async () => {
    const methods = ['/v1beta1.KeyManagementService/Version', '/v1beta1.KeyManagementService/Encrypt', '/v1beta1.KeyManagementService/Decrypt', '/v2.KeyManagementService/Status', '/v2.KeyManagementService/Encrypt', '/v2.KeyManagementService/Decrypt', '/v2.KeyManagementService/Nope', '/v3.KeyManagementService/Status', '/'];
    const message = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      // Field 1 (bytes) with a length that runs past the end, field 4 (a map) with a broken entry, a varint that never ends.
      fc.constantFrom(Buffer.from([0x0a, 0xff, 0xff, 0x03, 0x01]), Buffer.from([0x22, 0x04, 0x0a, 0x02, 0x61]), Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), Buffer.from([0x12, 0x02, 0xc3, 0x28]), Buffer.alloc(0)),
    );
    const input = fc.record({ method: fc.constantFrom(...methods), message, metadata: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), fc.stringMatching(/^[ -~]{0,50}$/), { maxKeys: 3 }) });
    await fuzz(tally, 'raw', input, async ({ method, message: bytes, metadata }) => {
      const md = new grpc.Metadata();
      for (const [k, v] of Object.entries(metadata)) if (!/^(grpc-|content-type$|te$|user-agent$|host$)/.test(k)) md.set(k, v);
      const call = new Promise<Buffer>((resolve, reject) =>
        raw.makeUnaryRequest(method, (b: Buffer) => b, (b: Buffer) => b, bytes, md, { deadline: Date.now() + DEADLINE_MS }, (err, res) => (err ? reject(err) : resolve(res!))),
      );
      const o = await outcome(call);
      record(o, `${method} with ${bytes.length} raw bytes`);
      if (!method.startsWith('/v1beta1.KeyManagementService/') && !/^\/v2\.KeyManagementService\/(Status|Encrypt|Decrypt)$/.test(method)) expect(o.code).toBe(grpc.status.UNIMPLEMENTED);
    }, { runs: BOUNDED, target });
  }, timeoutFor(runs(BOUNDED)));
});
