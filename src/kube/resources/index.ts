/** Every resource the clusters' Kubernetes API serves, in discovery order. */
import type { ResourceDef } from '../api/machinery/resource.js';
import { controllerrevisions } from './controllerrevisions.js';
import { daemonsets } from './daemonsets.js';
import { deployments } from './deployments.js';
import { replicasets } from './replicasets.js';
import { configmaps } from './configmaps.js';
import { cronjobs } from './cronjobs.js';
import { jobs } from './jobs.js';
import { events } from './events.js';
import { leases } from './leases.js';
import { namespaces } from './namespaces.js';
import { nodes } from './nodes.js';
import { pods } from './pods.js';
import { podtemplates } from './podtemplates.js';
import { poddisruptionbudgets } from './poddisruptionbudgets.js';
import { persistentvolumeclaims } from './persistentvolumeclaims.js';
import { persistentvolumes } from './persistentvolumes.js';
import { statefulsets } from './statefulsets.js';
import { storageclasses } from './storageclasses.js';
import { clusterrolebindings, clusterroles, rolebindings, roles } from './rbac.js';
import { secrets } from './secrets.js';
import { serviceaccounts } from './serviceaccounts.js';
import { services } from './services.js';
import type { KubeObject } from '../../clusters/stored-object.js';

export const RESOURCES: Array<ResourceDef<any>> = [
  configmaps,
  events,
  namespaces,
  nodes,
  persistentvolumeclaims,
  persistentvolumes,
  pods,
  podtemplates,
  secrets,
  serviceaccounts,
  services,
  leases,
  clusterrolebindings,
  clusterroles,
  rolebindings,
  roles,
  controllerrevisions,
  daemonsets,
  deployments,
  replicasets,
  statefulsets,
  cronjobs,
  jobs,
  poddisruptionbudgets,
  storageclasses,
];

export function findResource(group: string, version: string, resource: string): ResourceDef<KubeObject> | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
}

/** The group/versions served, core ("") first. */
export function servedGroupVersions(): Array<{ group: string; version: string }> {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of RESOURCES) seen.set(`${r.group}/${r.version}`, { group: r.group, version: r.version });
  return [...seen.values()].sort((a, b) => (a.group === '' ? -1 : b.group === '' ? 1 : a.group.localeCompare(b.group)));
}

export {
  podtemplates,
  services,
  clusterrolebindings,
  clusterroles,
  configmaps,
  controllerrevisions,
  cronjobs,
  daemonsets,
  deployments,
  replicasets,
  events,
  jobs,
  leases,
  namespaces,
  nodes,
  persistentvolumeclaims,
  persistentvolumes,
  pods,
  poddisruptionbudgets,
  rolebindings,
  roles,
  secrets,
  serviceaccounts,
  statefulsets,
  storageclasses,
};
