/**
 * The reviews (SPEC Z-3): SelfSubjectReview (who am I), SelfSubjectAccessReview, SubjectAccessReview and
 * LocalSubjectAccessReview (may this user do that; `kubectl auth can-i`; the local one in its namespace) and
 * SelfSubjectRulesReview (`kubectl auth can-i --list`). The access
 * reviews ask the same authorizer that enforces requests, so what they answer is what is enforced.
 */
import type { FastifyReply } from 'fastify';
import type { UserInfo } from '../../auth.js';
import type { Attributes } from '../../authorization/attributes.js';
import type { PolicyRule } from '../../authorization/rules.js';
import { bodyFormat, parseBody } from './body.js';
import { VIRTUAL_RESOURCES } from './discovery.js';
import { kubeErrors, type FieldError } from '../machinery/errors.js';
import { type RequestContext, rawBody, send } from './request.js';
import { negotiatePlain } from '../machinery/negotiation.js';

type Obj = Record<string, unknown>;

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** The attributes an access review's spec asks about; throws upstream's 422 when it names none or both. */
function reviewAttributes(kind: string, spec: Obj, extraErrors: FieldError[]): Attributes {
  const ra = obj(spec.resourceAttributes);
  const nra = obj(spec.nonResourceAttributes);
  const errs: FieldError[] = [];
  if (ra && nra) errs.push({ type: 'FieldValueInvalid', field: 'spec.nonResourceAttributes', value: nra, detail: 'cannot be specified in combination with resourceAttributes' });
  if (!ra && !nra) errs.push({ type: 'FieldValueInvalid', field: 'spec.resourceAttributes', value: 'null', detail: 'exactly one of nonResourceAttributes or resourceAttributes must be specified' });
  errs.push(...extraErrors);
  if (errs.length > 0) throw kubeErrors.invalid(kind, 'authorization.k8s.io', '', errs);
  if (nra) return { resourceRequest: false, verb: str(nra.verb), path: str(nra.path) };
  return {
    resourceRequest: true,
    verb: str(ra!.verb),
    apiGroup: str(ra!.group),
    apiVersion: str(ra!.version),
    resource: str(ra!.resource),
    subresource: str(ra!.subresource),
    namespace: str(ra!.namespace),
    name: str(ra!.name),
  };
}

async function accessStatus(c: RequestContext, user: UserInfo, a: Attributes): Promise<Obj> {
  const d = await c.authorizer.authorize(user, a);
  return { allowed: d.allowed, ...(d.denied ? { denied: true } : {}), ...(d.reason ? { reason: d.reason } : {}) };
}

/** The user a SubjectAccessReview names (its extra `oid` is the Entra object id Azure RBAC asks about). */
function subjectOf(spec: Obj): UserInfo {
  const extra: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(obj(spec.extra) ?? {})) extra[k] = strings(v);
  const oid = extra.oid?.[0];
  return { username: str(spec.user), uid: str(spec.uid), groups: strings(spec.groups), extra, ...(oid ? { objectId: oid } : {}) };
}

async function rulesStatus(c: RequestContext, user: UserInfo, namespace: string): Promise<Obj> {
  const rules: PolicyRule[] = user.groups.includes('system:masters') ? [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }] : [];
  rules.push(...(await c.authorizer.rbac.rulesFor(user, namespace)));
  const resourceRules = rules.filter((r) => (r.resources ?? []).length > 0).map((r) => ({ verbs: r.verbs, apiGroups: r.apiGroups ?? [], resources: r.resources, ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}) }));
  const nonResourceRules = rules.filter((r) => (r.nonResourceURLs ?? []).length > 0).map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs }));
  // Azure role assignments are not rules: the list is then incomplete, as with any webhook authorizer.
  return { resourceRules, nonResourceRules, incomplete: c.authorizer.azureDecides(user) };
}

/**
 * A LocalSubjectAccessReview asks about one namespace, the one it is posted to: its resource attributes must name
 * that namespace (or none, which means it), and it may not ask about non-resource URLs.
 */
function localReviewProblems(spec: Obj, parsed: Obj, namespace: string): FieldError[] {
  const errs: FieldError[] = [];
  const metaNs = str(obj(parsed.metadata)?.namespace);
  if (metaNs && metaNs !== namespace) throw kubeErrors.badRequest(`spec.resourceAttributes.namespace must match namespace: ${namespace}`);
  const ra = obj(spec.resourceAttributes);
  if (ra) {
    const asked = str(ra.namespace);
    if (asked && asked !== namespace) errs.push({ type: 'FieldValueInvalid', field: 'spec.resourceAttributes.namespace', value: asked, detail: 'must match metadata.namespace' });
    else ra.namespace = namespace;
  }
  if (obj(spec.nonResourceAttributes)) errs.push({ type: 'FieldValueInvalid', field: 'spec.nonResourceAttributes', value: spec.nonResourceAttributes, detail: 'disallowed on this kind of request' });
  return errs;
}

export async function reviews(c: RequestContext, group: string, resource: string, namespace?: string): Promise<FastifyReply> {
  if (c.req.method !== 'POST') throw kubeErrors.methodNotAllowed(c.req.method, { group, resource });
  const v = VIRTUAL_RESOURCES.find((r) => r.group === group && r.resource === resource)!;
  const contentType = negotiatePlain(c.req.headers.accept);
  const parsed = obj(parseBody(rawBody(c.req), bodyFormat(c.req.headers['content-type']), v.kind, false).value) ?? {};
  const user = c.user!;
  const spec = obj(parsed.spec) ?? {};
  const base = { apiVersion: `${group}/${v.version}`, kind: v.kind, metadata: { creationTimestamp: null } };
  switch (resource) {
    case 'selfsubjectreviews':
      return send(c.reply, 201, { ...base, status: { userInfo: { username: user.username, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups, ...(Object.keys(user.extra).length ? { extra: user.extra } : {}) } } }, contentType);
    case 'selfsubjectaccessreviews':
      return send(c.reply, 201, { ...base, spec, status: await accessStatus(c, user, reviewAttributes(v.kind, spec, [])) }, contentType);
    case 'subjectaccessreviews':
    case 'localsubjectaccessreviews': {
      const subject = subjectOf(spec);
      const problems: FieldError[] = !subject.username && subject.groups.length === 0 ? [{ type: 'FieldValueInvalid', field: 'spec.user', value: '', detail: 'at least one of user or group must be specified' }] : [];
      if (namespace !== undefined) problems.push(...localReviewProblems(spec, parsed, namespace));
      const meta = namespace !== undefined ? { metadata: { namespace, creationTimestamp: null } } : {};
      return send(c.reply, 201, { ...base, ...meta, spec, status: await accessStatus(c, subject, reviewAttributes(v.kind, spec, problems)) }, contentType);
    }
    default:
      return send(c.reply, 201, { ...base, spec, status: await rulesStatus(c, user, str(spec.namespace)) }, contentType);
  }
}
