/**
 * KMS v2 envelope encryption as kube-apiserver ≥ 1.29 does it (KEP-3299, seed mode), byte for byte:
 *
 *   k8s:enc:kms:v2:<name>: || protobuf EncryptedObject {
 *     encryptedData = info(32) || nonce(12) || AES-256-GCM(object, AAD = etcd key) || tag(16),
 *     keyID = the plugin's key_id, encryptedDEKSource = the seed as the plugin encrypted it,
 *     annotations = the plugin's, encryptedDEKSourceType = HKDF_SHA256_XNONCE_AES_GCM_SEED }
 *
 * with DEK = HKDF-Expand(SHA-256, PRK = seed, info, 32) (seed-transformer.ts). The 32-byte seed is made when the
 * provider starts and whenever the plugin's Status reports a new key_id, and is encrypted once through the plugin:
 * writes cost no plugin call. Status is polled every minute (10 s after a failure, here lazily on the next write);
 * writes fail once 3 minutes have passed since the last good Status. Reads decrypt each distinct encrypted seed
 * once through the plugin and cache it for 24 h (the current seed needs no lookup). A value whose keyID is not the
 * current key_id — or written in the legacy AES_GCM_KEY mode — reads as stale, so a no-op update re-encrypts it.
 */
import { randomBytes } from 'node:crypto';
import type { KmsV2Client } from './kms-api/client.js';
import type { Annotations } from './kms-api/protos.js';
import { gcmOpen } from './aes-gcm.js';
import {
  DEK_SOURCE_AES_GCM_KEY,
  DEK_SOURCE_HKDF_SEED,
  decodeEncryptedObject,
  type EncryptedObject,
  EncryptedObjectEncoder,
  validateEncryptedObject,
} from './encrypted-object.js';
import type { SeedCryptoPool } from './seed-crypto-pool.js';
import { SeedTransformer } from './seed-transformer.js';
import type { EncryptionProvider, ProviderHealth, TransformOptions } from './types.js';

export const kmsV2Prefix = (name: string) => Buffer.from(`k8s:enc:kms:v2:${name}:`);

const SEED_BYTES = 32;

export interface KmsV2Timing {
  /** Status poll period while healthy (kube-apiserver: 1 min). */
  statusPeriodMs: number;
  /** Status poll period after a failure (10 s). */
  failurePeriodMs: number;
  /** How long the write state stays usable after the last good Status (3 min). */
  stateTtlMs: number;
  /** How long a decrypted seed stays cached (24 h). */
  seedCacheTtlMs: number;
}

export const KMS_V2_TIMING: KmsV2Timing = { statusPeriodMs: 60_000, failurePeriodMs: 10_000, stateTtlMs: 180_000, seedCacheTtlMs: 24 * 3600_000 };

/** A seed as the plugin decrypted it, and the transformer of the values written under it. */
interface SeedEntry {
  seed: Buffer;
  transformer: SeedTransformer;
  expiresMs: number;
}

interface WriteState {
  keyId: string;
  seed: SeedEntry;
  encryptedSeed: Buffer;
  annotations: Annotations;
  /** The EncryptedObject fields that are the same for every value written under this seed, encoded once. */
  encoder: EncryptedObjectEncoder;
}

export class KmsV2Provider implements EncryptionProvider {
  readonly kind = 'kms-v2' as const;
  readonly prefix: Buffer;
  private state: WriteState | undefined;
  private lastStatusMs = -Infinity;
  private lastStatusOk = false;
  private lastGoodStatusMs = -Infinity;
  private lastError = 'the KMS v2 plugin has not answered Status yet';
  private polling: Promise<void> | undefined;
  private readonly seeds = new Map<string, SeedEntry>();

  constructor(
    readonly name: string,
    private readonly client: KmsV2Client,
    private readonly now: () => number,
    private readonly timing: KmsV2Timing = KMS_V2_TIMING,
    /** Where the per-object HKDF and AES-GCM run (a worker thread); on this thread without one. */
    private readonly pool?: SeedCryptoPool,
  ) {
    this.prefix = kmsV2Prefix(name);
  }

  /** The key id new values are written under (undefined until a Status succeeded). */
  get currentKeyId(): string | undefined {
    return this.state?.keyId;
  }

  /** One Status poll (concurrent callers share it); a new key_id makes a new seed. */
  poll(): Promise<void> {
    this.polling ??= this.doPoll().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async doPoll(): Promise<void> {
    const at = this.now();
    try {
      const s = await this.client.status();
      const problem = statusProblem(s);
      if (problem) throw new Error(problem);
      if (!this.state || this.state.keyId !== s.key_id) {
        const seed = this.seedEntry(randomBytes(SEED_BYTES), at);
        const enc = await this.client.encrypt(seed.seed);
        if (enc.key_id !== s.key_id) throw new Error(`the plugin encrypted with key id ${enc.key_id} while Status reported ${s.key_id}`);
        const encryptedSeed = Buffer.from(enc.ciphertext);
        this.state = {
          keyId: enc.key_id,
          seed,
          encryptedSeed,
          annotations: enc.annotations,
          encoder: new EncryptedObjectEncoder({ keyID: enc.key_id, encryptedDEKSource: encryptedSeed, annotations: enc.annotations, encryptedDEKSourceType: DEK_SOURCE_HKDF_SEED }),
        };
        this.seeds.set(cacheKey(this.state.encryptedSeed), seed);
      }
      this.lastStatusOk = true;
      this.lastGoodStatusMs = at;
    } catch (err) {
      this.lastStatusOk = false;
      this.lastError = (err as Error).message;
    } finally {
      this.lastStatusMs = at;
    }
  }

  private async writeState(): Promise<WriteState> {
    const now = this.now();
    const period = this.lastStatusOk ? this.timing.statusPeriodMs : this.timing.failurePeriodMs;
    if (!this.state || now - this.lastStatusMs >= period) await this.poll();
    if (!this.state) throw new Error(`KMSv2 plugin ${this.name} is not ready: ${this.lastError}`);
    if (this.now() - this.lastGoodStatusMs > this.timing.stateTtlMs) {
      throw new Error(`failed to encrypt: KMSv2 write state for provider ${this.name} expired, the last successful Status was at ${new Date(this.lastGoodStatusMs).toISOString()}: ${this.lastError}`);
    }
    return this.state;
  }

  async write(plain: Buffer, etcdKey: string, opts?: TransformOptions): Promise<Buffer> {
    const st = await this.writeState();
    return Buffer.concat([this.prefix, st.encoder.encode(await st.seed.transformer.seal(plain, etcdKey, opts?.bulk))]);
  }

  async read(payload: Buffer, etcdKey: string, opts?: TransformOptions): Promise<{ plain: Buffer; stale: boolean }> {
    const obj = decodeEncryptedObject(payload);
    validateEncryptedObject(obj);
    const entry = this.cachedSeed(obj) ?? (await this.decryptSeed(obj));
    const plain =
      obj.encryptedDEKSourceType === DEK_SOURCE_AES_GCM_KEY ? gcmOpen(entry.seed, obj.encryptedData, Buffer.from(etcdKey, 'utf8')) : await entry.transformer.open(obj.encryptedData, etcdKey, opts?.bulk);
    const stale = obj.encryptedDEKSourceType !== DEK_SOURCE_HKDF_SEED || (this.state !== undefined && obj.keyID !== this.state.keyId);
    return { plain, stale };
  }

  /** The seed a value was written under when it is the current one or cached (no plugin call, no await). */
  private cachedSeed(obj: EncryptedObject): SeedEntry | undefined {
    if (this.state && obj.encryptedDEKSource.equals(this.state.encryptedSeed)) return this.state.seed;
    const entry = this.seeds.get(cacheKey(obj.encryptedDEKSource));
    return entry && entry.expiresMs > this.now() ? entry : undefined;
  }

  /** One plugin Decrypt of the seed a value was written under, cached for `seedCacheTtlMs`. */
  private async decryptSeed(obj: EncryptedObject): Promise<SeedEntry> {
    const seed = await this.client.decrypt({ ciphertext: obj.encryptedDEKSource, keyId: obj.keyID, annotations: obj.annotations });
    const entry = this.seedEntry(seed, this.now());
    this.seeds.set(cacheKey(obj.encryptedDEKSource), entry);
    return entry;
  }

  private seedEntry(seed: Buffer, now: number): SeedEntry {
    return { seed, transformer: new SeedTransformer(seed, this.now, this.pool), expiresMs: now + this.timing.seedCacheTtlMs };
  }

  /** kube-apiserver's v2 probe: a Status call that must report healthz "ok", a v2 version and a key id. */
  async health(): Promise<ProviderHealth> {
    await this.poll();
    if (this.lastStatusOk) return { ok: true };
    return { ok: false, message: `kms provider ${this.name}: ${this.lastError}` };
  }

  dropCaches(): void {
    this.seeds.clear();
    this.state = undefined;
    this.lastStatusMs = -Infinity;
  }

  close(): void {
    this.client.close();
  }
}

function cacheKey(encryptedSource: Buffer): string {
  return encryptedSource.toString('base64');
}

/** Why a Status answer is not healthy (kube-apiserver's checks), or undefined. */
export function statusProblem(s: { version: string; healthz: string; key_id: string }): string | undefined {
  if (s.healthz !== 'ok') return `got unexpected healthz status: ${s.healthz}`;
  if (s.version !== 'v2' && s.version !== 'v2beta1') return `expected KMSv2 API version v2, got ${s.version}`;
  if (!s.key_id) return 'got unexpected empty keyID';
  return undefined;
}
