/**
 * aksemu's own API (`/_aksemu/...` on the direct address or any emulated host): instance status and the
 * emulated clock. Authenticated like ARM, and each route's right is declared and checked as src/frontdoor/admin-rights.ts
 * says; it is what the CLI's `status` and `clock` commands and the tests use.
 */
import type { FastifyInstance } from 'fastify';
import type { TokenService } from '../identity/tokens.js';
import { requireArmToken } from '../arm/http.js';
import type { Clock, Speed } from '../runtime/clock.js';
import { failureWithoutAddress, type Store } from '../store/store.js';

export interface AdminDeps {
  tokens: TokenService;
  clock: Clock;
  speed: Speed;
  store: Store;
  version: string;
  startedAt: string;
  /** Parts of the status other services report (the Key Vault audit log's backlog), by name. */
  statusParts: Record<string, () => unknown>;
}

/** How long the status waits for the store before calling it unhealthy: a probe must answer promptly (SPEC R-1). */
const STORE_PROBE_MS = 1000;

/**
 * The store's health without its address (an etcd URL may name hosts and credentials): its kind, and its
 * revision when it answers within STORE_PROBE_MS; unhealthy too while its writes fail (a full disk).
 */
async function storeHealth(store: Store): Promise<{ kind: string; healthy: boolean; revision?: number; problem?: string }> {
  const kind = store.description.split(':')[0]!;
  let timer: NodeJS.Timeout | undefined;
  try {
    const revision = await Promise.race([
      store.revision(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${STORE_PROBE_MS} ms`)), STORE_PROBE_MS);
      }),
    ]);
    const writeProblem = store.writeProblem?.();
    if (writeProblem) return { kind, healthy: false, revision, problem: `writes fail: ${writeProblem}` };
    return { kind, healthy: true, revision };
  } catch (err) {
    return { kind, healthy: false, problem: failureWithoutAddress(err, store.description) };
  } finally {
    clearTimeout(timer);
  }
}

export function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  app.register(
    async (scope) => {
      const fail = (status: number, code: string, message: string) => ({ error: { code, message } });
      scope.addHook('onRequest', requireArmToken(deps.tokens));
      // 200 when the store answers, 503 (with the same body and Retry-After) when it does not: probes can tell.
      scope.get('/status', { config: { adminRight: { action: 'Aksemu.Emulator/status/read' } } }, async (_req, reply) => {
        const store = await storeHealth(deps.store);
        const parts = Object.fromEntries(Object.entries(deps.statusParts).map(([name, part]) => [name, part()]));
        const body = { version: deps.version, startedAt: deps.startedAt, speed: deps.speed.name, now: deps.clock.iso(), store, ...parts };
        if (!store.healthy) reply.code(503).header('Retry-After', '1');
        return body;
      });
      scope.get('/clock', { config: { adminRight: { action: 'Aksemu.Emulator/clock/read' } } }, async () => ({ now: deps.clock.iso() }));
      scope.put('/clock', { config: { adminRight: { action: 'Aksemu.Emulator/clock/write' } } }, async (req, reply) => {
        let body: { now?: unknown; advanceSeconds?: unknown };
        try {
          body = JSON.parse(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '{}');
        } catch {
          return reply.code(400).send(fail(400, 'InvalidRequestContent', 'The body must be JSON: {"now": ISO-8601} or {"advanceSeconds": N}.'));
        }
        if (typeof body.now === 'string' && !Number.isNaN(Date.parse(body.now))) deps.clock.set(new Date(body.now));
        else if (typeof body.advanceSeconds === 'number' && Number.isFinite(body.advanceSeconds)) deps.clock.advance(body.advanceSeconds * 1000);
        else return reply.code(400).send(fail(400, 'InvalidRequestContent', 'Give {"now": ISO-8601} or {"advanceSeconds": N}.'));
        return { now: deps.clock.iso() };
      });
      scope.all('/*', { config: { adminRight: { anyCaller: 'a 404 for a path aksemu does not serve' } } }, async (req, reply) => reply.code(404).send(fail(404, 'NotFound', `No aksemu admin endpoint at '${req.url}'.`)));
    },
    { prefix: '/_aksemu' },
  );
}
