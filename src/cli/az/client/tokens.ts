/**
 * Access tokens from the instance's token endpoint (OAuth2 client credentials, as MSAL gets them for az), one per
 * resource, cached for the life of the command.
 */
import { AzCliError } from '../framework/errors.js';
import type { HttpClient } from './http.js';

export const SCOPES = {
  arm: 'https://management.core.windows.net//.default',
  vault: 'https://vault.azure.net/.default',
  graph: 'https://graph.microsoft.com/.default',
} as const;

export type TokenResource = keyof typeof SCOPES;

export class TokenProvider {
  private readonly cache = new Map<string, Promise<string>>();

  constructor(
    private readonly http: HttpClient,
    private readonly tenantId: string,
    private readonly clientId: string,
    private readonly secret: string,
  ) {}

  token(resource: TokenResource): Promise<string> {
    let t = this.cache.get(resource);
    if (!t) {
      t = this.fetch(SCOPES[resource]);
      this.cache.set(resource, t);
      t.catch(() => this.cache.delete(resource));
    }
    return t;
  }

  private async fetch(scope: string): Promise<string> {
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: this.clientId, client_secret: this.secret, scope }).toString();
    const res = await this.http.request('POST', `/_login/${encodeURIComponent(this.tenantId)}/oauth2/v2.0/token`, {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
    });
    const json = res.json<{ access_token?: string; error?: string; error_description?: string }>();
    if (res.status !== 200 || !json?.access_token) {
      // MSAL's errors reach the user as the AADSTS description.
      const description = json?.error_description?.split('\r\n')[0] ?? `the token endpoint answered ${res.status}`;
      throw new AzCliError(description);
    }
    return json.access_token;
  }
}
