/** What the login endpoints' handlers are given, and their shape. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Directory } from '../directory.js';
import type { RefreshTokens } from '../refresh-tokens.js';
import type { SignInCodes } from '../sign-in-codes.js';
import type { TokenService } from '../tokens.js';

export interface LoginDeps {
  directory: Directory;
  tokens: TokenService;
  refreshTokens: RefreshTokens;
  signInCodes: SignInCodes;
}

export type LoginHandler = (deps: LoginDeps, req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
