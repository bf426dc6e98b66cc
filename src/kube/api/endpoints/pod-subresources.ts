/**
 * The pods' own subresources: log (the simulated containers' logs, pod-log.ts), attach and exec (upgrades served
 * by src/kube/streams; a plain request is refused), eviction and binding.
 */
import type { FastifyReply } from 'fastify';
import { bodyFormat, parseBody } from './body.js';
import { servePodLog } from './pod-log.js';
import { kubeErrors, successStatus } from '../machinery/errors.js';
import type { DeleteOptions } from '../registry/registry.js';
import { bindPod } from '../registry/pod-binding.js';
import { evictPod } from '../registry/eviction.js';
import type { ResourceDef } from '../machinery/resource.js';
import { parseStreamOptions, resolveStreamTarget } from '../../streams/target.js';
import { type RequestContext, type ResourcePath, dryRun, rawBody, send } from './request.js';

/** pods/eviction (policy/v1 Eviction): a delete with the eviction's options that respects disruption budgets (SPEC W-13). */
async function evict(c: RequestContext, path: ResourcePath): Promise<FastifyReply> {
  const parsed = parseBody(rawBody(c.req), bodyFormat(c.req.headers['content-type']), 'Eviction', false).value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw kubeErrors.badRequest('the object provided is unrecognized (must be of type Eviction)');
  const e = parsed as { kind?: string; metadata?: { name?: string }; deleteOptions?: { gracePeriodSeconds?: number; preconditions?: { uid?: string; resourceVersion?: string } } };
  if (e.kind !== undefined && e.kind !== 'Eviction') throw kubeErrors.badRequest(`${e.kind} in version "v1" cannot be handled as a Eviction: no kind "${e.kind}" is registered for version "policy/v1"`);
  if (e.metadata?.name !== path.name) throw kubeErrors.badRequest(`name in URL does not match name in Eviction object`);
  const opts: DeleteOptions = { dryRun: dryRun(c.url) };
  if (typeof e.deleteOptions?.gracePeriodSeconds === 'number') opts.gracePeriodSeconds = e.deleteOptions.gracePeriodSeconds;
  if (e.deleteOptions?.preconditions) opts.preconditions = e.deleteOptions.preconditions;
  await evictPod(c.registry, path.namespace!, path.name!, opts);
  return send(c.reply, 201, { ...successStatus({}), code: 201 });
}

function decodeBinding(c: RequestContext): { obj: Record<string, unknown> } {
  const parsed = parseBody(rawBody(c.req), bodyFormat(c.req.headers['content-type']), 'Binding', false).value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw kubeErrors.badRequest('the object provided is unrecognized (must be of type Binding)');
  const o = parsed as Record<string, unknown>;
  // SPEC R-4: a kind of the wrong JSON type fails the decode (String() of an object with a "toString" key throws).
  if (o.kind !== undefined && typeof o.kind !== 'string') throw kubeErrors.badRequest(`json: cannot unmarshal ${Array.isArray(o.kind) ? 'array' : o.kind === null ? 'null' : typeof o.kind} into Go struct field Binding.kind of type string`);
  if (o.kind !== undefined && o.kind !== 'Binding') throw kubeErrors.badRequest(`${o.kind} in version "v1" cannot be handled as a Binding: no kind "${o.kind}" is registered for version "v1"`);
  return { obj: o };
}

/** The subresources only pods have (status is generic); `podSubresource` serves them. */
export const POD_SUBRESOURCES = ['log', 'attach', 'exec', 'eviction', 'binding'];

export async function podSubresource(c: RequestContext, def: ResourceDef, path: ResourcePath, name: string): Promise<FastifyReply> {
  const method = c.req.method.toUpperCase();
  const gr = { group: def.group, resource: def.resource };
  const ns = path.namespace;
  const reg = c.registry;
  if (name === 'log') {
    if (method !== 'GET') throw kubeErrors.methodNotAllowed(method, gr);
    return servePodLog(c, def, path);
  }
  if (name === 'attach' || name === 'exec') {
    // SPEC C-9: the streams are upgrades (src/kube/streams); a plain request is refused after the pod is checked.
    if (method !== 'GET' && method !== 'POST') throw kubeErrors.methodNotAllowed(method, gr);
    const kind = name;
    await resolveStreamTarget(reg, kind, ns!, path.name!, parseStreamOptions(kind, c.url.searchParams));
    throw kubeErrors.badRequest('Upgrade request required');
  }
  if (name === 'eviction') {
    if (method !== 'POST') throw kubeErrors.methodNotAllowed(method, gr);
    return evict(c, path);
  }
  if (name === 'binding') {
    if (method !== 'POST') throw kubeErrors.methodNotAllowed(method, gr);
    const { obj } = decodeBinding(c);
    const target = (obj as unknown as { target?: { name?: string; kind?: string } }).target;
    if (!target?.name) throw kubeErrors.invalid('Binding', '', path.name!, [{ type: 'FieldValueRequired', field: 'target.name' }]);
    if (target.kind && target.kind !== 'Node') throw kubeErrors.invalid('Binding', '', path.name!, [{ type: 'FieldValueNotSupported', field: 'target.kind', value: target.kind, detail: 'supported values: "Node"' }]);
    await bindPod(reg, ns!, path.name!, target.name, { dryRun: dryRun(c.url) });
    return send(c.reply, 201, { ...successStatus({}), code: 201 });
  }
  throw kubeErrors.pathNotFound();
}
