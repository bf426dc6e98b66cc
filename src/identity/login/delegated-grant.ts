/** The delegated grants of the token endpoints: a user's password, and the refresh token a sign-in gave. */
import type { FastifyReply } from 'fastify';
import type { DirectoryUser, Tenant } from '../directory.js';
import { delegatedScopes, TOKEN_LIFETIME_SECONDS } from '../tokens.js';
import { aadError, applicationNotFound, invalidSecret, resourceNotFound, userNotFound } from './entra-errors.js';
import type { LoginDeps } from './handler.js';
import { audienceFor, grantedScope, isPublicClient, requestedResource } from './resources.js';

/**
 * The delegated grants (SPEC I-3): a user signs in with its password (resource owner password credentials,
 * what `az login -u` and UsernamePasswordCredential send), or a client redeems the refresh token it got then.
 * The client is az's public client or a registered application (which authenticates with its secret).
 */
export async function delegatedGrant(
  { directory, tokens, refreshTokens }: LoginDeps,
  version: 'v1' | 'v2',
  grant: 'password' | 'refresh_token',
  tenant: Tenant,
  clientId: string,
  secret: string | null,
  form: URLSearchParams,
  reply: FastifyReply,
) {
  let client: { appId: string; authenticated: boolean };
  if (isPublicClient(clientId)) {
    if (secret) return aadError(reply, 401, 'invalid_client', 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.");
    client = { appId: clientId, authenticated: false };
  } else {
    const app = await directory.getByAppId(clientId);
    if (!app || app.tenantId !== tenant.tenantId || app.type !== 'ServicePrincipal') return applicationNotFound(reply, clientId, tenant);
    if (!secret) return aadError(reply, 401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    if (!directory.verifySecret(app, secret)) return invalidSecret(reply, clientId);
    client = { appId: clientId, authenticated: true };
  }

  const requested = requestedResource(version, form);
  if ('error' in requested) return aadError(reply, 400, requested.error.error, requested.error.code, requested.error.description);
  const audience = audienceFor(requested.resource);
  if (!audience) return resourceNotFound(reply, requested.resource, tenant);

  let user: DirectoryUser | undefined;
  if (grant === 'password') {
    const username = form.get('username');
    const password = form.get('password');
    if (!username) return aadError(reply, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'username'.");
    if (!password) return aadError(reply, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'password'.");
    user = await directory.getUserByUpn(username);
    if (!user || user.tenantId !== tenant.tenantId) {
      // A service principal is no user account: it signs in with its secret (client credentials).
      const app = await directory.getByAppId(username).catch(() => undefined);
      const hint = app ? ` '${username}' is a service principal: it signs in with its client secret (az login --service-principal).` : '';
      return userNotFound(reply, tenant, hint);
    }
    if (!directory.verifyPassword(user, password)) {
      return aadError(reply, 400, 'invalid_grant', 50126, 'Error validating credentials due to invalid username or password.');
    }
  } else {
    const presented = form.get('refresh_token');
    if (!presented) return aadError(reply, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'refresh_token'.");
    const redeemed = refreshTokens.redeem(presented);
    if (!redeemed.ok) {
      return redeemed.problem === 'expired'
        ? aadError(reply, 400, 'invalid_grant', 70008, 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.')
        : aadError(reply, 400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.');
    }
    const g = redeemed.grant;
    if (g.cid !== clientId.toLowerCase() || g.tid !== tenant.tenantId) {
      return aadError(reply, 400, 'invalid_grant', 70000, 'Provided grant is invalid or malformed: the refresh token was issued to another client or tenant.');
    }
    user = await directory.getUser(g.oid);
    if (!user) return userNotFound(reply, tenant, '');
  }

  const scp = delegatedScopes(audience);
  const accessToken = await tokens.issueForUser(user, client, audience, scp);
  // v2.0 issues what the scopes ask for (MSAL always asks for openid, profile and offline_access); v1 both.
  const oidc = new Set((form.get('scope') ?? '').split(/\s+/));
  const wantsId = version === 'v1' || oidc.has('openid');
  const wantsRefresh = version === 'v1' || oidc.has('offline_access');
  const extra = {
    ...(wantsRefresh ? { refresh_token: refreshTokens.issue({ oid: user.objectId, tid: user.tenantId, cid: clientId }) } : {}),
    ...(wantsId ? { id_token: await tokens.idToken(user, clientId, version) } : {}),
    // MSAL asks for client_info=1: the account's home id (uid.utid) in its token cache.
    ...(form.get('client_info') === '1' ? { client_info: Buffer.from(JSON.stringify({ uid: user.objectId, utid: user.tenantId })).toString('base64url') } : {}),
  };
  if (version === 'v2') {
    return reply.send({
      token_type: 'Bearer',
      scope: grantedScope(requested.scopes, scp),
      expires_in: TOKEN_LIFETIME_SECONDS,
      ext_expires_in: TOKEN_LIFETIME_SECONDS,
      access_token: accessToken,
      ...extra,
    });
  }
  const now = Math.floor(Date.now() / 1000);
  return reply.send({
    token_type: 'Bearer',
    scope: scp,
    expires_in: String(TOKEN_LIFETIME_SECONDS),
    ext_expires_in: String(TOKEN_LIFETIME_SECONDS),
    expires_on: String(now + TOKEN_LIFETIME_SECONDS),
    not_before: String(now - 300),
    resource: requested.resource,
    access_token: accessToken,
    ...extra,
  });
}
