/**
 * Where a managed cluster's Kubernetes state lives, shared by the ARM provider (which creates clusters), the
 * fleet (whose "kubelets" register Node objects) and the clusters' Kubernetes APIs.
 *
 *   /aks/clusters/<uid>                      ClusterRecord: the link from a cluster's internal uid to its ARM id
 *   /aks/fqdn/<fqdn>                          { uid }: how the front door finds a cluster from its API host name
 *   /clusters/<uid>/registry/<resource>/...   the cluster's Kubernetes objects, under etcd keys exactly as
 *                                             kube-apiserver writes them (`/registry/secrets/<ns>/<name>`,
 *                                             `/registry/minions/<node>`), each cluster under its own prefix
 *
 * A cluster's uid is random and assigned at creation, so a cluster deleted and created again under the same
 * name starts from an empty registry.
 */
import { getJson } from '../store/json.js';
import type { Store } from '../store/store.js';

export interface ClusterRecord {
  uid: string;
  /** The managed cluster's ARM resource id (casing as created). */
  armId: string;
  /** The API server's host name, `<dnsPrefix>-<hash>.hcp.<location>.azmk8s.io`. */
  fqdn: string;
  createdAt: string;
  /**
   * How many times the cluster's certificates were rotated (rotateClusterCertificates): local-account credentials
   * handed out before the last rotation no longer authenticate (SPEC C-13).
   */
  certificateEpoch?: number;
  /** How many times the service account signing keys were rotated (rotateServiceAccountSigningKeys, SPEC C-13). */
  serviceAccountKeyEpoch?: number;
}

export const clusterRecordKey = (uid: string) => `/aks/clusters/${uid}`;
export const clusterByFqdnKey = (fqdn: string) => `/aks/fqdn/${fqdn.toLowerCase()}`;

/** The store prefix of one cluster's Kubernetes objects (everything after it is a real etcd key). */
export const clusterPrefix = (uid: string) => `/clusters/${uid}`;

/**
 * The etcd key kube-apiserver uses for an object: `/registry/<resource>/<namespace>/<name>` for namespaced
 * resources, `/registry/<resource>/<name>` for cluster-scoped ones. Nodes are stored as "minions", as upstream.
 */
export function etcdKey(resource: string, namespace: string | undefined, name: string): string {
  const stored = resource === 'nodes' ? 'minions' : resource;
  return namespace ? `/registry/${stored}/${namespace}/${name}` : `/registry/${stored}/${name}`;
}

/** The full store key of an object of cluster `uid`. */
export function registryKey(uid: string, resource: string, namespace: string | undefined, name: string): string {
  return `${clusterPrefix(uid)}${etcdKey(resource, namespace, name)}`;
}

export async function findClusterByFqdn(store: Store, fqdn: string): Promise<ClusterRecord | undefined> {
  const ref = await getJson<{ uid: string }>(store, clusterByFqdnKey(fqdn));
  if (!ref) return undefined;
  return (await getJson<ClusterRecord>(store, clusterRecordKey(ref.value.uid)))?.value;
}
