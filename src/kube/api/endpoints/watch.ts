/**
 * Watch (`?watch=true`): a chunked HTTP response of JSON events, one a line ({"type":"ADDED","object":{...}}),
 * following the store's watch (etcd semantics) of a collection's key prefix, as kube-apiserver streams them:
 *
 * - `resourceVersion` unset or "0": synthetic ADDED events for the current state, then changes after it;
 *   `resourceVersion=N`: every change after N; a compacted N ends the stream with an ERROR event (410 Expired);
 * - `sendInitialEvents=true` (watch-list): the initial ADDED events end with a BOOKMARK annotated
 *   `k8s.io/initial-events-end: "true"`;
 * - label/field selectors apply to both the old and the new state: an object that stops matching is DELETED
 *   for this watcher, one that starts matching is ADDED;
 * - `allowWatchBookmarks=true`: periodic BOOKMARK events carrying the latest resourceVersion delivered;
 * - `timeoutSeconds`: the stream ends cleanly after that long (after a last bookmark, when allowed);
 * - Table output (`kubectl get -w`): each event's object is a one-row Table.
 */
import type { FastifyReply } from 'fastify';
import type { WatchEvent } from '../../../store/store.js';
import { CompactedError } from '../../../store/store.js';
import { KubeError, kubeErrors } from '../machinery/errors.js';
import type { OutputKind } from '../machinery/negotiation.js';
import { partialObjectMetadata, table, type IncludeObject } from '../machinery/output.js';
import type { Registry } from '../registry/registry.js';
import { matches } from '../registry/selection.js';
import { apiVersionOf, type ResourceDef, type StrategyContext } from '../machinery/resource.js';
import type { FieldRequirement, LabelRequirement } from '../machinery/selectors.js';
import type { KubeObject } from '../../stored-object.js';

export interface WatchRequest {
  def: ResourceDef;
  namespace: string | undefined;
  resourceVersion: string | undefined;
  resourceVersionMatch: string | undefined;
  sendInitialEvents: boolean | undefined;
  allowWatchBookmarks: boolean;
  timeoutSeconds: number | undefined;
  labelSelector: LabelRequirement[];
  fieldSelector: FieldRequirement[];
  output: OutputKind;
  contentType: string;
  includeObject: IncludeObject;
  now: () => Date;
}

/** kube-apiserver's default watch timeout is randomized in [min-request-timeout, 2x]; 30 to 60 minutes. */
const DEFAULT_TIMEOUT_S = () => 1800 + Math.floor(Math.random() * 1800);
/** How often an idle watch that allows bookmarks gets one (kube-apiserver: about a minute). */
export const BOOKMARK_INTERVAL_MS = 60_000;

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** Validates the watch-list parameters the way ListOptions validation does. */
export function validateWatchOptions(req: Pick<WatchRequest, 'resourceVersionMatch' | 'sendInitialEvents' | 'allowWatchBookmarks'>): void {
  if (req.sendInitialEvents === undefined) {
    if (req.resourceVersionMatch) {
      throw kubeErrors.invalid('ListOptions', 'meta.k8s.io', '', [
        { type: 'FieldValueForbidden', field: 'resourceVersionMatch', detail: 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided' },
      ]);
    }
    return;
  }
  const errs = [];
  if (req.resourceVersionMatch !== 'NotOlderThan') {
    errs.push({ type: 'FieldValueNotSupported' as const, field: 'resourceVersionMatch', value: req.resourceVersionMatch ?? '', detail: 'supported values: "NotOlderThan"' });
  }
  if (!req.allowWatchBookmarks) errs.push({ type: 'FieldValueRequired' as const, field: 'allowWatchBookmarks', detail: 'sendInitialEvents requires setting allowWatchBookmarks to true' });
  if (errs.length > 0) throw kubeErrors.invalid('ListOptions', 'meta.k8s.io', '', errs);
}

export async function serveWatch(reply: FastifyReply, registry: Registry, req: WatchRequest): Promise<void> {
  const { def } = req;
  const storage = registry.storage;
  const scopeNs = def.namespaced ? req.namespace : undefined;
  const transformer = await storage.transformer(def.resource);
  const ctx = (): StrategyContext => ({ now: req.now() });

  // Where to start: the current state (synthetic ADDED events) or the changes after a given revision.
  const rv = req.resourceVersion;
  const initial = req.sendInitialEvents === true || ((rv === undefined || rv === '' || rv === '0') && req.sendInitialEvents !== false);
  let initialItems: KubeObject[] = [];
  let startAfter: number;
  if (initial) {
    const page = await storage.list(def.resource, scopeNs);
    initialItems = page.items.map((i) => i.obj).filter((o) => matches(def, o, req));
    startAfter = page.revision;
  } else if (rv === undefined || rv === '' || rv === '0') {
    startAfter = await storage.revision();
  } else {
    if (!/^\d+$/.test(rv)) throw kubeErrors.badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
    startAfter = Number(rv);
  }

  const raw = reply.raw;
  reply.hijack();
  raw.writeHead(200, { 'Content-Type': req.contentType, 'Cache-Control': 'no-cache, private', 'X-Content-Type-Options': 'nosniff' });
  raw.flushHeaders?.();

  let closed = false;
  let lastRv = startAfter;
  let firstTable = true;
  const timers: NodeJS.Timeout[] = [];
  let storeWatch: { cancel(): void } | undefined;

  const encodeObject = (obj: KubeObject, type: EventType): unknown => {
    const typed = { apiVersion: apiVersionOf(def), kind: def.kind, ...obj };
    if (req.output.kind === 'table') {
      if (type === 'BOOKMARK') return { kind: 'Table', apiVersion: `meta.k8s.io/${req.output.version}`, metadata: { resourceVersion: obj.metadata.resourceVersion }, columnDefinitions: null, rows: null };
      const t = table(def, [typed], ctx(), req.includeObject, { resourceVersion: obj.metadata.resourceVersion! }, req.output.version, firstTable);
      firstTable = false;
      return t;
    }
    if (req.output.kind === 'partial') return partialObjectMetadata(typed, req.output.version);
    return typed;
  };

  const write = (type: EventType, object: unknown) => {
    if (closed) return;
    raw.write(`${JSON.stringify({ type, object })}\n`);
  };

  const finish = () => {
    if (closed) return;
    closed = true;
    for (const t of timers) clearTimeout(t);
    storeWatch?.cancel();
    raw.end();
  };

  const bookmark = (annotations?: Record<string, string>) => {
    write('BOOKMARK', encodeObject({ metadata: { resourceVersion: String(lastRv), ...(annotations ? { annotations } : {}) } }, 'BOOKMARK'));
  };

  const fail = (err: KubeError) => {
    write('ERROR', err.toStatus());
    finish();
  };

  raw.on('close', finish);

  for (const obj of initialItems) write('ADDED', encodeObject(obj, 'ADDED'));
  if (req.sendInitialEvents === true) bookmark({ 'k8s.io/initial-events-end': 'true' });

  // Store events are decoded through the transformer one batch at a time, in order.
  let chain: Promise<void> = Promise.resolve();
  const onEvents = (events: WatchEvent[]) => {
    chain = chain.then(async () => {
      for (const ev of events) {
        if (closed) return;
        const revision = ev.kv.modRevision;
        try {
          const cur = ev.type === 'put' ? (await storage.decode(transformer, ev.kv, { bulk: true })).obj : undefined;
          const prev = ev.prevKv ? (await storage.decode(transformer, ev.prevKv, { bulk: true })).obj : undefined;
          const curMatch = cur !== undefined && matches(def, cur, req);
          const prevMatch = prev !== undefined && matches(def, prev, req);
          lastRv = revision;
          if (ev.type === 'delete') {
            if (prev && prevMatch) write('DELETED', encodeObject({ ...prev, metadata: { ...prev.metadata, resourceVersion: String(revision) } }, 'DELETED'));
          } else if (curMatch && prevMatch) write('MODIFIED', encodeObject(cur!, 'MODIFIED'));
          else if (curMatch) write('ADDED', encodeObject(cur!, 'ADDED'));
          else if (prevMatch) write('DELETED', encodeObject({ ...prev!, metadata: { ...prev!.metadata, resourceVersion: String(revision) } }, 'DELETED'));
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
      else fail(kubeErrors.internal(err.message));
    });
  };

  try {
    storeWatch = await storage.watch(def.resource, scopeNs, startAfter + 1, onEvents, onError);
  } catch (err) {
    if (err instanceof CompactedError) fail(kubeErrors.expired(`too old resource version: ${startAfter} (${err.compactRevision})`));
    else fail(kubeErrors.internal((err as Error).message));
    return;
  }
  if (closed) {
    storeWatch.cancel();
    return;
  }

  const timeoutMs = (req.timeoutSeconds !== undefined ? req.timeoutSeconds : DEFAULT_TIMEOUT_S()) * 1000;
  if (req.allowWatchBookmarks) {
    const periodic = setInterval(() => void chain.then(() => bookmark()), BOOKMARK_INTERVAL_MS);
    timers.push(periodic);
  }
  timers.push(
    setTimeout(() => {
      void chain.then(() => {
        if (req.allowWatchBookmarks) bookmark();
        finish();
      });
    }, timeoutMs),
  );
}
