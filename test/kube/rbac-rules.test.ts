/** (SPEC Z-3) Kubernetes RBAC's rule evaluation, request attributes and data actions, table-driven. */
import { describe, expect, it } from 'vitest';
import { forbidden, requestAttributes, type Attributes, type ResourceAttributes } from '../../src/kube/authorization/attributes.js';
import { dataActionOf, dataActionScope } from '../../src/kube/authorization/azure.js';
import { compactRule, ruleAllows, uncoveredRules, type PolicyRule } from '../../src/kube/authorization/rules.js';

const res = (verb: string, apiGroup: string, resource: string, extra: Partial<ResourceAttributes> = {}): ResourceAttributes => ({
  resourceRequest: true,
  verb,
  apiGroup,
  apiVersion: 'v1',
  resource,
  subresource: '',
  namespace: 'ns',
  name: '',
  ...extra,
});
const url = (verb: string, path: string): Attributes => ({ resourceRequest: false, verb, path });

describe('ruleAllows', () => {
  const cases: Array<[string, PolicyRule, Attributes, boolean]> = [
    ['exact verb, group and resource', { verbs: ['get'], apiGroups: [''], resources: ['pods'] }, res('get', '', 'pods'), true],
    ['another verb', { verbs: ['get'], apiGroups: [''], resources: ['pods'] }, res('list', '', 'pods'), false],
    ['verb *', { verbs: ['*'], apiGroups: [''], resources: ['pods'] }, res('delete', '', 'pods'), true],
    ['another group', { verbs: ['get'], apiGroups: ['apps'], resources: ['pods'] }, res('get', '', 'pods'), false],
    ['group *', { verbs: ['get'], apiGroups: ['*'], resources: ['deployments'] }, res('get', 'apps', 'deployments'), true],
    ['resource *', { verbs: ['get'], apiGroups: [''], resources: ['*'] }, res('get', '', 'secrets'), true],
    ['a resource does not grant its subresource', { verbs: ['create'], apiGroups: [''], resources: ['pods'] }, res('create', '', 'pods', { subresource: 'exec' }), false],
    ['resource/subresource', { verbs: ['create'], apiGroups: [''], resources: ['pods/exec'] }, res('create', '', 'pods', { subresource: 'exec' }), true],
    ['*/subresource', { verbs: ['get'], apiGroups: ['*'], resources: ['*/scale'] }, res('get', 'apps', 'deployments', { subresource: 'scale' }), true],
    ['*/subresource is not the resource', { verbs: ['get'], apiGroups: ['*'], resources: ['*/scale'] }, res('get', 'apps', 'deployments'), false],
    ['resourceNames match', { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['s1'] }, res('get', '', 'secrets', { name: 's1' }), true],
    ['resourceNames other name', { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['s1'] }, res('get', '', 'secrets', { name: 's2' }), false],
    ['resourceNames and a list (no name)', { verbs: ['list'], apiGroups: [''], resources: ['secrets'], resourceNames: ['s1'] }, res('list', '', 'secrets'), false],
    ['resource rule vs URL', { verbs: ['get'], apiGroups: [''], resources: ['pods'] }, url('get', '/healthz'), false],
    ['exact URL', { verbs: ['get'], nonResourceURLs: ['/healthz'] }, url('get', '/healthz'), true],
    ['URL prefix *', { verbs: ['get'], nonResourceURLs: ['/apis/*'] }, url('get', '/apis/apps/v1'), true],
    ['URL prefix * is a prefix only', { verbs: ['get'], nonResourceURLs: ['/apis/*'] }, url('get', '/api'), false],
    ['URL *', { verbs: ['*'], nonResourceURLs: ['*'] }, url('post', '/anything'), true],
    ['URL rule vs resource', { verbs: ['get'], nonResourceURLs: ['*'] }, res('get', '', 'pods'), false],
  ];
  it.each(cases)('%s', (_name, rule, attributes, expected) => {
    expect(ruleAllows(rule, attributes)).toBe(expected);
  });
});

describe('uncoveredRules (escalation)', () => {
  const cases: Array<[string, PolicyRule[], PolicyRule[], string[]]> = [
    ['held exactly', [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }], [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], []],
    ['held by *', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], [{ verbs: ['delete'], apiGroups: ['apps'], resources: ['deployments'] }], []],
    ['a verb missing', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], [{ verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods'] }], ['{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}']],
    ['a * verb needs a * verb', [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }], [{ verbs: ['*'], apiGroups: [''], resources: ['pods'] }], ['{APIGroups:[""], Resources:["pods"], Verbs:["*"]}']],
    ['named grant does not cover all names', [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }], [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }], ['{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}']],
    ['named grant covers its name', [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }], [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }], []],
    ['URLs by prefix', [{ verbs: ['get'], nonResourceURLs: ['/apis/*'] }], [{ verbs: ['get'], nonResourceURLs: ['/apis/apps', '/metrics'] }], ['{NonResourceURLs:["/metrics"], Verbs:["get"]}']],
  ];
  it.each(cases)('%s', (_name, owned, requested, missing) => {
    expect(uncoveredRules(owned, requested).map(compactRule)).toEqual(missing);
  });
});

describe('requestAttributes (RequestInfo)', () => {
  const q = (s = '') => new URLSearchParams(s);
  const cases: Array<[string, string, string, Partial<Attributes>]> = [
    ['GET', '/api/v1/namespaces/default/pods', '', { verb: 'list', resource: 'pods', namespace: 'default', name: '' }],
    ['GET', '/api/v1/namespaces/default/pods', 'watch=true', { verb: 'watch', resource: 'pods' }],
    ['GET', '/api/v1/namespaces/default/pods', 'fieldSelector=metadata.name%3Dp1&watch=1', { verb: 'watch', name: 'p1' }],
    ['GET', '/api/v1/namespaces/default/pods/p1/log', '', { verb: 'get', resource: 'pods', subresource: 'log', name: 'p1' }],
    ['POST', '/api/v1/namespaces/default/pods/p1/exec', '', { verb: 'create', resource: 'pods', subresource: 'exec' }],
    ['DELETE', '/api/v1/namespaces/default/secrets', '', { verb: 'deletecollection', resource: 'secrets' }],
    ['GET', '/api/v1/namespaces/team', '', { verb: 'get', resource: 'namespaces', namespace: 'team', name: 'team' }],
    ['PUT', '/api/v1/namespaces/team/finalize', '', { verb: 'update', resource: 'namespaces', subresource: 'finalize', namespace: 'team' }],
    ['PATCH', '/apis/rbac.authorization.k8s.io/v1/clusterroles/view', '', { verb: 'patch', apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterroles', namespace: '', name: 'view' }],
    ['GET', '/apis/apps/v1', '', { resourceRequest: false, verb: 'get', path: '/apis/apps/v1' }],
    ['GET', '/healthz', '', { resourceRequest: false, verb: 'get', path: '/healthz' }],
    ['POST', '/api', '', { resourceRequest: false, verb: 'post', path: '/api' }],
  ];
  it.each(cases)('%s %s?%s', (method, path, query, expected) => {
    expect(requestAttributes(method, path.split('/').filter(Boolean), q(query))).toMatchObject(expected);
  });
});

describe('Azure RBAC data actions', () => {
  const P = 'Microsoft.ContainerService/managedClusters';
  const cases: Array<[ResourceAttributes, string]> = [
    [res('list', '', 'pods'), `${P}/pods/read`],
    [res('watch', '', 'pods'), `${P}/pods/read`],
    [res('patch', 'apps', 'deployments'), `${P}/apps/deployments/write`],
    [res('deletecollection', '', 'secrets'), `${P}/secrets/delete`],
    [res('create', '', 'pods', { subresource: 'exec' }), `${P}/pods/exec/action`],
    [res('get', '', 'pods', { subresource: 'attach' }), `${P}/pods/attach/action`],
    [res('bind', 'rbac.authorization.k8s.io', 'clusterroles'), `${P}/rbac.authorization.k8s.io/clusterroles/bind/action`],
    [res('impersonate', '', 'users', { namespace: '' }), `${P}/users/impersonate/action`],
  ];
  it.each(cases)('%o → %s', (attributes, action) => {
    expect(dataActionOf(attributes)).toBe(action);
  });
  it('scopes namespaced requests below the cluster', () => {
    expect(dataActionScope('/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/c', res('get', '', 'pods', { namespace: 'team' }))).toBe('/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/c/namespaces/team');
    expect(dataActionOf(url('get', '/metrics'))).toBeUndefined();
  });
});

describe('Forbidden Status', () => {
  it('words refusals as kube-apiserver does', () => {
    const named = forbidden('x', res('get', '', 'secrets', { name: 's1' }), '').toStatus();
    expect(named.message).toBe('secrets "s1" is forbidden: User "x" cannot get resource "secrets" in API group "" in the namespace "ns"');
    expect(named.details).toEqual({ name: 's1', kind: 'secrets' });
    expect(forbidden('x', res('list', 'apps', 'deployments', { namespace: '' }), '').message).toBe('deployments.apps is forbidden: User "x" cannot list resource "deployments" in API group "apps" at the cluster scope');
    expect(forbidden('x', res('create', '', 'pods', { subresource: 'exec', name: 'p' }), 'why').message).toBe('pods "p" is forbidden: User "x" cannot create resource "pods/exec" in API group "" in the namespace "ns": why');
    const path = forbidden('x', url('get', '/metrics'), '').toStatus();
    expect(path.message).toBe('forbidden: User "x" cannot get path "/metrics"');
    expect(path.code).toBe(403);
  });
});
