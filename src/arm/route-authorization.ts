/**
 * What each ARM route asks of its caller (SPEC Z-1): every route declares it, and the ARM front evaluates it before
 * the handler runs, so no handler can forget it.
 *
 * - `action`: an Azure action (`Microsoft.ContainerService/managedClusters/write`) over the request's scope. The
 *   scope is the request path; for a POST the final segment is the action's name, not a resource, so the scope is
 *   the path above it (`.../managedClusters/C` for `.../managedClusters/C/listClusterAdminCredential`), as ARM names
 *   it in AuthorizationFailed. A route whose action applies elsewhere (a provider registration applies to the
 *   subscription) says so with `scope`.
 * - `custom`: the handler decides with the authorizer it is given (e.g. an operation status readable by whoever may
 *   read the resource it acts on); `rule` says what it checks, for the route table in the docs.
 * - `anyCaller`: answers every authenticated caller of the tenant without a role, as ARM does for tenant-level
 *   reads (the tenants list, the built-in role definitions); `reason` says why.
 *
 * The evaluation itself (role assignments, scopes, wildcards) lives in src/authorization; ARM sees it through the
 * narrow `ArmAuthorizer` below.
 */
import type { ArmAuthorizer, ArmRequest, RouteAuthorization } from './router.js';

export type { ArmAuthorizer, RouteAuthorization } from './router.js';

/** The scope an `action` route is checked over: the request path, without the action segment of a POST. */
export function requestScope(req: Pick<ArmRequest, 'method' | 'path'>): string {
  const path = req.path.replace(/\/+$/, '');
  return req.method === 'POST' ? path.slice(0, path.lastIndexOf('/')) || '/' : path;
}

/** The subscription scope of a request under `/subscriptions/{subscriptionId}`. */
export const subscriptionScope = (req: ArmRequest): string => `/subscriptions/${req.params.subscriptionId}`;

/**
 * Visible to whoever holds a role in the subscription, at any depth (a Contributor of one resource group sees it in
 * `az account list`, its regions and its resource providers), as in Azure.
 */
export const anyRoleInSubscription: RouteAuthorization = {
  custom: 'any role assignment at, above or below the subscription',
  check: async (req, authorizer) => {
    if (await authorizer.hasAnyAccess(req.caller, subscriptionScope(req))) return;
    await authorizer.requireAction(req.caller, subscriptionScope(req), 'Microsoft.Resources/subscriptions/read');
  },
};

/** Applies a route's authorization; resolves when the caller may go on. */
export async function authorizeRoute(auth: RouteAuthorization, req: ArmRequest, authorizer: ArmAuthorizer): Promise<void> {
  if ('anyCaller' in auth) return;
  if ('custom' in auth) return auth.check(req, authorizer);
  const action = typeof auth.action === 'string' ? auth.action : auth.action(req);
  await authorizer.requireAction(req.caller, auth.scope ? auth.scope(req) : requestScope(req), action);
}
