/**
 * Requests on a served resource (/api/v1/..., /apis/<g>/<v>/...): collection and object verbs, the generic
 * subresources (status, finalize; scale in scale-subresource.ts), patches and server-side apply, and watches.
 */
import type { FastifyReply } from 'fastify';
import { findResource, services } from '../../resources/index.js';
import { admitServiceAddresses } from './service-admission.js';
import type { Service } from '../machinery/types.js';
import { parseBody } from './body.js';
import { decodeAsKind, type FieldValidation } from '../registry/decode.js';
import { VIRTUAL_RESOURCES } from './discovery.js';
import { kubeErrors, successStatus } from '../machinery/errors.js';
import { negotiateObject, type OutputKind } from '../machinery/negotiation.js';
import type { PatchType } from '../registry/registry.js';
import { checkFieldSelector } from '../registry/selection.js';
import { checkPatchedName } from '../registry/strategy.js';
import type { ResourceDef } from '../machinery/resource.js';
import type { KubeObject } from '../../../clusters/stored-object.js';
import { serveWatch, validateWatchOptions } from './watch.js';
import { type RequestContext, type ResourcePath, decodeBody, deleteOptions, dryRun, fieldManagerOf, fieldValidationOf, includeObject, listOptions, queryBool, queryInt, rawBody, send, sendList, sendObject } from './request.js';
import { POD_SUBRESOURCES, podSubresource } from './pod-subresources.js';
import { reviews } from './reviews.js';
import { METRICS_GROUP, metricsRequest } from './metrics.js';
import { scaleSubresource } from './scale-subresource.js';
import { checkEscalation, isRbacResource } from '../../authorization/escalation.js';
import type { WriteOptions } from '../registry/registry.js';

const PATCH_TYPES: Record<string, PatchType | 'apply'> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

/** The admission a write of this kind gets: the RBAC resources' escalation check (SPEC Z-3), Services' addresses (SPEC W-27). */
function admission(c: RequestContext, def: ResourceDef): Pick<WriteOptions, 'admit'> {
  const user = c.user;
  if (user && isRbacResource(def.group, def.resource)) return { admit: (obj: KubeObject) => checkEscalation(c.authorizer, c.registry, user, def.resource, obj) };
  if (def === services) return { admit: (obj: KubeObject) => admitServiceAddresses(c.registry, c.cluster.config.serviceCidr, obj as Service) };
  return {};
}

/** A write's options: dryRun, its field manager (SPEC W-18) and the kind's admission. */
function writeOptions(c: RequestContext, def: ResourceDef, options: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions', apply = false): WriteOptions {
  return { dryRun: dryRun(c.url), fieldManager: fieldManagerOf(c, options, apply), ...admission(c, def) };
}

export async function resourceRequest(c: RequestContext, path: ResourcePath): Promise<FastifyReply | void> {
  if (path.group === METRICS_GROUP) return metricsRequest(c, path);
  const virtual = VIRTUAL_RESOURCES.find((v) => v.group === path.group && v.version === path.version && v.resource === path.resource);
  // A review is posted to its collection: cluster-wide, or in a namespace for the namespaced one (LocalSubjectAccessReview).
  if (virtual && !path.name && !path.subresource && (virtual.namespaced ? path.namespace !== undefined : path.namespace === undefined)) {
    return reviews(c, path.group, path.resource, path.namespace);
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
    if (POD_SUBRESOURCES.includes(sub.name)) return podSubresource(c, def, path, sub.name);
    if (sub.name === 'scale') return scaleSubresource(c, def, path);
    // status / finalize
    if (method === 'GET' && sub.verbs.includes('get')) return sendObject(c, def, 200, await reg.get(def, ns, path.name));
    if (method === 'PUT' && sub.verbs.includes('update')) {
      const { obj, warnings } = decodeBody(c, def);
      const res = await reg.update(def, ns, path.name, obj, { ...writeOptions(c, def, 'UpdateOptions'), subresource: sub.name });
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
        return sendList(c, def, res.items, {
          resourceVersion: res.resourceVersion,
          ...(res.continueToken ? { continue: res.continueToken } : {}),
          ...(res.remainingItemCount !== undefined ? { remainingItemCount: res.remainingItemCount } : {}),
        });
      }
      case 'POST': {
        if (!def.verbs.includes('create')) throw kubeErrors.methodNotAllowed(method, gr);
        const { obj, warnings } = decodeBody(c, def);
        const created = await reg.create(def, ns, obj, writeOptions(c, def, 'CreateOptions'));
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
      const res = await reg.update(def, ns, path.name, obj, writeOptions(c, def, 'UpdateOptions'));
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

async function patchRequest(c: RequestContext, def: ResourceDef, path: ResourcePath, subresource: string | undefined): Promise<FastifyReply> {
  const type = (c.req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const patchType = PATCH_TYPES[type];
  if (!patchType) throw kubeErrors.unsupportedMediaType(type, Object.keys(PATCH_TYPES));
  const fv = fieldValidationOf(c.url);
  const body = rawBody(c.req);
  const parsed = parseBody(body, patchType === 'apply' ? 'yaml' : 'json', def.kind, false).value;
  if (patchType === 'apply') return serverSideApply(c, def, path, parsed, fv, subresource);
  const res = await c.registry.patch(def, path.namespace, path.name!, patchType, parsed, { ...writeOptions(c, def, 'PatchOptions'), subresource, fieldValidation: fv });
  return sendObject(c, def, 200, res.obj, res.warnings);
}

/**
 * Server-side apply (SPEC W-19): the applied configuration, named as the URL, becomes its field manager's; the object
 * is created from it when absent. Unknown fields are refused as with Strict validation unless Ignore is asked for.
 */
async function serverSideApply(c: RequestContext, def: ResourceDef, path: ResourcePath, applied: unknown, fv: FieldValidation, subresource: string | undefined): Promise<FastifyReply> {
  const opts = writeOptions(c, def, 'PatchOptions', true);
  const { obj, warnings } = decodeAsKind(def, { value: applied, duplicates: [] }, fv === 'Warn' ? 'Strict' : fv, 'patch');
  // An applied configuration without a name takes the URL's; one naming another object is refused.
  if (obj.metadata.name) checkPatchedName(def, obj, path.namespace, path.name!);
  const config = { ...obj, metadata: { ...obj.metadata, name: path.name } };
  const force = queryBool(c.url, 'force') ?? false;
  const res = await c.registry.apply(def, path.namespace, path.name!, config, { ...opts, fieldManager: opts.fieldManager!, force, ...(subresource ? { subresource } : {}) });
  return sendObject(c, def, res.created ? 201 : 200, res.obj, warnings);
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
