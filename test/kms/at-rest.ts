/**
 * The tests' own reading of values at rest, independent of aksemu's transformer code: the KMS v2 EncryptedObject is
 * decoded with the upstream Kubernetes .proto (the reference copy in the shared folder, testkit/shared.ts) through protobufjs,
 * the DEK or seed is unwrapped with the test's copy of the Key Vault private key (node:crypto; node-forge for
 * RSA1_5), the v2 DEK is HKDF-Expand by one HMAC-SHA256 block, and AES-GCM is node:crypto's with the etcd key as
 * additional data.
 */
import { createDecipheriv, createHash, createHmac, type KeyObject } from 'node:crypto';
import protobuf from 'protobufjs';
import type { Store } from '../../src/store/store.js';
import { sharedReference } from '../../testkit/shared.js';
import { rsaUnwrap } from './support.js';

const root = protobuf.loadSync(sharedReference('apiserver-kmsv2-encryptedobject-api.proto'));
const EncryptedObject = root.lookupType('v2.EncryptedObject');

function gcmOpen(key: Buffer, data: Buffer, aad: string): Buffer {
  const d = createDecipheriv(`aes-${key.length * 8}-gcm` as 'aes-256-gcm', key, data.subarray(0, 12));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([d.update(data.subarray(12, data.length - 16)), d.final()]);
}

export interface AtRestValue {
  format: 'plaintext' | 'kms-v1' | 'kms-v2';
  provider?: string;
  /** v2: the keyID in the EncryptedObject. */
  keyId?: string;
  raw: Buffer;
}

export async function rawSecret(store: Store, uid: string, ns: string, name: string): Promise<AtRestValue> {
  const kv = await store.get(`/clusters/${uid}/registry/secrets/${ns}/${name}`);
  if (!kv) throw new Error(`no secret ${ns}/${name} at rest`);
  const raw = kv.value;
  const m = /^k8s:enc:kms:(v1|v2):([^:]+):/.exec(raw.subarray(0, 200).toString('latin1'));
  if (!m) return { format: 'plaintext', raw };
  if (m[1] === 'v1') return { format: 'kms-v1', provider: m[2]!, raw };
  const obj = EncryptedObject.toObject(EncryptedObject.decode(raw.subarray(m[0].length))) as { keyID: string };
  return { format: 'kms-v2', provider: m[2]!, keyId: obj.keyID, raw };
}

/** A KMS v2 value's EncryptedObject as the upstream .proto decodes it (what the plugin's Encrypt put there). */
export function encryptedObject(v: AtRestValue): { keyID: string; annotations: Record<string, Buffer>; encryptedDEKSource: Buffer; encryptedDEKSourceType: number } {
  const m = /^k8s:enc:kms:v2:[^:]+:/.exec(v.raw.subarray(0, 200).toString('latin1'));
  if (!m) throw new Error('not a KMS v2 value');
  const obj = EncryptedObject.toObject(EncryptedObject.decode(v.raw.subarray(m[0].length)), { enums: Number }) as { keyID: string; annotations?: Record<string, Uint8Array>; encryptedDEKSource: Uint8Array; encryptedDEKSourceType: number };
  const annotations = Object.fromEntries(Object.entries(obj.annotations ?? {}).map(([k, b]) => [k, Buffer.from(b)]));
  return { keyID: obj.keyID, annotations, encryptedDEKSource: Buffer.from(obj.encryptedDEKSource), encryptedDEKSourceType: obj.encryptedDEKSourceType };
}

export const kidHash = (kid: string) => createHash('sha256').update(kid).digest('hex');

/** Decrypts a stored secret with a Key Vault private key the test holds; returns the Secret object. */
export function decryptSecret(v: AtRestValue, etcdKey: string, privateKey: KeyObject): any {
  return JSON.parse(openSecret(v, etcdKey, privateKey).toString('utf8'));
}

/** Decrypts a stored secret with a Key Vault private key the test holds; returns the object's stored bytes. */
export function openSecret(v: AtRestValue, etcdKey: string, privateKey: KeyObject): Buffer {
  const m = /^k8s:enc:kms:(v1|v2):([^:]+):/.exec(v.raw.subarray(0, 200).toString('latin1'))!;
  const payload = v.raw.subarray(m[0].length);
  if (m[1] === 'v1') {
    const len = payload.readUInt16BE(0);
    const dek = rsaUnwrap(privateKey, payload.subarray(2, 2 + len), 'RSA1_5');
    return gcmOpen(dek, payload.subarray(2 + len), etcdKey);
  }
  const obj = EncryptedObject.toObject(EncryptedObject.decode(payload), { enums: Number }) as { encryptedData: Buffer; encryptedDEKSource: Buffer; encryptedDEKSourceType: number };
  if (obj.encryptedDEKSourceType !== 1) throw new Error(`unexpected DEK source type ${obj.encryptedDEKSourceType}`);
  const seed = rsaUnwrap(privateKey, Buffer.from(obj.encryptedDEKSource), 'RSA-OAEP-256');
  const data = Buffer.from(obj.encryptedData);
  const dek = createHmac('sha256', seed).update(data.subarray(0, 32)).update(Buffer.from([1])).digest();
  return gcmOpen(dek, data.subarray(32), etcdKey);
}
