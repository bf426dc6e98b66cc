/**
 * The authorization-code grant, for aksemu's dashboard only: the page redeems the one-time code `aksemu ui` put in
 * its sign-in link (identity/sign-in-codes.ts) for an access token of the principal that asked for the link, a user
 * (a delegated token through the dashboard's public client) or an application (an app-only token). No refresh token:
 * when the token expires, `aksemu ui` gives a new link (SPEC I-3, U-1).
 */
import type { FastifyReply } from 'fastify';
import type { Tenant } from '../directory.js';
import { delegatedScopes, TOKEN_LIFETIME_SECONDS } from '../tokens.js';
import { aadError, resourceNotFound, userNotFound } from './entra-errors.js';
import type { LoginDeps } from './handler.js';
import { audienceFor, DASHBOARD_CLIENT_ID, grantedScope, requestedResource } from './resources.js';

export async function codeGrant({ directory, tokens, signInCodes }: LoginDeps, version: 'v1' | 'v2', tenant: Tenant, clientId: string, secret: string | null, form: URLSearchParams, reply: FastifyReply) {
  if (clientId.toLowerCase() !== DASHBOARD_CLIENT_ID) {
    return aadError(reply, 400, 'unauthorized_client', 700016, `Application '${clientId}' may not use the authorization_code grant: in aksemu it is the dashboard's ('${DASHBOARD_CLIENT_ID}'), with the one-time codes of 'aksemu ui'.`);
  }
  if (secret) return aadError(reply, 401, 'invalid_client', 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.");
  const code = form.get('code');
  if (!code) return aadError(reply, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'code'.");
  const requested = requestedResource(version, form);
  if ('error' in requested) return aadError(reply, 400, requested.error.error, requested.error.code, requested.error.description);
  const audience = audienceFor(requested.resource);
  if (!audience) return resourceNotFound(reply, requested.resource, tenant);

  const redeemed = await signInCodes.redeem(code);
  if (!redeemed.ok) {
    return redeemed.problem === 'expired'
      ? aadError(reply, 400, 'invalid_grant', 70008, "The provided authorization code has expired. Run 'aksemu ui' for a new sign-in link.")
      : aadError(reply, 400, 'invalid_grant', 54005, "The provided authorization code is invalid or was already redeemed. Run 'aksemu ui' for a new sign-in link.");
  }
  const subject = redeemed.subject;
  if (subject.tenantId !== tenant.tenantId) return aadError(reply, 400, 'invalid_grant', 70000, 'Provided grant is invalid or malformed: the code was issued in another tenant.');
  let accessToken: string;
  let scope: string | undefined;
  if (subject.kind === 'user') {
    const user = await directory.getUser(subject.objectId);
    if (!user) return userNotFound(reply, tenant, '');
    const scp = delegatedScopes(audience);
    accessToken = await tokens.issueForUser(user, { appId: DASHBOARD_CLIENT_ID, authenticated: false }, audience, scp);
    scope = version === 'v2' ? grantedScope(requested.scopes, scp) : scp;
  } else {
    const principal = await directory.getByObjectId(subject.objectId);
    if (!principal) return aadError(reply, 400, 'invalid_grant', 70000, 'Provided grant is invalid or malformed: its application no longer exists.');
    accessToken = await tokens.issue(principal, audience);
  }
  return reply.send({ token_type: 'Bearer', ...(scope ? { scope } : {}), expires_in: TOKEN_LIFETIME_SECONDS, ext_expires_in: TOKEN_LIFETIME_SECONDS, access_token: accessToken });
}
