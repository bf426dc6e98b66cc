/**
 * Who is calling a cluster's Kubernetes API, and what they may do.
 *
 * Authentication (SPEC A-1): bearer tokens signed by the instance's token service, as in an AKS
 * cluster with Microsoft Entra ID integration, where kubectl presents an Entra token for the AKS AAD server
 * application. Two audiences are accepted:
 *
 * - `6dae42f8-4368-4678-94ff-3960e28e3630` (the AKS AAD server app): a token of the principal that asked for
 *   user credentials (`listClusterUserCredential`) — or any token that principal gets from the token endpoint
 *   for that resource, as kubelogin would. The user is the principal: username = its object id.
 * - `urn:aksemu:cluster:<uid>:admin`: the token in admin credentials (`listClusterAdminCredential`), valid for
 *   that one cluster only (a cluster deleted and created again under the same name has a new uid). The user is
 *   `masterclient` in group `system:masters`, as AKS's admin client certificate says.
 *
 * Anything else (no token, a malformed, expired or foreign token, an ARM token) is a Kubernetes 401 Status.
 *
 * Authorization: aksemu has no Kubernetes RBAC. Admin credentials are cluster-admin (system:masters). User
 * credentials are also allowed everything, as for an AKS cluster with local accounts where the clusterUser
 * credential is cluster-admin; the difference is only who the API sees (the caller's object id).
 */
import type { FastifyRequest } from 'fastify';
import { bearerToken, callerFromClaims, type Caller } from '../identity/authenticate.js';
import { TokenValidationError, type TokenService } from '../identity/tokens.js';
import { kubeErrors } from './api/machinery/errors.js';

export const AKS_AAD_SERVER_APP_ID = '6dae42f8-4368-4678-94ff-3960e28e3630';

/** Lifetime of the tokens written into kubeconfigs (real time): 30 days; `get-credentials` again renews. */
export const KUBECONFIG_TOKEN_LIFETIME_SECONDS = 30 * 24 * 3600;

export function adminAudience(clusterUid: string): string {
  return `urn:aksemu:cluster:${clusterUid}:admin`;
}

export interface UserInfo {
  username: string;
  uid: string;
  groups: string[];
  extra: Record<string, string[]>;
  /** The principal behind the token. */
  caller: Caller;
  admin: boolean;
}

/**
 * Authenticates a request (a fastify request, or an upgrade's headers) for cluster `clusterUid`; throws a 401
 * KubeError. Undefined when no token was sent.
 */
export async function authenticate(tokens: TokenService, req: Pick<FastifyRequest, 'headers'> | { headers: { authorization?: string | undefined } }, clusterUid: string): Promise<UserInfo | undefined> {
  const token = bearerToken(req.headers.authorization);
  if (token === undefined) return undefined;
  if (token === null) throw kubeErrors.unauthorized();
  const admin = adminAudience(clusterUid);
  let caller: Caller;
  try {
    caller = callerFromClaims(await tokens.verify(token, [AKS_AAD_SERVER_APP_ID, admin], { localAccounts: true }));
  } catch (err) {
    if (err instanceof TokenValidationError) throw kubeErrors.unauthorized();
    throw err;
  }
  if (String(caller.claims.aud) === admin) {
    return { username: 'masterclient', uid: '', groups: ['system:masters', 'system:authenticated'], extra: {}, caller, admin: true };
  }
  return {
    username: caller.objectId,
    uid: caller.objectId,
    groups: ['system:authenticated'],
    extra: { oid: [caller.objectId], appid: [caller.appId] },
    caller,
    admin: false,
  };
}
