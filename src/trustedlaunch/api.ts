/**
 * aksemu's Trusted Launch API, authenticated with ARM tokens like the rest of `/_aksemu` (the CLI's
 * `aksemu node attest|boot-log|quote|tamper` and `aksemu alerts list` call it):
 *
 *   GET  /_aksemu/nodes/NODE/boot-log                     the last boot: steps, halt, modules, serial console, events
 *   POST /_aksemu/nodes/NODE/quote   {nonce, pcrs?}       a vTPM quote + AK + event log, as tpm2-tools files (base64)
 *   POST /_aksemu/nodes/NODE/attest                        attest now: checks, deviations, claims, token, alerts
 *   POST /_aksemu/nodes/NODE/tamper  {component, mode?, reboot?}   change a boot component on the node's disk
 *   GET  /_aksemu/alerts[?subscription=ID]                 Defender-style integrity alerts
 *   GET  /_aksemu/attestation/certs                        the token signing keys (JWKS), unauthenticated like MAA's
 *
 * NODE may be qualified with ?cluster=NAME|ID&resourceGroup=RG. Errors are `{"error":{"code","message"}}`.
 * Defender's own API shape is served too: GET /subscriptions/{sub}/providers/Microsoft.Security/alerts (ARM).
 */
import { baseUrlOf, requireArmToken } from '../arm/http.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenService } from '../identity/tokens.js';
import type { Store } from '../store/store.js';
import { listAlerts } from './alerts.js';
import { TlError, type TrustedLaunch } from './service.js';
import { parsePcrList, TpmFormatError } from './tpm2.js';

interface NodeQuery {
  cluster?: string;
  resourceGroup?: string;
}

const send = (reply: FastifyReply, status: number, code: string, message: string) => reply.code(status).send({ error: { code, message } });

function jsonBody(req: FastifyRequest): Record<string, unknown> {
  const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
  if (raw.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new TlError(400, 'InvalidRequestContent', 'The request body must be JSON.');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new TlError(400, 'InvalidRequestContent', 'The request body must be a JSON object.');
  return v as Record<string, unknown>;
}

/** Runs a handler and answers TlErrors (and format errors in the caller's input) as 4xx. */
async function handle(reply: FastifyReply, fn: () => Promise<unknown>): Promise<unknown> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof TlError) return send(reply, err.status, err.code, err.message);
    if (err instanceof TpmFormatError) return send(reply, 400, 'InvalidParameter', err.message);
    throw err;
  }
}

export function registerTrustedLaunchApi(ctx: { app: FastifyInstance; tokens: TokenService; store: Store }, tl: TrustedLaunch): void {
  const auth = requireArmToken(ctx.tokens);
  const app = ctx.app;

  app.register(
    async (scope) => {
      scope.addHook('onRequest', auth);
      type NodeReq = FastifyRequest<{ Params: { name: string }; Querystring: NodeQuery }>;
      // The node's cluster is the scope of its rights (SPEC Z-1); an unknown node is checked over the instance.
      const node = (action: string) => ({
        config: {
          adminRight: {
            action,
            scope: async (req: FastifyRequest) => {
              const r = req as NodeReq;
              return (await tl.findNode(r.params.name, r.query).catch(() => undefined))?.clusterId;
            },
          },
        },
      });
      scope.get('/:name/boot-log', node('Aksemu.Emulator/nodes/read'), async (req: NodeReq, reply) =>
        handle(reply, async () => {
          const hit = await tl.findNode(req.params.name, req.query);
          return tl.bootLog(hit.uid, hit.inst);
        }),
      );
      scope.post('/:name/quote', node('Aksemu.Emulator/nodes/quote/action'), async (req: NodeReq, reply) =>
        handle(reply, async () => {
          const body = jsonBody(req);
          if (typeof body.nonce !== 'string' || !/^([0-9a-fA-F]{2})+$/.test(body.nonce)) {
            throw new TlError(400, 'InvalidParameter', 'nonce must be an even number of hex digits (1 to 64 bytes), e.g. "nonce": "a1b2c3d4".');
          }
          if (body.pcrs !== undefined && typeof body.pcrs !== 'string') throw new TlError(400, 'InvalidParameter', 'pcrs must be a PCR list such as "0-7" or "0,4,7".');
          const pcrs = parsePcrList((body.pcrs as string | undefined) ?? '0-7');
          const hit = await tl.findNode(req.params.name, req.query);
          return tl.exportQuote(hit.uid, hit.inst, Buffer.from(body.nonce, 'hex'), pcrs);
        }),
      );
      scope.post('/:name/attest', node('Aksemu.Emulator/nodes/attest/action'), async (req: NodeReq, reply) =>
        handle(reply, async () => {
          jsonBody(req);
          const hit = await tl.findNode(req.params.name, req.query);
          const out = await tl.attest(hit.uid, hit.inst);
          return { ...out, jwksUri: `${baseUrlOf(req)}/_aksemu/attestation/certs` };
        }),
      );
      scope.post('/:name/tamper', node('Aksemu.Emulator/nodes/tamper/action'), async (req: NodeReq, reply) =>
        handle(reply, async () => {
          const body = jsonBody(req);
          if (typeof body.component !== 'string' || body.component === '') throw new TlError(400, 'InvalidParameter', 'component is required, e.g. "component": "kernel".');
          if (body.mode !== undefined && typeof body.mode !== 'string') throw new TlError(400, 'InvalidParameter', 'mode must be a string.');
          if (body.reboot !== undefined && typeof body.reboot !== 'boolean') throw new TlError(400, 'InvalidParameter', 'reboot must be true or false.');
          const hit = await tl.findNode(req.params.name, req.query);
          return tl.tamper(hit.uid, hit.inst, body.component, body.mode as string | undefined, body.reboot !== false);
        }),
      );
    },
    { prefix: '/_aksemu/nodes' },
  );

  app.register(
    async (scope) => {
      scope.addHook('onRequest', auth);
      scope.get('/', { config: { adminRight: { action: 'Aksemu.Emulator/alerts/read' } } }, async (req: FastifyRequest<{ Querystring: { subscription?: string } }>) => ({ value: await listAlerts(ctx.store, req.query.subscription) }));
    },
    { prefix: '/_aksemu/alerts' },
  );

  app.register(
    async (scope) => {
      const open = { config: { adminRight: { anyCaller: 'the attestation signing keys: public, what verifiers fetch' } } };
      scope.get('/certs', open, async () => (await tl.attestationService()).jwks());
      scope.get('/.well-known/openid-configuration', open, async (req) => ({
        issuer: (await tl.attestationService()).issuer,
        jwks_uri: `${baseUrlOf(req)}/_aksemu/attestation/certs`,
        id_token_signing_alg_values_supported: ['RS256'],
        claims_supported: ['secureboot', 'x-ms-attestation-type', 'x-ms-azurevm-attested-pcrs', 'x-ms-azurevm-vmid', 'x-ms-azurevm-dbvalidated', 'x-ms-azurevm-dbxvalidated'],
      }));
    },
    { prefix: '/_aksemu/attestation' },
  );
}
