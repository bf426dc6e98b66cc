/**
 * One data-plane request as the operations see it (SPEC V-2, V-3): the vault, the authenticated caller, the
 * operation its route names, the api-version, the query and the JSON body — and the notes the operation leaves for
 * the audit event. Also the parsers and validators of request fields, which answer Key Vault's BadParameter.
 */
import type { Caller } from '../../identity/authenticate.js';
import type { OperationId } from '../access.js';
import { kvErrors } from '../errors.js';
import { shown } from '../../util/shown.js';
import { isRsa, KEY_OPS } from '../key-crypto.js';
import type { VaultResource } from '../vault-model.js';

const KEY_NAME = /^[0-9a-zA-Z-]{1,127}$/;
/** A key version: 32 hex digits. */
export const VERSION = /^[0-9a-f]{32}$/i;
const B64 = /^[A-Za-z0-9_\-+/]*={0,2}$/;

/** What an operation records for the request's audit event (SPEC V-5). */
export interface AuditNotes {
  op?: string;
  keyName?: string;
  keyVersion?: string;
  policyMatch?: boolean;
  rbac?: boolean;
}

export interface RequestContext {
  vault: VaultResource;
  caller: Caller;
  method: string;
  /** The operation the matched route performs (what authorization checks); none for routes that only refuse. */
  operation: OperationId | undefined;
  /** Set once the api-version is checked. */
  apiVersion: string;
  query: URLSearchParams;
  /** The Host header ('' when absent), for the nextLink of pages. */
  host: string;
  /** The JSON object body; BadParameter when absent or not an object. Parsed when an operation asks. */
  body: () => Record<string, unknown>;
  /** Filled by the operation for the audit event. */
  audit: AuditNotes;
}

export interface OperationResult {
  status: number;
  body?: unknown;
}

export interface RequestInit {
  vault: VaultResource;
  caller: Caller;
  method: string;
  operation?: OperationId;
  apiVersion?: string;
  query?: URLSearchParams;
  host?: string;
  rawBody?: Buffer;
}

export function requestContext(init: RequestInit): RequestContext {
  return {
    vault: init.vault,
    caller: init.caller,
    method: init.method,
    operation: init.operation,
    apiVersion: init.apiVersion ?? '',
    query: init.query ?? new URLSearchParams(),
    host: init.host ?? '',
    audit: {},
    body: () => jsonObjectBody(init.rawBody),
  };
}

export function jsonObjectBody(raw: Buffer | undefined): Record<string, unknown> {
  if (!raw || raw.length === 0) throw kvErrors.badParameter('The request body is required and must be a JSON object.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw kvErrors.badParameter('The request body is not valid JSON.');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw kvErrors.badParameter('The request body must be a JSON object.');
  return parsed as Record<string, unknown>;
}

export function requireKeyName(name: string): void {
  if (!KEY_NAME.test(name)) throw kvErrors.badParameter(`The key name '${name}' is invalid: it must be 1-127 characters of letters, digits and hyphens.`);
}

export function b64(value: unknown, field: string): Buffer {
  if (typeof value !== 'string') throw kvErrors.badParameter(`The parameter '${field}' is required and must be a base64url string.`);
  if (!B64.test(value)) throw kvErrors.badParameter(`The parameter '${field}' is not valid base64url.`);
  return Buffer.from(value.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), 'base64url');
}

export const b64u = (buf: Buffer) => buf.toString('base64url');

export function parseTags(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw kvErrors.badParameter("The parameter 'tags' must be an object of strings.");
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 15) throw kvErrors.badParameter('A key can have at most 15 tags.');
  for (const [k, v] of entries) {
    if (typeof v !== 'string' || k.length > 512 || v.length > 256) throw kvErrors.badParameter(`The tag '${k}' must be a string of at most 256 characters (names at most 512).`);
  }
  return value as Record<string, string>;
}

export function parseKeyOps(value: unknown, kty: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw kvErrors.badParameter("The parameter 'key_ops' must be an array.");
  return value.map((op) => {
    if (typeof op !== 'string' || !KEY_OPS.includes(op)) throw kvErrors.badParameter(`Invalid key operation '${shown(op)}'. Valid operations are ${KEY_OPS.join(', ')}.`);
    if (!isRsa(kty) && !['sign', 'verify', 'import', 'export'].includes(op)) throw kvErrors.badParameter(`The key operation '${op}' is not valid for a key of type ${kty}.`);
    return op;
  });
}

function parseTime(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw kvErrors.badParameter(`The attribute '${field}' must be a number of seconds since 1970-01-01.`);
  return Math.floor(value);
}

export interface ParsedAttributes {
  enabled?: boolean;
  nbf?: number | undefined;
  exp?: number | undefined;
  exportable?: boolean;
  /** Whether the request named nbf / exp at all (null clears them on update). */
  hasNbf: boolean;
  hasExp: boolean;
}

export function parseAttributes(value: unknown): ParsedAttributes {
  if (value === undefined || value === null) return { hasNbf: false, hasExp: false };
  if (typeof value !== 'object' || Array.isArray(value)) throw kvErrors.badParameter("The parameter 'attributes' must be an object.");
  const a = value as Record<string, unknown>;
  if (a.enabled !== undefined && typeof a.enabled !== 'boolean') throw kvErrors.badParameter("The attribute 'enabled' must be a boolean.");
  if (a.exportable !== undefined && a.exportable !== false) throw kvErrors.badParameter('Exportable keys need a release policy, which aksemu does not support.');
  return {
    ...(a.enabled !== undefined ? { enabled: a.enabled as boolean } : {}),
    nbf: parseTime(a.nbf, 'nbf'),
    exp: parseTime(a.exp, 'exp'),
    hasNbf: 'nbf' in a,
    hasExp: 'exp' in a,
  };
}

/** One page of a listing (`maxresults` 1–25, `$skiptoken`), with the nextLink the client follows. */
export function pageOf<T>(c: RequestContext, items: T[], path: string): { value: T[]; nextLink: string | null } {
  const q = c.query;
  const maxRaw = q.get('maxresults');
  const max = maxRaw === null ? 25 : Number(maxRaw);
  if (!Number.isInteger(max) || max < 1 || max > 25) throw kvErrors.badParameter(`The parameter 'maxresults' must be an integer from 1 to 25, not '${maxRaw}'.`);
  const skip = q.get('$skiptoken');
  let start = 0;
  if (skip) {
    start = Number(Buffer.from(skip, 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw kvErrors.badParameter('The $skiptoken is not valid.');
  }
  const page = items.slice(start, start + max);
  const more = start + max < items.length;
  const host = c.host;
  const base = /\.vault\.azure\.net(:\d+)?$/i.test(host) ? `https://${host}` : `https://${host}/_vault/${c.vault.name.toLowerCase()}`;
  const nextLink = more ? `${base}${path}?api-version=${c.apiVersion}&$skiptoken=${Buffer.from(String(start + max)).toString('base64url')}&maxresults=${max}` : null;
  return { value: page, nextLink };
}
