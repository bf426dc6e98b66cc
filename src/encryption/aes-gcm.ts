/**
 * AES-GCM as kube-apiserver's aes transformer uses it (k8s.io/apiserver/pkg/storage/value/encrypt/aes): a random
 * 12-byte nonce, the 16-byte tag appended, and the object's etcd key as additional authenticated data, so a value
 * copied under another key does not decrypt. Output layout: nonce(12) || ciphertext || tag(16).
 * AES-128/192/256 by the key's length.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const GCM_NONCE_BYTES = 12;
export const GCM_TAG_BYTES = 16;

function algorithmFor(key: Buffer): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  if (key.length === 16) return 'aes-128-gcm';
  if (key.length === 24) return 'aes-192-gcm';
  if (key.length === 32) return 'aes-256-gcm';
  throw new Error(`invalid AES key length ${key.length}: must be 16, 24 or 32 bytes`);
}

export function gcmSeal(key: Buffer, plain: Buffer, aad: Buffer, nonce: Buffer = randomBytes(GCM_NONCE_BYTES)): Buffer {
  const c = createCipheriv(algorithmFor(key), key, nonce, { authTagLength: GCM_TAG_BYTES });
  c.setAAD(aad);
  const body = c.update(plain);
  c.final();
  return Buffer.concat([nonce, body, c.getAuthTag()]);
}

export function gcmOpen(key: Buffer, data: Buffer, aad: Buffer): Buffer {
  if (data.length < GCM_NONCE_BYTES + GCM_TAG_BYTES) throw new Error('the stored data was shorter than the required size');
  const nonce = data.subarray(0, GCM_NONCE_BYTES);
  const tag = data.subarray(data.length - GCM_TAG_BYTES);
  const d = createDecipheriv(algorithmFor(key), key, nonce, { authTagLength: GCM_TAG_BYTES });
  d.setAAD(aad);
  d.setAuthTag(tag);
  const body = d.update(data.subarray(GCM_NONCE_BYTES, data.length - GCM_TAG_BYTES));
  try {
    d.final();
  } catch {
    throw new Error('cipher: message authentication failed');
  }
  return body;
}
