/**
 * One Kubernetes API request: its context (cluster, user, registry), its query parameters and body as registry
 * options, the resource path (kube-apiserver's RequestInfo), and the response forms (objects and lists as JSON,
 * YAML, Table or PartialObjectMetadata, per the Accept header; Status bodies for errors).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { UserInfo } from '../../auth.js';
import type { ClusterView } from '../../clusters.js';
import type { ClusterAuthorizer } from '../../authorization/authorizer.js';
import { bodyFormat, parseBody } from './body.js';
import { decodeAsKind, parseFieldValidation, type FieldValidation } from '../registry/decode.js';
import { KubeError, kubeErrors, type FieldError } from '../machinery/errors.js';
import { negotiateObject } from '../machinery/negotiation.js';
import { listBody, partialList, partialObjectMetadata, table, type IncludeObject, type ListMeta } from '../machinery/output.js';
import type { DeleteOptions, Registry } from '../registry/registry.js';
import type { ResourceDef } from '../machinery/resource.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from '../machinery/selectors.js';
import { yaml } from '../../../util/yaml.js';
import type { KubeObject } from '../../../clusters/stored-object.js';

export interface RequestContext {
  cluster: ClusterView;
  user: UserInfo | undefined;
  registry: Registry;
  /** The cluster's authorizer (the request itself is authorized before it gets here). */
  authorizer: ClusterAuthorizer;
  url: URL;
  req: FastifyRequest;
  reply: FastifyReply;
}

export function sendStatus(reply: FastifyReply, err: KubeError): FastifyReply {
  for (const [k, v] of Object.entries(err.headers ?? {})) reply.header(k, v);
  return reply.code(err.code).header('content-type', 'application/json').send(Buffer.from(JSON.stringify(err.toStatus())));
}

export function send(reply: FastifyReply, code: number, body: unknown, contentType = 'application/json', warnings: string[] = []): FastifyReply {
  // A header value carries bytes: the UTF-8 of each warning (it quotes field names from the request, any
  // character at all) is sent as is, as kube-apiserver does; node refuses characters above U+00FF (SPEC R-4).
  if (warnings.length > 0) reply.header('Warning', warnings.map((w) => Buffer.from(`299 - ${JSON.stringify(w).replace(/\x7f/g, '\\u007f')}`, 'utf8').toString('latin1')));
  const text = contentType === 'application/yaml' ? yaml().stringify(body) : JSON.stringify(body);
  // Set verbatim: clients read the media type parameters (as=Table, g=apidiscovery.k8s.io) from it.
  return reply.code(code).header('content-type', contentType).send(Buffer.from(text, 'utf8'));
}

export function sendObject(c: RequestContext, def: ResourceDef, code: number, obj: unknown, warnings: string[] = []): FastifyReply {
  const { output, contentType } = negotiateObject(c.req.headers.accept, false);
  if (output.kind === 'table') {
    return send(c.reply, code, table(def, [obj as KubeObject], { now: c.registry.now() }, includeObject(c.url), { resourceVersion: (obj as KubeObject).metadata?.resourceVersion ?? '' }, output.version), contentType, warnings);
  }
  if (output.kind === 'partial') return send(c.reply, code, partialObjectMetadata(obj as KubeObject, output.version), contentType, warnings);
  return send(c.reply, code, obj, contentType, warnings);
}

export function includeObject(url: URL): IncludeObject {
  const v = url.searchParams.get('includeObject');
  if (v === null || v === '') return 'Metadata';
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw kubeErrors.badRequest(`includeObject: Unsupported value: ${JSON.stringify(v)}: supported values: "None", "Metadata", "Object"`);
}

export function queryInt(url: URL, name: string): number | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw kubeErrors.badRequest(`${name}: Invalid value: ${JSON.stringify(v)}: must be an integer`);
  // An int64 in kube-apiserver; beyond what a number holds exactly it reached the store as a float (a 500: SPEC R-4).
  if (!Number.isSafeInteger(Number(v))) throw kubeErrors.badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: value out of range`);
  return Number(v);
}

export function queryBool(url: URL, name: string): boolean | undefined {
  const v = url.searchParams.get(name);
  if (v === null) return undefined;
  if (v === '' || v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw kubeErrors.badRequest(`${name}: Invalid value: ${JSON.stringify(v)}: must be a boolean`);
}

export function dryRun(url: URL): boolean {
  const values = url.searchParams.getAll('dryRun');
  for (const v of values) {
    if (v !== 'All') throw kubeErrors.badRequest(`dryRun: Unsupported value: ${JSON.stringify(v)}: supported values: "All"`);
  }
  return values.length > 0;
}

/** Upstream's limit on a field manager's name (FieldManagerMaxLength). */
const FIELD_MANAGER_MAX_LENGTH = 128;

/**
 * Who is writing, for managed fields (SPEC W-18): `?fieldManager=`, validated as kube-apiserver does (422 on the
 * options kind), or else the User-Agent's first product ("kubectl/v1.32.4 (linux/amd64) ..." → "kubectl"),
 * printable characters only, at most 128 bytes.
 */
export function fieldManagerOf(c: RequestContext, options: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions', apply = false): string {
  const given = c.url.searchParams.get('fieldManager') ?? '';
  const errs: FieldError[] = [];
  if (apply && given === '') errs.push({ type: 'FieldValueRequired', field: 'fieldManager', detail: 'is required for apply patch' });
  if (Buffer.byteLength(given) > FIELD_MANAGER_MAX_LENGTH) errs.push({ type: 'FieldValueTooLong', field: 'fieldManager', detail: `may not be more than ${FIELD_MANAGER_MAX_LENGTH} bytes` });
  [...given].forEach((ch, i) => {
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) {
      errs.push({ type: 'FieldValueInvalid', field: 'fieldManager', value: given, detail: `invalid character U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} (at position ${i})` });
    }
  });
  if (options === 'PatchOptions' && !apply && c.url.searchParams.has('force')) {
    errs.push({ type: 'FieldValueForbidden', field: 'force', detail: 'may not be specified for non-apply patch' });
  }
  if (errs.length > 0) throw kubeErrors.invalid(options, 'meta.k8s.io', '', errs);
  if (given) return given;
  let product = '';
  for (const ch of (c.req.headers['user-agent'] ?? '').split('/')[0]!) {
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) continue;
    if (Buffer.byteLength(product + ch) > FIELD_MANAGER_MAX_LENGTH) break;
    product += ch;
  }
  return product;
}

export function selectors(url: URL) {
  try {
    return {
      labelSelector: parseLabelSelector(url.searchParams.get('labelSelector') ?? ''),
      fieldSelector: parseFieldSelector(url.searchParams.get('fieldSelector') ?? ''),
    };
  } catch (err) {
    if (err instanceof SelectorError) throw kubeErrors.badRequest(err.message);
    throw err;
  }
}

export function rawBody(req: FastifyRequest): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

/** Request-path facts for a resource URL (kube-apiserver's RequestInfo). */
export interface ResourcePath {
  group: string;
  version: string;
  namespace: string | undefined;
  resource: string;
  name: string | undefined;
  subresource: string | undefined;
}

export function parseResourcePath(group: string, version: string, parts: string[]): ResourcePath | undefined {
  let namespace: string | undefined;
  let rest = parts;
  if (parts[0] === 'namespaces' && parts.length >= 2) {
    if (parts.length === 2 || (parts.length === 3 && (parts[2] === 'status' || parts[2] === 'finalize'))) {
      return { group, version, namespace: undefined, resource: 'namespaces', name: parts[1], subresource: parts[2] };
    }
    namespace = parts[1];
    rest = parts.slice(2);
  }
  if (rest.length === 0 || rest.length > 3) return undefined;
  return { group, version, namespace, resource: rest[0]!, name: rest[1], subresource: rest[2] };
}

export function fieldValidationOf(url: URL): FieldValidation {
  return parseFieldValidation(url.searchParams.get('fieldValidation'));
}

export function deleteOptions(c: RequestContext): DeleteOptions {
  const opts: DeleteOptions = {};
  const body = rawBody(c.req);
  if (body.length > 0) {
    const parsed = parseBody(body, bodyFormat(c.req.headers['content-type']), 'DeleteOptions', false).value;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw kubeErrors.badRequest('the body of a DELETE must be a DeleteOptions object');
    const o = parsed as Record<string, unknown>;
    // Fields of the wrong JSON type fail the decode as kube-apiserver's does (String() of a JSON object with a
    // "toString" key throws: that was a 500, SPEC R-4).
    for (const field of ['kind', 'propagationPolicy'] as const) {
      if (o[field] !== undefined && typeof o[field] !== 'string') {
        throw kubeErrors.badRequest(`json: cannot unmarshal ${Array.isArray(o[field]) ? 'array' : o[field] === null ? 'null' : typeof o[field]} into Go struct field DeleteOptions.${field} of type string`);
      }
    }
    if (o.kind !== undefined && o.kind !== 'DeleteOptions') {
      throw kubeErrors.badRequest(`${o.kind as string} in version "v1" cannot be handled as a DeleteOptions: no kind "${o.kind as string}" is registered for version "v1"`);
    }
    if (o.gracePeriodSeconds !== undefined) {
      if (typeof o.gracePeriodSeconds !== 'number' || !Number.isInteger(o.gracePeriodSeconds)) throw kubeErrors.badRequest('json: cannot unmarshal into Go struct field DeleteOptions.gracePeriodSeconds of type int64');
      opts.gracePeriodSeconds = o.gracePeriodSeconds;
    }
    if (o.propagationPolicy !== undefined) opts.propagationPolicy = o.propagationPolicy as string;
    if (o.preconditions && typeof o.preconditions === 'object') {
      const p = o.preconditions as Record<string, unknown>;
      opts.preconditions = { ...(typeof p.uid === 'string' ? { uid: p.uid } : {}), ...(typeof p.resourceVersion === 'string' ? { resourceVersion: p.resourceVersion } : {}) };
    }
    if (Array.isArray(o.dryRun) && o.dryRun.length > 0) {
      if (o.dryRun.some((d) => d !== 'All')) throw kubeErrors.badRequest(`dryRun: Unsupported value: ${JSON.stringify(o.dryRun)}: supported values: "All"`);
      opts.dryRun = true;
    }
  }
  const grace = queryInt(c.url, 'gracePeriodSeconds');
  if (grace !== undefined) opts.gracePeriodSeconds = grace;
  const policy = c.url.searchParams.get('propagationPolicy');
  if (policy) opts.propagationPolicy = policy;
  if (dryRun(c.url)) opts.dryRun = true;
  return opts;
}

export function listOptions(c: RequestContext) {
  const limit = queryInt(c.url, 'limit');
  if (limit !== undefined && limit < 0) throw kubeErrors.badRequest(`limit: Invalid value: ${limit}: must be greater than or equal to 0`);
  const rvm = c.url.searchParams.get('resourceVersionMatch') || undefined;
  if (rvm !== undefined && rvm !== 'Exact' && rvm !== 'NotOlderThan') {
    throw kubeErrors.invalid('ListOptions', 'meta.k8s.io', '', [{ type: 'FieldValueNotSupported', field: 'resourceVersionMatch', value: rvm, detail: 'supported values: "Exact", "NotOlderThan"' }]);
  }
  return {
    ...selectors(c.url),
    ...(limit ? { limit } : {}),
    ...(c.url.searchParams.get('continue') ? { continueToken: c.url.searchParams.get('continue')! } : {}),
    ...(c.url.searchParams.get('resourceVersion') !== null ? { resourceVersion: c.url.searchParams.get('resourceVersion')! } : {}),
    ...(rvm ? { resourceVersionMatch: rvm as 'Exact' | 'NotOlderThan' } : {}),
  };
}

export function sendList(c: RequestContext, def: ResourceDef, items: KubeObject[], meta: ListMeta): FastifyReply {
  const { output, contentType } = negotiateObject(c.req.headers.accept, true);
  if (output.kind === 'table') return send(c.reply, 200, table(def, items, { now: c.registry.now() }, includeObject(c.url), meta, output.version), contentType);
  if (output.kind === 'partial') return send(c.reply, 200, partialList(items, meta, output.version), contentType);
  return send(c.reply, 200, listBody(def, items, meta), contentType);
}

/** Decodes a create/update body for `def` with the request's fieldValidation. */
export function decodeBody(c: RequestContext, def: ResourceDef, expected?: { kind: string; apiVersion: string }) {
  const fv = fieldValidationOf(c.url);
  const kind = expected?.kind ?? def.kind;
  const parsed = parseBody(rawBody(c.req), bodyFormat(c.req.headers['content-type']), kind, fv === 'Strict');
  return decodeAsKind(def, parsed, fv, 'body', expected);
}
