/**
 * KMS v1 envelope encryption (kube-apiserver < 1.27 on AKS; k8s.io/apiserver envelope transformer), byte for byte:
 *
 *   k8s:enc:kms:v1:<name>: || uint16 big-endian len(encDEK) || encDEK || nonce(12) || AES-256-GCM(ct || tag)
 *
 * A fresh 32-byte DEK per write, wrapped by one plugin Encrypt call (so writes fail at once when the plugin or its
 * key is gone); the object is sealed with AES-GCM and its etcd key as additional data. Reads unwrap the DEK through
 * the plugin unless it is in the LRU cache (`cachesize`, default 1000) of recently seen encrypted DEKs, so a read
 * of a recently written or read object works while the plugin is down, and a cache miss fails.
 */
import { randomBytes } from 'node:crypto';
import type { KmsV1Client } from './kms-api/client.js';
import { gcmOpen, gcmSeal } from './aes-gcm.js';
import { Lru } from './lru.js';
import type { EncryptionProvider, ProviderHealth } from './types.js';

export const DEFAULT_V1_CACHE_SIZE = 1000;
const DEK_BYTES = 32;

export const kmsV1Prefix = (name: string) => Buffer.from(`k8s:enc:kms:v1:${name}:`);

/** The pieces of a KMS v1 value after its prefix. */
export function splitV1Payload(payload: Buffer): { encryptedDek: Buffer; data: Buffer } {
  if (payload.length < 2) throw new Error('invalid data: the KMS v1 envelope is too short');
  const len = payload.readUInt16BE(0);
  if (len === 0 || payload.length < 2 + len) throw new Error(`invalid data: the encrypted DEK length ${len} does not fit the envelope`);
  return { encryptedDek: payload.subarray(2, 2 + len), data: payload.subarray(2 + len) };
}

export class KmsV1Provider implements EncryptionProvider {
  readonly kind = 'kms-v1' as const;
  readonly prefix: Buffer;
  private readonly cache: Lru<string, Buffer>;

  constructor(
    readonly name: string,
    private readonly client: KmsV1Client,
    cacheSize = DEFAULT_V1_CACHE_SIZE,
  ) {
    this.prefix = kmsV1Prefix(name);
    this.cache = new Lru(cacheSize);
  }

  async write(plain: Buffer, etcdKey: string): Promise<Buffer> {
    const dek = randomBytes(DEK_BYTES);
    const encryptedDek = await this.client.encrypt(dek);
    if (encryptedDek.length === 0 || encryptedDek.length > 0xffff) throw new Error(`the KMS plugin returned an encrypted DEK of ${encryptedDek.length} bytes`);
    const sealed = gcmSeal(dek, plain, Buffer.from(etcdKey, 'utf8'));
    this.cache.set(encryptedDek.toString('base64'), dek);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(encryptedDek.length, 0);
    return Buffer.concat([this.prefix, len, encryptedDek, sealed]);
  }

  async read(payload: Buffer, etcdKey: string): Promise<{ plain: Buffer; stale: boolean }> {
    const { encryptedDek, data } = splitV1Payload(payload);
    const cacheKey = encryptedDek.toString('base64');
    let dek = this.cache.get(cacheKey);
    if (!dek) {
      dek = await this.client.decrypt(encryptedDek);
      this.cache.set(cacheKey, dek);
    }
    return { plain: gcmOpen(dek, data, Buffer.from(etcdKey, 'utf8')), stale: false };
  }

  /** kube-apiserver's v1 probe: an Encrypt of "ping" through the plugin. */
  async health(): Promise<ProviderHealth> {
    try {
      await this.client.encrypt(Buffer.from('ping'));
      return { ok: true };
    } catch (err) {
      return { ok: false, message: `failed to perform encrypt section of the healthz check for KMS Provider ${this.name}, error: ${(err as Error).message}` };
    }
  }

  dropCaches(): void {
    this.cache.clear();
  }

  close(): void {
    this.client.close();
  }
}
