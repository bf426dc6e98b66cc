/**
 * The writes this process made to the clusters' registries, told synchronously as each one commits: the controllers'
 * watch-fed caches (controllers/informers.ts) apply them at once, so a controller reads its own writes (and the API's)
 * in the next pass instead of waiting for the store's watch to deliver them. Without that, a ReplicaSet controller
 * reading a cache that has not seen the pods it just created would create them again (upstream's controllers keep
 * "expectations" for the same reason). The store's watch still delivers every change, from any writer; a change
 * told here and delivered again later is recognised by its revision and applied once.
 */

/** One committed write: a put's stored bytes (after the storage transformer) or a delete, at `modRevision`. */
export type LocalWrite = { type: 'put'; key: string; value: Buffer; modRevision: number } | { type: 'delete'; key: string; modRevision: number };

export class LocalWrites {
  private readonly listeners = new Map<string, Set<(w: LocalWrite) => void>>();

  /** Follows the writes to one cluster's registry; answers the unsubscribe. */
  subscribe(clusterUid: string, listener: (w: LocalWrite) => void): () => void {
    let set = this.listeners.get(clusterUid);
    if (!set) this.listeners.set(clusterUid, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(clusterUid) === set) this.listeners.delete(clusterUid);
    };
  }

  publish(clusterUid: string, write: LocalWrite): void {
    const set = this.listeners.get(clusterUid);
    if (!set) return;
    for (const l of set) l(write);
  }
}
