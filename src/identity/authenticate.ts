/**
 * Bearer-token authentication shared by every service behind the front door: ARM, Graph,
 * Key Vault and the clusters' Kubernetes APIs. Each service says which audiences it accepts and how a failure
 * is written in its own error format; the caller's identity is put on the request for the layers below.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccessTokenClaims, TokenProblem, TokenService } from './tokens.js';
import { TokenValidationError } from './tokens.js';

export interface Caller {
  objectId: string;
  tenantId: string;
  appId: string;
  /** 'app' for app-only tokens (client credentials), 'user' for delegated ones (a signed-in user). */
  kind: 'app' | 'user';
  displayName?: string;
  /** A user's sign-in name (user tokens only). */
  upn?: string;
  /** Set when the caller is a user-assigned managed identity. */
  managedIdentityResourceId?: string;
  claims: AccessTokenClaims;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}

export interface AuthFailure {
  problem: TokenProblem;
  message: string;
  /** The audience the presented token was issued for (for 'audience' failures). */
  tokenAudience?: string;
}

export type AuthFailureResponder = (req: FastifyRequest, reply: FastifyReply, failure: AuthFailure) => FastifyReply | Promise<FastifyReply>;

export function callerFromClaims(claims: AccessTokenClaims): Caller {
  return {
    objectId: claims.oid,
    tenantId: claims.tid,
    appId: claims.appid,
    kind: claims.idtyp === 'user' ? 'user' : 'app',
    ...(claims.name ? { displayName: claims.name } : {}),
    ...(claims.idtyp === 'user' && claims.upn ? { upn: claims.upn } : {}),
    ...(claims.xms_mirid ? { managedIdentityResourceId: claims.xms_mirid } : {}),
    claims,
  };
}

/** Extracts the bearer token from an Authorization header: undefined if absent, null if present but malformed. */
export function bearerToken(header: string | undefined): string | undefined | null {
  if (header === undefined || header.trim() === '') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

/** A fastify onRequest hook that requires a valid token for one of `audiences`. */
export function requireBearer(tokens: TokenService, audiences: string[], onFailure: AuthFailureResponder) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | void> => {
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) return onFailure(req, reply, { problem: 'missing', message: "The 'Authorization' header is missing." });
    if (token === null) {
      return onFailure(req, reply, { problem: 'malformed', message: "The 'Authorization' header is provided in an invalid format." });
    }
    try {
      req.caller = callerFromClaims(await tokens.verify(token, audiences));
    } catch (err) {
      if (!(err instanceof TokenValidationError)) throw err;
      return onFailure(req, reply, {
        problem: err.problem,
        message: err.message,
        ...(err.audience ? { tokenAudience: err.audience } : {}),
      });
    }
  };
}
