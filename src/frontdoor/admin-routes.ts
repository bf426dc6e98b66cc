/**
 * aksemu's own API (`/_aksemu/...` on the direct address or any emulated host): instance status and the
 * emulated clock. Authenticated like ARM, and each route's right is declared and checked as src/frontdoor/admin-rights.ts
 * says; it is what the CLI's `status` and `clock` commands and the tests use.
 */
import type { FastifyInstance } from 'fastify';
import type { TokenService } from '../identity/tokens.js';
import { requireArmToken } from '../arm/http.js';
import type { Clock, Speed } from '../runtime/clock.js';
import type { Store } from '../store/store.js';

export interface AdminDeps {
  tokens: TokenService;
  clock: Clock;
  speed: Speed;
  store: Store;
  version: string;
  startedAt: string;
}

export function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  app.register(
    async (scope) => {
      const fail = (status: number, code: string, message: string) => ({ error: { code, message } });
      scope.addHook('onRequest', requireArmToken(deps.tokens));
      scope.get('/status', { config: { adminRight: { action: 'Aksemu.Emulator/status/read' } } }, async () => ({
        version: deps.version,
        startedAt: deps.startedAt,
        store: deps.store.description,
        storeRevision: await deps.store.revision(),
        speed: deps.speed.name,
        now: deps.clock.iso(),
      }));
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
