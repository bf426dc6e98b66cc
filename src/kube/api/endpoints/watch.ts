/**
 * Watch (`?watch=true`): a chunked HTTP response of JSON events, one a line ({"type":"ADDED","object":{...}}),
 * following the registry's watch of a collection (registry/watch.ts), as kube-apiserver streams them:
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
import { KubeError, kubeErrors } from '../machinery/errors.js';
import type { OutputKind } from '../machinery/negotiation.js';
import { partialObjectMetadata, table, type IncludeObject } from '../machinery/output.js';
import type { Registry } from '../registry/registry.js';
import { openWatch } from '../registry/watch.js';
import { apiVersionOf, type ResourceDef, type StrategyContext } from '../machinery/resource.js';
import type { FieldRequirement, LabelRequirement } from '../machinery/selectors.js';
import type { KubeObject } from '../../../clusters/stored-object.js';

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
  const ctx = (): StrategyContext => ({ now: req.now() });
  const watch = await openWatch(registry, def, req.namespace, req);

  const raw = reply.raw;
  reply.hijack();
  raw.writeHead(200, { 'Content-Type': req.contentType, 'Cache-Control': 'no-cache, private', 'X-Content-Type-Options': 'nosniff' });
  raw.flushHeaders?.();

  let closed = false;
  let lastRv = watch.startAfter;
  let firstTable = true;
  const timers: NodeJS.Timeout[] = [];

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
    watch.cancel();
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

  for (const obj of watch.initial) write('ADDED', encodeObject(obj, 'ADDED'));
  if (req.sendInitialEvents === true) bookmark({ 'k8s.io/initial-events-end': 'true' });

  try {
    await watch.follow({
      onChange: (revision, event) => {
        lastRv = revision;
        if (event) write(event.type, encodeObject(event.object, event.type));
      },
      onError: fail,
    });
  } catch (err) {
    fail(err instanceof KubeError ? err : kubeErrors.internal((err as Error).message));
    return;
  }
  if (closed) return;

  const timeoutMs = (req.timeoutSeconds !== undefined ? req.timeoutSeconds : DEFAULT_TIMEOUT_S()) * 1000;
  if (req.allowWatchBookmarks) {
    const periodic = setInterval(() => void watch.idle().then(() => bookmark()), BOOKMARK_INTERVAL_MS);
    timers.push(periodic);
  }
  timers.push(
    setTimeout(() => {
      void watch.idle().then(() => {
        if (req.allowWatchBookmarks) bookmark();
        finish();
      });
    }, timeoutMs),
  );
}
