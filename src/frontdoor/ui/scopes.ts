/**
 * Which resource a store key's change concerns, for the dashboard's change feed: ARM documents by their id,
 * a cluster's Kubernetes objects, fleet and records by the cluster's id, anything else (tasks, the directory, the
 * Key Vault audit log, alerts) by the instance's subscription. Keys that change on their own all the time (leader
 * election leases, Kubernetes events) say nothing: the page would refetch for no visible change.
 */
export interface KeyScopeDeps {
  subscriptionId: string;
  /** A cluster's ARM id from its internal uid (undefined once it is gone). */
  clusterIdOf(uid: string): Promise<string | undefined>;
}

const QUIET = /^\/clusters\/[^/]+\/registry\/(leases|events)\//;

export function keyScopes(deps: KeyScopeDeps): (key: string) => Promise<string | undefined> {
  const instance = `/subscriptions/${deps.subscriptionId}`;
  return async (key) => {
    if (QUIET.test(key)) return undefined;
    if (key.startsWith('/arm/resources/subscriptions/')) return key.slice('/arm/resources'.length);
    const group = /^\/arm\/resourcegroups\/([^/]+)\/([^/]+)$/.exec(key);
    if (group) return `/subscriptions/${group[1]}/resourceGroups/${group[2]}`;
    const cluster = /^\/(?:clusters|fleet)\/([^/]+)\//.exec(key) ?? /^\/aks\/clusters\/([^/]+)$/.exec(key);
    if (cluster) return (await deps.clusterIdOf(cluster[1]!)) ?? undefined;
    return instance;
  };
}
