/**
 * The OAuth2 / OpenID Connect endpoints of login.microsoftonline.com that MSAL (az, @azure/identity) uses
 * (SPEC I-3): instance discovery, OIDC discovery, user realm discovery, JWKS, and the v2.0 and v1 token endpoints
 * with the client-credentials grant (an application signs in: app-only tokens), the resource owner password
 * credentials grant (a user signs in: `az login -u`, delegated tokens) and the refresh-token grant (MSAL's silent
 * token renewal for a signed-in user). Errors use Entra ID's own body (`error`, `error_description` with the
 * AADSTS code, `error_codes`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Sealer } from '../secrets/sealer.js';
import type { Directory, DirectoryUser, Principal, Tenant } from './directory.js';
import { RefreshTokens } from './refresh-tokens.js';
import { delegatedScopes, TOKEN_LIFETIME_SECONDS, TokenService } from './tokens.js';

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

/** First-party public clients: they use the delegated flows without a secret. */
export const PUBLIC_CLIENTS: Record<string, string> = {
  '04b07795-8ddb-461a-bbee-02f9e1bf7b46': 'Microsoft Azure CLI',
};

function isPublicClient(clientId: string): boolean {
  return clientId.toLowerCase() in PUBLIC_CLIENTS;
}

/** OpenID Connect scopes: they ask for an ID token and a refresh token, not for a resource. */
const OIDC_SCOPES = ['openid', 'profile', 'offline_access', 'email'];
const GRAPH_RESOURCE = 'https://graph.microsoft.com/';

/** The resource a delegated scope belongs to: `R/.default` and `R/permission` are R; a bare permission is Graph's. */
export function resourceOfScope(scope: string): string {
  if (scope.endsWith('/.default')) return scope.slice(0, -'/.default'.length);
  const slash = scope.lastIndexOf('/');
  return slash > 0 ? scope.slice(0, slash) : GRAPH_RESOURCE;
}

type RequestedResource = { resource: string; scopes: string[] } | { error: { error: string; code: number; description: string } };

/** What a delegated request asks a token for: v2.0 scopes (one resource; Graph when only OIDC scopes) or v1 `resource`. */
function requestedResource(version: 'v1' | 'v2', form: URLSearchParams): RequestedResource {
  if (version === 'v1') {
    const resource = form.get('resource');
    if (!resource) return { error: { error: 'invalid_request', code: 900144, description: "The request body must contain the following parameter: 'resource'." } };
    return { resource, scopes: [] };
  }
  const scopes = (form.get('scope') ?? '').split(/\s+/).filter((s) => s && !OIDC_SCOPES.includes(s));
  if (scopes.length === 0) return { resource: GRAPH_RESOURCE, scopes: [`${GRAPH_RESOURCE}User.Read`] };
  const resources = [...new Set(scopes.map((s) => audienceFor(resourceOfScope(s)) ?? resourceOfScope(s)))];
  if (resources.length > 1) {
    return { error: { error: 'invalid_scope', code: 28000, description: `Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${scopes.join(' ')} is not valid.` } };
  }
  return { resource: resourceOfScope(scopes[0]!), scopes };
}

/** The `scope` of a v2.0 delegated answer: the permissions granted on the resource, and the scopes asked for. */
function grantedScope(requested: string[], scp: string): string {
  const asked = requested[0]!;
  const prefix = asked.endsWith('/.default') ? asked.slice(0, -'/.default'.length) : asked.includes('/') ? asked.slice(0, asked.lastIndexOf('/')) : 'https://graph.microsoft.com';
  const granted = scp
    .split(' ')
    .filter((p) => !OIDC_SCOPES.includes(p))
    .map((p) => `${prefix}/${p}`);
  return [...new Set([...granted, ...requested])].join(' ');
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

export function registerLoginRoutes(app: FastifyInstance, directory: Directory, tokens: TokenService, sealer: Sealer): void {
  const refreshTokens = new RefreshTokens(sealer);
  app.register(
    async (scope) => {
      const resolveTenant = async (name: string): Promise<Tenant | undefined> => {
        const t = await directory.tenant();
        const n = name.toLowerCase();
        return n === t.tenantId.toLowerCase() || n === t.defaultDomain.toLowerCase() ? t : undefined;
      };
      /** The tenant a user signs in to: the tenant itself, or the generic authorities that stand for a user's home tenant. */
      const resolveUserTenant = async (name: string): Promise<Tenant | undefined> =>
        ['common', 'organizations'].includes(name.toLowerCase()) ? directory.tenant() : resolveTenant(name);
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
        const grant = form.get('grant_type');
        const delegated = grant === 'password' || grant === 'refresh_token';
        // A user signs in through the generic authorities too (az's default is 'organizations'); an app does not.
        const tenant = delegated ? await resolveUserTenant(req.params.tenant) : await resolveTenant(req.params.tenant);
        if (!tenant) return tenantNotFound(reply, req.params.tenant);
        if (!grant) return aadError(reply, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
        if (grant !== 'client_credentials' && !delegated) {
          return aadError(reply, 400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grant}'. aksemu issues tokens with the client_credentials, password and refresh_token grants.`);
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
        if (delegated) return delegatedGrant(version, grant, tenant, clientId, secret, form, reply);
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

      /**
       * The delegated grants (SPEC I-3): a user signs in with its password (resource owner password credentials,
       * what `az login -u` and UsernamePasswordCredential send), or a client redeems the refresh token it got then.
       * The client is az's public client or a registered application (which authenticates with its secret).
       */
      const delegatedGrant = async (
        version: 'v1' | 'v2',
        grant: 'password' | 'refresh_token',
        tenant: Tenant,
        clientId: string,
        secret: string | null,
        form: URLSearchParams,
        reply: FastifyReply,
      ) => {
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
      };

      const resourceNotFound = (reply: FastifyReply, resource: string, tenant: Tenant) =>
        aadError(reply, 400, 'invalid_resource', 500011, `The resource principal named ${resource} was not found in the tenant named ${tenant.displayName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`);
      const applicationNotFound = (reply: FastifyReply, clientId: string, tenant: Tenant) =>
        aadError(reply, 400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
      const invalidSecret = (reply: FastifyReply, clientId: string) =>
        aadError(reply, 401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
      const userNotFound = (reply: FastifyReply, tenant: Tenant, hint: string) =>
        aadError(reply, 400, 'invalid_grant', 50034, `The user account {EUII Hidden} does not exist in the ${tenant.tenantId} directory. To sign into this application, the account must be added to the directory.${hint}`);

      scope.post('/:tenant/oauth2/v2.0/token', token('v2'));
      scope.post('/:tenant/oauth2/token', token('v1'));

      const interactive = async (_req: FastifyRequest, reply: FastifyReply) =>
        aadError(reply, 400, 'unsupported_response_type', 70000, "Interactive sign-in is not available in aksemu: sign in with a username and password ('az login -u USER -p PASSWORD', UsernamePasswordCredential) or a service principal ('az login --service-principal', ClientSecretCredential); 'aksemu env' prints both (AKSEMU_USER, AKSEMU_PASSWORD, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET).");
      scope.get('/:tenant/oauth2/v2.0/authorize', interactive);
      scope.get('/:tenant/oauth2/authorize', interactive);
      scope.post('/:tenant/oauth2/v2.0/devicecode', interactive);
      scope.post('/:tenant/oauth2/devicecode', interactive);

      // MSAL's user realm discovery before a password sign-in: aksemu's accounts are managed (no federation).
      scope.get('/common/userrealm/:username', async (req: FastifyRequest<{ Params: { username: string }; Querystring: { 'api-version'?: string } }>, reply) => {
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
      });

      scope.all('/*', async (req, reply) => aadError(reply, 404, 'invalid_request', 90056, `The endpoint '${req.url}' does not exist in aksemu's login service.`));
    },
    { prefix: '/_login' },
  );
}
