/**
 * The OAuth2 / OpenID Connect endpoints of login.microsoftonline.com that MSAL (az, @azure/identity) uses
 * (SPEC I-3): instance discovery, OIDC discovery, user realm discovery, JWKS, and the v2.0 and v1 token endpoints
 * with the client-credentials grant (an application signs in: app-only tokens), the authorization-code grant of
 * aksemu's dashboard (the one-time codes of `aksemu ui`, login/code-grant.ts), the resource owner password
 * credentials grant (a user signs in: `az login -u`, delegated tokens) and the refresh-token grant (MSAL's silent
 * token renewal for a signed-in user). Errors use Entra ID's own body (`error`, `error_description` with the
 * AADSTS code, `error_codes`).
 */
import type { FastifyInstance, HTTPMethods } from 'fastify';
import type { Sealer } from '../secrets/sealer.js';
import type { Directory } from './directory.js';
import { instanceDiscovery, jwks, openidConfiguration, userRealm } from './login/discovery.js';
import { aadError } from './login/entra-errors.js';
import type { LoginDeps, LoginHandler } from './login/handler.js';
import { token } from './login/token.js';
import { RefreshTokens } from './refresh-tokens.js';
import type { SignInCodes } from './sign-in-codes.js';
import type { TokenService } from './tokens.js';

export { audienceFor, KNOWN_RESOURCES, PUBLIC_CLIENTS, resourceOfScope } from './login/resources.js';

const interactive: LoginHandler = async (_deps, _req, reply) =>
  aadError(reply, 400, 'unsupported_response_type', 70000, "Interactive sign-in is not available in aksemu: sign in with a username and password ('az login -u USER -p PASSWORD', UsernamePasswordCredential) or a service principal ('az login --service-principal', ClientSecretCredential); 'aksemu env' prints both (AKSEMU_USER, AKSEMU_PASSWORD, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET).");

const endpointNotFound: LoginHandler = async (_deps, req, reply) =>
  aadError(reply, 404, 'invalid_request', 90056, `The endpoint '${req.url}' does not exist in aksemu's login service.`);

/** The login endpoints, under `/_login`. `ALL` is every method fastify knows (the catch-all, registered last). */
const ROUTES: Array<{ methods: HTTPMethods[] | 'ALL'; path: string; handler: LoginHandler }> = [
  { methods: ['GET'], path: '/:tenant/v2.0/.well-known/openid-configuration', handler: openidConfiguration('v2') },
  { methods: ['GET'], path: '/:tenant/.well-known/openid-configuration', handler: openidConfiguration('v1') },
  { methods: ['GET'], path: '/common/discovery/instance', handler: instanceDiscovery },
  { methods: ['GET'], path: '/:tenant/discovery/instance', handler: instanceDiscovery },
  { methods: ['GET'], path: '/:tenant/discovery/v2.0/keys', handler: jwks },
  { methods: ['GET'], path: '/:tenant/discovery/keys', handler: jwks },
  { methods: ['POST'], path: '/:tenant/oauth2/v2.0/token', handler: token('v2') },
  { methods: ['POST'], path: '/:tenant/oauth2/token', handler: token('v1') },
  { methods: ['GET'], path: '/:tenant/oauth2/v2.0/authorize', handler: interactive },
  { methods: ['GET'], path: '/:tenant/oauth2/authorize', handler: interactive },
  { methods: ['POST'], path: '/:tenant/oauth2/v2.0/devicecode', handler: interactive },
  { methods: ['POST'], path: '/:tenant/oauth2/devicecode', handler: interactive },
  { methods: ['GET'], path: '/common/userrealm/:username', handler: userRealm },
  { methods: 'ALL', path: '/*', handler: endpointNotFound },
];

export function registerLoginRoutes(app: FastifyInstance, directory: Directory, tokens: TokenService, sealer: Sealer, signInCodes: SignInCodes): void {
  const deps: LoginDeps = { directory, tokens, refreshTokens: new RefreshTokens(sealer), signInCodes };
  app.register(
    async (scope) => {
      for (const route of ROUTES) {
        const handler = (req: Parameters<LoginHandler>[1], reply: Parameters<LoginHandler>[2]) => route.handler(deps, req, reply);
        if (route.methods === 'ALL') scope.all(route.path, handler);
        else scope.route({ method: [...route.methods], url: route.path, handler });
      }
    },
    { prefix: '/_login' },
  );
}
