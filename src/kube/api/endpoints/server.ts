/**
 * The clusters' Kubernetes API over HTTP (issue 5 items 1–2): a fastify plugin under `/_k8s/<fqdn>`, which is
 * also where the front door maps requests for `<fqdn>` (any `*.azmk8s.io` host) through the proxy.
 *
 *   /version /healthz /livez /readyz            anonymous (as kube-apiserver's public-info-viewer allows)
 *   /api /apis /api/v1 /apis/<g>[/<v>]           discovery, legacy or aggregated (by Accept)
 *   /openapi/v2 /openapi/v3                     what kubectl needs (see openapi below)
 *   /api/v1/[namespaces/<ns>/]<resource>[/<name>[/<subresource>]]   and the same under /apis/<g>/<v>
 *
 * Every answer that is not a success is a Kubernetes `Status`. This layer turns HTTP into registry calls:
 * request parsing, media types, query parameters, and the response forms (objects, lists, tables, watch).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { StoreUnavailableError } from '../../../store/store.js';
import type { TokenService } from '../../../identity/tokens.js';
import { authenticate, type UserInfo } from '../../auth.js';
import { kubernetesVersion, type ClusterView } from '../../clusters.js';
import { findResource } from '../../resources/index.js';
import { ClusterGoneError, TransformError } from '../../storage/object-storage.js';
import { bodyFormat, parseBody } from './body.js';
import { decodeAsKind, parseFieldValidation, type FieldValidation } from '../registry/decode.js';
import { aggregatedDiscovery, apiGroupDocument, apiGroupList, apiResourceList, apiVersions, servesGroup, servesGroupVersion, VIRTUAL_RESOURCES } from './discovery.js';
import { KubeError, kubeErrors, successStatus } from '../machinery/errors.js';
import { negotiateDiscovery, negotiateObject, type OutputKind } from '../machinery/negotiation.js';
import { listBody, partialList, partialObjectMetadata, table, type IncludeObject } from '../machinery/output.js';
import type { DeleteOptions, PatchType, Registry } from '../registry/registry.js';
import { bindPod } from '../registry/pod-binding.js';
import { checkFieldSelector } from '../registry/selection.js';
import type { ResourceDef } from '../machinery/resource.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from '../machinery/selectors.js';
import type { Pod } from '../machinery/types.js';
import { serveWatch, validateWatchOptions } from './watch.js';
import { loadSchema } from '../machinery/schema.js';
import { parseStreamOptions, resolveStreamTarget } from '../../streams/target.js';
import { yaml } from '../../../util/yaml.js';
import type { KubeObject } from '../../stored-object.js';

/** kube-apiserver's limit on request bodies (MaxRequestBodyBytes, 3 MiB). */
export const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;

const PATCH_TYPES: Record<string, PatchType | 'apply'> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

/** Status bodies for errors fastify raises before routing (a URL it cannot decode, ...). */
export function kubeFrameworkError(status: number, message: string): { body: unknown; contentType: string } {
  const reason = status === 413 ? 'RequestEntityTooLarge' : status === 404 ? 'NotFound' : 'BadRequest';
  const text = status === 413 ? `Request entity too large: limit is ${MAX_REQUEST_BODY_BYTES}` : message;
  return { body: new KubeError(status, reason, text).toStatus(), contentType: 'application/json' };
}

/** A health check another module adds to a cluster's API server (KMS: kms-providers). */
export interface ExtraHealthCheck {
  name: string;
  ok: boolean;
  message?: string;
  /** Also answered at /healthz/<name> but not listed (kube-apiserver lists kms-providers, serves kms-provider-<i>). */
  hidden?: boolean;
}

export interface KubeApiDeps {
  tokens: TokenService;
  /** The cluster serving `fqdn`, or undefined. */
  cluster(fqdn: string): Promise<ClusterView | undefined>;
  registry(cluster: ClusterView): Registry;
  now(): Date;
  /** Checks of /healthz, /livez and /readyz beyond the built-in ones. */
  extraHealthChecks?(cluster: ClusterView): Promise<ExtraHealthCheck[]>;
  /** Why the cluster's API server is down (every request answers 503), or undefined when it is up. */
  unavailable?(cluster: ClusterView): Promise<string | undefined>;
}

interface RequestContext {
  cluster: ClusterView;
  user: UserInfo | undefined;
  registry: Registry;
  url: URL;
  req: FastifyRequest;
  reply: FastifyReply;
}

function sendStatus(reply: FastifyReply, err: KubeError): FastifyReply {
  for (const [k, v] of Object.entries(err.headers ?? {})) reply.header(k, v);
  return reply.code(err.code).header('content-type', 'application/json').send(Buffer.from(JSON.stringify(err.toStatus())));
}

function send(reply: FastifyReply, code: number, body: unknown, contentType = 'application/json', warnings: string[] = []): FastifyReply {
  if (warnings.length > 0) reply.header('Warning', warnings.map((w) => `299 - ${JSON.stringify(w)}`));
  const text = contentType === 'application/yaml' ? yaml().stringify(body) : JSON.stringify(body);
  // Set verbatim: clients read the media type parameters (as=Table, g=apidiscovery.k8s.io) from it.
  return reply.code(code).header('content-type', contentType).send(Buffer.from(text, 'utf8'));
}

function sendObject(c: RequestContext, def: ResourceDef, code: number, obj: unknown, warnings: string[] = []): FastifyReply {
  const { output, contentType } = negotiateObject(c.req.headers.accept, false);
  if (output.kind === 'table') {
    return send(c.reply, code, table(def, [obj as KubeObject], { now: c.registry.now() }, includeObject(c.url), { resourceVersion: (obj as KubeObject).metadata?.resourceVersion ?? '' }, output.version), contentType, warnings);
  }
  if (output.kind === 'partial') return send(c.reply, code, partialObjectMetadata(obj as KubeObject, output.version), contentType, warnings);
  return send(c.reply, code, obj, contentType, warnings);
}

function includeObject(url: URL): IncludeObject {
  const v = url.searchParams.get('includeObject');
  if (v === null || v === '') return 'Metadata';
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw kubeErrors.badRequest(`includeObject: Unsupported value: ${JSON.stringify(v)}: supported values: "None", "Metadata", "Object"`);
}

function queryInt(url: URL, name: string): number | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw kubeErrors.badRequest(`${name}: Invalid value: ${JSON.stringify(v)}: must be an integer`);
  return Number(v);
}

function queryBool(url: URL, name: string): boolean | undefined {
  const v = url.searchParams.get(name);
  if (v === null) return undefined;
  if (v === '' || v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw kubeErrors.badRequest(`${name}: Invalid value: ${JSON.stringify(v)}: must be a boolean`);
}

function dryRun(url: URL): boolean {
  const values = url.searchParams.getAll('dryRun');
  for (const v of values) {
    if (v !== 'All') throw kubeErrors.badRequest(`dryRun: Unsupported value: ${JSON.stringify(v)}: supported values: "All"`);
  }
  return values.length > 0;
}

function selectors(url: URL) {
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

function rawBody(req: FastifyRequest): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

/** Request-path facts for a resource URL (kube-apiserver's RequestInfo). */
interface ResourcePath {
  group: string;
  version: string;
  namespace: string | undefined;
  resource: string;
  name: string | undefined;
  subresource: string | undefined;
}

function parseResourcePath(group: string, version: string, parts: string[]): ResourcePath | undefined {
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

function versionInfo(cluster: ClusterView): Record<string, string> {
  const v = kubernetesVersion(cluster.arm);
  const commit = createHash('sha1').update(`aksemu-kube-${v.gitVersion}`).digest('hex');
  return {
    major: v.major,
    minor: v.minor,
    gitVersion: v.gitVersion,
    gitCommit: commit,
    gitTreeState: 'clean',
    buildDate: '2025-04-22T16:00:00Z',
    goVersion: 'go1.23.8',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

const HEALTH_CHECKS = ['ping', 'log', 'etcd', 'informer-sync', 'poststarthook/start-apiextensions-controllers', 'poststarthook/bootstrap-controller'];

/** kube-apiserver's health endpoints: the built-in checks (always ok here) and other modules' checks. */
async function health(c: RequestContext, deps: KubeApiDeps, endpoint: string, sub: string[]): Promise<FastifyReply> {
  const extra = deps.extraHealthChecks ? await deps.extraHealthChecks(c.cluster) : [];
  const text = (code: number, body: string) => c.reply.code(code).type('text/plain; charset=utf-8').send(body);
  if (sub.length > 0) {
    const check = sub.join('/');
    const e = extra.find((x) => x.name === check);
    if (e) return e.ok ? text(200, 'ok') : text(500, `internal server error: ${e.message ?? 'failed'}\n`);
    if (!HEALTH_CHECKS.includes(check)) return text(404, '404 page not found\n');
    return text(200, 'ok');
  }
  const listed = extra.filter((x) => !x.hidden);
  const ok = listed.every((x) => x.ok);
  if (c.url.searchParams.has('verbose') || !ok) {
    const lines = [...HEALTH_CHECKS.map((h) => `[+]${h} ok`), ...listed.map((x) => (x.ok ? `[+]${x.name} ok` : `[-]${x.name} failed: reason withheld`))].join('\n');
    return text(ok ? 200 : 500, `${lines}\n${endpoint} check ${ok ? 'passed' : 'failed'}\n`);
  }
  return text(200, 'ok');
}

function discovery(c: RequestContext, parts: string[]): FastifyReply {
  const fqdn = c.cluster.record.fqdn;
  if (parts[0] === 'api') {
    if (parts.length === 1) {
      const { output, contentType } = negotiateDiscovery(c.req.headers.accept);
      c.reply.header('Vary', 'Accept');
      return send(c.reply, 200, output === 'legacy' ? apiVersions(`${fqdn}:443`) : aggregatedDiscovery(true, output), contentType);
    }
    if (parts.length === 2 && parts[1] === 'v1') return send(c.reply, 200, apiResourceList('', 'v1'));
    throw kubeErrors.pathNotFound();
  }
  if (parts.length === 1) {
    const { output, contentType } = negotiateDiscovery(c.req.headers.accept);
    c.reply.header('Vary', 'Accept');
    return send(c.reply, 200, output === 'legacy' ? apiGroupList() : aggregatedDiscovery(false, output), contentType);
  }
  if (parts.length === 2 && servesGroup(parts[1]!)) return send(c.reply, 200, apiGroupDocument(parts[1]!));
  if (parts.length === 3 && servesGroupVersion(parts[1]!, parts[2]!)) return send(c.reply, 200, apiResourceList(parts[1]!, parts[2]!));
  throw kubeErrors.pathNotFound();
}

/**
 * OpenAPI: kubectl fetches /openapi/v3 (404 tolerated) and /openapi/v2 (protobuf) before replace and apply, for
 * client-side validation and patch computation. aksemu answers v2 with an empty document, which makes kubectl
 * skip client-side validation and rely on the server's (fieldValidation=Strict) and compute strategic merge
 * patches from its compiled-in types, and v3 with 404.
 */
function openapi(c: RequestContext, parts: string[]): FastifyReply {
  if (parts[1] === 'v2' && parts.length === 2) return c.reply.code(200).type('application/octet-stream').send(Buffer.alloc(0));
  throw kubeErrors.pathNotFound();
}

async function reviews(c: RequestContext, group: string, resource: string): Promise<FastifyReply> {
  if (c.req.method !== 'POST') throw kubeErrors.methodNotAllowed(c.req.method, { group, resource });
  const v = VIRTUAL_RESOURCES.find((r) => r.group === group && r.resource === resource)!;
  const parsed = parseBody(rawBody(c.req), bodyFormat(c.req.headers['content-type']), v.kind, false).value as Record<string, unknown> | null;
  const user = c.user!;
  const spec = (parsed && typeof parsed === 'object' ? parsed.spec : undefined) ?? {};
  const base = { apiVersion: `${group}/${v.version}`, kind: v.kind, metadata: { creationTimestamp: null } };
  if (resource === 'selfsubjectreviews') {
    return send(c.reply, 201, { ...base, status: { userInfo: { username: user.username, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups, ...(Object.keys(user.extra).length ? { extra: user.extra } : {}) } } });
  }
  if (resource === 'selfsubjectaccessreviews') {
    return send(c.reply, 201, { ...base, spec, status: { allowed: true, reason: user.admin ? 'aksemu: cluster-admin (system:masters)' : 'aksemu: no RBAC; every authenticated user of the cluster is allowed' } });
  }
  return send(c.reply, 201, {
    ...base,
    spec,
    status: { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }], incomplete: false },
  });
}

function fieldValidationOf(url: URL): FieldValidation {
  return parseFieldValidation(url.searchParams.get('fieldValidation'));
}

function deleteOptions(c: RequestContext): DeleteOptions {
  const opts: DeleteOptions = {};
  const body = rawBody(c.req);
  if (body.length > 0) {
    const parsed = parseBody(body, bodyFormat(c.req.headers['content-type']), 'DeleteOptions', false).value;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw kubeErrors.badRequest('the body of a DELETE must be a DeleteOptions object');
    const o = parsed as Record<string, unknown>;
    if (o.kind !== undefined && o.kind !== 'DeleteOptions') {
      throw kubeErrors.badRequest(`${String(o.kind)} in version "v1" cannot be handled as a DeleteOptions: no kind "${String(o.kind)}" is registered for version "v1"`);
    }
    if (o.gracePeriodSeconds !== undefined) {
      if (typeof o.gracePeriodSeconds !== 'number' || !Number.isInteger(o.gracePeriodSeconds)) throw kubeErrors.badRequest('json: cannot unmarshal into Go struct field DeleteOptions.gracePeriodSeconds of type int64');
      opts.gracePeriodSeconds = o.gracePeriodSeconds;
    }
    if (o.propagationPolicy !== undefined) opts.propagationPolicy = String(o.propagationPolicy);
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

function listOptions(c: RequestContext) {
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

function sendList(c: RequestContext, def: ResourceDef, items: KubeObject[], meta: { resourceVersion: string; continue?: string }): FastifyReply {
  const { output, contentType } = negotiateObject(c.req.headers.accept, true);
  if (output.kind === 'table') return send(c.reply, 200, table(def, items, { now: c.registry.now() }, includeObject(c.url), meta, output.version), contentType);
  if (output.kind === 'partial') return send(c.reply, 200, partialList(items, meta, output.version), contentType);
  return send(c.reply, 200, listBody(def, items, meta), contentType);
}

/** Decodes a create/update body for `def` with the request's fieldValidation. */
function decodeBody(c: RequestContext, def: ResourceDef, expected?: { kind: string; apiVersion: string }) {
  const fv = fieldValidationOf(c.url);
  const kind = expected?.kind ?? def.kind;
  const parsed = parseBody(rawBody(c.req), bodyFormat(c.req.headers['content-type']), kind, fv === 'Strict');
  return decodeAsKind(def, parsed, fv, 'body', expected);
}

async function podLog(c: RequestContext, def: ResourceDef, path: ResourcePath): Promise<FastifyReply> {
  const pod = (await c.registry.get<Pod>(def, path.namespace, path.name!)) as Pod;
  const containerName = c.url.searchParams.get('container') ?? undefined;
  const containers = pod.spec?.containers ?? [];
  if (!containerName && containers.length > 1) {
    throw kubeErrors.badRequest(`a container name must be specified for pod ${path.name}, choose one of: [${containers.map((x) => x.name).join(' ')}]`);
  }
  const name = containerName ?? containers[0]?.name;
  const status = (pod.status?.containerStatuses ?? []).find((s) => s.name === name);
  if (!containers.some((x) => x.name === name)) throw kubeErrors.badRequest(`container ${name} is not valid for pod ${path.name}`);
  if (!status?.state?.running && !status?.state?.terminated) {
    const reason = status?.state?.waiting?.reason ?? (pod.spec?.nodeName ? 'ContainerCreating' : 'Pending');
    throw kubeErrors.badRequest(`container "${name}" in pod "${path.name}" is waiting to start: ${reason}`);
  }
  // aksemu runs no containers: a running container has written nothing.
  return c.reply.code(200).type('text/plain').send('');
}

async function resourceRequest(c: RequestContext, path: ResourcePath): Promise<FastifyReply | void> {
  if (VIRTUAL_RESOURCES.some((v) => v.group === path.group && v.version === path.version && v.resource === path.resource) && !path.name && !path.namespace) {
    return reviews(c, path.group, path.resource);
  }
  const def = findResource(path.group, path.version, path.resource);
  if (!def) throw kubeErrors.pathNotFound();
  if (path.namespace !== undefined && !def.namespaced) throw kubeErrors.pathNotFound();
  const method = c.req.method.toUpperCase();
  const gr = { group: def.group, resource: def.resource };
  const ns = path.namespace;
  const reg = c.registry;

  if (path.subresource) {
    if (!path.name) throw kubeErrors.pathNotFound();
    const sub = def.subresources.find((s) => s.name === path.subresource);
    if (!sub) throw kubeErrors.pathNotFound();
    if (sub.name === 'log') {
      if (method !== 'GET') throw kubeErrors.methodNotAllowed(method, gr);
      return podLog(c, def, path);
    }
    if (sub.name === 'attach' || sub.name === 'exec') {
      // SPEC C-9: the streams are upgrades (src/kube/streams); a plain request is refused after the pod is checked.
      if (method !== 'GET' && method !== 'POST') throw kubeErrors.methodNotAllowed(method, gr);
      const kind = sub.name;
      await resolveStreamTarget(reg, kind, ns!, path.name, parseStreamOptions(kind, c.url.searchParams));
      throw kubeErrors.badRequest('Upgrade request required');
    }
    if (sub.name === 'eviction') {
      if (method !== 'POST') throw kubeErrors.methodNotAllowed(method, gr);
      return evict(c, def, path);
    }
    if (sub.name === 'binding') {
      if (method !== 'POST') throw kubeErrors.methodNotAllowed(method, gr);
      const { obj } = decodeBinding(c);
      const target = (obj as unknown as { target?: { name?: string; kind?: string } }).target;
      if (!target?.name) throw kubeErrors.invalid('Binding', '', path.name, [{ type: 'FieldValueRequired', field: 'target.name' }]);
      if (target.kind && target.kind !== 'Node') throw kubeErrors.invalid('Binding', '', path.name, [{ type: 'FieldValueNotSupported', field: 'target.kind', value: target.kind, detail: 'supported values: "Node"' }]);
      await bindPod(reg, ns!, path.name, target.name, { dryRun: dryRun(c.url) });
      return send(c.reply, 201, { ...successStatus({}), code: 201 });
    }
    // status / finalize
    if (method === 'GET' && sub.verbs.includes('get')) return sendObject(c, def, 200, await reg.get(def, ns, path.name));
    if (method === 'PUT' && sub.verbs.includes('update')) {
      const { obj, warnings } = decodeBody(c, def);
      const res = await reg.update(def, ns, path.name, obj, { dryRun: dryRun(c.url), subresource: sub.name });
      return sendObject(c, def, 200, res.obj, warnings);
    }
    if (method === 'PATCH' && sub.verbs.includes('patch')) return patchRequest(c, def, path, sub.name);
    throw kubeErrors.methodNotAllowed(method, gr);
  }

  if (!path.name) {
    if (ns === undefined && def.namespaced && method !== 'GET') throw kubeErrors.pathNotFound();
    switch (method) {
      case 'GET': {
        const opts = listOptions(c);
        if (queryBool(c.url, 'watch')) return watchRequest(c, def, ns, opts);
        const res = await reg.list(def, ns, opts);
        return sendList(c, def, res.items, { resourceVersion: res.resourceVersion, ...(res.continueToken ? { continue: res.continueToken } : {}) });
      }
      case 'POST': {
        if (!def.verbs.includes('create')) throw kubeErrors.methodNotAllowed(method, gr);
        const { obj, warnings } = decodeBody(c, def);
        const created = await reg.create(def, ns, obj, { dryRun: dryRun(c.url) });
        return sendObject(c, def, 201, created, warnings);
      }
      case 'DELETE': {
        if (!def.verbs.includes('deletecollection')) throw kubeErrors.methodNotAllowed(method, gr);
        const deleted = await reg.deleteCollection(def, ns, listOptions(c), deleteOptions(c));
        return sendList(c, def, deleted, { resourceVersion: '' });
      }
      default:
        throw kubeErrors.methodNotAllowed(method, gr);
    }
  }

  switch (method) {
    case 'GET': {
      if (queryBool(c.url, 'watch')) {
        // A watch on one object: the collection filtered by name (what clients send as fieldSelector).
        const opts = listOptions(c);
        return watchRequest(c, def, ns, { ...opts, fieldSelector: [...opts.fieldSelector, { field: 'metadata.name', op: '=', value: path.name }] });
      }
      return sendObject(c, def, 200, await reg.get(def, ns, path.name));
    }
    case 'PUT': {
      const { obj, warnings } = decodeBody(c, def);
      const res = await reg.update(def, ns, path.name, obj, { dryRun: dryRun(c.url) });
      return sendObject(c, def, res.created ? 201 : 200, res.obj, warnings);
    }
    case 'PATCH':
      return patchRequest(c, def, path, undefined);
    case 'DELETE': {
      const res = await reg.delete(def, ns, path.name, deleteOptions(c));
      const code = res.deleted ? 200 : 202;
      if (def.returnDeletedObject || !res.deleted) return sendObject(c, def, code, res.obj);
      return send(c.reply, code, successStatus({ name: path.name, ...(def.group ? { group: def.group } : {}), kind: def.resource, uid: res.obj.metadata.uid }));
    }
    default:
      throw kubeErrors.methodNotAllowed(method, gr);
  }
}

/** pods/eviction (policy/v1 Eviction): a delete with the eviction's options (aksemu has no disruption budgets). */
async function evict(c: RequestContext, def: ResourceDef, path: ResourcePath): Promise<FastifyReply> {
  const parsed = parseBody(rawBody(c.req), bodyFormat(c.req.headers['content-type']), 'Eviction', false).value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw kubeErrors.badRequest('the object provided is unrecognized (must be of type Eviction)');
  const e = parsed as { kind?: string; metadata?: { name?: string }; deleteOptions?: { gracePeriodSeconds?: number; preconditions?: { uid?: string; resourceVersion?: string } } };
  if (e.kind !== undefined && e.kind !== 'Eviction') throw kubeErrors.badRequest(`${e.kind} in version "v1" cannot be handled as a Eviction: no kind "${e.kind}" is registered for version "policy/v1"`);
  if (e.metadata?.name !== path.name) throw kubeErrors.badRequest(`name in URL does not match name in Eviction object`);
  const opts: DeleteOptions = { dryRun: dryRun(c.url) };
  if (typeof e.deleteOptions?.gracePeriodSeconds === 'number') opts.gracePeriodSeconds = e.deleteOptions.gracePeriodSeconds;
  if (e.deleteOptions?.preconditions) opts.preconditions = e.deleteOptions.preconditions;
  await c.registry.delete(def, path.namespace, path.name!, opts);
  return send(c.reply, 201, { ...successStatus({}), code: 201 });
}

function decodeBinding(c: RequestContext): { obj: Record<string, unknown> } {
  const parsed = parseBody(rawBody(c.req), bodyFormat(c.req.headers['content-type']), 'Binding', false).value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw kubeErrors.badRequest('the object provided is unrecognized (must be of type Binding)');
  const o = parsed as Record<string, unknown>;
  if (o.kind !== undefined && o.kind !== 'Binding') throw kubeErrors.badRequest(`${String(o.kind)} in version "v1" cannot be handled as a Binding: no kind "${String(o.kind)}" is registered for version "v1"`);
  return { obj: o };
}

async function patchRequest(c: RequestContext, def: ResourceDef, path: ResourcePath, subresource: string | undefined): Promise<FastifyReply> {
  const type = (c.req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const patchType = PATCH_TYPES[type];
  if (!patchType) throw kubeErrors.unsupportedMediaType(type, Object.keys(PATCH_TYPES));
  const fv = fieldValidationOf(c.url);
  const body = rawBody(c.req);
  const parsed = parseBody(body, patchType === 'apply' ? 'yaml' : 'json', def.kind, false).value;
  if (patchType === 'apply') return serverSideApply(c, def, path, parsed, fv);
  const res = await c.registry.patch(def, path.namespace, path.name!, patchType, parsed, { dryRun: dryRun(c.url), subresource, fieldValidation: fv });
  return sendObject(c, def, 200, res.obj, res.warnings);
}

/**
 * Server-side apply, simplified: the applied configuration is created if the object is absent and otherwise
 * merged into it with strategic-merge semantics. aksemu keeps no managedFields, so fields removed from an
 * applied configuration are not removed from the object and there are no ownership conflicts.
 */
async function serverSideApply(c: RequestContext, def: ResourceDef, path: ResourcePath, applied: unknown, fv: FieldValidation): Promise<FastifyReply> {
  if (!c.url.searchParams.get('fieldManager')) {
    throw kubeErrors.badRequest('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
  }
  const { obj, warnings } = decodeAsKind(def, { value: applied, duplicates: [] }, fv === 'Warn' ? 'Strict' : fv, 'patch');
  if (obj.metadata.name && obj.metadata.name !== path.name) {
    throw kubeErrors.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${path.name})`);
  }
  const existing = await c.registry.tryGet(def, path.namespace, path.name!);
  if (!existing) {
    const created = await c.registry.create(def, path.namespace, { ...obj, metadata: { ...obj.metadata, name: path.name } }, { dryRun: dryRun(c.url) });
    return sendObject(c, def, 201, created, warnings);
  }
  const { apiVersion: _a, kind: _k, ...patch } = obj;
  const res = await c.registry.patch(def, path.namespace, path.name!, 'strategic', patch, { dryRun: dryRun(c.url), fieldValidation: fv });
  return sendObject(c, def, 200, res.obj, [...warnings, ...res.warnings]);
}

async function watchRequest(c: RequestContext, def: ResourceDef, ns: string | undefined, opts: ReturnType<typeof listOptions>): Promise<void> {
  if (!def.verbs.includes('watch')) throw kubeErrors.methodNotAllowed('GET', { group: def.group, resource: def.resource });
  const sendInitialEvents = queryBool(c.url, 'sendInitialEvents');
  const allowWatchBookmarks = queryBool(c.url, 'allowWatchBookmarks') ?? false;
  validateWatchOptions({ resourceVersionMatch: opts.resourceVersionMatch, sendInitialEvents, allowWatchBookmarks });
  const timeout = queryInt(c.url, 'timeoutSeconds');
  if (timeout !== undefined && timeout < 0) throw kubeErrors.badRequest(`timeoutSeconds: Invalid value: ${timeout}: must be greater than or equal to 0`);
  const n = negotiateObject(c.req.headers.accept, false);
  const output: OutputKind = n.output.kind === 'yaml' ? { kind: 'json' } : n.output;
  const contentType = n.output.kind === 'yaml' || n.output.kind === 'json' ? 'application/json' : n.contentType;
  checkFieldSelector(def, opts.fieldSelector);
  await serveWatch(c.reply, c.registry, {
    def,
    namespace: ns,
    resourceVersion: opts.resourceVersion,
    resourceVersionMatch: opts.resourceVersionMatch,
    sendInitialEvents,
    allowWatchBookmarks,
    timeoutSeconds: timeout,
    labelSelector: opts.labelSelector,
    fieldSelector: opts.fieldSelector,
    output,
    contentType,
    includeObject: includeObject(c.url),
    now: () => c.registry.now(),
  });
}

async function dispatch(deps: KubeApiDeps, req: FastifyRequest<{ Params: { fqdn: string } }>, reply: FastifyReply): Promise<FastifyReply | void> {
  const fqdn = req.params.fqdn.toLowerCase();
  const cluster = await deps.cluster(fqdn);
  if (!cluster) throw kubeErrors.pathNotFound();
  const url = new URL(req.url, 'https://kube.invalid');
  const prefix = `/_k8s/${req.params.fqdn}`;
  const rest = url.pathname.slice(url.pathname.toLowerCase().startsWith(prefix.toLowerCase()) ? prefix.length : 0);
  let parts: string[];
  try {
    parts = rest.split('/').filter((p) => p.length > 0).map((p) => decodeURIComponent(p));
  } catch {
    throw kubeErrors.badRequest(`the request path contains an invalid escape sequence`);
  }
  const user = await authenticate(deps.tokens, req, cluster.record.uid);
  const c: RequestContext = { cluster, user, registry: deps.registry(cluster), url, req, reply };
  const head = parts[0] ?? '';

  // Public information, readable without credentials (system:public-info-viewer).
  if (req.method === 'GET' && parts.length === 1 && head === 'version') return send(reply, 200, versionInfo(cluster));
  const down = deps.unavailable ? await deps.unavailable(cluster) : undefined;
  if (down) throw new KubeError(503, 'ServiceUnavailable', down);
  if (req.method === 'GET' && (head === 'healthz' || head === 'livez' || head === 'readyz')) return health(c, deps, head, parts.slice(1));
  if (!user) throw kubeErrors.unauthorized();

  await loadSchema();
  if (parts.length === 0) {
    return send(reply, 200, { paths: ['/api', '/api/v1', '/apis', ...new Set(['/healthz', '/livez', '/readyz', '/openapi/v2', '/version'])] });
  }
  if (head === 'openapi') return openapi(c, parts);
  if (head === 'api') {
    if (parts.length <= 2) return discovery(c, parts);
    if (parts[1] !== 'v1') throw kubeErrors.pathNotFound();
    const path = parseResourcePath('', 'v1', parts.slice(2));
    if (!path) throw kubeErrors.pathNotFound();
    return resourceRequest(c, path);
  }
  if (head === 'apis') {
    if (parts.length <= 3) return discovery(c, parts);
    if (!servesGroupVersion(parts[1]!, parts[2]!)) throw kubeErrors.pathNotFound();
    const path = parseResourcePath(parts[1]!, parts[2]!, parts.slice(3));
    if (!path) throw kubeErrors.pathNotFound();
    return resourceRequest(c, path);
  }
  throw kubeErrors.pathNotFound();
}

export function registerKubeApi(app: FastifyInstance, deps: KubeApiDeps): void {
  app.register(
    async (scope) => {
      // A declared body over kube-apiserver's limit is refused before it is read (the rest is drained, so the
      // client sees the 413 rather than a reset connection).
      scope.addHook('onRequest', async (req, reply) => {
        const declared = Number(req.headers['content-length'] ?? 0);
        if (!(declared > MAX_REQUEST_BODY_BYTES)) return;
        req.raw.resume();
        return sendStatus(reply, kubeErrors.tooLarge(MAX_REQUEST_BODY_BYTES));
      });
      scope.setErrorHandler((err, req, reply) => {
        if (reply.sent || reply.raw.headersSent) {
          req.log.warn({ err }, 'error after a Kubernetes response had started');
          reply.raw.destroy();
          return;
        }
        if (err instanceof KubeError) return sendStatus(reply, err);
        if (err instanceof SelectorError) return sendStatus(reply, kubeErrors.badRequest(err.message));
        if (err instanceof TransformError) return sendStatus(reply, kubeErrors.internal(err.message));
        if (err instanceof ClusterGoneError) return sendStatus(reply, kubeErrors.pathNotFound());
        if (err instanceof StoreUnavailableError) return sendStatus(reply, new KubeError(503, 'ServiceUnavailable', `etcdserver: ${err.message}`));
        const e = err as { statusCode?: number; code?: string; message: string };
        if (e.statusCode === 413 || e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendStatus(reply, kubeErrors.tooLarge(MAX_REQUEST_BODY_BYTES));
        if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return sendStatus(reply, new KubeError(e.statusCode, 'BadRequest', e.message));
        req.log.error({ err }, 'unhandled error in the Kubernetes API');
        return sendStatus(reply, kubeErrors.internal(`aksemu: ${e.message}`));
      });
      const handler = (req: FastifyRequest, reply: FastifyReply) => dispatch(deps, req as FastifyRequest<{ Params: { fqdn: string } }>, reply);
      const methods = ['GET', 'PUT', 'POST', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
      scope.route({ method: [...methods], url: '/*', bodyLimit: MAX_REQUEST_BODY_BYTES, handler });
      scope.route({ method: [...methods], url: '/', bodyLimit: MAX_REQUEST_BODY_BYTES, handler });
    },
    { prefix: '/_k8s/:fqdn' },
  );
}

