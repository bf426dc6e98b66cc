/**
 * The Key Vault data plane (SPEC V-2..V-5) at `https://<vault>.vault.azure.net/` — through the proxy — and at
 * the direct address `https://127.0.0.1:PORT/_vault/<vault>/...` (the front door maps the host name onto that
 * prefix). Every request: vault lookup → bearer authentication with Key Vault's 401 challenge → api-version →
 * network rules → the route (data-plane/routes.ts), whose operation checks the access policy or RBAC → an audit
 * event. This file is the HTTP edge: it reads the request, runs those steps and writes the answer; the steps live
 * in data-plane/ (auth, request, routes, keys, lifecycle, crypto, audit-event).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../identity/authenticate.js';
import { clientAddress } from './access.js';
import { ContentionError, StoreUnavailableError } from '../store/store.js';
import { KvError, kvErrors } from './errors.js';
import { privateEndpointOf } from './private-endpoints.js';
import { auditEventOf } from './data-plane/audit-event.js';
import { admit, authenticate, vaultNotFoundBody, type ChallengedError } from './data-plane/auth.js';
import type { DataPlaneDeps } from './data-plane/deps.js';
import { requestContext, type OperationResult } from './data-plane/request.js';
import { dispatch } from './data-plane/router.js';
import { COMPILED_DATA_PLANE_ROUTES } from './data-plane/routes.js';

export type { DataPlaneDeps } from './data-plane/deps.js';
export { VAULT_AUDIENCES } from './data-plane/auth.js';

/** Largest request body the data plane reads (a JWK import of a 4096-bit key is about 4 KB). */
export const MAX_BODY_BYTES = 256 * 1024;

function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  reply.code(status).header('x-ms-keyvault-service-version', '1.9.2000.1').header('x-ms-keyvault-region', 'aksemu');
  if (body === undefined) return reply.send();
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
}

/**
 * The store's failures as Key Vault answers them (SPEC R-1): down is a 503 to retry, a record that keeps changing
 * under the request a 409; undefined for anything else.
 */
function storeFailureAsKvError(err: unknown): KvError | undefined {
  if (err instanceof StoreUnavailableError) return new KvError(503, 'ServiceUnavailable', 'The service is temporarily unavailable; retry the request later.');
  if (err instanceof ContentionError) return new KvError(409, 'Conflict', `There was a conflict while processing the request: ${err.message}.`);
  return undefined;
}

/** The path segments after `/_vault/<vault>`, percent-decoded where that is possible (as given otherwise). */
function segmentsOf(pathname: string): string[] {
  return pathname
    .split('/')
    .slice(3)
    .filter((s) => s.length > 0)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

export function registerDataPlane(app: FastifyInstance, deps: DataPlaneDeps): void {
  app.register(async (scope) => {
    // Every method, so that one no route serves gets Key Vault's 405 or 404 rather than ARM's (SPEC R-4).
    scope.route({ method: scope.supportedMethods, url: '/_vault/:vault/*', bodyLimit: MAX_BODY_BYTES, handler: async (req, reply) => handle(req, reply) });
    scope.route({ method: scope.supportedMethods, url: '/_vault/:vault', bodyLimit: MAX_BODY_BYTES, handler: async (req, reply) => handle(req, reply) });
    scope.setErrorHandler(async (err, req, reply) => {
      const e = err as { statusCode?: number; code?: string; message: string };
      if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || e.statusCode === 413) {
        return send(reply, 400, kvErrors.badParameter(`The request body is too large: Key Vault requests are at most ${MAX_BODY_BYTES} bytes here.`).toBody());
      }
      if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return send(reply, e.statusCode, kvErrors.badParameter(e.message).toBody());
      // A store failure before the request could be audited (finding the vault, authenticating the caller).
      const kv = storeFailureAsKvError(err);
      if (kv) {
        if (kv.status === 503) reply.header('Retry-After', '5');
        return send(reply, kv.status, kv.toBody());
      }
      req.log.error({ err }, 'unhandled error in the Key Vault data plane');
      return send(reply, 500, { error: { code: 'InternalServerError', message: `Internal error; request id ${req.id}.` } });
    });
  });

  const handle = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const started = process.hrtime.bigint();
    const params = req.params as { vault: string; '*'?: string };
    const url = new URL(req.url, 'https://x');
    const vault = await deps.vaults.byName(params.vault);
    if (!vault) return send(reply, 404, vaultNotFoundBody(params.vault));
    let caller: Caller;
    try {
      caller = await authenticate(deps.tokens, req.headers.authorization, vault);
    } catch (err) {
      if (err instanceof KvError) {
        const ch = (err as ChallengedError).challenge;
        if (ch) reply.header('WWW-Authenticate', ch);
        return send(reply, err.status, err.toBody());
      }
      throw err;
    }
    const c = requestContext({
      vault,
      caller,
      method: req.method.toUpperCase(),
      query: url.searchParams,
      host: req.headers.host ?? '',
      ...(Buffer.isBuffer(req.body) ? { rawBody: req.body } : {}),
    });
    const pe = privateEndpointOf(req.raw.socket);
    const address = pe ? '' : clientAddress(req.raw.socket.remoteAddress);
    let status = 500;
    let result: OperationResult | undefined;
    let error: KvError | undefined;
    try {
      admit(c, url.searchParams.get('api-version'), address, pe !== undefined && pe.vaultName === vault.name.toLowerCase());
      result = await dispatch(COMPILED_DATA_PLANE_ROUTES, deps, c, segmentsOf(url.pathname));
      status = result.status;
    } catch (err) {
      // The store's failures are answered (and audited) like the service's own errors (SPEC R-1).
      const kv = err instanceof KvError ? err : storeFailureAsKvError(err);
      if (!kv) throw err;
      error = kv;
      status = kv.status;
      if (status === 503) reply.header('Retry-After', '5');
    }
    const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
    deps.audit.record(
      auditEventOf(c, { nowMs: deps.clock.nowMs(), durationMs, url, requestId: req.id, userAgent: req.headers['user-agent'], address, privateEndpoint: pe }, status, error),
    );
    return send(reply, status, error ? error.toBody() : result!.body);
  };
}
