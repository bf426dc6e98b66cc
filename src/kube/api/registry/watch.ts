/**
 * A watch of a collection over the store's watch (etcd semantics), as kube-apiserver's watch cache serves one:
 *
 * - `resourceVersion` unset or "0" (or `sendInitialEvents=true`): the current state as the initial objects, then
 *   the changes after it; `resourceVersion=N`: every change after N; a compacted N is a 410 Expired, a store
 *   that does not answer a 503 ServiceUnavailable (an ERROR event once the stream has started);
 * - label/field selectors apply to both the old and the new state: an object that stops matching is DELETED
 *   for this watcher, one that starts matching is ADDED.
 *
 * How the events reach a client (chunked JSON, tables, bookmarks, timeouts) is endpoints/watch.ts.
 */
import { CompactedError, StoreUnavailableError, type WatchEvent } from '../../../store/store.js';
import { kubeErrors, type KubeError } from '../machinery/errors.js';
import type { ResourceDef } from '../machinery/resource.js';
import type { FieldRequirement, LabelRequirement } from '../machinery/selectors.js';
import type { KubeObject } from '../../../clusters/stored-object.js';
import type { Registry } from './registry.js';
import { matches } from './selection.js';
import { parseRv } from './continue-token.js';

export interface WatchOptions {
  resourceVersion: string | undefined;
  sendInitialEvents: boolean | undefined;
  labelSelector: LabelRequirement[];
  fieldSelector: FieldRequirement[];
}

export interface ObjectEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

/**
 * `onChange` gets the revision of every store event in order, with the event this watcher sees (none when
 * the change does not match its selectors); `onError` ends the watch (410 Expired, 503 when the store does not
 * answer, or 500).
 */
export interface WatchHandlers {
  onChange(revision: number, event: ObjectEvent | undefined): void;
  onError(err: KubeError): void;
}

export interface ObjectWatch {
  /** The objects of the initial state (synthetic ADDED events), empty when starting after a given revision. */
  initial: KubeObject[];
  /** The revision the changes are delivered after. */
  startAfter: number;
  /** Starts delivering changes; rejects with a KubeError when the store cannot watch from `startAfter`. */
  follow(handlers: WatchHandlers): Promise<void>;
  /** Resolves once every change received so far has been delivered. */
  idle(): Promise<void>;
  cancel(): void;
}

/** Resolves where a watch starts (reading the initial state when it has one); errors come before any event. */
export async function openWatch(registry: Registry, def: ResourceDef, namespace: string | undefined, opts: WatchOptions): Promise<ObjectWatch> {
  const storage = registry.storage;
  const scopeNs = def.namespaced ? namespace : undefined;
  const transformer = await storage.transformer(def.resource);

  // Where to start: the current state (synthetic ADDED events) or the changes after a given revision.
  const rv = opts.resourceVersion;
  const initialState = opts.sendInitialEvents === true || ((rv === undefined || rv === '' || rv === '0') && opts.sendInitialEvents !== false);
  let initial: KubeObject[] = [];
  let startAfter: number;
  if (initialState) {
    const page = await storage.list(def.resource, scopeNs);
    initial = page.items.map((i) => i.obj).filter((o) => matches(def, o, opts));
    startAfter = page.revision;
  } else if (rv === undefined || rv === '' || rv === '0') {
    startAfter = await storage.revision();
  } else {
    startAfter = parseRv(rv, 'resource version');
  }

  let stopped = false;
  let storeWatch: { cancel(): void } | undefined;
  // Store events are decoded through the transformer one batch at a time, in order.
  let chain: Promise<void> = Promise.resolve();

  const follow = async (h: WatchHandlers): Promise<void> => {
    const fail = (err: KubeError) => {
      if (stopped) return;
      stopped = true;
      h.onError(err);
    };
    const onEvents = (events: WatchEvent[]) => {
      chain = chain.then(async () => {
        for (const ev of events) {
          if (stopped) return;
          const revision = ev.kv.modRevision;
          try {
            const cur = ev.type === 'put' ? (await storage.decode(transformer, ev.kv, { bulk: true })).obj : undefined;
            const prev = ev.prevKv ? (await storage.decode(transformer, ev.prevKv, { bulk: true })).obj : undefined;
            const curMatch = cur !== undefined && matches(def, cur, opts);
            const prevMatch = prev !== undefined && matches(def, prev, opts);
            const gone = (obj: KubeObject): ObjectEvent => ({ type: 'DELETED', object: { ...obj, metadata: { ...obj.metadata, resourceVersion: String(revision) } } });
            let event: ObjectEvent | undefined;
            if (ev.type === 'delete') {
              if (prev && prevMatch) event = gone(prev);
            } else if (curMatch && prevMatch) event = { type: 'MODIFIED', object: cur! };
            else if (curMatch) event = { type: 'ADDED', object: cur! };
            else if (prevMatch) event = gone(prev!);
            h.onChange(revision, event);
          } catch (err) {
            fail(kubeErrors.internal((err as Error).message));
            return;
          }
        }
      });
    };
    const onError = (err: Error) => {
      chain = chain.then(() => {
        if (err instanceof CompactedError) fail(kubeErrors.expired(`too old resource version: ${err.requested - 1} (${err.compactRevision})`));
        else if (err instanceof StoreUnavailableError) fail(kubeErrors.storeUnavailable()); // SPEC R-1
        else fail(kubeErrors.internal(err.message));
      });
    };
    try {
      storeWatch = await storage.watch(def.resource, scopeNs, startAfter + 1, onEvents, onError);
    } catch (err) {
      if (err instanceof CompactedError) throw kubeErrors.expired(`too old resource version: ${startAfter} (${err.compactRevision})`);
      if (err instanceof StoreUnavailableError) throw kubeErrors.storeUnavailable(); // SPEC R-1
      throw kubeErrors.internal((err as Error).message);
    }
    if (stopped) storeWatch.cancel();
  };

  return {
    initial,
    startAfter,
    follow,
    idle: () => chain,
    cancel: () => {
      stopped = true;
      storeWatch?.cancel();
    },
  };
}
