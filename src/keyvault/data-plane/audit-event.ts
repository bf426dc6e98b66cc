/**
 * The AuditEvent of one data-plane request (SPEC V-5, K-12), shaped like Key Vault's diagnostic log: the operation
 * as Key Vault names it (from the route's operation once authorization ran, VaultRequest before), the caller,
 * the key and version it touched, the result, the duration and where the request came from.
 */
import type { AuditEvent } from '../audit.js';
import { kidOf, vaultBase } from '../bundle.js';
import type { KvError } from '../errors.js';
import type { RequestContext } from './request.js';

export interface RequestFacts {
  /** Emulated time of the request, ms. */
  nowMs: number;
  durationMs: number;
  url: URL;
  requestId: string;
  userAgent: string | undefined;
  /** The TCP peer ('' through a private endpoint). */
  address: string;
  privateEndpoint: { id: string; name: string } | undefined;
}

export function auditEventOf(c: RequestContext, f: RequestFacts, status: number, error: KvError | undefined): AuditEvent {
  const { vault, caller } = c;
  return {
    time: new Date(f.nowMs).toISOString(),
    resourceId: vault.id,
    vaultName: vault.name.toLowerCase(),
    operationName: c.audit.op ?? 'VaultRequest',
    operationVersion: c.apiVersion || (f.url.searchParams.get('api-version') ?? ''),
    category: 'AuditEvent',
    resultType: status < 400 ? 'Success' : 'Failure',
    resultSignature: error ? (error.innerCode ?? error.code) : status === 204 ? 'NoContent' : 'OK',
    ...(error ? { resultDescription: error.message.split('\r\n')[0]! } : {}),
    httpStatusCode: status,
    durationMs: Math.round(f.durationMs * 1000) / 1000,
    callerIpAddress: f.address || (f.privateEndpoint ? `privateEndpoint:${f.privateEndpoint.name}` : ''),
    correlationId: f.requestId,
    identity: { claim: { oid: caller.objectId, appid: caller.appId, tid: caller.tenantId } },
    ...(c.audit.keyName ? { keyName: c.audit.keyName } : {}),
    ...(c.audit.keyVersion ? { keyVersion: c.audit.keyVersion, keyId: kidOf(vault.name, { name: c.audit.keyName!, version: c.audit.keyVersion }) } : {}),
    properties: {
      requestUri: `${vaultBase(vault.name).slice(0, -1)}${f.url.pathname.replace(/^\/_vault\/[^/]+/, '')}${f.url.search}`,
      ...(typeof f.userAgent === 'string' ? { clientInfo: f.userAgent } : {}),
      ...(c.audit.policyMatch !== undefined ? { isAccessPolicyMatch: c.audit.policyMatch } : {}),
      ...(c.audit.rbac !== undefined ? { isRbacAuthorized: c.audit.rbac } : {}),
      ...(f.privateEndpoint ? { privateEndpoint: f.privateEndpoint.id } : {}),
    },
  };
}
