/**
 * The DaemonSet controller (SPEC W-8), one level-triggered pass: every node the template's nodeSelector, required
 * node affinity and tolerations (with the tolerations upstream adds to every daemon pod) admit gets one pod of the
 * DaemonSet, bound to it directly (spec.nodeName, plus the matchFields node affinity upstream pins daemon pods with);
 * pods on nodes that are gone or no longer eligible are deleted. RollingUpdate replaces out-of-date pods while no
 * more than maxUnavailable nodes lack an available pod; OnDelete only replaces the pods a user deletes. The
 * template's hash is the pods' `controller-revision-hash` label, which is how a pod counts as up to date.
 */
import type { Registry } from '../api/registry/registry.js';
import type { DaemonSet, Node, Pod, Toleration } from '../api/machinery/types.js';
import { daemonsets as dsDef, pods as podDef } from '../resources/index.js';
import { clone, deepEqual } from '../util/deep.js';
import { randomSuffix } from '../util/names.js';
import { templateHash } from './deployment-rollout.js';
import { recordEvent } from './events.js';
import { effectiveTaints, matchesNodeAffinity, tolerates } from './scheduling.js';
import { adoptOrphans, controllerRef, controllerUid, earliest, isActivePod, isPodReady, podAvailability, tolerant } from './workload-common.js';

const HASH_LABEL = 'controller-revision-hash';

/** The tolerations the DaemonSet controller adds to every daemon pod (AddOrUpdateDaemonPodTolerations). */
const DAEMON_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

function withDaemonTolerations(tolerations: Toleration[] | undefined, hostNetwork: boolean): Toleration[] {
  const out = [...(tolerations ?? [])];
  const extra = hostNetwork ? [...DAEMON_TOLERATIONS, { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' }] : DAEMON_TOLERATIONS;
  for (const t of extra) if (!out.some((o) => o.key === t.key && o.effect === t.effect)) out.push(t);
  return out;
}

/** The pod the DaemonSet would run on a node: its template, the daemon tolerations, pinned to the node. */
function daemonPod(ds: DaemonSet, hash: string, nodeName: string): Pod {
  const t = clone(ds.spec!.template ?? {});
  const spec = t.spec!;
  spec.tolerations = withDaemonTolerations(spec.tolerations, spec.hostNetwork === true);
  spec.affinity = {
    ...(spec.affinity ?? {}),
    nodeAffinity: {
      ...(spec.affinity?.nodeAffinity ?? {}),
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] },
    },
  };
  spec.nodeName = nodeName;
  return {
    metadata: {
      name: `${ds.metadata.name}-${randomSuffix(5)}`,
      namespace: ds.metadata.namespace,
      labels: { ...(t.metadata?.labels ?? {}), [HASH_LABEL]: hash },
      ...(t.metadata?.annotations ? { annotations: t.metadata.annotations } : {}),
      ownerReferences: [controllerRef(ds, 'apps/v1', 'DaemonSet')],
    },
    spec,
  } as Pod;
}

/** NodeShouldRunDaemonPod: the template's node selector and affinity match and every NoSchedule/NoExecute taint is tolerated. */
function shouldRun(ds: DaemonSet, node: Node): boolean {
  if (node.metadata.deletionTimestamp) return false;
  const probe = { metadata: {}, spec: { ...ds.spec?.template?.spec, tolerations: withDaemonTolerations(ds.spec?.template?.spec?.tolerations, ds.spec?.template?.spec?.hostNetwork === true) } } as Pod;
  if (!matchesNodeAffinity(probe, node)) return false;
  const tolerations = probe.spec!.tolerations ?? [];
  return effectiveTaints(node).every((taint) => (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') || tolerations.some((t) => tolerates(t, taint)));
}

/** maxUnavailable resolved against the desired count (a percentage rounds up, as upstream's daemonset util does, and is at least 1 when maxSurge is 0). */
function maxUnavailableOf(ds: DaemonSet, desired: number): number {
  const v = ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable as number | string | undefined;
  let n = typeof v === 'string' ? Math.ceil((Number(v.replace('%', '')) * desired) / 100) : (v ?? 1);
  if (n === 0) n = 1;
  return n;
}

async function event(registry: Registry, ds: DaemonSet, reason: string, message: string): Promise<void> {
  await tolerant(recordEvent(registry, { involved: { ...ds, apiVersion: 'apps/v1', kind: 'DaemonSet' }, type: 'Normal', reason, message, component: 'daemonset-controller' }));
}

async function deletePod(registry: Registry, ds: DaemonSet, p: Pod): Promise<void> {
  if (await tolerant(registry.delete(podDef, p.metadata.namespace, p.metadata.name!, { preconditions: { uid: p.metadata.uid! } }))) {
    await event(registry, ds, 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
  }
}

/** One DaemonSet: creates, deletes and rolls its pods, then writes its status; answers when a pod becomes available. */
async function reconcileDaemonSet(registry: Registry, ds: DaemonSet, nodes: Node[], owned: Pod[], nowMs: number): Promise<number | undefined> {
  const hash = templateHash(ds.spec?.template);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const eligible = nodes.filter((n) => shouldRun(ds, n));
  const eligibleNames = new Set(eligible.map((n) => n.metadata.name!));
  const active = owned.filter(isActivePod);
  const byNode = new Map<string, Pod[]>();
  for (const p of active) byNode.set(p.spec?.nodeName ?? '', [...(byNode.get(p.spec?.nodeName ?? '') ?? []), p]);
  const available = (p: Pod) => podAvailability(p, minReady, nowMs).available;
  const updated = (p: Pod) => p.metadata.labels?.[HASH_LABEL] === hash;
  let due: number | undefined;

  if (!ds.metadata.deletionTimestamp) {
    // Failed daemon pods are deleted so that the node gets a fresh one.
    for (const p of owned) if (!p.metadata.deletionTimestamp && p.status?.phase === 'Failed') await deletePod(registry, ds, p);
    for (const [nodeName, ps] of byNode) {
      if (!eligibleNames.has(nodeName)) for (const p of ps) await deletePod(registry, ds, p);
      else if (ps.length > 1) for (const p of [...ps].sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '')).slice(1)) await deletePod(registry, ds, p);
    }
    for (const n of eligible) {
      if ((byNode.get(n.metadata.name!) ?? []).length > 0) continue;
      const created = await tolerant(registry.create(podDef, ds.metadata.namespace, daemonPod(ds, hash, n.metadata.name!)));
      if (created) await event(registry, ds, 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    }
    if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
      const max = maxUnavailableOf(ds, eligible.length);
      const onNodes = eligible.map((n) => byNode.get(n.metadata.name!)?.[0]);
      let unavailable = onNodes.filter((p) => !p || !available(p)).length;
      const old = onNodes.filter((p): p is Pod => p !== undefined && !updated(p));
      // Old pods that are already unavailable go first: replacing them costs no availability.
      for (const p of old.filter((x) => !available(x))) await deletePod(registry, ds, p);
      for (const p of old.filter(available)) {
        if (unavailable >= max) break;
        await deletePod(registry, ds, p);
        unavailable++;
      }
    }
  }

  let ready = 0;
  let avail = 0;
  let current = 0;
  let upToDate = 0;
  for (const n of eligible) {
    const p = byNode.get(n.metadata.name!)?.[0];
    if (!p) continue;
    current++;
    if (isPodReady(p)) ready++;
    const a = podAvailability(p, minReady, nowMs);
    if (a.available) avail++;
    else due = earliest(due, a.at);
    if (updated(p)) upToDate++;
  }
  const misscheduled = [...byNode.keys()].filter((name) => !eligibleNames.has(name)).length;
  const status: NonNullable<DaemonSet['status']> = {
    ...(ds.status ?? {}),
    currentNumberScheduled: current,
    desiredNumberScheduled: eligible.length,
    numberMisscheduled: misscheduled,
    numberReady: ready,
    updatedNumberScheduled: upToDate,
    numberAvailable: avail,
    numberUnavailable: eligible.length - avail,
    observedGeneration: ds.metadata.generation,
  };
  for (const k of ['updatedNumberScheduled', 'numberAvailable', 'numberUnavailable'] as const) if (status[k] === 0) delete status[k];
  if (!deepEqual(status, ds.status)) await tolerant(registry.update(dsDef, ds.metadata.namespace, ds.metadata.name!, { ...ds, status }, { subresource: 'status' }));
  return due;
}

/** One pass over every DaemonSet; answers the emulated time at which a pod becomes available (minReadySeconds). */
export async function reconcileDaemonSets(registry: Registry, daemonSets: DaemonSet[], nodes: Node[], pods: Pod[]): Promise<number | undefined> {
  const nowMs = registry.now().getTime();
  let due: number | undefined;
  for (const ds of daemonSets) {
    const owned = pods.filter((p) => controllerUid(p) === ds.metadata.uid && p.metadata.namespace === ds.metadata.namespace);
    owned.push(...(await adoptOrphans(registry, podDef, pods, ds, 'DaemonSet', ds.spec?.selector)));
    due = earliest(due, await reconcileDaemonSet(registry, ds, nodes, owned, nowMs));
  }
  return due;
}
