/**
 * One cluster's Kubernetes objects in the store, the way kube-apiserver keeps them in etcd (SPEC A-3):
 *
 *   <cluster prefix>/registry/<resource>/<namespace>/<name>   namespaced objects
 *   <cluster prefix>/registry/<resource>/<name>               cluster-scoped objects (nodes as "minions")
 *
 * Values are the objects' JSON (stored-object.ts conventions: no resourceVersion, which is the key's mod
 * revision) passed through the resource's storage transformer. This is the only place that reads or writes a
 * cluster's registry for the API, so every write goes through `toStorage` and every read through `fromStorage`.
 */
import { clusterPrefix, clusterRecordKey, etcdKey, type ClusterRecord } from '../../clusters/cluster-registry.js';
import { decodeObject, encodeObject, type KubeObject } from '../../clusters/stored-object.js';
import type { Condition, KeyValue, Store, TxnOp, Watch, WatchEvent } from '../../store/store.js';
import { KubeError } from '../api/machinery/errors.js';
import { decodeStoredProtobuf, isProtobufObject } from '../api/machinery/protobuf.js';
import type { StorageTransformer, TransformOptions } from '../../encryption/types.js';
import type { StorageTransformers } from '../../encryption/transformers.js';
import type { LocalWrites } from './local-writes.js';

const BULK: TransformOptions = { bulk: true };
/** Objects per transaction of `createAll`: within the stores' limit of 128 operations (etcd's default), the condition on the cluster record included. */
const CREATE_BATCH = 60;

export interface StoredObject<T extends KubeObject = KubeObject> {
  obj: T;
  /** The key's mod revision: the object's resourceVersion. */
  modRevision: number;
  /** True when the stored bytes are not in the form the current transformer writes (re-encrypt on update). */
  stale: boolean;
  key: string;
}

export interface ListPage<T extends KubeObject = KubeObject> {
  items: Array<StoredObject<T>>;
  /** Store revision at which the page was read. */
  revision: number;
  /** Whether keys follow the last one read. */
  more: boolean;
  /** The last key read (for continue tokens), when any. */
  lastKey: string | undefined;
}

export type WriteOutcome<T extends KubeObject = KubeObject> = { ok: true; stored: StoredObject<T> } | { ok: false; current: StoredObject<T> | undefined };

/** A storage transformer failed (a KMS plugin down, a key deleted): kube-apiserver answers 500 for that object. */
export class TransformError extends Error {
  constructor(
    readonly etcdKey: string,
    cause: unknown,
  ) {
    super(`unable to transform key "${etcdKey}": ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'TransformError';
  }
}

/** The cluster was deleted: its registry takes no more writes (a request or controller pass in flight stops). */
export class ClusterGoneError extends Error {
  constructor(uid: string) {
    super(`cluster ${uid} has been deleted`);
    this.name = 'ClusterGoneError';
  }
}

/**
 * An object from its stored bytes: aksemu's JSON, or the protobuf a real kube-apiserver writes (the kinds
 * `decodeStoredProtobuf` reads), so an etcd shared with kube-apiserver serves its secrets too. Either way
 * resourceVersion is the key's mod revision. Bytes neither can read are an internal error naming the key.
 */
function decodeStored<T extends KubeObject>(plain: Buffer, modRevision: number, etcdKey: string): T {
  if (!isProtobufObject(plain)) return decodeObject<T>(plain, modRevision);
  let obj: T;
  try {
    obj = decodeStoredProtobuf(plain) as T;
  } catch (err) {
    throw new KubeError(500, 'InternalError', `Internal error occurred: unable to decode ${etcdKey}: ${(err as Error).message}`);
  }
  obj.metadata = { ...(obj.metadata ?? {}), resourceVersion: String(modRevision) };
  return obj;
}

export class ObjectStorage {
  private readonly prefix: string;
  /** Mod revision of the ClusterRecord, read once: every write is conditional on it (see `write`). */
  private recordRevision: number | undefined;

  constructor(
    readonly store: Store,
    readonly cluster: ClusterRecord,
    private readonly transformers: StorageTransformers,
    /** Told of every committed write (the controllers' caches read their own writes through it). */
    private readonly localWrites?: LocalWrites,
  ) {
    this.prefix = clusterPrefix(cluster.uid);
  }

  /** The store key of an object. */
  key(resource: string, namespace: string | undefined, name: string): string {
    return `${this.prefix}${etcdKey(resource, namespace, name)}`;
  }

  /** The store prefix of a collection: all namespaces when `namespace` is undefined. */
  collectionPrefix(resource: string, namespace: string | undefined): string {
    const base = etcdKey(resource, undefined, '');
    return namespace ? `${this.prefix}${base}${namespace}/` : `${this.prefix}${base}`;
  }

  /** The real etcd key of a store key (what kube-apiserver would use, e.g. as KMS v2 authenticated data). */
  etcdKeyOf(storeKey: string): string {
    return storeKey.slice(this.prefix.length);
  }

  transformer(resource: string): Promise<StorageTransformer> {
    return this.transformers.forResource(this.cluster, resource);
  }

  /** `opts.bulk`: one of many objects the caller walks through (a list page, a watch). */
  async decode<T extends KubeObject>(t: StorageTransformer, kv: KeyValue, opts?: TransformOptions): Promise<StoredObject<T>> {
    const ek = this.etcdKeyOf(kv.key);
    let plain: Buffer;
    let stale: boolean;
    try {
      ({ plain, stale } = await t.fromStorage(kv.value, ek, opts));
    } catch (err) {
      throw new TransformError(ek, err);
    }
    return { obj: decodeStored<T>(plain, kv.modRevision, ek), modRevision: kv.modRevision, stale, key: kv.key };
  }

  private async encode(t: StorageTransformer, key: string, obj: KubeObject): Promise<Buffer> {
    const ek = this.etcdKeyOf(key);
    try {
      return await t.toStorage(encodeObject(obj), ek);
    } catch (err) {
      // A transformer may refuse a write as the API would (KMS v1's 2,000-secret limit: 403 Forbidden).
      if (err instanceof KubeError) throw err;
      throw new TransformError(ek, err);
    }
  }

  async get<T extends KubeObject>(resource: string, namespace: string | undefined, name: string): Promise<StoredObject<T> | undefined> {
    const kv = await this.store.get(this.key(resource, namespace, name));
    if (!kv) return undefined;
    return this.decode<T>(await this.transformer(resource), kv);
  }

  /** One page of a collection in key order, starting after `after` (a store key). */
  async list<T extends KubeObject>(resource: string, namespace: string | undefined, opts: { limit?: number; after?: string } = {}): Promise<ListPage<T>> {
    const prefix = this.collectionPrefix(resource, namespace);
    const page = await this.store.range(prefix, { ...(opts.limit ? { limit: opts.limit } : {}), ...(opts.after ? { after: opts.after } : {}) });
    const t = await this.transformer(resource);
    const items: Array<StoredObject<T>> = [];
    for (const kv of page.items) items.push(await this.decode<T>(t, kv, BULK));
    return { items, revision: page.revision, more: page.more, lastKey: page.items.length > 0 ? page.items[page.items.length - 1]!.key : undefined };
  }

  /** How many objects of a collection follow the store key `after` (keys only: nothing is decoded). */
  async countAfter(resource: string, namespace: string | undefined, after: string): Promise<number> {
    const page = await this.store.range(this.collectionPrefix(resource, namespace), { after, keysOnly: true });
    return page.items.length;
  }

  /**
   * Conditional writes in one transaction (each key at its mod revision `expected`) that also require the cluster to
   * still exist, so that nothing lands under a deleted cluster's prefix after its deletion (which removes the
   * ClusterRecord and the prefix in one transaction). Throws ClusterGoneError when the cluster is gone; answers
   * false on a conflict (then nothing was written).
   */
  private async write(writes: Array<{ key: string; expected: number; op: TxnOp }>): Promise<{ ok: boolean; revision: number }> {
    const recordKey = clusterRecordKey(this.cluster.uid);
    for (let attempt = 0; attempt < 3; attempt++) {
      if (this.recordRevision === undefined) this.recordRevision = (await this.store.get(recordKey))?.modRevision ?? 0;
      if (this.recordRevision === 0) throw new ClusterGoneError(this.cluster.uid);
      const conditions: Condition[] = [...writes.map((w) => ({ key: w.key, modRevision: w.expected })), { key: recordKey, modRevision: this.recordRevision }];
      const res = await this.store.txn({ if: conditions, then: writes.map((w) => w.op) });
      if (res.succeeded) return { ok: true, revision: res.revision };
      const record = await this.store.get(recordKey);
      if (record?.modRevision === this.recordRevision) return { ok: false, revision: res.revision };
      // The record was deleted (gone) or rewritten (read it again and retry).
      this.recordRevision = record?.modRevision ?? 0;
    }
    return { ok: false, revision: 0 };
  }

  /**
   * Creates many new objects of a kind in as few transactions as the store takes (events of a controller pass):
   * one write instead of one per object. A batch that conflicts (a name taken meanwhile) is written object by
   * object, and the objects whose names are taken are left out. Answers how many were written.
   */
  async createAll(resource: string, objs: KubeObject[]): Promise<number> {
    const t = await this.transformer(resource);
    let written = 0;
    for (let i = 0; i < objs.length; i += CREATE_BATCH) {
      const batch: Array<{ key: string; expected: number; op: TxnOp & { type: 'put' } }> = [];
      for (const obj of objs.slice(i, i + CREATE_BATCH)) {
        const key = this.key(resource, obj.metadata.namespace || undefined, obj.metadata.name!);
        batch.push({ key, expected: 0, op: { type: 'put', key, value: await this.encode(t, key, obj) } });
      }
      const res = await this.write(batch);
      if (res.ok) {
        for (const w of batch) this.localWrites?.publish(this.cluster.uid, { type: 'put', key: w.key, value: w.op.value, modRevision: res.revision });
        written += batch.length;
        continue;
      }
      for (const w of batch) {
        const one = await this.write([w]);
        if (!one.ok) continue;
        this.localWrites?.publish(this.cluster.uid, { type: 'put', key: w.key, value: w.op.value, modRevision: one.revision });
        written++;
      }
    }
    return written;
  }

  /** Writes `obj` at its key if the key's mod revision is `expected` (0: absent). */
  async put<T extends KubeObject>(resource: string, obj: T, expected: number): Promise<WriteOutcome<T>> {
    const key = this.key(resource, obj.metadata.namespace || undefined, obj.metadata.name!);
    const t = await this.transformer(resource);
    const value = await this.encode(t, key, obj);
    const res = await this.write([{ key, expected, op: { type: 'put', key, value } }]);
    if (!res.ok) return { ok: false, current: undefined };
    this.localWrites?.publish(this.cluster.uid, { type: 'put', key, value, modRevision: res.revision });
    const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(res.revision) } } as T;
    return { ok: true, stored: { obj: stored, modRevision: res.revision, stale: false, key } };
  }

  /** Deletes the key if its mod revision is `expected`; answers the revision of the delete. */
  async delete(resource: string, namespace: string | undefined, name: string, expected: number): Promise<{ ok: boolean; revision: number }> {
    const key = this.key(resource, namespace, name);
    const res = await this.write([{ key, expected, op: { type: 'delete', key } }]);
    if (res.ok) this.localWrites?.publish(this.cluster.uid, { type: 'delete', key, modRevision: res.revision });
    return res;
  }

  async revision(): Promise<number> {
    return this.store.revision();
  }

  /** Follows a collection's changes after `fromRevision - 1` (every event with revision >= fromRevision). */
  watch(
    resource: string,
    namespace: string | undefined,
    fromRevision: number | undefined,
    onEvents: (events: WatchEvent[]) => void,
    onError: (err: Error) => void,
  ): Promise<Watch> {
    return this.store.watch(this.collectionPrefix(resource, namespace), fromRevision !== undefined ? { fromRevision } : {}, onEvents, onError);
  }
}
