/**
 * The scale subresource of apps/v1 workloads (SPEC W-4): an autoscaling/v1 Scale view of the object, whose
 * spec.replicas is the workload's and whose status carries the observed replicas and the selector in
 * label-selector syntax. `kubectl scale` reads it and writes it with a merge patch (or a PUT with a precondition).
 */
import type { FastifyReply } from 'fastify';
import { kubeErrors } from '../machinery/errors.js';
import type { ResourceDef } from '../machinery/resource.js';
import { applyPatch, checkPatchDocument, type PatchType } from '../registry/patch.js';
import { decodeAsKind } from '../registry/decode.js';
import { invalid } from '../registry/strategy.js';
import type { KubeObject } from '../../../clusters/stored-object.js';
import { selectorString } from '../../resources/apps-common.js';
import type { LabelSelector } from '../machinery/types.js';
import { parseBody } from './body.js';
import { type RequestContext, type ResourcePath, decodeBody, dryRun, fieldManagerOf, fieldValidationOf, rawBody, send } from './request.js';

interface Scalable extends KubeObject {
  spec?: { replicas?: number; selector?: LabelSelector };
  status?: { replicas?: number };
}

interface Scale extends KubeObject {
  spec?: { replicas?: number };
}

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
};

function scaleDef(def: ResourceDef): ResourceDef {
  return { ...def, group: 'autoscaling', version: 'v1', kind: 'Scale', model: 'V1Scale', subresources: [] };
}

function toScale(obj: Scalable): Scale {
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: obj.spec?.replicas ?? 0 },
    status: { replicas: obj.status?.replicas ?? 0, selector: selectorString(obj.spec?.selector) },
  } as Scale;
}

export async function scaleSubresource(c: RequestContext, def: ResourceDef, path: ResourcePath): Promise<FastifyReply> {
  const method = c.req.method.toUpperCase();
  const name = path.name!;
  const fieldManager = method === 'GET' ? undefined : fieldManagerOf(c, method === 'PUT' ? 'UpdateOptions' : 'PatchOptions');
  const current = await c.registry.get<Scalable>(def, path.namespace, name);
  if (method === 'GET') return send(c.reply, 200, toScale(current));
  let wanted: Scale;
  let precondition: string | undefined;
  if (method === 'PUT') {
    wanted = decodeBody(c, scaleDef(def)).obj as Scale;
    precondition = wanted.metadata?.resourceVersion || undefined;
    if (wanted.metadata?.name && wanted.metadata.name !== name) throw kubeErrors.badRequest(`the name of the object (${wanted.metadata.name}) does not match the name on the URL (${name})`);
  } else if (method === 'PATCH') {
    const type = PATCH_TYPES[(c.req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()];
    if (!type) throw kubeErrors.unsupportedMediaType(c.req.headers['content-type'] ?? '', Object.keys(PATCH_TYPES));
    const patch = parseBody(rawBody(c.req), 'json', 'Scale', false).value;
    checkPatchDocument(type, patch);
    const patched = applyPatch(scaleDef(def), toScale(current) as unknown as Record<string, unknown>, type, patch);
    wanted = decodeAsKind(scaleDef(def), { value: patched, duplicates: [] }, fieldValidationOf(c.url), 'patch').obj as Scale;
  } else {
    throw kubeErrors.methodNotAllowed(method, { group: def.group, resource: def.resource });
  }
  const replicas = wanted.spec?.replicas ?? 0;
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw invalid(scaleDef(def), name, [{ type: 'FieldValueInvalid', field: 'spec.replicas', value: replicas, detail: 'must be greater than or equal to 0' }]);
  }
  const next = { ...current, metadata: { ...current.metadata, resourceVersion: precondition }, spec: { ...current.spec, replicas } };
  // Recorded on the workload as the manager's through the scale subresource (upstream's scale handler does the same).
  const res = await c.registry.update<Scalable>(def, path.namespace, name, next, { dryRun: dryRun(c.url), fieldManager, subresource: 'scale' });
  return send(c.reply, 200, toScale(res.obj));
}
