/**
 * The KMS v2 `EncryptedObject` protobuf (src/encryption/proto/encrypted-object.proto) through protobufjs, and
 * kube-apiserver's validation of it (ValidateEncryptedObject): encryptedData, keyID and encryptedDEKSource
 * present, keyID and encryptedDEKSource at most 1 KiB, annotation keys DNS names, annotations at most 32 KiB.
 */
import { createRequire } from 'node:module';
import type * as Protobuf from 'protobufjs';
import { protoFile } from '../util/proto-file.js';

export const DEK_SOURCE_AES_GCM_KEY = 0;
export const DEK_SOURCE_HKDF_SEED = 1;

export interface EncryptedObject {
  encryptedData: Buffer;
  keyID: string;
  encryptedDEKSource: Buffer;
  annotations: Record<string, Buffer>;
  encryptedDEKSourceType: number;
}

let type: Protobuf.Type | undefined;
function messageType(): Protobuf.Type {
  // Loaded on first use (synchronously: the transformers are synchronous here): only KMS v2 clusters need it.
  type ??= (createRequire(import.meta.url)('protobufjs') as typeof Protobuf).loadSync(protoFile('encryption', 'encrypted-object.proto')).lookupType('v2.EncryptedObject');
  return type;
}

/** Encodes the fields present in `o` (absent ones are not written). */
function encodeFields(o: Partial<EncryptedObject>): Buffer {
  const t = messageType();
  const fields: Record<string, unknown> = { ...o };
  if (o.annotations) {
    // Map entries in key order, as Go's deterministic marshalling writes them.
    const annotations: Record<string, Buffer> = {};
    for (const k of Object.keys(o.annotations).sort()) annotations[k] = o.annotations[k]!;
    fields.annotations = annotations;
  }
  return Buffer.from(t.encode(t.fromObject(fields)).finish());
}

export function encodeEncryptedObject(o: EncryptedObject): Buffer {
  return encodeFields(o);
}

/**
 * Encodes many EncryptedObjects that share every field but encryptedData (all values written under one seed):
 * the shared fields (2–5) are encoded once by protobufjs, and each value's encryptedData (field 1) is encoded by
 * protobufjs and put in front. Fields in field-number order, as a full encode writes them: the bytes are the
 * same as `encodeEncryptedObject` of the whole message.
 */
export class EncryptedObjectEncoder {
  private readonly tail: Buffer;

  constructor(shared: Omit<EncryptedObject, 'encryptedData'>) {
    this.tail = encodeFields(shared);
  }

  encode(encryptedData: Buffer): Buffer {
    const head = messageType().encode({ encryptedData }).finish();
    return Buffer.concat([head, this.tail]);
  }
}

export function decodeEncryptedObject(bytes: Buffer): EncryptedObject {
  let msg: { encryptedData?: Uint8Array; keyID?: string; encryptedDEKSource?: Uint8Array; annotations?: Record<string, Uint8Array>; encryptedDEKSourceType?: number };
  try {
    msg = messageType().decode(bytes) as typeof msg;
  } catch (err) {
    throw new Error(`failed to unmarshal encrypted object: ${(err as Error).message}`);
  }
  // protobufjs gives node Buffers for bytes fields and the proto3 defaults for absent ones.
  const buf = (v: Uint8Array | undefined) => (Buffer.isBuffer(v) ? v : Buffer.from(v ?? []));
  const annotations: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(msg.annotations ?? {})) annotations[k] = buf(v);
  return {
    encryptedData: buf(msg.encryptedData),
    keyID: msg.keyID ?? '',
    encryptedDEKSource: buf(msg.encryptedDEKSource),
    annotations,
    encryptedDEKSourceType: msg.encryptedDEKSourceType ?? 0,
  };
}

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function validateEncryptedObject(o: EncryptedObject): void {
  if (o.encryptedData.length === 0) throw new Error('encrypted data is empty');
  if (o.encryptedDEKSourceType !== DEK_SOURCE_AES_GCM_KEY && o.encryptedDEKSourceType !== DEK_SOURCE_HKDF_SEED) {
    throw new Error(`unknown encryptedDEKSourceType: ${o.encryptedDEKSourceType}`);
  }
  if (o.encryptedDEKSource.length === 0) throw new Error('encryptedDEKSource is empty');
  if (o.encryptedDEKSource.length > 1024) throw new Error(`encryptedDEKSource is ${o.encryptedDEKSource.length} bytes, which exceeds the max size of 1024`);
  if (o.keyID === '') throw new Error('keyID is empty');
  if (Buffer.byteLength(o.keyID) > 1024) throw new Error(`keyID is ${Buffer.byteLength(o.keyID)} bytes, which exceeds the max size of 1024`);
  let total = 0;
  for (const [k, v] of Object.entries(o.annotations)) {
    if (!DNS_NAME.test(k)) throw new Error(`annotation key ${JSON.stringify(k)} is not a fully qualified domain name`);
    total += Buffer.byteLength(k) + v.length;
  }
  if (total > 32 * 1024) throw new Error(`annotations size ${total} exceeds the max size of 32768`);
}
