/**
 * Who a request acts as and whether it may (SPEC Z-3): authentication (auth.ts), impersonation, then the
 * cluster's authorizer on the request's attributes, before anything else is done. Without credentials only
 * the public information (/version and the health checks, system:public-info-viewer's paths) is served.
 */
import type { FastifyRequest } from 'fastify';
import type { TokenService } from '../../../identity/tokens.js';
import { authenticate, type UserInfo } from '../../auth.js';
import { forbidden, requestAttributes, type Attributes } from '../../authorization/attributes.js';
import type { ClusterAuthorizer } from '../../authorization/authorizer.js';
import { impersonate } from '../../authorization/impersonation.js';
import type { ClusterView } from '../../clusters.js';
import { kubeErrors } from '../machinery/errors.js';

const PUBLIC = new Set(['version', 'healthz', 'livez', 'readyz']);

/**
 * The user of an authorized request; undefined for an anonymous request on a public path. Throws 401 (no or a
 * refused token) or 403.
 */
export async function admitRequest(tokens: TokenService, authz: ClusterAuthorizer, cluster: ClusterView, req: FastifyRequest, parts: string[], url: URL): Promise<UserInfo | undefined> {
  const authenticated = await authenticate(tokens, req, cluster);
  if (!authenticated) {
    if (req.method === 'GET' && PUBLIC.has(parts[0] ?? '')) return undefined;
    throw kubeErrors.unauthorized();
  }
  const user = await impersonate(authz, authenticated, req.headers);
  await authorizeOrThrow(authz, user, requestAttributes(req.method, parts, url.searchParams));
  return user;
}

export async function authorizeOrThrow(authz: ClusterAuthorizer, user: UserInfo, attributes: Attributes): Promise<void> {
  const decision = await authz.authorize(user, attributes);
  if (!decision.allowed) throw forbidden(user.username, attributes, decision.reason);
}
