/**
 * OpenAPI v3 as kube-apiserver serves it (SPEC W-26): `/openapi/v3` lists one document per served group-version
 * (`{"paths": {"apis/apps/v1": {"serverRelativeURL": "/openapi/v3/apis/apps/v1?hash=<HASH>"}}}`), and
 * `/openapi/v3/<gv>` is an OpenAPI 3.0 document: the schemas of the group-version's kinds (openapi-schemas.ts) and
 * the paths of their endpoints, each operation marked with its kind and action.
 *
 * kubectl reads these for `explain`, for the patch a client-side `apply` or `diff` computes (the patch
 * extensions), and to learn that PATCH takes `fieldValidation` (so it validates on the server). The hash is the
 * document's SHA-512, as upstream's: a request carrying the current hash is cacheable for good, one carrying an
 * old hash is redirected to the current one.
 */
import type { FastifyReply } from 'fastify';
import { createHash } from 'node:crypto';
import { kubernetesVersion, type ClusterView } from '../../clusters.js';
import { RESOURCES } from '../../resources/index.js';
import { SchemaSet, type Gvk, type JsonSchema } from '../machinery/openapi-schemas.js';
import { kubeErrors } from '../machinery/errors.js';
import { modelFields } from '../machinery/schema.js';
import type { ResourceDef, Verb } from '../machinery/resource.js';
import { groupVersions, VIRTUAL_RESOURCES } from './discovery.js';
import type { RequestContext } from './request.js';

interface Served {
  document: Buffer;
  hash: string;
}

/** The OpenAPI path of a group-version ("api/v1", "apis/apps/v1"). */
function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** The models of the core kinds: everything they reach is in package core, wherever else it appears. */
function coreRoots(): string[] {
  return [...RESOURCES.filter((r) => r.group === '').map((r) => r.model), 'V1PodTemplateSpec', 'V1TopologySelectorTerm', 'V1TypedLocalObjectReference'];
}

/** "rbac.authorization.k8s.io", "v1" → "RbacAuthorizationV1" (upstream's operation id infix); core is "CoreV1". */
function operationInfix(group: string, version: string): string {
  const words = group === '' ? ['core'] : group.replace(/\.k8s\.io$/, '').split('.');
  return words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('') + version[0]!.toUpperCase() + version.slice(1);
}

const query = (name: string, type: 'string' | 'boolean' | 'integer'): JsonSchema => ({ name, in: 'query', schema: { type, uniqueItems: true } });
/** "name:type" → a query parameter. */
const queryOf = (p: string): JsonSchema => {
  const [name, type] = p.split(':') as [string, 'string' | 'boolean' | 'integer'];
  return query(name, type);
};
const pathParam = (name: string): JsonSchema => ({ name, in: 'path', required: true, schema: { type: 'string', uniqueItems: true } });
const WRITE_PARAMS = [query('dryRun', 'string'), query('fieldManager', 'string'), query('fieldValidation', 'string')];
const LIST_PARAMS = ['allowWatchBookmarks:boolean', 'continue:string', 'fieldSelector:string', 'labelSelector:string', 'limit:integer', 'resourceVersion:string', 'resourceVersionMatch:string', 'sendInitialEvents:boolean', 'timeoutSeconds:integer', 'watch:boolean'].map(queryOf);
const DELETE_PARAMS = [query('dryRun', 'string'), query('gracePeriodSeconds', 'integer'), query('propagationPolicy', 'string')];
const MEDIA = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const PATCH_MEDIA = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

const content = (types: string[], schema: JsonSchema) => Object.fromEntries(types.map((t) => [t, { schema }]));

interface OperationSpec {
  id: string;
  action: string;
  gvk: Gvk;
  params: JsonSchema[];
  body?: JsonSchema;
  patch?: boolean;
  response: JsonSchema;
  created?: boolean;
}

function operation(o: OperationSpec): JsonSchema {
  const responses: JsonSchema = { '200': { description: 'OK', content: content(MEDIA, o.response) }, '401': { description: 'Unauthorized' } };
  if (o.created) responses['201'] = { description: 'Created', content: content(MEDIA, o.response) };
  return {
    tags: [o.gvk.group ? `${o.gvk.group.replace(/\.k8s\.io$/, '')}_${o.gvk.version}` : `core_${o.gvk.version}`],
    operationId: o.id,
    parameters: o.params,
    ...(o.body ? { requestBody: { content: o.patch ? content(PATCH_MEDIA, o.body) : content(MEDIA, o.body), required: true } } : {}),
    responses,
    'x-kubernetes-action': o.action,
    'x-kubernetes-group-version-kind': o.gvk,
  };
}

/**
 * Subresources that answer a stream rather than an object, as upstream describes them: `log` a GET of text, `exec`
 * and `attach` the "connect" action (GET and POST, upgraded to a streaming protocol), each with its query options.
 */
const STREAMED: Record<string, { action: 'get' | 'connect'; params: JsonSchema[] }> = {
  log: {
    action: 'get',
    params: ['container:string', 'follow:boolean', 'insecureSkipTLSVerifyBackend:boolean', 'limitBytes:integer', 'previous:boolean', 'sinceSeconds:integer', 'sinceTime:string', 'stream:string', 'tailLines:integer', 'timestamps:boolean'].map(queryOf),
  },
  exec: { action: 'connect', params: ['command:string', 'container:string', 'stderr:boolean', 'stdin:boolean', 'stdout:boolean', 'tty:boolean'].map(queryOf) },
  attach: { action: 'connect', params: ['container:string', 'stderr:boolean', 'stdin:boolean', 'stdout:boolean', 'tty:boolean'].map(queryOf) },
};

/** Upstream's operation ids: readCoreV1NamespacedPodLog, connectCoreV1GetNamespacedPodExec, connectCoreV1PostNamespacedPodExec. */
function streamedPaths(name: string, spec: { action: 'get' | 'connect' }, infix: string, scopedKind: string, gvk: Gvk): JsonSchema {
  const text = { type: 'string' };
  const sub = name[0]!.toUpperCase() + name.slice(1);
  const op = (id: string, types: string[]) => ({
    ...operation({ id, action: spec.action, gvk, params: [], response: text }),
    responses: { '200': { description: 'OK', content: content(types, text) }, '401': { description: 'Unauthorized' } },
  });
  if (spec.action === 'get') return { get: op(`read${infix}${scopedKind}${sub}`, ['text/plain', ...MEDIA]) };
  return { get: op(`connect${infix}Get${scopedKind}${sub}`, ['*/*']), post: op(`connect${infix}Post${scopedKind}${sub}`, ['*/*']) };
}

/** The paths of one resource: its collection, its objects, their subresources and the list across namespaces. */
function resourcePaths(set: SchemaSet, r: ResourceDef, paths: Record<string, JsonSchema>): void {
  const gvk = { group: r.group, version: r.version, kind: r.kind };
  const objRef = { $ref: `#/components/schemas/${set.addKind(r.model, gvk)}` };
  const listModel = `${r.model}List`;
  const listGvk = { ...gvk, kind: `${r.kind}List` };
  const listRef = modelFields(listModel) ? { $ref: `#/components/schemas/${set.addKind(listModel, listGvk)}` } : objRef;
  const meta = (m: string) => ({ $ref: `#/components/schemas/${set.addModel(m, '')}` });
  const infix = operationInfix(r.group, r.version);
  const scope = r.namespaced ? 'Namespaced' : '';
  const prefix = `/${gvPath(r.group, r.version)}`;
  const base = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.resource}` : `${prefix}/${r.resource}`;
  const nsParams = r.namespaced ? [pathParam('namespace')] : [];
  const has = (v: Verb) => r.verbs.includes(v);

  const collection: JsonSchema = {};
  if (has('list')) collection.get = operation({ id: `list${infix}${scope}${r.kind}`, action: 'list', gvk, params: LIST_PARAMS, response: listRef });
  if (has('create')) collection.post = operation({ id: `create${infix}${scope}${r.kind}`, action: 'post', gvk, params: WRITE_PARAMS, body: objRef, response: objRef, created: true });
  if (has('deletecollection')) collection.delete = operation({ id: `deletecollection${infix}${scope}${r.kind}`, action: 'deletecollection', gvk, params: [...DELETE_PARAMS, ...LIST_PARAMS], body: meta('V1DeleteOptions'), response: meta('V1Status') });
  if (Object.keys(collection).length > 0) paths[base] = { ...collection, parameters: nsParams };

  const item: JsonSchema = {};
  if (has('get')) item.get = operation({ id: `read${infix}${scope}${r.kind}`, action: 'get', gvk, params: [], response: objRef });
  if (has('update')) item.put = operation({ id: `replace${infix}${scope}${r.kind}`, action: 'put', gvk, params: WRITE_PARAMS, body: objRef, response: objRef, created: true });
  if (has('patch')) item.patch = operation({ id: `patch${infix}${scope}${r.kind}`, action: 'patch', gvk, params: [...WRITE_PARAMS, query('force', 'boolean')], body: meta('V1Patch'), patch: true, response: objRef, created: true });
  if (has('delete')) item.delete = operation({ id: `delete${infix}${scope}${r.kind}`, action: 'delete', gvk, params: DELETE_PARAMS, body: meta('V1DeleteOptions'), response: objRef });
  if (Object.keys(item).length > 0) paths[`${base}/{name}`] = { ...item, parameters: [pathParam('name'), ...nsParams] };

  for (const s of r.subresources) {
    const subGvk = { group: s.group ?? r.group, version: s.version ?? r.version, kind: s.kind };
    const streamed = STREAMED[s.name];
    if (streamed) {
      paths[`${base}/{name}/${s.name}`] = { ...streamedPaths(s.name, streamed, infix, `${scope}${r.kind}`, subGvk), parameters: [pathParam('name'), ...nsParams, ...streamed.params] };
      continue;
    }
    const model = s.name === 'status' ? r.model : `V1${s.kind}`;
    if (!modelFields(model)) continue;
    const ref = { $ref: `#/components/schemas/${s.name === 'status' ? set.addKind(model, subGvk) : set.addModel(model, subGvk.group)}` };
    const id = (verb: string) => `${verb}${infix}${scope}${r.kind}${s.name[0]!.toUpperCase()}${s.name.slice(1)}`;
    const sub: JsonSchema = {};
    if (s.verbs.includes('get')) sub.get = operation({ id: id('read'), action: 'get', gvk: subGvk, params: [], response: ref });
    if (s.verbs.includes('create')) sub.post = operation({ id: id('create'), action: 'post', gvk: subGvk, params: WRITE_PARAMS, body: ref, response: ref, created: true });
    if (s.verbs.includes('update')) sub.put = operation({ id: id('replace'), action: 'put', gvk: subGvk, params: WRITE_PARAMS, body: ref, response: ref, created: true });
    if (s.verbs.includes('patch')) sub.patch = operation({ id: id('patch'), action: 'patch', gvk: subGvk, params: [...WRITE_PARAMS, query('force', 'boolean')], body: meta('V1Patch'), patch: true, response: ref, created: true });
    paths[`${base}/{name}/${s.name}`] = { ...sub, parameters: [pathParam('name'), ...nsParams] };
  }

  if (r.namespaced && has('list')) {
    paths[`${prefix}/${r.resource}`] = { get: operation({ id: `list${infix}${r.kind}ForAllNamespaces`, action: 'list', gvk, params: LIST_PARAMS, response: listRef }), parameters: [] };
  }
}

/** The reviews (create-only, never stored): a POST each. */
function virtualPaths(set: SchemaSet, group: string, version: string, paths: Record<string, JsonSchema>): void {
  for (const v of VIRTUAL_RESOURCES.filter((x) => x.group === group && x.version === version)) {
    const model = `V1${v.kind}`;
    if (!modelFields(model) || !v.verbs.includes('create')) continue;
    const gvk = { group, version, kind: v.kind };
    const ref = { $ref: `#/components/schemas/${set.addKind(model, gvk)}` };
    const ns = v.namespaced ? '/namespaces/{namespace}' : '';
    const id = `create${operationInfix(group, version)}${v.namespaced ? 'Namespaced' : ''}${v.kind}`;
    paths[`/${gvPath(group, version)}${ns}/${v.resource}`] = { post: operation({ id, action: 'post', gvk, params: WRITE_PARAMS, body: ref, response: ref, created: true }), parameters: v.namespaced ? [pathParam('namespace')] : [] };
  }
}

function buildDocument(group: string, version: string, serverVersion: string): Record<string, unknown> | undefined {
  const set = new SchemaSet(coreRoots());
  const paths: Record<string, JsonSchema> = {};
  for (const r of RESOURCES.filter((x) => x.group === group && x.version === version)) resourcePaths(set, r, paths);
  virtualPaths(set, group, version, paths);
  if (Object.keys(paths).length === 0) return undefined;
  const schemas = Object.fromEntries(Object.entries(set.schemas).sort(([a], [b]) => a.localeCompare(b)));
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: serverVersion },
    paths,
    components: { schemas, securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } } },
    security: [{ BearerToken: [] }],
  };
}

function served(body: unknown): Served {
  const document = Buffer.from(JSON.stringify(body), 'utf8');
  return { document, hash: createHash('sha512').update(document).digest('hex').toUpperCase() };
}

/** The documents of one Kubernetes version (they are the same for every cluster of that version). */
interface Documents {
  index: Served;
  groupVersions: Map<string, Served>;
}

const cache = new Map<string, Documents>();

function documents(cluster: ClusterView): Documents {
  const serverVersion = kubernetesVersion(cluster.config).gitVersion;
  let docs = cache.get(serverVersion);
  if (!docs) {
    const gvs = new Map<string, Served>();
    for (const { group, version } of groupVersions()) {
      const body = buildDocument(group, version, serverVersion);
      if (body) gvs.set(gvPath(group, version), served(body));
    }
    const paths = Object.fromEntries([...gvs].map(([p, s]) => [p, { serverRelativeURL: `/openapi/v3/${p}?hash=${s.hash}` }]));
    docs = { index: served({ paths }), groupVersions: gvs };
    cache.set(serverVersion, docs);
  }
  return docs;
}

/** Whether the Accept header takes JSON (the only form served here; upstream also has protobuf). */
function acceptsJson(accept: string | undefined): boolean {
  if (!accept) return true;
  return accept.split(',').some((clause) => {
    const type = clause.split(';')[0]!.trim().toLowerCase();
    return type === '*/*' || type === 'application/*' || type === 'application/json';
  });
}

function sendDocument(c: RequestContext, s: Served): FastifyReply {
  const etag = `"${s.hash}"`;
  c.reply.header('Etag', etag).header('Content-Type', 'application/json');
  if (c.req.headers['if-none-match'] === etag) return c.reply.code(304).send();
  return c.reply.code(200).send(s.document);
}

/** GET /openapi/v3 and /openapi/v3/<gv> (parts: ["openapi", "v3", ...]). */
export function openapiV3(c: RequestContext, parts: string[]): FastifyReply {
  if (c.req.method !== 'GET' && c.req.method !== 'HEAD') throw kubeErrors.pathNotFound();
  const docs = documents(c.cluster);
  if (parts.length === 2) return sendDocument(c, docs.index);
  const path = parts.slice(2).join('/');
  const doc = docs.groupVersions.get(path);
  if (!doc) throw kubeErrors.pathNotFound();
  c.reply.header('Vary', 'Accept');
  if (!acceptsJson(c.req.headers.accept)) return c.reply.code(406).send();
  const hash = c.url.searchParams.get('hash');
  if (hash) {
    if (hash !== doc.hash) return c.reply.code(301).header('Location', `/openapi/v3/${path}?hash=${doc.hash}`).send();
    c.reply.header('Cache-Control', 'public, immutable');
    c.reply.header('Expires', new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString());
  }
  return sendDocument(c, doc);
}
