/**
 * KMS v2 seed mode's per-object encryption under one seed, as kube-apiserver's extended-nonce AES-GCM transformer
 * does it (k8s.io/apiserver .../value/encrypt/aes, HKDF_SHA256_XNONCE_AES_GCM_SEED):
 *
 *   encryptedData = info(32) || nonce(12) || AES-256-GCM(object, AAD = etcd key) || tag(16),
 *   DEK = HKDF-Expand(SHA-256, PRK = seed, info, 32)
 *
 * Every write draws a fresh info, so every object has its own DEK. Like kube-apiserver, the transformer keeps the
 * DEK it derived for each etcd key (on write and on read) for 10 minutes, and reuses it on a read whose info is the
 * same: reading an object that was just written or read costs no key derivation. An entry is keyed by the etcd
 * key, so a client creating objects under new names adds at most one small entry per name for the TTL; expired
 * entries are dropped as new ones are added (kube-apiserver's expiring cache serves an expired entry until then,
 * and so does this one). Given a SeedCryptoPool, the HKDF and AES-GCM run on its worker thread, and the cache stays
 * here.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { GCM_NONCE_BYTES, GCM_TAG_BYTES, gcmOpen, gcmSeal } from './aes-gcm.js';
import { hkdfExpandSha256 } from './hkdf.js';
import { randomBytesFast } from './random.js';
import { SeedCryptoError, type SeedCryptoPool } from './seed-crypto-pool.js';

export const SEED_INFO_BYTES = 32;
const DEK_BYTES = 32;

/** kube-apiserver's cacheTTL for derived keys. */
export const DERIVED_KEY_TTL_MS = 10 * 60_000;

/** Opens one seed-mode value, info(32) || nonce(12) || ciphertext || tag(16), without a transformer (its caches). */
export function openWithSeed(seed: Buffer, encryptedData: Buffer, etcdKey: string): Buffer {
  checkLength(encryptedData);
  return gcmOpen(hkdfExpandSha256(seed, encryptedData.subarray(0, SEED_INFO_BYTES), DEK_BYTES), encryptedData.subarray(SEED_INFO_BYTES), Buffer.from(etcdKey, 'utf8'));
}

function checkLength(encryptedData: Buffer): void {
  if (encryptedData.length < SEED_INFO_BYTES + GCM_NONCE_BYTES + GCM_TAG_BYTES) throw new Error('the stored data was shorter than the required size');
}

interface DerivedKey {
  /** info(32) || DEK(32), in memory of its own (see `remember`). */
  infoAndDek: Buffer;
  expiresMs: number;
}

export class SeedTransformer {
  /** By etcd key, oldest first: an entry set again moves to the end, so expired entries are found at the front. */
  private readonly derived = new Map<string, DerivedKey>();
  private readonly seedKey: KeyObject;

  constructor(
    private readonly seed: Buffer,
    private readonly now: () => number,
    /** Where the HKDF and AES-GCM run; on this thread without one, or once its worker has gone. */
    private readonly pool?: SeedCryptoPool,
    private readonly ttlMs = DERIVED_KEY_TTL_MS,
  ) {
    if (seed.length < 32) throw new Error(`invalid seed length ${seed.length} used for key generation`);
    this.seedKey = createSecretKey(seed);
  }

  /** `here`: on this thread even with a pool (one of many values a caller walks through; see `open`). */
  async seal(plain: Buffer, etcdKey: string, here = false): Promise<Buffer> {
    const fresh = randomBytesFast(SEED_INFO_BYTES + GCM_NONCE_BYTES);
    const info = fresh.subarray(0, SEED_INFO_BYTES);
    const nonce = fresh.subarray(SEED_INFO_BYTES);
    if (this.pool?.available && !here) {
      const { out, dek } = await this.pool.seal(this.seed, info, nonce, plain, etcdKey);
      this.remember(etcdKey, info, dek);
      return Buffer.concat([info, out]);
    }
    const dek = hkdfExpandSha256(this.seedKey, info, DEK_BYTES);
    this.remember(etcdKey, info, dek);
    return Buffer.concat([info, gcmSeal(dek, plain, Buffer.from(etcdKey, 'utf8'), nonce)]);
  }

  /**
   * `here`: on this thread even with a pool. A caller walking through many values (a list, a watch, a migration)
   * awaits them one by one, and a round trip to the worker for each would make the walk several times slower.
   */
  async open(encryptedData: Buffer, etcdKey: string, here = false): Promise<Buffer> {
    checkLength(encryptedData);
    const info = encryptedData.subarray(0, SEED_INFO_BYTES);
    const sealed = encryptedData.subarray(SEED_INFO_BYTES);
    const cached = this.derived.get(etcdKey)?.infoAndDek;
    const cachedDek = cached && cached.subarray(0, SEED_INFO_BYTES).equals(info) ? cached.subarray(SEED_INFO_BYTES) : undefined;
    if (this.pool?.available && !here) {
      try {
        const { out, dek } = await this.pool.open(cachedDek ? { dek: cachedDek } : { seed: this.seed, info }, sealed, etcdKey);
        if (!cachedDek) this.remember(etcdKey, info, dek);
        return out;
      } catch (err) {
        if (!cachedDek && err instanceof SeedCryptoError && err.dek) this.remember(etcdKey, info, err.dek);
        throw err;
      }
    }
    let dek = cachedDek;
    if (!dek) {
      dek = hkdfExpandSha256(this.seedKey, info, DEK_BYTES);
      this.remember(etcdKey, info, dek);
    }
    return gcmOpen(dek, sealed, Buffer.from(etcdKey, 'utf8'));
  }

  /** How many derived keys are cached (tests). */
  get cachedKeys(): number {
    return this.derived.size;
  }

  /** Caches the DEK derived for `etcdKey` from `info`, as kube-apiserver does on every derivation (write or read). */
  private remember(etcdKey: string, info: Buffer, dek: Buffer): void {
    const now = this.now();
    // Copies into memory of their own: the info is a slice of the stored value or of a block of random bytes, and
    // small Buffers share 8 KiB pool slabs, so keeping slices would keep whole slabs alive for the TTL.
    const infoAndDek = Buffer.allocUnsafeSlow(SEED_INFO_BYTES + DEK_BYTES);
    info.copy(infoAndDek, 0);
    dek.copy(infoAndDek, SEED_INFO_BYTES);
    this.derived.delete(etcdKey);
    this.derived.set(etcdKey, { infoAndDek, expiresMs: now + this.ttlMs });
    for (const [key, entry] of this.derived) {
      if (entry.expiresMs > now) break;
      this.derived.delete(key);
    }
  }
}
