/**
 * The two data-plane services the commands use besides ARM: Key Vault (`https://<vault>.vault.azure.net/`,
 * addressed directly as /_vault/<vault>/ on the instance) and Microsoft Graph (/_graph). Same conventions as the
 * SDKs: bearer token for the service's audience, api-version for Key Vault, JSON bodies, service error bodies.
 */
import type { HttpClient, HttpResponse } from './http.js';
import { AzCliError } from '../framework/errors.js';
import { serviceError } from './service-error.js';
import type { TokenProvider } from './tokens.js';

/** The Key Vault data-plane api-version az's key commands use (azure-keyvault-keys 4.9+). */
export const KEYVAULT_DATA_API_VERSION = '7.5';

export class VaultClient {
  constructor(
    private readonly http: HttpClient,
    private readonly tokens: TokenProvider,
    readonly vaultName: string,
  ) {}

  /** The vault's public URI, as Key Vault reports it in kid values. */
  get vaultUri(): string {
    return `https://${this.vaultName.toLowerCase()}.vault.azure.net/`;
  }

  async call(method: string, path: string, body?: unknown, accept: number[] = []): Promise<HttpResponse> {
    const sep = path.includes('?') ? '&' : '?';
    const url = /[?&]api-version=/.test(path) ? path : `${path}${sep}api-version=${KEYVAULT_DATA_API_VERSION}`;
    const send = async () =>
      this.http.request(method, `/_vault/${encodeURIComponent(this.vaultName)}${url}`, {
        headers: { Authorization: `Bearer ${await this.tokens.token('vault')}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    let res = await send();
    if (res.status === 401) {
      this.tokens.invalidate('vault');
      res = await send();
    }
    if (res.status >= 400 && !accept.includes(res.status)) throw serviceError(res);
    return res;
  }

  /** A list with Key Vault's paging (`value` + `nextLink` pointing at the vault's public host). */
  async list<T = any>(path: string): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined = path;
    while (next) {
      const res = await this.call('GET', next);
      const page = res.json<{ value?: T[]; nextLink?: string | null }>();
      items.push(...(page?.value ?? []));
      next = page?.nextLink ? this.relative(page.nextLink) : undefined;
    }
    return items;
  }

  /** A nextLink names the vault's public host; the path and query are what the direct address needs. */
  private relative(link: string): string {
    const u = new URL(link, this.vaultUri);
    const prefix = `/_vault/${this.vaultName}`;
    const path = u.pathname.toLowerCase().startsWith(prefix.toLowerCase()) ? u.pathname.slice(prefix.length) : u.pathname;
    return `${path}${u.search}`;
  }
}

export class GraphClient {
  constructor(
    private readonly http: HttpClient,
    private readonly tokens: TokenProvider,
  ) {}

  async get<T = any>(path: string, accept: number[] = []): Promise<{ status: number; body: T | undefined }> {
    const send = async () => this.http.request('GET', `/_graph${path}`, { headers: { Authorization: `Bearer ${await this.tokens.token('graph')}` } });
    let res = await send();
    if (res.status === 401) {
      this.tokens.invalidate('graph');
      res = await send();
    }
    if (res.status >= 400 && !accept.includes(res.status)) throw graphError(res);
    return { status: res.status, body: res.json<T>() };
  }
}

/** az's GraphError: az prints a Graph error answer as its message alone (exit code 1). */
function graphError(res: HttpResponse): AzCliError {
  const message = res.json<{ error?: { message?: string } }>()?.error?.message;
  return message ? new AzCliError(message) : serviceError(res);
}
