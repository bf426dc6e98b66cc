/**
 * The namespace controllers of a cluster: the system namespaces exist (default, kube-system, kube-public,
 * kube-node-lease); every active namespace has the `default` service account and the `kube-root-ca.crt`
 * config map with the cluster's CA (the root CA publisher: created again when deleted, set back when changed); a
 * terminating namespace is emptied of its pods, then of every other namespaced object, with the deletion conditions
 * of upstream's namespace deleter, then its `kubernetes` finalizer is removed and it is gone.
 */
import type { Registry } from '../api/registry/registry.js';
import type { ConfigMap, Namespace, ServiceAccount } from '../api/machinery/types.js';
import { KubeError } from '../api/machinery/errors.js';
import { RESOURCES, configmaps, namespaces as nsDef, pods as podsDef, serviceaccounts } from '../resources/index.js';
import type { ResourceDef } from '../api/machinery/resource.js';
import { kubeTime } from '../util/age.js';
import { deepEqual } from '../util/deep.js';
import { SYSTEM_NAMESPACES } from '../resources/namespaces.js';
import type { KubeObject } from '../../clusters/stored-object.js';

async function createIfAbsent(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    // AlreadyExists, or the namespace went away / is terminating meanwhile.
    if (err instanceof KubeError && [403, 404, 409].includes(err.code)) return;
    throw err;
  }
}

const ROOT_CA = 'kube-root-ca.crt';
const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

/** What the namespace controllers read besides the namespaces: the service accounts and config maps (informers). */
export interface NamespaceContent {
  serviceAccounts: ServiceAccount[];
  configMaps: ConfigMap[];
}

/**
 * Answers true when a terminating namespace still has content (the pass must run again soon). The `default`
 * service account is created again when deleted, and the `kube-root-ca.crt` config map (upstream's root CA
 * publisher) is created again when deleted and set back when its CA bundle was changed.
 */
export async function reconcileNamespaces(registry: Registry, caPem: string, namespaceList: Namespace[], content: NamespaceContent): Promise<boolean> {
  const names = new Set(namespaceList.map((n) => n.metadata.name));
  for (const ns of SYSTEM_NAMESPACES) {
    if (!names.has(ns)) await createIfAbsent(registry.create(nsDef, undefined, { metadata: { name: ns } } as Namespace));
  }
  let busy = false;
  const current = names.size === SYSTEM_NAMESPACES.length && SYSTEM_NAMESPACES.every((n) => names.has(n)) ? namespaceList : (await registry.list<Namespace>(nsDef, undefined)).items;
  const defaultAccounts = new Set(content.serviceAccounts.filter((sa) => sa.metadata.name === 'default').map((sa) => sa.metadata.namespace));
  const rootCas = new Map(content.configMaps.filter((cm) => cm.metadata.name === ROOT_CA).map((cm) => [cm.metadata.namespace, cm]));
  for (const ns of current) {
    const name = ns.metadata.name!;
    if (ns.status?.phase === 'Terminating' || ns.metadata.deletionTimestamp) {
      busy = (await finalizeNamespace(registry, ns)) || busy;
      continue;
    }
    if (!defaultAccounts.has(name)) {
      await createIfAbsent(registry.create(serviceaccounts, name, { metadata: { name: 'default', namespace: name } } as ServiceAccount));
    }
    const root = rootCas.get(name);
    if (!root) {
      await createIfAbsent(
        registry.create(configmaps, name, { metadata: { name: ROOT_CA, namespace: name, annotations: { 'kubernetes.io/description': ROOT_CA_DESCRIPTION } }, data: { 'ca.crt': caPem } } as ConfigMap),
      );
    } else if (root.data?.['ca.crt'] !== caPem && !root.metadata.deletionTimestamp) {
      const annotations = { ...(root.metadata.annotations ?? {}), 'kubernetes.io/description': ROOT_CA_DESCRIPTION };
      await createIfAbsent(registry.update(configmaps, name, ROOT_CA, { ...root, metadata: { ...root.metadata, annotations }, data: { ...(root.data ?? {}), 'ca.crt': caPem } }));
    }
  }
  return busy;
}

type NamespaceCondition = NonNullable<NonNullable<Namespace['status']>['conditions']>[number];

/** The namespace deleter's condition types, each with its state when all is well (upstream's words). */
const DELETION_CONDITIONS: Array<[type: string, reason: string, message: string]> = [
  ['NamespaceDeletionDiscoveryFailure', 'ResourcesDiscovered', 'All resources successfully discovered'],
  ['NamespaceDeletionGroupVersionParsingFailure', 'ParsedGroupVersions', 'All legacy kube types successfully parsed'],
  ['NamespaceDeletionContentFailure', 'ContentDeleted', 'All content successfully deleted, may be waiting on finalization'],
  ['NamespaceContentRemaining', 'ContentRemoved', 'All content successfully removed'],
  ['NamespaceFinalizersRemaining', 'ContentHasNoFinalizers', 'All content-preserving finalizers finished'],
];

/** What one deletion pass left in a namespace: objects per resource, their finalizers, the resources not emptied. */
interface DeletionTally {
  remaining: Map<string, number>;
  finalizers: Map<string, number>;
  failures: string[];
}

/** "/v1, Resource=pods", as Go prints a GroupVersionResource. */
function gvrText(def: ResourceDef<any>): string {
  return `${def.group}/${def.version}, Resource=${def.resource}`;
}

/** Deletes every object of one kind in the namespace; counts those left (graceful deletions, finalizers). */
async function deleteAllOf(registry: Registry, def: ResourceDef<any>, ns: string, tally: DeletionTally): Promise<void> {
  const { items } = await registry.list<KubeObject>(def, ns);
  let left = 0;
  for (const item of items) {
    let still: KubeObject | undefined = item;
    if (!item.metadata.deletionTimestamp) {
      try {
        const res = await registry.delete(def, ns, item.metadata.name!, {});
        still = res.deleted ? undefined : res.obj;
      } catch (err) {
        if (!(err instanceof KubeError && (err.code === 404 || err.code === 409))) throw err;
        if (err.code === 404) still = undefined;
      }
    }
    if (!still) continue;
    left++;
    for (const f of still.metadata.finalizers ?? []) tally.finalizers.set(f, (tally.finalizers.get(f) ?? 0) + 1);
  }
  if (left === 0) return;
  tally.remaining.set(`${def.resource}.${def.group}`, left);
  tally.failures.push(`unexpected items still remain in namespace: ${ns} for gvr: ${gvrText(def)}`);
}

/** The deletion conditions a tally gives, keeping the transition time of those that did not change. */
function deletionConditions(ns: Namespace, tally: DeletionTally, now: string): NamespaceCondition[] {
  const counted = (m: Map<string, number>, form: (k: string, n: number) => string) => [...m].map(([k, n]) => form(k, n)).sort().join(', ');
  const trouble: Record<string, [reason: string, message: string] | undefined> = {
    NamespaceDeletionContentFailure: tally.failures.length > 0 ? ['ContentDeletionFailed', `Failed to delete all resource types, ${tally.failures.length} remaining: ${tally.failures.join(', ')}`] : undefined,
    NamespaceContentRemaining: tally.remaining.size > 0 ? ['SomeResourcesRemain', `Some resources are remaining: ${counted(tally.remaining, (k, n) => `${k} has ${n} resource instances`)}`] : undefined,
    NamespaceFinalizersRemaining: tally.finalizers.size > 0 ? ['SomeFinalizersRemain', `Some content in the namespace has finalizers remaining: ${counted(tally.finalizers, (k, n) => `${k} in ${n} resource instances`)}`] : undefined,
  };
  const before = new Map((ns.status?.conditions ?? []).map((c) => [c.type, c]));
  return DELETION_CONDITIONS.map(([type, okReason, okMessage]) => {
    const bad = trouble[type];
    const next = { type, status: bad ? 'True' : 'False', reason: bad ? bad[0] : okReason, message: bad ? bad[1] : okMessage };
    const old = before.get(type);
    const same = old && old.status === next.status && old.reason === next.reason && old.message === next.message;
    return { ...next, lastTransitionTime: same ? old.lastTransitionTime : now };
  });
}

/**
 * Deletes a terminating namespace's content as upstream's namespace deleter does: pods first, and nothing else
 * while a pod remains (OrderedNamespaceDeletion), then every other kind; the namespace's deletion conditions say
 * what is left and which finalizers hold it. Once empty, it is finalized and removed. Answers true while busy.
 */
async function finalizeNamespace(registry: Registry, ns: Namespace): Promise<boolean> {
  const name = ns.metadata.name!;
  const tally: DeletionTally = { remaining: new Map(), finalizers: new Map(), failures: [] };
  await deleteAllOf(registry, podsDef, name, tally);
  if (tally.failures.length === 0) {
    for (const def of RESOURCES) if (def.namespaced && def !== podsDef) await deleteAllOf(registry, def, name, tally);
  }
  let current = ns;
  const conditions = deletionConditions(ns, tally, kubeTime(registry.now()));
  if (!deepEqual(conditions, ns.status?.conditions ?? [])) {
    try {
      current = (await registry.update<Namespace>(nsDef, undefined, name, { ...ns, status: { ...(ns.status ?? {}), conditions } }, { subresource: 'status' })).obj;
    } catch (err) {
      if (!(err instanceof KubeError && (err.code === 404 || err.code === 409))) throw err;
      return true;
    }
  }
  if (tally.failures.length > 0) return true;
  try {
    if ((current.spec?.finalizers ?? []).length > 0) {
      await registry.update(nsDef, undefined, name, { ...current, spec: { ...(current.spec ?? {}), finalizers: [] } }, { subresource: 'finalize' });
    } else {
      await registry.delete(nsDef, undefined, name, {});
    }
  } catch (err) {
    if (!(err instanceof KubeError && (err.code === 404 || err.code === 409))) throw err;
  }
  return false;
}
