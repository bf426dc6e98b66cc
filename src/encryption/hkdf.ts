/**
 * HKDF-Expand (RFC 5869 §2.3) with SHA-256, without the extract step: KMS v2's seed mode derives each object's
 * DEK as HKDF-Expand(PRK = seed, info = 32 random bytes stored with the object, L = 32). node:crypto's hkdf always
 * runs extract first, so the expand step is composed here from HMAC-SHA256. The PRK may be a KeyObject, which a
 * caller deriving many keys from one seed makes once (node:crypto then skips preparing the raw key on each HMAC).
 */
import { createHmac, type KeyObject } from 'node:crypto';

const HASH_LEN = 32;

export function hkdfExpandSha256(prk: Buffer | KeyObject, info: Buffer, length: number): Buffer {
  const prkLength = Buffer.isBuffer(prk) ? prk.length : (prk.symmetricKeySize ?? 0);
  if (prkLength < HASH_LEN) throw new Error(`HKDF PRK must be at least ${HASH_LEN} bytes`);
  if (length > 255 * HASH_LEN) throw new Error('HKDF output too long');
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let i = 1; blocks.length * HASH_LEN < length; i++) {
    previous = createHmac('sha256', prk).update(previous).update(info).update(Buffer.from([i])).digest();
    blocks.push(previous);
  }
  return blocks.length === 1 && length === HASH_LEN ? previous : Buffer.concat(blocks).subarray(0, length);
}
