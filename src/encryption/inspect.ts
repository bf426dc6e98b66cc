/**
 * What a value at rest is, read from its bytes alone (no key needed): plaintext, KMS v1 under a provider name, or
 * KMS v2 under a provider name and key id — the question `aksemu aks encryption status` answers for every secret.
 */
import { decodeEncryptedObject } from './encrypted-object.js';
import { ENCRYPTED_PREFIX } from './types.js';

export type AtRest =
  | { kind: 'plaintext' }
  | { kind: 'kms-v1'; provider: string }
  | { kind: 'kms-v2'; provider: string; keyId: string }
  /** Another transformer (aescbc, secretbox...) or a malformed value. */
  | { kind: 'other'; prefix: string };

const KMS = /^k8s:enc:kms:(v1|v2):([^:]+):/;

export function classify(value: Buffer): AtRest {
  if (!value.subarray(0, ENCRYPTED_PREFIX.length).equals(ENCRYPTED_PREFIX)) return { kind: 'plaintext' };
  const head = value.subarray(0, 300).toString('latin1');
  const m = KMS.exec(head);
  if (!m) return { kind: 'other', prefix: head.split(':').slice(0, 4).join(':') };
  if (m[1] === 'v1') return { kind: 'kms-v1', provider: m[2]! };
  try {
    return { kind: 'kms-v2', provider: m[2]!, keyId: decodeEncryptedObject(value.subarray(m[0].length)).keyID };
  } catch {
    return { kind: 'other', prefix: m[0] };
  }
}
