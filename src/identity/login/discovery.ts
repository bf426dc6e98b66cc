/** The discovery endpoints MSAL reads before it asks for a token: OIDC and instance discovery, JWKS, user realm. */
import type { FastifyRequest } from 'fastify';
import type { LoginHandler } from './handler.js';
import { resolveTenant } from './tenants.js';
import { tenantNotFound } from './entra-errors.js';
import { TokenService } from '../tokens.js';

/** The authority base the client used: the login host through the proxy, or the direct `/_login` prefix. */
function authorityBase(req: FastifyRequest): string {
  const host = req.headers.host ?? 'login.microsoftonline.com';
  const direct = !/^(login\.microsoftonline\.com|login\.windows\.net|login\.microsoft\.com|sts\.windows\.net)(:\d+)?$/i.test(host);
  return direct ? `https://${host}/_login` : `https://${host}`;
}

export function openidConfiguration(version: 'v1' | 'v2'): LoginHandler {
  return async ({ directory }, req, reply) => {
    const name = (req.params as { tenant: string }).tenant;
    const generic = ['common', 'organizations', 'consumers'].includes(name.toLowerCase());
    const tenant = generic ? await directory.tenant() : await resolveTenant(directory, name);
    if (!tenant) return tenantNotFound(reply, name);
    const base = authorityBase(req);
    const seg = generic ? name : tenant.tenantId;
    const v = version === 'v2' ? '/v2.0' : '';
    return reply.send({
      token_endpoint: `${base}/${seg}/oauth2${v}/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/${seg}/discovery${v}/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: version === 'v2' ? `https://login.microsoftonline.com/${generic ? '{tenantid}' : tenant.tenantId}/v2.0` : TokenService.issuer(tenant.tenantId),
      request_uri_parameter_supported: false,
      userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
      authorization_endpoint: `${base}/${seg}/oauth2${v}/authorize`,
      device_authorization_endpoint: `${base}/${seg}/oauth2${v}/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/${seg}/oauth2${v}/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'tid', 'oid', 'ver'],
      kerberos_endpoint: `${base}/${seg}/kerberos`,
      tenant_region_scope: 'NA',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    });
  };
}

export const instanceDiscovery: LoginHandler = async (_deps, req, reply) => {
  const base = authorityBase(req);
  return reply.send({
    tenant_discovery_endpoint: `${base}/{tenant}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [
      {
        preferred_network: 'login.microsoftonline.com',
        preferred_cache: 'login.windows.net',
        aliases: ['login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com', 'sts.windows.net'],
      },
    ],
  });
};

export const jwks: LoginHandler = async ({ tokens }, _req, reply) => reply.send(await tokens.jwks());

/** MSAL's user realm discovery before a password sign-in: aksemu's accounts are managed (no federation). */
export const userRealm: LoginHandler = async ({ directory }, request, reply) => {
  const req = request as FastifyRequest<{ Params: { username: string }; Querystring: { 'api-version'?: string } }>;
  const tenant = await directory.tenant();
  const username = req.params.username;
  const domain = username.slice(username.lastIndexOf('@') + 1).toLowerCase();
  const managed = username.includes('@') && domain === tenant.defaultDomain.toLowerCase();
  if (req.query['api-version'] === '2.0') {
    return reply.send({
      NameSpaceType: managed ? 'Managed' : 'Unknown',
      Login: username,
      DomainName: managed ? tenant.defaultDomain : domain,
      ...(managed ? { FederationBrandName: tenant.displayName } : {}),
      TenantBrandingInfo: null,
      cloud_instance_name: 'microsoftonline.com',
    });
  }
  return reply.send(
    managed
      ? { ver: '1.0', account_type: 'Managed', domain_name: tenant.defaultDomain, cloud_instance_name: 'microsoftonline.com', cloud_audience_urn: 'urn:federation:MicrosoftOnline' }
      : { ver: '1.0', account_type: 'Unknown', cloud_instance_name: 'microsoftonline.com' },
  );
};
