/**
 * The controllers' watch-fed caches of one cluster (upstream's shared informers): each kind the controllers read is
 * listed once and then kept current by the store's watch of its key prefix, and by this process's own writes as
 * they commit (storage/local-writes.ts), so a pass reads its own writes without waiting for the watch. A pass reads
 * the cache instead of listing and decoding every object of the cluster again, which was most of a pass's cost on
 * a large cluster (SPEC W-20).
 *
 * Every change carries its revision and is applied only when newer than what the cache holds for the key (a delete
 * leaves a tombstone with its revision), so the same change told twice, or late, is applied once and never undoes a
 * newer one. Objects are decoded when first read after a change and handed out as shared, immutable snapshots: a
 * controller that needs a changed object builds a new one (under vitest they are frozen, so a mutation fails a test).
 * Nothing is persisted: after a restart, or when the watch fails (history compacted), the kind is listed again. The
 * store's resourceVersion preconditions stay the guard against acting on an object that changed meanwhile.
 */
import type { KubeObject } from '../../clusters/stored-object.js';
import type { KeyValue, Store, Watch, WatchEvent } from '../../store/store.js';
import type { ResourceDef } from '../api/machinery/resource.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import type { LocalWrite, LocalWrites } from '../storage/local-writes.js';

/** What a pass reads collections through: the cluster's objects of a kind, in key order, not to be mutated. */
export interface Lister {
  list<T extends KubeObject>(def: ResourceDef<any>): Promise<T[]>;
}

interface Entry {
  modRevision: number;
  /** The stored bytes while not yet decoded. */
  kv?: KeyValue;
  obj?: KubeObject;
}

/** Freezes cached objects where tests run, so that a controller mutating a shared snapshot fails loudly. */
const FREEZE = process.env.VITEST !== undefined;

function deepFreeze<T>(v: T): T {
  if (typeof v !== 'object' || v === null || Object.isFrozen(v)) return v;
  for (const child of Object.values(v)) deepFreeze(child);
  return Object.freeze(v);
}

class Informer {
  private entries = new Map<string, Entry>();
  /** Revisions of recent deletes, so that a put told late (older) does not bring the object back. */
  private tombstones = new Map<string, number>();
  /** The items in key order, rebuilt after a change. */
  private items: KubeObject[] | undefined;
  private sortedKeys: string[] | undefined;
  private watch: Watch | undefined;
  /** Counts changes: a list built while one landed is not kept. */
  private generation = 0;
  /** Set while the kind is being listed: local writes meanwhile wait here. */
  private buffered: LocalWrite[] | undefined;
  private stopped = false;

  constructor(
    readonly prefix: string,
    private readonly def: ResourceDef<any>,
    private readonly storage: () => ObjectStorage,
    private readonly store: Store,
    private readonly onChange: () => void,
    private readonly onError: (err: Error) => void,
  ) {}

  /**
   * Lists the kind and watches it from the revision listed. A failed watch is reported to `onError`: the owner
   * drops these caches and starts new ones (nothing may read a cache that stopped following the store).
   */
  async start(): Promise<void> {
    this.buffered = [];
    try {
      const page = await this.store.range(this.prefix);
      if (this.stopped) return;
      this.entries = new Map(page.items.map((kv) => [kv.key, { modRevision: kv.modRevision, kv }]));
      this.changed();
      // Writes the list already reflects (or superseded) are dropped: only those after its revision are news.
      for (const w of this.buffered) if (w.modRevision > page.revision) this.applyLocal(w);
      this.watch = await this.store.watch(this.prefix, { fromRevision: page.revision + 1 }, (events) => this.applyEvents(events), (err) => {
        if (!this.stopped) this.onError(err);
      });
      if (this.stopped) this.watch.cancel();
    } finally {
      this.buffered = undefined;
    }
  }

  stop(): void {
    this.stopped = true;
    this.watch?.cancel();
    this.watch = undefined;
  }

  /** A write of this process to a key of this kind. */
  local(w: LocalWrite): void {
    if (this.buffered) this.buffered.push(w);
    else this.applyLocal(w);
  }

  private applyLocal(w: LocalWrite): void {
    if (w.type === 'put') this.put({ key: w.key, value: w.value, modRevision: w.modRevision, createRevision: 0, version: 0 });
    else this.remove(w.key, w.modRevision, false);
  }

  private applyEvents(events: WatchEvent[]): void {
    for (const ev of events) {
      if (ev.type === 'put') this.put(ev.kv);
      else this.remove(ev.kv.key, ev.kv.modRevision, true);
    }
    this.onChange();
  }

  private put(kv: KeyValue): void {
    const known = this.entries.get(kv.key)?.modRevision ?? this.tombstones.get(kv.key) ?? 0;
    if (kv.modRevision <= known) return;
    if (!this.entries.has(kv.key)) this.sortedKeys = undefined;
    this.tombstones.delete(kv.key);
    this.entries.set(kv.key, { modRevision: kv.modRevision, kv });
    this.items = undefined;
    this.generation++;
  }

  /**
   * A delete at `revision`. Told by this process, it leaves a tombstone until the watch delivers it, so that an
   * older put the watch still holds does not bring the object back; the watch delivers in revision order, so once
   * it has delivered the delete nothing older can follow.
   */
  private remove(key: string, revision: number, fromWatch: boolean): void {
    const entry = this.entries.get(key);
    if (fromWatch) {
      if ((this.tombstones.get(key) ?? Infinity) <= revision) this.tombstones.delete(key);
    } else if (!entry || entry.modRevision < revision) {
      this.tombstones.set(key, Math.max(revision, this.tombstones.get(key) ?? 0));
    }
    if (entry && entry.modRevision < revision) {
      this.entries.delete(key);
      this.changed();
    }
  }

  private changed(): void {
    this.items = undefined;
    this.sortedKeys = undefined;
    this.generation++;
  }

  async list<T extends KubeObject>(): Promise<T[]> {
    if (this.items) return this.items.slice() as T[];
    const generation = this.generation;
    // Key order, as a store range answers (keys are ASCII, so code-unit order is byte order).
    const keys = (this.sortedKeys ??= [...this.entries.keys()].sort());
    const storage = this.storage();
    const t = await storage.transformer(this.def.resource);
    const items: KubeObject[] = [];
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (!entry) continue;
      if (!entry.obj) {
        const { obj } = await storage.decode(t, entry.kv!, { bulk: true });
        entry.obj = FREEZE ? deepFreeze(obj) : obj;
        delete entry.kv;
      }
      items.push(entry.obj);
    }
    // A change while decoding (an asynchronous transformer) makes this list a moment old: answer it, keep nothing.
    if (generation === this.generation) this.items = items;
    return items.slice() as T[];
  }
}

/** The informers of one cluster, one per kind the controllers read. */
export class ClusterInformers implements Lister {
  private readonly informers = new Map<string, Informer>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly deps: { store: Store; localWrites: LocalWrites; storage: () => ObjectStorage },
    private readonly clusterUid: string,
    defs: Array<ResourceDef<any>>,
    onChange: () => void,
    onError: (err: Error) => void,
  ) {
    const storage = deps.storage();
    for (const def of defs) {
      const prefix = storage.collectionPrefix(def.resource, undefined);
      this.informers.set(def.resource, new Informer(prefix, def, deps.storage, deps.store, onChange, onError));
    }
  }

  /** Lists every kind and starts following it. */
  async start(): Promise<void> {
    this.unsubscribe ??= this.deps.localWrites.subscribe(this.clusterUid, (w) => {
      for (const inf of this.informers.values()) {
        if (w.key.startsWith(inf.prefix)) {
          inf.local(w);
          return;
        }
      }
    });
    for (const inf of this.informers.values()) await inf.start();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const inf of this.informers.values()) inf.stop();
  }

  list<T extends KubeObject>(def: ResourceDef<any>): Promise<T[]> {
    const inf = this.informers.get(def.resource);
    if (!inf) throw new Error(`no informer for ${def.resource}`);
    return inf.list<T>();
  }
}
