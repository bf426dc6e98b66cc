/**
 * One-time sign-in codes for the dashboard (`aksemu ui`): an OAuth2 authorization code in all but the browser
 * redirect. A signed-in client (the CLI, acting as its account) asks for a code for itself; the dashboard's page
 * redeems it once at the token endpoint (grant_type=authorization_code) for an access token of that same principal.
 *
 * A code is 32 random bytes; only its SHA-256 is stored (`/identity/sign-in-codes/<hash>`), so the store never holds
 * a usable code. Redemption deletes the record under a condition on its revision: of two redemptions racing, one
 * wins. Expiry is real time, like the tokens' (clients' clocks, not the emulated one).
 */
import { createHash, randomBytes } from 'node:crypto';
import { decodeJson, encodeJson } from '../store/json.js';
import type { Store } from '../store/store.js';

const PREFIX = '/identity/sign-in-codes/';
/** How long a code is good for unless its asker wants less: long enough to open a link, short enough to leak little. */
export const SIGN_IN_CODE_LIFETIME_SECONDS = 120;

export interface SignInSubject {
  /** 'user' for a directory user (delegated tokens), 'app' for a service principal or managed identity. */
  kind: 'user' | 'app';
  objectId: string;
  tenantId: string;
}

interface StoredCode extends SignInSubject {
  /** Expiry, epoch milliseconds. */
  exp: number;
}

export type RedeemedCode = { ok: true; subject: SignInSubject } | { ok: false; problem: 'unknown' | 'expired' };

const keyOf = (code: string) => `${PREFIX}${createHash('sha256').update(code, 'utf8').digest('hex')}`;

export class SignInCodes {
  constructor(private readonly store: Store) {}

  async issue(subject: SignInSubject, lifetimeSeconds = SIGN_IN_CODE_LIFETIME_SECONDS): Promise<{ code: string; expiresOn: Date }> {
    const code = randomBytes(32).toString('base64url');
    const exp = Date.now() + lifetimeSeconds * 1000;
    const record: StoredCode = { kind: subject.kind, objectId: subject.objectId, tenantId: subject.tenantId, exp };
    await this.store.put(keyOf(code), encodeJson(record), { ifModRevision: 0 });
    await this.forgetExpired();
    return { code, expiresOn: new Date(exp) };
  }

  /** Consumes the code: the first redemption gets its subject, every later one 'unknown'. */
  async redeem(code: string): Promise<RedeemedCode> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(code)) return { ok: false, problem: 'unknown' };
    const kv = await this.store.get(keyOf(code));
    if (!kv) return { ok: false, problem: 'unknown' };
    const deleted = await this.store.delete(kv.key, { ifModRevision: kv.modRevision });
    if (!deleted.succeeded) return { ok: false, problem: 'unknown' };
    const record = decodeJson<StoredCode>(kv);
    if (record.exp <= Date.now()) return { ok: false, problem: 'expired' };
    return { ok: true, subject: { kind: record.kind, objectId: record.objectId, tenantId: record.tenantId } };
  }

  /** Codes nobody redeemed are dropped once expired, so they do not pile up. */
  private async forgetExpired(): Promise<void> {
    const { items } = await this.store.range(PREFIX);
    const now = Date.now();
    for (const kv of items) if (decodeJson<StoredCode>(kv).exp <= now) await this.store.delete(kv.key, { ifModRevision: kv.modRevision });
  }
}
