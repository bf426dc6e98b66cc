/**
 * Rights on aksemu's own administration API (`/_aksemu/...`: the clock, status, nodes, tampering, encryption
 * status and migration, the Key Vault audit log, alerts). Every route there declares the right it needs in its
 * route config (`config.adminRight`); a route without one fails the start (SPEC Z-1), and one hook checks the right
 * before any handler runs.
 *
 * The actions live in aksemu's own namespace, `Aksemu.Emulator/...`, over a scope: the subscription for instance-wide
 * things (the clock), the cluster or vault for what concerns one (a node's boot log, a vault's audit). The rule of
 * who holds them is src/authorization's (`requireEmulatorRight`); this module only asks.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ArmError } from '../arm/errors.js';
import type { Caller } from '../identity/authenticate.js';

export type AdminRight =
  /** `scope` resolves the resource the request concerns; undefined means the instance (its subscription). */
  | { action: string; scope?: (req: FastifyRequest) => Promise<string | undefined> | string | undefined }
  /** Open to every authenticated caller; `anyCaller` says why. */
  | { anyCaller: string };

declare module 'fastify' {
  interface FastifyContextConfig {
    adminRight?: AdminRight;
  }
}

export interface EmulatorAuthorizer {
  /** Throws a 403 AuthorizationFailed ArmError unless `caller` holds the aksemu action over `scope`. */
  requireEmulatorRight(caller: Caller, scope: string, action: string): Promise<void>;
}

export interface DeclaredAdminRoute {
  method: string;
  url: string;
  right: AdminRight;
}

const ADMIN_PREFIX = '/_aksemu';

/**
 * Installs the declaration check and the authorization hook for every `/_aksemu` route registered afterwards, and
 * returns the list of declared routes (what the docs' table and the tests walk).
 */
export function enforceAdminRights(app: FastifyInstance, authorizer: EmulatorAuthorizer, instanceScope: string): DeclaredAdminRoute[] {
  const declared: DeclaredAdminRoute[] = [];
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith(ADMIN_PREFIX)) return;
    const right = route.config?.adminRight;
    const methods = ([] as string[]).concat(route.method);
    if (!right) throw new Error(`The aksemu API route ${methods.join(',')} ${route.url} declares no adminRight.`);
    for (const method of methods) if (method !== 'HEAD') declared.push({ method, url: route.url, right });
  });
  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    const right = req.routeOptions.config.adminRight;
    if (!right || 'anyCaller' in right || !req.url.startsWith(ADMIN_PREFIX)) return;
    if (!req.caller) return reply.code(401).send({ error: { code: 'AuthenticationFailed', message: "The 'Authorization' header is missing." } });
    try {
      const scope = (right.scope ? await right.scope(req) : undefined) ?? instanceScope;
      await authorizer.requireEmulatorRight(req.caller, scope, right.action);
    } catch (err) {
      if (err instanceof ArmError) return reply.code(err.status).send(err.toBody());
      throw err;
    }
  });
  return declared;
}
