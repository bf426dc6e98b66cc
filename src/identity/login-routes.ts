/**
 * The OAuth2 / OpenID Connect endpoints of login.microsoftonline.com that MSAL (az, @azure/identity) uses for the
 * client-credentials grant (SPEC I-3): instance discovery, OIDC discovery, JWKS, and the v2.0 and v1 token
 * endpoints. Errors use Entra ID's own body (`error`, `error_description` with the AADSTS code, `error_codes`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Directory, Principal, Tenant } from './directory.js';
import { TOKEN_LIFETIME_SECONDS, TokenService } from './tokens.js';

/** Resources (audiences) the emulated directory issues tokens for. */
export const KNOWN_RESOURCES = [
  'https://management.core.windows.net/',
  'https://management.azure.com/',
  'https://vault.azure.net',
  'https://graph.microsoft.com/',
  'https://graph.windows.net/',
  // The AKS AAD server application, the audience of tokens for clusters' Kubernetes APIs.
  '6dae42f8-4368-4678-94ff-3960e28e3630',
];

function aadError(reply: FastifyReply, status: number, error: string, code: number, description: string) {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  return reply.code(status).send({
    error,
    error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${new Date().toISOString().replace('T', ' ').slice(0, 19)}Z`,
    error_codes: [code],
    timestamp: new Date().toISOString().replace('T', ' ').slice(0, 19) + 'Z',
    trace_id: traceId,
    correlation_id: correlationId,
  });
}

/** Maps a requested resource or scope to the issued audience, or undefined if the resource is unknown. */
export function audienceFor(resource: string): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/\/+$/, '');
  const wanted = norm(resource);
  const known = KNOWN_RESOURCES.find((r) => norm(r) === wanted);
  if (!known) return undefined;
  // Entra ID writes the audience as the resource was registered, e.g. ARM with its trailing slash.
  return known;
}

function formBody(req: FastifyRequest): URLSearchParams {
  const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
  return new URLSearchParams(raw);
}

/** The authority base the client used: the login host through the proxy, or the direct `/_login` prefix. */
function authorityBase(req: FastifyRequest): string {
  const host = req.headers.host ?? 'login.microsoftonline.com';
  const direct = !/^(login\.microsoftonline\.com|login\.windows\.net|login\.microsoft\.com|sts\.windows\.net)(:\d+)?$/i.test(host);
  return direct ? `https://${host}/_login` : `https://${host}`;
}

export function registerLoginRoutes(app: FastifyInstance, directory: Directory, tokens: TokenService): void {
  app.register(
    async (scope) => {
      const resolveTenant = async (name: string): Promise<Tenant | undefined> => {
        const t = await directory.tenant();
        const n = name.toLowerCase();
        return n === t.tenantId.toLowerCase() || n === t.defaultDomain.toLowerCase() ? t : undefined;
      };
      const tenantNotFound = (reply: FastifyReply, name: string) =>
        aadError(reply, 400, 'invalid_request', 90002, `Tenant '${name}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);

      const openidConfiguration = (version: 'v1' | 'v2') => async (req: FastifyRequest<{ Params: { tenant: string } }>, reply: FastifyReply) => {
        const name = req.params.tenant;
        const generic = ['common', 'organizations', 'consumers'].includes(name.toLowerCase());
        const tenant = generic ? await directory.tenant() : await resolveTenant(name);
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
      scope.get('/:tenant/v2.0/.well-known/openid-configuration', openidConfiguration('v2'));
      scope.get('/:tenant/.well-known/openid-configuration', openidConfiguration('v1'));

      const instanceDiscovery = async (req: FastifyRequest, reply: FastifyReply) => {
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
      scope.get('/common/discovery/instance', instanceDiscovery);
      scope.get('/:tenant/discovery/instance', instanceDiscovery);

      const jwks = async (_req: FastifyRequest, reply: FastifyReply) => reply.send(await tokens.jwks());
      scope.get('/:tenant/discovery/v2.0/keys', jwks);
      scope.get('/:tenant/discovery/keys', jwks);

      const token = (version: 'v1' | 'v2') => async (req: FastifyRequest<{ Params: { tenant: string } }>, reply: FastifyReply) => {
        const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (type !== 'application/x-www-form-urlencoded') {
          return aadError(reply, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
        }
        const form = formBody(req);
        const tenant = await resolveTenant(req.params.tenant);
        if (!tenant) return tenantNotFound(reply, req.params.tenant);
        const grant = form.get('grant_type');
        if (!grant) return aadError(reply, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
        if (grant !== 'client_credentials') {
          return aadError(reply, 400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grant}'. aksemu issues tokens with the client_credentials grant only.`);
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
        if (!secret) return aadError(reply, 401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");

        let resource: string | null;
        if (version === 'v2') {
          const scopes = (form.get('scope') ?? '').split(/\s+/).filter((s) => s && !['openid', 'profile', 'offline_access', 'email'].includes(s));
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
        if (!audience) {
          return aadError(reply, 400, 'invalid_resource', 500011, `The resource principal named ${resource} was not found in the tenant named ${tenant.displayName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`);
        }
        const principal: Principal | undefined = await directory.getByAppId(clientId);
        if (!principal || principal.tenantId !== tenant.tenantId) {
          return aadError(reply, 400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
        }
        if (!directory.verifySecret(principal, secret)) {
          return aadError(reply, 401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
        }
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
      scope.post('/:tenant/oauth2/v2.0/token', token('v2'));
      scope.post('/:tenant/oauth2/token', token('v1'));

      const interactive = async (_req: FastifyRequest, reply: FastifyReply) =>
        aadError(reply, 400, 'unsupported_response_type', 70000, "Interactive sign-in is not available in aksemu: sign in with a service principal ('az login --service-principal', ClientSecretCredential); 'aksemu env' prints its credentials.");
      scope.get('/:tenant/oauth2/v2.0/authorize', interactive);
      scope.get('/:tenant/oauth2/authorize', interactive);
      scope.post('/:tenant/oauth2/v2.0/devicecode', interactive);
      scope.post('/:tenant/oauth2/devicecode', interactive);

      scope.all('/*', async (req, reply) => aadError(reply, 404, 'invalid_request', 90056, `The endpoint '${req.url}' does not exist in aksemu's login service.`));
    },
    { prefix: '/_login' },
  );
}
