/** Turns an error answer of ARM, Key Vault or Graph into a ServiceError printed as az prints it. */
import { STATUS_CODES } from 'node:http';
import { ServiceError, type ServiceErrorBody } from '../framework/errors.js';
import type { HttpResponse } from './http.js';

export function serviceError(res: HttpResponse): ServiceError {
  const json = res.json<Record<string, unknown>>();
  let body: ServiceErrorBody = {};
  if (json && typeof json === 'object') {
    const inner = (json.error ?? json.Error ?? json) as Record<string, unknown>;
    if (inner && typeof inner === 'object') {
      body = {
        code: (inner.code ?? inner.Code) as string | undefined,
        message: (inner.message ?? inner.Message) as string | undefined,
        target: inner.target as string | undefined,
        details: Array.isArray(inner.details) && inner.details.length > 0 ? (inner.details as ServiceErrorBody[]) : undefined,
        innererror: inner.innererror ?? undefined,
      };
    } else if (typeof inner === 'string') {
      body = { message: inner };
    }
  }
  return new ServiceError(res.status, body, `Operation returned an invalid status '${STATUS_CODES[res.status] ?? res.status}'`);
}
