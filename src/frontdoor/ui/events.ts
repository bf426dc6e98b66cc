/**
 * `GET /_aksemu/ui/api/events`: the dashboard's live feed, a long response the page reads with fetch (so it sends
 * its bearer token; EventSource could not), one JSON object a line (NDJSON: the page splits lines and parses JSON,
 * no event-stream parser needed). It follows the store's watch and says only *where* something changed:
 * `{"type":"change","scope":"<resource id>"}`, after which the page refetches through the authorized APIs. A scope
 * is sent only to a caller who may read it, so the feed reveals no resource the caller could not read (SPEC U-1, Z-1).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../../identity/authenticate.js';
import type { Store, Watch, WatchEvent } from '../../store/store.js';

export interface ChangeFeedDeps {
  store: Store;
  /** The resource id a store key belongs to (a cluster for its Kubernetes objects), or undefined to say nothing. */
  scopeOfKey(key: string): Promise<string | undefined>;
  /** Whether the caller may read the resource at `scope` (the shared RBAC evaluation). */
  mayRead(caller: Caller, scope: string): Promise<boolean>;
}

/** Changes are gathered this long and sent as one batch of distinct scopes: a cluster create writes hundreds of keys. */
const BATCH_MS = 100;
/** A heartbeat line this often keeps the page's reader from taking a quiet feed for a dead one. */
const HEARTBEAT_MS = 15_000;

export function registerChangeFeed(scope: FastifyInstance, deps: ChangeFeedDeps): void {
  scope.get('/events', { config: { adminRight: { anyCaller: 'each change is sent only to callers who may read its scope' } } }, async (req: FastifyRequest, reply: FastifyReply) => {
    const caller = req.caller!;
    reply.hijack();
    const res = reply.raw;
    const send = (line: object) => res.write(`${JSON.stringify(line)}\n`);
    res.writeHead(200, { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    send({ type: 'hello' });
    let pending: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    const flush = async () => {
      timer = undefined;
      const keys = pending;
      pending = [];
      const scopes = new Set<string>();
      for (const key of keys) {
        const s = await deps.scopeOfKey(key).catch(() => undefined);
        if (s) scopes.add(s);
      }
      for (const s of scopes) {
        if (closed) return;
        if (await deps.mayRead(caller, s).catch(() => false)) send({ type: 'change', scope: s });
      }
    };
    const onEvents = (events: WatchEvent[]) => {
      for (const e of events) pending.push(e.kv.key);
      timer ??= setTimeout(() => void flush(), BATCH_MS);
    };
    let watch: Watch | undefined;
    const heartbeat = setInterval(() => send({ type: 'heartbeat' }), HEARTBEAT_MS);
    const close = () => {
      closed = true;
      clearInterval(heartbeat);
      clearTimeout(timer);
      watch?.cancel();
    };
    res.on('close', close);
    try {
      watch = await deps.store.watch('/', {}, onEvents, () => res.end());
      if (closed) watch.cancel();
    } catch {
      res.end();
    }
  });
}
