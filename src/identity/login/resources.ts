/** What a token is asked for: the known resources (audiences), the public clients, and the delegated scopes. */

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

/**
 * aksemu's dashboard (`aksemu ui`): a public client (a page in a browser holds no secret) that signs in with a
 * one-time code (grant_type=authorization_code, identity/sign-in-codes.ts) and nothing else.
 */
export const DASHBOARD_CLIENT_ID = '3478f36a-9f48-46da-8157-193c1ae122e2';

export function isPublicClient(clientId: string): boolean {
  return clientId.toLowerCase() in PUBLIC_CLIENTS;
}

/** OpenID Connect scopes: they ask for an ID token and a refresh token, not for a resource. */
export const OIDC_SCOPES = ['openid', 'profile', 'offline_access', 'email'];
const GRAPH_RESOURCE = 'https://graph.microsoft.com/';

/** The resource a delegated scope belongs to: `R/.default` and `R/permission` are R; a bare permission is Graph's. */
export function resourceOfScope(scope: string): string {
  if (scope.endsWith('/.default')) return scope.slice(0, -'/.default'.length);
  const slash = scope.lastIndexOf('/');
  return slash > 0 ? scope.slice(0, slash) : GRAPH_RESOURCE;
}

type RequestedResource = { resource: string; scopes: string[] } | { error: { error: string; code: number; description: string } };

/** What a delegated request asks a token for: v2.0 scopes (one resource; Graph when only OIDC scopes) or v1 `resource`. */
export function requestedResource(version: 'v1' | 'v2', form: URLSearchParams): RequestedResource {
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
export function grantedScope(requested: string[], scp: string): string {
  const asked = requested[0]!;
  const prefix = asked.endsWith('/.default') ? asked.slice(0, -'/.default'.length) : asked.includes('/') ? asked.slice(0, asked.lastIndexOf('/')) : 'https://graph.microsoft.com';
  const granted = scp
    .split(' ')
    .filter((p) => !OIDC_SCOPES.includes(p))
    .map((p) => `${prefix}/${p}`);
  return [...new Set([...granted, ...requested])].join(' ');
}
