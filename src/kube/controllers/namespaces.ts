/**
 * The namespace controllers of a cluster: the system namespaces exist (default, kube-system, kube-public,
 * kube-node-lease); every active namespace has the `default` service account and the `kube-root-ca.crt`
 * config map with the cluster's CA (the root CA publisher: created again when deleted, set back when changed); a terminating namespace is emptied of every namespaced object, then its
 * `kubernetes` finalizer is removed and it is gone.
 */
import type { Registry } from '../api/registry/registry.js';
import type { ConfigMap, Namespace, ServiceAccount } from '../api/machinery/types.js';
import { KubeError } from '../api/machinery/errors.js';
import { RESOURCES, configmaps, namespaces as nsDef, serviceaccounts } from '../resources/index.js';
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

/** Deletes a terminating namespace's content; once empty, finalizes and removes it. Answers true while busy. */
async function finalizeNamespace(registry: Registry, ns: Namespace): Promise<boolean> {
  const name = ns.metadata.name!;
  let remaining = 0;
  for (const def of RESOURCES) {
    if (!def.namespaced) continue;
    const { items } = await registry.list<KubeObject>(def, name);
    remaining += items.length;
    for (const item of items) {
      if (item.metadata.deletionTimestamp) continue;
      try {
        await registry.delete(def, name, item.metadata.name!, {});
      } catch (err) {
        if (!(err instanceof KubeError && (err.code === 404 || err.code === 409))) throw err;
      }
    }
  }
  if (remaining > 0) return true;
  try {
    if ((ns.spec?.finalizers ?? []).length > 0) {
      await registry.update(nsDef, undefined, name, { ...ns, spec: { ...(ns.spec ?? {}), finalizers: [] } }, { subresource: 'finalize' });
    } else {
      await registry.delete(nsDef, undefined, name, {});
    }
  } catch (err) {
    if (!(err instanceof KubeError && (err.code === 404 || err.code === 409))) throw err;
  }
  return false;
}
