/**
 * How Kubernetes objects are kept in the store (the conventions every writer of a cluster's registry follows):
 *
 * - JSON encoding of the object (kube-apiserver's `--storage-media-type=application/json`), so a value can be read
 *   by a real kube-apiserver; secrets go through the storage transformer (identity or KMS) on top of that.
 * - `metadata.resourceVersion` is not stored: on read it is the key's mod revision, as upstream does with etcd.
 * - `metadata.uid` and `metadata.creationTimestamp` are set once, at creation.
 */
import { randomUUID } from 'node:crypto';
import { ContentionError, type KeyValue, type Store } from '../store/store.js';

export interface KubeObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  generation?: number;
  generateName?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  finalizers?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

/** Any Kubernetes object as JSON: apiVersion, kind, metadata and the kind's own fields (the API's and the store's). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: KubeObjectMeta;
  [field: string]: unknown;
}

/** Bytes to store for an object: its JSON without resourceVersion. */
export function encodeObject(obj: KubeObject): Buffer {
  const { resourceVersion: _rv, ...metadata } = obj.metadata;
  return Buffer.from(JSON.stringify({ ...obj, metadata }), 'utf8');
}

/** The object in stored bytes (already through the transformer), with resourceVersion from the mod revision. */
export function decodeObject<T extends KubeObject = KubeObject>(plain: Buffer, modRevision: number): T {
  const obj = JSON.parse(plain.toString('utf8')) as T;
  obj.metadata = { ...obj.metadata, resourceVersion: String(modRevision) };
  return obj;
}

/** Fills the fields the API server sets on create (uid, creationTimestamp). */
export function stampNew<T extends KubeObject>(obj: T, now: Date): T {
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      uid: obj.metadata.uid ?? randomUUID(),
      creationTimestamp: obj.metadata.creationTimestamp ?? now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
  };
}

/**
 * Read-modify-write of a plain (not encrypted) object with compare-and-swap, as a controller (a node's kubelet,
 * the scheduler) does it: `mutate` gets the current object or undefined and returns the new one, or undefined to
 * leave it. Retries on conflict. Returns the object as stored.
 */
export async function upsertObject<T extends KubeObject>(
  store: Store,
  key: string,
  now: () => Date,
  mutate: (current: T | undefined) => T | undefined,
  attempts = 20,
): Promise<T | undefined> {
  for (let i = 0; i < attempts; i++) {
    const kv: KeyValue | undefined = await store.get(key);
    const current = kv ? decodeObject<T>(kv.value, kv.modRevision) : undefined;
    let next = mutate(current);
    if (next === undefined) return current;
    if (!kv) next = stampNew(next, now());
    const res = await store.put(key, encodeObject(next), { ifModRevision: kv?.modRevision ?? 0 });
    if (res.succeeded) return decodeObject<T>(encodeObject(next), res.revision);
  }
  throw new ContentionError(key);
}
