/** Entra ID's error answers: its own body (`error`, `error_description` with the AADSTS code, `error_codes`). */
import type { FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Tenant } from '../directory.js';

export 
function aadError(reply: FastifyReply, status: number, error: string, code: number, description: string) {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  return reply.code(status).send({
    error,
    error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${new Date().toISOString().replace('T', ' ').slice(0, 19)}Z`,
    error_codes: [code],
    timestamp: new Date().toISOString().replace('T', ' ').slice(0, 19) + 'Z',
    trace_id: traceId,
    correlation_id: correlationId,
  });
}

export function tenantNotFound(reply: FastifyReply, name: string) {
  return aadError(reply, 400, 'invalid_request', 90002, `Tenant '${name}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
}

export function resourceNotFound(reply: FastifyReply, resource: string, tenant: Tenant) {
  return aadError(reply, 400, 'invalid_resource', 500011, `The resource principal named ${resource} was not found in the tenant named ${tenant.displayName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`);
}

export function applicationNotFound(reply: FastifyReply, clientId: string, tenant: Tenant) {
  return aadError(reply, 400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
}

export function invalidSecret(reply: FastifyReply, clientId: string) {
  return aadError(reply, 401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
}

export function userNotFound(reply: FastifyReply, tenant: Tenant, hint: string) {
  return aadError(reply, 400, 'invalid_grant', 50034, `The user account {EUII Hidden} does not exist in the ${tenant.tenantId} directory. To sign into this application, the account must be added to the directory.${hint}`);
}
