/**
 * aksemu's managed identity endpoint, `/_msi/token` on the direct address: the App Service managed identity
 * protocol (api-version 2019-08-01) that @azure/identity's ManagedIdentityCredential (through MSAL) uses when
 * IDENTITY_ENDPOINT and IDENTITY_HEADER are set:
 *
 *   GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=R[&client_id=C|&object_id=O|&mi_res_id=ID]
 *   X-IDENTITY-HEADER: <the identity's secret>
 *   → 200 {access_token, expires_on, resource, token_type: "Bearer", client_id}
 *
 * The header names the identity (msi-secret.ts); a client/object/resource id in the query must name the same one.
 * Tokens are the token service's own (the identity's oid/appid, xms_mirid), valid for every service behind the
 * front door. `POST /_msi/credentials {resourceId}` hands the header to a caller allowed to assign the identity.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireArmToken } from '../../arm/http.js';
import type { Directory } from '../../identity/directory.js';
import { audienceFor } from '../../identity/login-routes.js';
import { TOKEN_LIFETIME_SECONDS, type TokenService } from '../../identity/tokens.js';
import type { Sealer } from '../../secrets/sealer.js';
import type { ResourceRepository } from '../../arm/repository.js';
import type { RoleAssignments } from '../../authorization/role-assignments.js';
import { IDENTITY_TYPE, type IdentityResource } from './identities.js';
import { identityHeaderFor, MSI_HEADER, verifyIdentityHeader } from './msi-secret.js';

export interface MsiDeps {
  directory: Directory;
  tokens: TokenService;
  sealer: Sealer;
  resources: ResourceRepository;
  authz: RoleAssignments;
}

const fail = (reply: FastifyReply, status: number, error: string, description: string) =>
  reply.code(status).send({ error, error_description: description, statusCode: status, message: description });

export function registerMsiEndpoint(app: FastifyInstance, deps: MsiDeps): void {
  app.register(
    async (scope) => {
      scope.get('/token', async (req: FastifyRequest, reply) => {
        const q = new URL(req.url, 'https://x').searchParams;
        const header = req.headers[MSI_HEADER];
        if (typeof header !== 'string' || header === '') {
          return fail(reply, 401, 'invalid_request', `The '${MSI_HEADER}' header is required: set IDENTITY_HEADER to the value 'aksemu env --identity' prints.`);
        }
        const objectId = verifyIdentityHeader(deps.sealer, header);
        const principal = objectId ? await deps.directory.getByObjectId(objectId) : undefined;
        if (!principal || principal.type !== 'ManagedIdentity') {
          return fail(reply, 401, 'invalid_request', `The '${MSI_HEADER}' value is not the secret of an existing managed identity of this instance.`);
        }
        if (q.get('api-version') !== '2019-08-01') {
          return fail(reply, 400, 'invalid_request', `api-version '${q.get('api-version') ?? ''}' is not supported; the App Service managed identity endpoint speaks 2019-08-01.`);
        }
        const resource = q.get('resource');
        if (!resource) return fail(reply, 400, 'invalid_request', "The 'resource' query parameter is required.");
        const audience = audienceFor(resource);
        if (!audience) return fail(reply, 400, 'invalid_resource', `The resource '${resource}' is not a resource aksemu issues tokens for.`);
        const wanted = [
          ['client_id', principal.appId],
          ['object_id', principal.objectId],
          ['principal_id', principal.objectId],
          ['mi_res_id', principal.resourceId ?? ''],
        ] as const;
        for (const [param, actual] of wanted) {
          const given = q.get(param);
          if (given && given.toLowerCase() !== actual.toLowerCase()) {
            return fail(reply, 400, 'invalid_request', `The identity named by ${param}=${given} is not the identity this IDENTITY_HEADER belongs to.`);
          }
        }
        const accessToken = await deps.tokens.issue(principal, audience);
        return reply.send({
          access_token: accessToken,
          expires_on: String(Math.floor(Date.now() / 1000) + TOKEN_LIFETIME_SECONDS),
          resource,
          token_type: 'Bearer',
          client_id: principal.appId,
        });
      });

      // The header for a caller allowed to use the identity (an Owner, a Managed Identity Operator...).
      scope.register(async (admin) => {
        admin.addHook(
          'onRequest',
          requireArmToken(deps.tokens),
        );
        admin.post('/credentials', async (req, reply) => {
          let body: { resourceId?: unknown };
          try {
            body = JSON.parse(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '{}') as { resourceId?: unknown };
          } catch {
            return reply.code(400).send({ error: { code: 'InvalidRequestContent', message: 'The body must be JSON: {"resourceId": "<identity resource id>"}.' } });
          }
          if (typeof body.resourceId !== 'string' || !body.resourceId.startsWith('/subscriptions/')) {
            return reply.code(400).send({ error: { code: 'InvalidRequestContent', message: 'Give {"resourceId": "/subscriptions/.../providers/Microsoft.ManagedIdentity/userAssignedIdentities/NAME"}.' } });
          }
          const doc = await deps.resources.get<IdentityResource>(body.resourceId);
          if (!doc || doc.value.type !== IDENTITY_TYPE) {
            return reply.code(404).send({ error: { code: 'ResourceNotFound', message: `The user-assigned identity '${body.resourceId}' was not found.` } });
          }
          try {
            await deps.authz.requireAction(req.caller!, doc.value.id, 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action');
          } catch (err) {
            const e = err as { status: number; code: string; message: string };
            return reply.code(e.status ?? 403).send({ error: { code: e.code, message: e.message } });
          }
          const host = req.headers.host ?? '127.0.0.1';
          return reply.send({
            IDENTITY_ENDPOINT: `https://${host}/_msi/token`,
            IDENTITY_HEADER: identityHeaderFor(deps.sealer, doc.value.properties.principalId),
            AZURE_CLIENT_ID: doc.value.properties.clientId,
          });
        });
      });
    },
    { prefix: '/_msi' },
  );
}
