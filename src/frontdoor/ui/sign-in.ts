/**
 * `POST /_aksemu/ui/sign-in-codes`: a signed-in caller (the CLI's `aksemu ui`, acting as its account) gets a
 * one-time code for itself, which the dashboard's page redeems at the token endpoint (grant_type=authorization_code)
 * for a token of that same principal. A caller can only ever mint a code for itself: the link opens the
 * dashboard with exactly the rights the caller already has, nothing more.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SIGN_IN_CODE_LIFETIME_SECONDS, type SignInCodes } from '../../identity/sign-in-codes.js';

/** The longest a caller may ask a code to live: a link is for opening now. */
const MAX_LIFETIME_SECONDS = 600;

function requestedLifetime(req: FastifyRequest): number | string {
  const raw = Buffer.isBuffer(req.body) && req.body.length > 0 ? req.body.toString('utf8') : '{}';
  let body: { lifetimeSeconds?: unknown };
  try {
    body = JSON.parse(raw) as { lifetimeSeconds?: unknown };
  } catch {
    return 'The body must be JSON: {} or {"lifetimeSeconds": N}.';
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'The body must be a JSON object.';
  const s = body.lifetimeSeconds ?? SIGN_IN_CODE_LIFETIME_SECONDS;
  if (typeof s !== 'number' || !Number.isInteger(s) || s < 1 || s > MAX_LIFETIME_SECONDS) return `lifetimeSeconds must be an integer from 1 to ${MAX_LIFETIME_SECONDS}.`;
  return s;
}

export function registerSignInCodeRoute(scope: FastifyInstance, codes: SignInCodes): void {
  scope.post('/sign-in-codes', { config: { adminRight: { anyCaller: 'a caller gets a sign-in code for itself only' } } }, async (req, reply) => {
    const caller = req.caller!;
    const lifetime = requestedLifetime(req);
    if (typeof lifetime === 'string') return reply.code(400).send({ error: { code: 'InvalidRequestContent', message: lifetime } });
    const { code, expiresOn } = await codes.issue({ kind: caller.kind, objectId: caller.objectId, tenantId: caller.tenantId }, lifetime);
    const fragment = new URLSearchParams({ code, tenant: caller.tenantId }).toString();
    return reply.send({ path: `/_aksemu/ui/#${fragment}`, expiresOn: expiresOn.toISOString(), principal: caller.upn ?? caller.displayName ?? caller.appId });
  });
}
