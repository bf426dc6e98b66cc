/**
 * Who is calling a cluster's Kubernetes API (SPEC A-1, Z-3). Bearer tokens signed by the instance's token
 * service, with two audiences, as an AKS cluster sees them:
 *
 * - `urn:aksemu:cluster:<uid>:admin[:<epoch>]` — the cluster's local account (AKS's client certificate): user
 *   `masterclient` in groups `system:masters` and `system:authenticated`, valid on that one cluster (a cluster
 *   created again under the same name has a new uid), and only while local accounts are enabled
 *   (`disableLocalAccounts` makes it a 401). No other claim of such a token is read: the container service hands
 *   it out as the admin credential, and as the user credential of a cluster without Entra ID integration. The
 *   epoch is the cluster's certificate rotation count: a rotation invalidates what was handed out before.
 * - `urn:aksemu:cluster:<uid>:monitoring[:<epoch>]` — the monitoring account `clusterMonitoringUser` (group
 *   `system:authenticated` only; what it may do is up to the cluster's RBAC), under the same local-account rules.
 * - `6dae42f8-4368-4678-94ff-3960e28e3630` (the AKS AAD server app) — a Microsoft Entra identity, accepted only
 *   by a cluster with Entra ID integration (`aadProfile.managed`) and only from the cluster's tenant. The
 *   username is what AKS shows: a user token's `upn`, an application's object id; groups are the token's
 *   `groups` claim (object ids) and `system:authenticated`; extra `oid`.
 *
 * Anything else (a malformed, expired or foreign token, an ARM token) is a Kubernetes 401 Status. What an
 * authenticated user may do is the authorizer's question (authorization/).
 */
import type { FastifyRequest } from 'fastify';
import { bearerToken } from '../identity/authenticate.js';
import { TokenValidationError, type AccessTokenClaims, type TokenService } from '../identity/tokens.js';
import { kubeErrors } from './api/machinery/errors.js';
import type { ClusterView } from './clusters.js';

export const AKS_AAD_SERVER_APP_ID = '6dae42f8-4368-4678-94ff-3960e28e3630';

/** The username of the local account, as AKS's admin client certificate names it. */
export const LOCAL_ACCOUNT_USER = 'masterclient';

/** The username of the monitoring account (listClusterMonitoringUserCredential), as AKS names it. */
export const MONITORING_USER = 'clusterMonitoringUser';

/**
 * The audience of a local-account token: the cluster, the account, and the certificate epoch it was issued in
 * (each rotation of the cluster's certificates starts a new one, so older credentials stop working; SPEC C-13).
 */
export function localAudience(record: { uid: string; certificateEpoch?: number }, account: 'admin' | 'monitoring' = 'admin'): string {
  const epoch = record.certificateEpoch ? `:${record.certificateEpoch}` : '';
  return `urn:aksemu:cluster:${record.uid}:${account}${epoch}`;
}

export interface UserInfo {
  username: string;
  uid: string;
  groups: string[];
  extra: Record<string, string[]>;
  /** The Entra object id behind the token (Azure RBAC asks about it); undefined for the local account. */
  objectId?: string;
}

type Headers = Pick<FastifyRequest, 'headers'> | { headers: { authorization?: string | undefined } };

/**
 * Authenticates a request (a fastify request, or an upgrade's headers) for `cluster`; throws a 401 KubeError.
 * Undefined when no token was sent.
 */
export async function authenticate(tokens: TokenService, req: Headers, cluster: ClusterView): Promise<UserInfo | undefined> {
  const token = bearerToken(req.headers.authorization);
  if (token === undefined) return undefined;
  if (token === null) throw kubeErrors.unauthorized();
  const admin = localAudience(cluster.record);
  const monitoring = localAudience(cluster.record, 'monitoring');
  let claims: AccessTokenClaims;
  try {
    claims = await tokens.verify(token, [AKS_AAD_SERVER_APP_ID, admin, monitoring], { localAccounts: true });
  } catch (err) {
    if (err instanceof TokenValidationError) throw kubeErrors.unauthorized();
    throw err;
  }
  if (String(claims.aud) === admin) {
    if (!cluster.config.localAccounts) throw kubeErrors.unauthorized();
    return { username: LOCAL_ACCOUNT_USER, uid: '', groups: ['system:masters', 'system:authenticated'], extra: {} };
  }
  if (String(claims.aud) === monitoring) {
    if (!cluster.config.localAccounts) throw kubeErrors.unauthorized();
    return { username: MONITORING_USER, uid: '', groups: ['system:authenticated'], extra: {} };
  }
  return entraUser(claims, cluster);
}

/** An Entra token for the AKS AAD server app, as a cluster with Entra ID integration reads it. */
function entraUser(claims: AccessTokenClaims, cluster: ClusterView): UserInfo {
  const aad = cluster.config.aad;
  if (!aad || typeof claims.oid !== 'string' || !claims.oid) throw kubeErrors.unauthorized();
  if (String(claims.tid).toLowerCase() !== aad.tenantId.toLowerCase()) throw kubeErrors.unauthorized();
  const username = claims.idtyp === 'user' ? (claims.upn ?? claims.oid) : claims.oid;
  const tokenGroups = (claims as unknown as { groups?: unknown }).groups;
  const groups = Array.isArray(tokenGroups) ? tokenGroups.filter((g): g is string => typeof g === 'string') : [];
  return {
    username,
    uid: claims.oid,
    groups: [...groups, 'system:authenticated'],
    extra: { oid: [claims.oid] },
    objectId: claims.oid,
  };
}
