/**
 * Access tokens: RS256 JWTs shaped like Microsoft Entra ID v1 access tokens (aud, iss, tid, oid, appid, idtyp),
 * signed with the instance's key (sealed in the store) and published as a JWKS. App-only tokens (client
 * credentials) carry the principal as subject; user tokens (delegated: password or refresh grant) carry the user
 * (`upn`, `unique_name`, `scp`) and the client application that asked (`appid`). ID tokens (OpenID Connect, v2.0
 * form) tell the client who signed in.
 *
 * Lifetimes use real time, not the emulated clock: clients cache tokens by their own clocks.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { SignJWT, jwtVerify, errors as joseErrors, type JWK, exportJWK } from 'jose';
import type { Sealer } from '../secrets/sealer.js';
import { getJson, putJson } from '../store/json.js';
import type { Store } from '../store/store.js';
import { newGuid, randomHex } from '../util/ids.js';
import type { Directory, DirectoryUser, Principal } from './directory.js';

const SIGNING_KEY = '/identity/signing-key';
const SIGNING_KEY_PURPOSE = 'aksemu/token-signing-key';
export const TOKEN_LIFETIME_SECONDS = 3599;

interface StoredSigningKey {
  kid: string;
  sealedPkcs8: string; // base64 of the sealed DER
  publicJwk: JWK;
}

export interface AccessTokenClaims {
  aud: string;
  iss: string;
  tid: string;
  oid: string;
  sub: string;
  appid: string;
  /** '1' when the client authenticated with a secret, '0' for a public client. */
  appidacr?: string;
  idtyp: 'app' | 'user';
  name?: string;
  /** User tokens: the user's sign-in name and the delegated permissions granted to the client. */
  upn?: string;
  unique_name?: string;
  scp?: string;
  xms_mirid?: string;
  iat: number;
  nbf: number;
  exp: number;
}

/** The delegated permissions (`scp`) a user token carries for each audience: what Entra ID grants az's client. */
const DELEGATED_SCOPES: Record<string, string> = {
  'https://graph.microsoft.com/':
    'Application.ReadWrite.All AppRoleAssignment.ReadWrite.All AuditLog.Read.All DelegatedPermissionGrant.ReadWrite.All Directory.AccessAsUser.All email Group.ReadWrite.All openid profile User.Read.All User.ReadWrite.All',
  '6dae42f8-4368-4678-94ff-3960e28e3630': 'user.read',
};

export function delegatedScopes(audience: string): string {
  return DELEGATED_SCOPES[audience] ?? 'user_impersonation';
}

export type TokenProblem = 'missing' | 'malformed' | 'invalid' | 'expired' | 'audience';

export class TokenValidationError extends Error {
  constructor(readonly problem: TokenProblem, message: string, readonly audience?: string) {
    super(message);
    this.name = 'TokenValidationError';
  }
}

/** Normalizes an audience for comparison: scheme/host case and one trailing slash do not matter. */
export function normalizeAudience(aud: string): string {
  return aud.trim().toLowerCase().replace(/\/+$/, '');
}

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwks: { keys: JWK[] };
}

async function loadOrCreateSigningKey(store: Store, sealer: Sealer): Promise<SigningKey> {
  let stored = (await getJson<StoredSigningKey>(store, SIGNING_KEY))?.value;
  if (!stored) {
    // RSA key generation runs on the thread pool; nothing waits for it before the first token is needed.
    const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
    const kid = randomHex(20);
    const der = privateKey.export({ type: 'pkcs8', format: 'der' });
    const candidate: StoredSigningKey = {
      kid,
      sealedPkcs8: sealer.seal(der, SIGNING_KEY_PURPOSE).toString('base64'),
      publicJwk: { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' },
    };
    await putJson(store, SIGNING_KEY, candidate, { ifModRevision: 0 });
    stored = (await getJson<StoredSigningKey>(store, SIGNING_KEY))!.value;
  }
  const privateKey = createPrivateKey({
    key: sealer.unseal(Buffer.from(stored.sealedPkcs8, 'base64'), SIGNING_KEY_PURPOSE),
    format: 'der',
    type: 'pkcs8',
  });
  return { kid: stored.kid, privateKey, publicKey: createPublicKey(privateKey), jwks: { keys: [stored.publicJwk] } };
}

export class TokenService {
  private readonly verified = new Map<string, AccessTokenClaims>();

  private constructor(
    private readonly key: Promise<SigningKey>,
    private readonly directory: Directory,
  ) {}

  /**
   * Starts loading (on a first start: generating) the signing key and returns at once; token operations wait for
   * it. `ready()` resolves when it is there (and rejects if it could not be made).
   */
  static loadOrCreate(store: Store, sealer: Sealer, directory: Directory): TokenService {
    const key = loadOrCreateSigningKey(store, sealer);
    key.catch(() => undefined); // surfaced by ready() and by every token operation
    return new TokenService(key, directory);
  }

  async ready(): Promise<void> {
    await this.key;
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    return (await this.key).jwks;
  }

  static issuer(tenantId: string): string {
    return `https://sts.windows.net/${tenantId}/`;
  }

  async issue(principal: Principal, audience: string, lifetimeSeconds = TOKEN_LIFETIME_SECONDS): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      aud: audience,
      iss: TokenService.issuer(principal.tenantId),
      idp: TokenService.issuer(principal.tenantId),
      tid: principal.tenantId,
      oid: principal.objectId,
      sub: principal.objectId,
      appid: principal.appId,
      appidacr: '1',
      idtyp: 'app',
      name: principal.displayName,
      uti: randomHex(11),
      rh: newGuid(),
      ver: '1.0',
      ...(principal.resourceId ? { xms_mirid: principal.resourceId } : {}),
    };
    return this.sign(claims, now, lifetimeSeconds);
  }

  /**
   * A delegated access token: `user` signed in through the client application `clientId` (`appidacr` 0 for a
   * public client such as az, 1 for a confidential one that authenticated with its secret).
   */
  async issueForUser(user: DirectoryUser, client: { appId: string; authenticated: boolean }, audience: string, scp: string, lifetimeSeconds = TOKEN_LIFETIME_SECONDS): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      aud: audience,
      iss: TokenService.issuer(user.tenantId),
      acr: '1',
      amr: ['pwd'],
      tid: user.tenantId,
      oid: user.objectId,
      sub: user.objectId,
      appid: client.appId,
      appidacr: client.authenticated ? '1' : '0',
      idtyp: 'user',
      name: user.displayName,
      upn: user.userPrincipalName,
      unique_name: user.userPrincipalName,
      scp,
      uti: randomHex(11),
      rh: newGuid(),
      ver: '1.0',
    };
    return this.sign(claims, now, lifetimeSeconds);
  }

  /**
   * An OpenID Connect ID token for `clientId` (what MSAL reads to know the account: `preferred_username`, `oid`,
   * `tid`); v2.0 claims on the v2.0 endpoint, v1 claims (`upn`, `unique_name`) on the v1 endpoint.
   */
  async idToken(user: DirectoryUser, clientId: string, version: 'v1' | 'v2'): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const common = { aud: clientId, tid: user.tenantId, oid: user.objectId, sub: user.objectId, name: user.displayName, rh: newGuid(), uti: randomHex(11) };
    const claims: Record<string, unknown> =
      version === 'v2'
        ? { ...common, iss: `https://login.microsoftonline.com/${user.tenantId}/v2.0`, preferred_username: user.userPrincipalName, ver: '2.0' }
        : { ...common, iss: TokenService.issuer(user.tenantId), amr: ['pwd'], upn: user.userPrincipalName, unique_name: user.userPrincipalName, ver: '1.0' };
    return this.sign(claims, now, TOKEN_LIFETIME_SECONDS);
  }

  private async sign(claims: Record<string, unknown>, now: number, lifetimeSeconds: number): Promise<string> {
    const key = await this.key;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid })
      .setIssuedAt(now)
      .setNotBefore(now - 300)
      .setExpirationTime(now + lifetimeSeconds)
      .sign(key.privateKey);
  }

  /**
   * A cluster's local account (SPEC Z-2): what AKS puts in a cluster's client certificate, here a token for
   * `audience` (one cluster's) that names no principal of the directory. Deterministic within a one-year window of
   * real time (RS256 signatures are), so `get-credentials` again writes the same kubeconfig, as the same certificate
   * would, and az merges it without --overwrite-existing (SPEC A-4). It lives two windows from the window's start
   * (at least a year left whenever it is handed out); a new window is the analogue of AKS rotating the cluster's
   * certificates, after which the new credential replaces the old one with --overwrite-existing.
   */
  async issueLocalAccount(tenantId: string, audience: string): Promise<string> {
    const window = 365 * 24 * 3600;
    const iat = Math.floor(Date.now() / 1000 / window) * window;
    const claims = { aud: audience, iss: TokenService.issuer(tenantId), tid: tenantId, sub: 'masterclient', idtyp: 'local', ver: '1.0' };
    return this.sign(claims, iat, 2 * window);
  }

  /**
   * Verifies what Entra ID's token validation checks (SPEC Z-4): the signature, `exp` (required) and `nbf`, the
   * issuer and `tid` of this instance's tenant, the audience (one of `audiences`, what the calling service accepts),
   * and that the principal or user is one the directory knows. A cluster's local-account token is accepted only
   * where `opts.localAccounts` says so (a cluster's own API). Verified tokens are cached until they expire, because
   * every request presents one; a principal deleted meanwhile keeps its unexpired tokens, as in Entra ID.
   */
  async verify(token: string, audiences: string[], opts: { localAccounts?: boolean } = {}): Promise<AccessTokenClaims> {
    let claims = this.verified.get(token);
    if (!claims) {
      if (token.split('.').length !== 3) throw new TokenValidationError('malformed', 'The access token is malformed.');
      try {
        const { payload } = await jwtVerify(token, (await this.key).publicKey, { algorithms: ['RS256'], clockTolerance: 300, requiredClaims: ['exp', 'iss', 'tid'] });
        claims = payload as unknown as AccessTokenClaims;
      } catch (err) {
        if (err instanceof joseErrors.JWTExpired) throw new TokenValidationError('expired', 'The access token has expired.');
        throw new TokenValidationError('invalid', 'The access token is invalid.');
      }
      await this.checkIssuerAndPrincipal(claims);
      if (this.verified.size > 10_000) this.verified.clear();
      this.verified.set(token, claims);
    } else if (claims.exp * 1000 + 300_000 < Date.now()) {
      this.verified.delete(token);
      throw new TokenValidationError('expired', 'The access token has expired.');
    }
    if ((claims.idtyp as string) === 'local' && opts.localAccounts !== true) throw new TokenValidationError('invalid', 'The access token is invalid.');
    const accepted = audiences.map(normalizeAudience);
    if (!accepted.includes(normalizeAudience(String(claims.aud)))) {
      throw new TokenValidationError('audience', 'The access token has been obtained for the wrong audience.', String(claims.aud));
    }
    return claims;
  }

  /** The tenant's issuer and id, and a principal or user the directory knows (local accounts name none). */
  private async checkIssuerAndPrincipal(claims: AccessTokenClaims): Promise<void> {
    const tenant = await this.directory.tenant();
    if (String(claims.tid).toLowerCase() !== tenant.tenantId.toLowerCase() || claims.iss !== TokenService.issuer(tenant.tenantId)) {
      throw new TokenValidationError('invalid', `The access token is from the wrong issuer '${String(claims.iss)}': this instance's tenant is '${tenant.tenantId}'.`);
    }
    if ((claims.idtyp as string) === 'local') return;
    const known = typeof claims.oid === 'string' && (claims.idtyp === 'user' ? await this.directory.getUser(claims.oid) : await this.directory.getByObjectId(claims.oid));
    if (!known) throw new TokenValidationError('invalid', 'The access token names a principal this directory does not know.');
  }
}
