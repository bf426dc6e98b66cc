/**
 * The v2.0 and v1 token endpoints: the request's checks common to every grant, and the client-credentials grant
 * (an application signs in: app-only tokens). The delegated grants are in ./delegated-grant.ts.
 */
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../directory.js';
import { TOKEN_LIFETIME_SECONDS } from '../tokens.js';
import { codeGrant } from './code-grant.js';
import { delegatedGrant } from './delegated-grant.js';
import { aadError, applicationNotFound, invalidSecret, resourceNotFound, tenantNotFound } from './entra-errors.js';
import type { LoginHandler } from './handler.js';
import { audienceFor, OIDC_SCOPES } from './resources.js';
import { resolveTenant, resolveUserTenant } from './tenants.js';

function formBody(req: FastifyRequest): URLSearchParams {
  const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
  return new URLSearchParams(raw);
}

export function token(version: 'v1' | 'v2'): LoginHandler {
  return async (deps, request, reply) => {
    const { directory, tokens } = deps;
    const req = request as FastifyRequest<{ Params: { tenant: string } }>;
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      return aadError(reply, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
    }
    const form = formBody(req);
    const grant = form.get('grant_type');
    const delegated = grant === 'password' || grant === 'refresh_token';
    // A user signs in through the generic authorities too (az's default is 'organizations'); an app does not.
    const tenant = delegated ? await resolveUserTenant(directory, req.params.tenant) : await resolveTenant(directory, req.params.tenant);
    if (!tenant) return tenantNotFound(reply, req.params.tenant);
    if (!grant) return aadError(reply, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
    if (grant !== 'client_credentials' && grant !== 'authorization_code' && !delegated) {
      return aadError(reply, 400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grant}'. aksemu issues tokens with the client_credentials, password and refresh_token grants, and to its dashboard with authorization_code.`);
    }
    let clientId = form.get('client_id');
    let secret = form.get('client_secret');
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const [id, sec] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
      clientId ??= decodeURIComponent(id ?? '');
      secret ??= decodeURIComponent(sec ?? '');
    }
    if (!clientId) return aadError(reply, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
    if (form.has('client_assertion')) {
      return aadError(reply, 401, 'invalid_client', 7000218, "aksemu accepts client secrets only; certificate and federated credentials ('client_assertion') are not supported.");
    }
    if (grant === 'authorization_code') return codeGrant(deps, version, tenant, clientId, secret, form, reply);
    if (delegated) return delegatedGrant(deps, version, grant, tenant, clientId, secret, form, reply);
    if (!secret) return aadError(reply, 401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");

    let resource: string | null;
    if (version === 'v2') {
      const scopes = (form.get('scope') ?? '').split(/\s+/).filter((s) => s && !OIDC_SCOPES.includes(s));
      if (scopes.length !== 1 || !scopes[0]!.endsWith('/.default')) {
        return aadError(
          reply,
          400,
          'invalid_scope',
          1002012,
          `The provided value for scope ${scopes.join(' ') || '(none)'} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
        );
      }
      resource = scopes[0]!.slice(0, -'/.default'.length);
    } else {
      resource = form.get('resource');
      if (!resource) return aadError(reply, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'resource'.");
    }
    const audience = audienceFor(resource);
    if (!audience) return resourceNotFound(reply, resource, tenant);
    const principal: Principal | undefined = await directory.getByAppId(clientId);
    if (!principal || principal.tenantId !== tenant.tenantId) return applicationNotFound(reply, clientId, tenant);
    if (!directory.verifySecret(principal, secret)) return invalidSecret(reply, clientId);
    const accessToken = await tokens.issue(principal, audience);
    const now = Math.floor(Date.now() / 1000);
    if (version === 'v2') {
      return reply.send({ token_type: 'Bearer', expires_in: TOKEN_LIFETIME_SECONDS, ext_expires_in: TOKEN_LIFETIME_SECONDS, access_token: accessToken });
    }
    return reply.send({
      token_type: 'Bearer',
      expires_in: String(TOKEN_LIFETIME_SECONDS),
      ext_expires_in: String(TOKEN_LIFETIME_SECONDS),
      expires_on: String(now + TOKEN_LIFETIME_SECONDS),
      not_before: String(now - 300),
      resource,
      access_token: accessToken,
    });
  };
}
