/**
 * What an authorizer is asked (SPEC Z-3): kube-apiserver's authorizer.Attributes, built from a request the way
 * its RequestInfo resolver reads the URL, and the Forbidden Status a refusal becomes (upstream's words).
 */
import { KubeError } from '../api/machinery/errors.js';
import type { UserInfo } from '../auth.js';

export interface ResourceAttributes {
  resourceRequest: true;
  verb: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  /** '' for a cluster-scoped request (a namespace object's own requests carry its name, as upstream). */
  namespace: string;
  name: string;
}

export interface NonResourceAttributes {
  resourceRequest: false;
  verb: string;
  path: string;
}

export type Attributes = ResourceAttributes | NonResourceAttributes;

export interface Decision {
  allowed: boolean;
  /** Why (allowed: the binding that allowed it; refused: what the refusal message appends, possibly ''). */
  reason: string;
  /** An explicit deny (no later authorizer may allow). */
  denied?: boolean;
}

/** Answers whether `user` may do what `attributes` describe. One per cluster. */
export interface Authorizer {
  authorize(user: UserInfo, attributes: Attributes): Promise<Decision>;
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/**
 * The attributes of a request on `/api/...` or `/apis/...` (`parts`: the decoded path segments), or of any other
 * path as a non-resource request, as kube-apiserver's RequestInfoFactory derives them.
 */
export function requestAttributes(method: string, parts: string[], query: URLSearchParams): Attributes {
  const m = method.toUpperCase();
  const path = `/${parts.join('/')}`;
  const nonResource = (): NonResourceAttributes => ({ resourceRequest: false, verb: m === 'HEAD' ? 'head' : m.toLowerCase(), path });
  let rest: string[];
  let apiGroup: string;
  let apiVersion: string;
  if (parts[0] === 'api' && parts.length >= 3) {
    apiGroup = '';
    apiVersion = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    apiGroup = parts[1]!;
    apiVersion = parts[2]!;
    rest = parts.slice(3);
  } else {
    return nonResource();
  }
  let verb = ({ POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<string, string>)[m];
  if (!verb) return nonResource();
  // The deprecated /watch/ prefix.
  if (rest[0] === 'watch') {
    verb = 'watch';
    rest = rest.slice(1);
  }
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1]!;
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  const resource = rest[0] ?? '';
  const name = rest[1] ?? '';
  const subresource = rest.length >= 3 ? rest.slice(2).join('/') : '';
  if (verb === 'get' && (query.get('watch') === 'true' || query.get('watch') === '1')) verb = 'watch';
  if (!name && verb === 'get') verb = 'list';
  if (!name && verb === 'delete') verb = 'deletecollection';
  let effectiveName = name;
  // A list or watch of one object by field selector is a request on that name (upstream does the same).
  if (!name && (verb === 'list' || verb === 'watch')) {
    const selector = query.get('fieldSelector') ?? '';
    const single = /^metadata\.name==?([^,]+)$/.exec(selector);
    if (single) effectiveName = single[1]!;
  }
  return { resourceRequest: true, verb, apiGroup, apiVersion, resource, subresource, namespace, name: effectiveName };
}

/** `pods/exec` or `pods`: how upstream names a resource and its subresource in messages and rules. */
export function combinedResource(a: ResourceAttributes): string {
  return a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
}

/** Upstream's "User %q cannot ..." sentence. */
export function forbiddenSentence(username: string, a: Attributes): string {
  if (!a.resourceRequest) return `User ${JSON.stringify(username)} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  const where = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
  return `User ${JSON.stringify(username)} cannot ${a.verb} resource ${JSON.stringify(combinedResource(a))} in API group ${JSON.stringify(a.apiGroup)} ${where}`;
}

/** The 403 Status kube-apiserver answers a refused request with (responsewriters.Forbidden). */
export function forbidden(username: string, a: Attributes, reason: string): KubeError {
  const why = reason ? `${forbiddenSentence(username, a)}: ${reason}` : forbiddenSentence(username, a);
  if (!a.resourceRequest) return new KubeError(403, 'Forbidden', `forbidden: ${why}`, {});
  const qualified = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  const head = a.name ? `${qualified} ${JSON.stringify(a.name)}` : qualified;
  return new KubeError(403, 'Forbidden', `${head} is forbidden: ${why}`, {
    ...(a.name ? { name: a.name } : {}),
    ...(a.apiGroup ? { group: a.apiGroup } : {}),
    kind: a.resource,
  });
}
