/**
 * API discovery: the legacy documents (`/api` APIVersions, `/apis` APIGroupList, `/api/v1` APIResourceList, ...)
 * and aggregated discovery (apidiscovery.k8s.io v2 and v2beta1, one document for `/api` and one for `/apis`),
 * built from the served resources so that discovery and serving can never disagree. kubectl 1.27–1.33 asks for
 * aggregated discovery first (1.29 only for v2beta1) and caches the result under ~/.kube/cache/discovery.
 */
import { RESOURCES, servedGroupVersions } from '../../resources/index.js';
import type { ResourceDef, Verb } from '../machinery/resource.js';

/**
 * "Virtual" resources: discoverable, never stored. The create-only reviews, and the read-only metrics that
 * metrics-server serves in AKS (computed from the simulated pods, metrics.ts).
 */
export interface VirtualResource {
  group: string;
  version: string;
  resource: string;
  singular: string;
  kind: string;
  verbs: Verb[];
  namespaced?: boolean;
}

export const VIRTUAL_RESOURCES: VirtualResource[] = [
  { group: 'authentication.k8s.io', version: 'v1', resource: 'selfsubjectreviews', singular: 'selfsubjectreview', kind: 'SelfSubjectReview', verbs: ['create'] },
  { group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectaccessreviews', singular: 'selfsubjectaccessreview', kind: 'SelfSubjectAccessReview', verbs: ['create'] },
  { group: 'authorization.k8s.io', version: 'v1', resource: 'subjectaccessreviews', singular: 'subjectaccessreview', kind: 'SubjectAccessReview', verbs: ['create'] },
  { group: 'authorization.k8s.io', version: 'v1', resource: 'localsubjectaccessreviews', singular: 'localsubjectaccessreview', kind: 'LocalSubjectAccessReview', verbs: ['create'], namespaced: true },
  { group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectrulesreviews', singular: 'selfsubjectrulesreview', kind: 'SelfSubjectRulesReview', verbs: ['create'] },
  { group: 'metrics.k8s.io', version: 'v1beta1', resource: 'nodes', singular: '', kind: 'NodeMetrics', verbs: ['get', 'list'] },
  { group: 'metrics.k8s.io', version: 'v1beta1', resource: 'pods', singular: '', kind: 'PodMetrics', verbs: ['get', 'list'], namespaced: true },
];

export function groupVersions(): Array<{ group: string; version: string }> {
  const all = [...servedGroupVersions()];
  for (const v of VIRTUAL_RESOURCES) if (!all.some((gv) => gv.group === v.group && gv.version === v.version)) all.push({ group: v.group, version: v.version });
  return all.sort((a, b) => (a.group === '' ? -1 : b.group === '' ? 1 : a.group.localeCompare(b.group)));
}

export function servesGroupVersion(group: string, version: string): boolean {
  return groupVersions().some((gv) => gv.group === group && gv.version === version);
}

export function servesGroup(group: string): boolean {
  return groupVersions().some((gv) => gv.group === group);
}

function gvString(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(group: string): Record<string, unknown> {
  const versions = groupVersions()
    .filter((gv) => gv.group === group)
    .map((gv) => ({ groupVersion: gvString(gv.group, gv.version), version: gv.version }));
  return { name: group, versions, preferredVersion: versions[0] };
}

export function apiGroupList(): Record<string, unknown> {
  const groups = [...new Set(groupVersions().filter((gv) => gv.group !== '').map((gv) => gv.group))];
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(apiGroup) };
}

export function apiGroupDocument(group: string): Record<string, unknown> {
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group) };
}

function resourcesOf(group: string, version: string): { served: ResourceDef[]; virtual: VirtualResource[] } {
  return {
    served: RESOURCES.filter((r) => r.group === group && r.version === version).sort((a, b) => a.resource.localeCompare(b.resource)),
    virtual: VIRTUAL_RESOURCES.filter((r) => r.group === group && r.version === version),
  };
}

export function apiResourceList(group: string, version: string): Record<string, unknown> {
  const { served, virtual } = resourcesOf(group, version);
  const resources: Array<Record<string, unknown>> = [];
  for (const r of served) {
    resources.push({
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      ...(r.categories ? { categories: r.categories } : {}),
    });
    for (const s of r.subresources) {
      resources.push({ name: `${r.resource}/${s.name}`, singularName: '', namespaced: r.namespaced, ...(s.group !== undefined ? { group: s.group, version: s.version } : {}), kind: s.kind, verbs: s.verbs });
    }
  }
  for (const v of virtual) resources.push({ name: v.resource, singularName: v.singular, namespaced: v.namespaced ?? false, kind: v.kind, verbs: v.verbs });
  return { kind: 'APIResourceList', ...(group ? { apiVersion: 'v1' } : {}), groupVersion: gvString(group, version), resources };
}

function discoveryVersion(group: string, version: string): Record<string, unknown> {
  const { served, virtual } = resourcesOf(group, version);
  const resources: Array<Record<string, unknown>> = served.map((r) => ({
    resource: r.resource,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
    ...(r.shortNames ? { shortNames: r.shortNames } : {}),
    ...(r.categories ? { categories: r.categories } : {}),
    ...(r.subresources.length > 0
      ? {
          subresources: r.subresources.map((s) => ({
            subresource: s.name,
            responseKind: { group: s.group ?? r.group, version: s.version ?? r.version, kind: s.kind },
            verbs: s.verbs,
          })),
        }
      : {}),
  }));
  for (const v of virtual) {
    resources.push({ resource: v.resource, responseKind: { group: v.group, version: v.version, kind: v.kind }, scope: v.namespaced ? 'Namespaced' : 'Cluster', singularResource: v.singular, verbs: v.verbs });
  }
  return { version, resources, freshness: 'Current' };
}

/** The aggregated document for `/api` (legacy: true) or `/apis`. */
export function aggregatedDiscovery(legacy: boolean, version: 'v2' | 'v2beta1'): Record<string, unknown> {
  const gvs = groupVersions().filter((gv) => (legacy ? gv.group === '' : gv.group !== ''));
  const groups = [...new Set(gvs.map((gv) => gv.group))];
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.map((g) => ({
      metadata: { ...(g ? { name: g } : {}), creationTimestamp: null },
      versions: gvs.filter((gv) => gv.group === g).map((gv) => discoveryVersion(g, gv.version)),
    })),
  };
}
