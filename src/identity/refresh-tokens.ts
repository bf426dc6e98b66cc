/**
 * Refresh tokens for the delegated flows. MSAL needs one: `az login -u` signs in once (password grant) and every
 * later token (another resource, or the tenant-specific authority az switches to after listing tenants) comes
 * from the refresh token in its cache, never from the password again.
 *
 * A refresh token is opaque to clients and validated statelessly: the grant (user, tenant, client, issue and expiry
 * times) sealed with the master key (AES-256-GCM, purpose-bound), so nothing is stored and a client can neither
 * read nor forge one. Like Entra ID's, it is good for 90 days and a new one comes with every redemption; one that
 * no longer fits its user (the user is gone) is refused when redeemed.
 */
import type { Sealer } from '../secrets/sealer.js';

const PURPOSE = 'aksemu/identity/refresh-token';
/** Entra ID's refresh tokens expire after 90 days without use. */
export const REFRESH_TOKEN_LIFETIME_SECONDS = 90 * 24 * 3600;

export interface RefreshGrant {
  /** The user's object id. */
  oid: string;
  tid: string;
  /** The client application the token was issued to. */
  cid: string;
  iat: number;
  exp: number;
}

export type RedeemResult = { ok: true; grant: RefreshGrant } | { ok: false; problem: 'malformed' | 'expired' };

export class RefreshTokens {
  constructor(private readonly sealer: Sealer) {}

  issue(grant: { oid: string; tid: string; cid: string }, now = Date.now()): string {
    const iat = Math.floor(now / 1000);
    const body: RefreshGrant = { oid: grant.oid, tid: grant.tid, cid: grant.cid.toLowerCase(), iat, exp: iat + REFRESH_TOKEN_LIFETIME_SECONDS };
    return this.sealer.seal(Buffer.from(JSON.stringify(body), 'utf8'), PURPOSE).toString('base64url');
  }

  redeem(token: string, now = Date.now()): RedeemResult {
    let grant: RefreshGrant;
    try {
      if (!/^[A-Za-z0-9_-]+$/.test(token)) return { ok: false, problem: 'malformed' };
      grant = JSON.parse(this.sealer.unseal(Buffer.from(token, 'base64url'), PURPOSE).toString('utf8')) as RefreshGrant;
    } catch {
      return { ok: false, problem: 'malformed' };
    }
    if (typeof grant.oid !== 'string' || typeof grant.tid !== 'string' || typeof grant.cid !== 'string' || typeof grant.exp !== 'number') {
      return { ok: false, problem: 'malformed' };
    }
    if (grant.exp * 1000 <= now) return { ok: false, problem: 'expired' };
    return { ok: true, grant };
  }
}
