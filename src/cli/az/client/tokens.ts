/**
 * Access tokens from the instance's token endpoint, as MSAL gets them for az: for a user the password grant with
 * az's public client id, for a service principal the client-credentials grant. Like
 * MSAL's token cache in az's config directory, tokens are kept between commands until shortly before they expire,
 * so a script of many commands does not ask for a new token each time: in <data-dir>/cli/tokens.json, sealed with
 * the master key (a bearer token is a credential), per principal and resource. A token the service refuses is
 * dropped and fetched again (see `invalidate`).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../config/data-dir.js';
import type { Sealer } from '../../../secrets/sealer.js';
import { AzCliError } from '../framework/errors.js';
import type { SignIn } from './credentials.js';
import type { HttpClient } from './http.js';

/** The Azure CLI's public client id: az signs users in through it, and so does aksemu's CLI. */
export const AZ_CLI_CLIENT_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';

export const SCOPES = {
  arm: 'https://management.core.windows.net//.default',
  vault: 'https://vault.azure.net/.default',
  graph: 'https://graph.microsoft.com/.default',
  /** The AKS Microsoft Entra server application: what an Entra-integrated cluster's API accepts. */
  aks: '6dae42f8-4368-4678-94ff-3960e28e3630/.default',
} as const;

export type TokenResource = keyof typeof SCOPES;

/** Tokens are renewed this long before they expire. */
const RENEW_BEFORE_MS = 5 * 60_000;
const SEAL_PURPOSE = 'aksemu/cli/token-cache';

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** The sealed cache file of one data directory. */
export class TokenCache {
  constructor(
    private readonly dataDir: string,
    private readonly sealer: Sealer,
  ) {}

  private get file(): string {
    return join(this.dataDir, 'cli', 'tokens.json');
  }

  private read(): Record<string, CachedToken> {
    if (!existsSync(this.file)) return {};
    try {
      const sealed = Buffer.from(readFileSync(this.file, 'utf8'), 'base64');
      return JSON.parse(this.sealer.unseal(sealed, SEAL_PURPOSE).toString('utf8')) as Record<string, CachedToken>;
    } catch {
      // A cache that does not unseal (another master key, a torn write) is simply empty.
      return {};
    }
  }

  private write(entries: Record<string, CachedToken>): void {
    mkdirSync(join(this.dataDir, 'cli'), { recursive: true, mode: 0o700 });
    writeFileAtomic(this.file, this.sealer.seal(Buffer.from(JSON.stringify(entries), 'utf8'), SEAL_PURPOSE).toString('base64'), 0o600);
  }

  get(key: string, now = Date.now()): string | undefined {
    const t = this.read()[key];
    return t && t.expiresAt - RENEW_BEFORE_MS > now ? t.token : undefined;
  }

  put(key: string, token: CachedToken, now = Date.now()): void {
    const entries = Object.fromEntries(Object.entries(this.read()).filter(([, t]) => t.expiresAt > now));
    entries[key] = token;
    this.write(entries);
  }

  delete(key: string): void {
    const entries = this.read();
    if (!(key in entries)) return;
    delete entries[key];
    this.write(entries);
  }
}

export class TokenProvider {
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(
    private readonly http: HttpClient,
    private readonly signIn: SignIn,
    private readonly cache?: TokenCache,
  ) {}

  private key(resource: TokenResource): string {
    const who = this.signIn.kind === 'user' ? `user:${this.signIn.username}` : this.signIn.clientId;
    return `${this.signIn.tenantId.toLowerCase()}/${who.toLowerCase()}/${resource}`;
  }

  token(resource: TokenResource): Promise<string> {
    let t = this.inFlight.get(resource);
    if (!t) {
      const cached = this.cache?.get(this.key(resource));
      t = cached !== undefined ? Promise.resolve(cached) : this.fetch(resource);
      this.inFlight.set(resource, t);
      t.catch(() => this.inFlight.delete(resource));
    }
    return t;
  }

  /** Forgets a token the service refused (an instance restarted on a new store, a revoked principal). */
  invalidate(resource: TokenResource): void {
    this.inFlight.delete(resource);
    this.cache?.delete(this.key(resource));
  }

  private async fetch(resource: TokenResource): Promise<string> {
    const s = this.signIn;
    const form: Record<string, string> =
      s.kind === 'user'
        ? { grant_type: 'password', client_id: AZ_CLI_CLIENT_ID, username: s.username, password: s.password, scope: SCOPES[resource] }
        : { grant_type: 'client_credentials', client_id: s.clientId, client_secret: s.secret, scope: SCOPES[resource] };
    const body = new URLSearchParams(form).toString();
    const res = await this.http.request('POST', `/_login/${encodeURIComponent(s.tenantId)}/oauth2/v2.0/token`, {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
      secret: true,
    });
    const json = res.json<{ access_token?: string; expires_in?: number; error?: string; error_description?: string }>();
    if (res.status !== 200 || !json?.access_token) {
      // MSAL's errors reach the user as the AADSTS description.
      const description = json?.error_description?.split('\r\n')[0] ?? `the token endpoint answered ${res.status}`;
      throw new AzCliError(description);
    }
    this.cache?.put(this.key(resource), { token: json.access_token, expiresAt: Date.now() + (json.expires_in ?? 3600) * 1000 });
    return json.access_token;
  }
}
