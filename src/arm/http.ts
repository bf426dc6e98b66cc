/**
 * The ARM front: turns fastify requests into ArmRequests, authenticates them (ARM audiences), checks the
 * subscription and api-version, dispatches to the router and writes ARM responses and error bodies.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireBearer, type AuthFailure } from '../identity/authenticate.js';
import type { TokenService } from '../identity/tokens.js';
import { ArmError, armErrors } from './errors.js';
import type { Arm } from './arm.js';
import { authorizeRoute, type ArmAuthorizer } from './route-authorization.js';
import { checkApiVersion, splitPath, type ArmRequest, type ArmResponse } from './router.js';
import { ContentionError, StoreUnavailableError } from '../store/store.js';
import { newGuid } from '../util/ids.js';

/** Audiences ARM accepts, exactly as Azure lists them in InvalidAuthenticationTokenAudience. */
export const ARM_AUDIENCES = [
  'https://management.core.windows.net/',
  'https://management.core.windows.net',
  'https://management.azure.com/',
  'https://management.azure.com',
];

const AUTH_CODES: Record<AuthFailure['problem'], string> = {
  missing: 'AuthenticationFailed',
  malformed: 'AuthenticationFailedInvalidHeader',
  invalid: 'InvalidAuthenticationToken',
  expired: 'ExpiredAuthenticationToken',
  audience: 'InvalidAuthenticationTokenAudience',
};

function armAuthFailure(_req: FastifyRequest, reply: FastifyReply, f: AuthFailure) {
  const message =
    f.problem === 'missing' || f.problem === 'malformed'
      ? `Authentication failed. ${f.message}`
      : f.problem === 'audience'
        ? `The access token has been obtained for wrong audience or resource '${f.tokenAudience}'. It should exactly match with one of the allowed audiences ${ARM_AUDIENCES.map((a) => `'${a}'`).join(',')}.`
        : f.message;
  return reply
    .code(401)
    .header(
      'WWW-Authenticate',
      `Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="${
        f.problem === 'missing' ? "The authentication failed because of missing 'Authorization' header." : 'The access token is invalid.'
      }"`,
    )
    .send({ error: { code: AUTH_CODES[f.problem], message } });
}

export function baseUrlOf(req: FastifyRequest): string {
  return `https://${req.headers.host ?? 'management.azure.com'}`;
}

function parseJson(raw: Buffer | undefined, headers: FastifyRequest['headers']): unknown {
  if (!raw || raw.length === 0) return undefined;
  const type = (headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && !type.endsWith('+json') && type !== 'text/json') throw armErrors.unsupportedMediaType(type);
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw armErrors.invalidContent((err as Error).message.replace(/'/g, ''));
  }
}

export function sendArm(reply: FastifyReply, res: ArmResponse, method: string): FastifyReply {
  reply.code(res.status);
  for (const [k, v] of Object.entries(res.headers ?? {})) reply.header(k, v);
  if (method === 'HEAD' || res.body === undefined) return reply.send();
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(res.body));
}

export function sendArmError(reply: FastifyReply, err: ArmError): FastifyReply {
  return reply.code(err.status).type('application/json; charset=utf-8').send(JSON.stringify(err.toBody()));
}

async function dispatch(arm: Arm, authorizer: ArmAuthorizer, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const url = new URL(req.url.replace(/^\/+/, '/'), 'https://arm.invalid');
  const segments = splitPath(url.pathname);
  const method = req.method.toUpperCase();
  const caller = req.caller!;

  if (segments[0]?.toLowerCase() === 'subscriptions' && segments.length >= 2) {
    const sub = await arm.subscription(segments[1]!);
    if (!sub) throw armErrors.subscriptionNotFound(segments[1]!);
    if (sub.tenantId.toLowerCase() !== caller.tenantId.toLowerCase()) {
      throw new ArmError(
        401,
        'InvalidAuthenticationTokenTenant',
        `The access token is from the wrong issuer 'https://sts.windows.net/${caller.tenantId}/'. It must match the tenant 'https://sts.windows.net/${sub.tenantId}/' associated with this subscription.`,
      );
    }
  }

  const match = arm.router.match(method, segments);
  if (!match) throw unknownRoute(arm, segments, url.searchParams.get('api-version') ?? '', url.pathname);
  if ('methodMismatch' in match) throw armErrors.methodNotAllowed(method, url.pathname);

  const apiVersion = url.searchParams.get('api-version');
  checkApiVersion(match.route.apiVersions, apiVersion);
  const rawBody = Buffer.isBuffer(req.body) ? req.body : undefined;
  let parsed: { done: boolean; value: unknown } = { done: false, value: undefined };
  const armReq: ArmRequest = {
    method,
    path: url.pathname,
    params: match.params,
    query: url.searchParams,
    apiVersion: apiVersion ?? '',
    headers: req.headers,
    rawBody,
    caller,
    baseUrl: baseUrlOf(req),
    requestId: req.id,
    json<T>() {
      if (!parsed.done) parsed = { done: true, value: parseJson(rawBody, req.headers) };
      return parsed.value as T | undefined;
    },
  };
  await authorizeRoute(match.route.authorization, armReq, authorizer);
  return sendArm(reply, await match.route.handler(armReq), method);
}

/** The 4xx for a path no route serves: a bad namespace or type where the path names one, else a bad URI. */
function unknownRoute(arm: Arm, segments: string[], apiVersion: string, path: string): ArmError {
  const p = segments.findIndex((s) => s.toLowerCase() === 'providers');
  if (p >= 0 && segments[p + 1]) {
    const ns = segments[p + 1]!;
    if (!arm.types.namespace(ns)) return armErrors.invalidNamespace(ns);
    const typeSegments = segments.slice(p + 2).filter((_, i) => i % 2 === 0);
    if (typeSegments.length > 0) return armErrors.invalidResourceType(typeSegments.join('/'), ns, apiVersion);
  }
  return armErrors.invalidRequestUri(path);
}

/**
 * The bearer hook of aksemu's own APIs (`/_aksemu/...`, the MSI credential endpoint): ARM tokens, and a 401 in
 * the ARM error shape `{"error":{"code":"AuthenticationFailed","message":...}}` those APIs answer in.
 */
export function requireArmToken(tokens: TokenService) {
  return requireBearer(tokens, ARM_AUDIENCES, (_req, reply, f) => reply.code(401).send({ error: { code: 'AuthenticationFailed', message: f.message } }));
}

/** The ARM front: every request authenticated (ARM audiences), then authorized by its route (SPEC Z-1). */
export function registerArmHttp(app: FastifyInstance, arm: Arm, tokens: TokenService, authorizer: ArmAuthorizer): void {
  app.register(async (scope) => {
    scope.addHook('onRequest', requireBearer(tokens, ARM_AUDIENCES, armAuthFailure));
    scope.setErrorHandler((err, req, reply) => {
      if (err instanceof ArmError) return sendArmError(reply, err);
      // The store's own failures are answers, not internal errors (SPEC R-1): down is a 503 to retry, a record
      // that keeps changing under the request a 409.
      if (err instanceof StoreUnavailableError) {
        reply.header('Retry-After', '5');
        return sendArmError(reply, new ArmError(503, 'ServiceUnavailable', 'The service is temporarily unavailable: its store does not answer. Retry the request later.'));
      }
      if (err instanceof ContentionError) return sendArmError(reply, new ArmError(409, 'Conflict', `The resource was changed by other requests meanwhile (${err.message}).`));
      const e = err as { statusCode?: number; code?: string; message: string };
      if (e.statusCode === 413) return sendArmError(reply, new ArmError(413, 'RequestEntityTooLarge', 'The request content is too large.'));
      if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
        return sendArmError(reply, new ArmError(e.statusCode, 'BadRequest', e.message));
      }
      req.log.error({ err }, 'unhandled error in an ARM handler');
      return sendArmError(reply, new ArmError(500, 'InternalServerError', `Encountered internal server error. Diagnostic information: request id '${req.id}'.`));
    });
    // Every method the server accepts reaches the router, so that one no route serves (OPTIONS, TRACE, ...) gets
    // ARM's 405 or 404 body rather than the web framework's own (SPEC R-4).
    scope.all('/*', (req, reply) => dispatch(arm, authorizer, req, reply));
    scope.all('/', (req, reply) => dispatch(arm, authorizer, req, reply));
  });
}

/** Standard ARM response headers on every answer. */
export function armResponseHeaders(req: FastifyRequest, reply: FastifyReply): void {
  const correlation = (req.headers['x-ms-correlation-request-id'] as string | undefined) ?? newGuid();
  reply.header('x-ms-request-id', req.id);
  reply.header('x-ms-correlation-request-id', correlation);
  const clientRequestId = req.headers['x-ms-client-request-id'];
  if (typeof clientRequestId === 'string') reply.header('x-ms-client-request-id', clientRequestId);
}
