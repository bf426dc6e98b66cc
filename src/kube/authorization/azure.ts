/**
 * Azure RBAC for Kubernetes authorization (SPEC Z-3, `aadProfile.enableAzureRBAC`): a request of an Entra
 * identity is a data action of Microsoft.ContainerService/managedClusters at the cluster's resource id (cluster
 * scope) or `<cluster id>/namespaces/<ns>`, checked against the caller's Azure role assignments (an assignment at
 * the cluster, its resource group or subscription covers it by inheritance).
 */
import type { Attributes, ResourceAttributes } from './attributes.js';

const PREFIX = 'Microsoft.ContainerService/managedClusters';
const CONNECT_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy']);

const ACTION_OF_VERB: Record<string, string> = {
  get: 'read',
  list: 'read',
  watch: 'read',
  create: 'write',
  update: 'write',
  patch: 'write',
  delete: 'delete',
  deletecollection: 'delete',
};

/** The data action of a resource request (`.../managedClusters/apps/deployments/write`); undefined otherwise. */
export function dataActionOf(a: Attributes): string | undefined {
  if (!a.resourceRequest) return undefined;
  const path = a.apiGroup ? `${a.apiGroup}/${a.resource}` : a.resource;
  if (a.subresource && CONNECT_SUBRESOURCES.has(a.subresource)) return `${PREFIX}/${path}/${a.subresource}/action`;
  const action = ACTION_OF_VERB[a.verb];
  return action ? `${PREFIX}/${path}/${action}` : `${PREFIX}/${path}/${a.verb}/action`;
}

/** The Azure scope of a resource request on cluster `armId`. */
export function dataActionScope(armId: string, a: ResourceAttributes): string {
  return a.namespace ? `${armId}/namespaces/${a.namespace}` : armId;
}

/** The reason AKS appends to a refusal when Azure RBAC was asked. */
export const AZURE_DENIED_REASON = 'User does not have access to the resource in Azure. Update role assignment to allow access.';
