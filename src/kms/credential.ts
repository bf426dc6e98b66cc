/**
 * The credential of a plugin that aksemu runs for a cluster (SPEC K-4): the cluster's user-assigned managed
 * identity, obtained like any managed-identity client does on App Service — `GET {IDENTITY_ENDPOINT}?api-version=
 * 2019-08-01&resource=...` with the `X-IDENTITY-HEADER` secret of that identity — from aksemu's `/_msi/token`.
 *
 * @azure/identity's ManagedIdentityCredential reads IDENTITY_ENDPOINT/IDENTITY_HEADER from the process
 * environment, which is one identity per process; aksemu serves many clusters (each with its own identity) from
 * one process, so this small TokenCredential speaks the same protocol with per-instance settings. The standalone
 * `aksemu kms-plugin` uses @azure/identity itself.
 */
import { request } from 'node:https';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';

export interface MsiEndpoint {
  /** https://127.0.0.1:PORT/_msi/token */
  url: string;
  /** The identity's X-IDENTITY-HEADER value. */
  secret: string;
  clientId: string;
  ca: string;
}

export class ManagedIdentityEndpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialUnavailableError';
  }
}

export class AppServiceMsiCredential implements TokenCredential {
  private cached = new Map<string, AccessToken>();

  constructor(private readonly endpoint: () => MsiEndpoint) {}

  async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken | null> {
    const scope = Array.isArray(scopes) ? scopes[0]! : scopes;
    const resource = scope.replace(/\/\.default$/, '');
    const hit = this.cached.get(resource);
    if (hit && hit.expiresOnTimestamp - Date.now() > 5 * 60_000) return hit;
    const ep = this.endpoint();
    const url = new URL(ep.url);
    url.searchParams.set('api-version', '2019-08-01');
    url.searchParams.set('resource', resource);
    url.searchParams.set('client_id', ep.clientId);
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(url, { method: 'GET', ca: ep.ca, headers: { 'x-identity-header': ep.secret, metadata: 'true' }, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    if (status !== 200) {
      let detail = body;
      try {
        const j = JSON.parse(body) as { error_description?: string; message?: string };
        detail = j.error_description ?? j.message ?? body;
      } catch {
        /* not JSON */
      }
      throw new ManagedIdentityEndpointError(`ManagedIdentityCredential: the managed identity endpoint answered ${status}: ${detail}`);
    }
    const j = JSON.parse(body) as { access_token: string; expires_on: string };
    const token: AccessToken = { token: j.access_token, expiresOnTimestamp: Number(j.expires_on) * 1000 };
    this.cached.set(resource, token);
    return token;
  }
}
