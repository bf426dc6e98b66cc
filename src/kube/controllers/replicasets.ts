/**
 * The ReplicaSet controller (SPEC W-5), one level-triggered pass: each ReplicaSet gets as many active pods as
 * spec.replicas, created from its template with a controller owner reference and the name `<rs>-<5 chars>`, and
 * orphaned pods its selector matches adopted, extra pods deleted (unscheduled, then not ready, then newest first, as upstream's ActivePods ordering); its
 * status counts the pods the kubelets report Ready and, after minReadySeconds, available.
 */
import type { Registry } from '../api/registry/registry.js';
import type { Pod, ReplicaSet } from '../api/machinery/types.js';
import { pods as podDef, replicasets as rsDef } from '../resources/index.js';
import { randomSuffix } from '../util/names.js';
import { EventBatch } from './events.js';
import { clone, deepEqual } from '../util/deep.js';
import { adoptOrphans, controllerRef, controllerUid, earliest, isActivePod, isPodReady, podAvailability, tolerant } from './workload-common.js';

/** Upstream creates at most this many pods of one ReplicaSet per sync (burstReplicas). */
const BURST_REPLICAS = 500;

function podFromTemplate(rs: ReplicaSet): Pod {
  const t = clone(rs.spec!.template ?? {});
  return {
    metadata: {
      name: `${rs.metadata.name}-${randomSuffix(5)}`,
      namespace: rs.metadata.namespace,
      ...(t.metadata?.labels ? { labels: t.metadata.labels } : {}),
      ...(t.metadata?.annotations ? { annotations: t.metadata.annotations } : {}),
      ownerReferences: [controllerRef(rs, 'apps/v1', 'ReplicaSet')],
    },
    spec: t.spec,
  } as Pod;
}

/** The replicaset-controller's events on the ReplicaSet (what `kubectl describe rs` lists), written when the pass ends. */
function event(events: EventBatch, rs: ReplicaSet, reason: string, message: string): void {
  events.record({ involved: { ...rs, apiVersion: 'apps/v1', kind: 'ReplicaSet' }, type: 'Normal', reason, message, component: 'replicaset-controller' });
}

/** Which pods to delete first when scaling down: unscheduled, pending, not ready, then the newest. */
function deletionRank(p: Pod): [number, number, number, number] {
  return [p.spec?.nodeName ? 1 : 0, p.status?.phase === 'Pending' ? 0 : 1, isPodReady(p) ? 1 : 0, -Date.parse(p.metadata.creationTimestamp ?? '0')];
}

function compareRank(a: Pod, b: Pod): number {
  const ra = deletionRank(a);
  const rb = deletionRank(b);
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
  return 0;
}

/** One pass over every ReplicaSet; answers when a pod becomes available (minReadySeconds) if that is pending. */
export async function reconcileReplicaSets(registry: Registry, replicaSets: ReplicaSet[], pods: Pod[]): Promise<number | undefined> {
  const events = new EventBatch(registry);
  try {
    return await replicaSetsPass(registry, replicaSets, pods, events);
  } finally {
    await events.flush();
  }
}

async function replicaSetsPass(registry: Registry, replicaSets: ReplicaSet[], pods: Pod[], events: EventBatch): Promise<number | undefined> {
  const nowMs = registry.now().getTime();
  const byOwner = new Map<string, Pod[]>();
  for (const p of pods) {
    const uid = controllerUid(p);
    if (!uid) continue;
    const list = byOwner.get(uid);
    if (list) list.push(p);
    else byOwner.set(uid, [p]);
  }
  let due: number | undefined;
  for (const rs of replicaSets) {
    const owned = (byOwner.get(rs.metadata.uid!) ?? []).filter((p) => p.metadata.namespace === rs.metadata.namespace);
    owned.push(...(await adoptOrphans(registry, podDef, pods, rs, 'ReplicaSet', rs.spec?.selector)));
    const active = owned.filter(isActivePod);
    const wanted = rs.spec?.replicas ?? 1;
    if (!rs.metadata.deletionTimestamp) {
      if (active.length < wanted) {
        for (let i = active.length; i < Math.min(wanted, active.length + BURST_REPLICAS); i++) {
          const created = await tolerant(registry.create(podDef, rs.metadata.namespace, podFromTemplate(rs)));
          if (created) event(events, rs, 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
        }
      } else if (active.length > wanted) {
        for (const p of [...active].sort(compareRank).slice(0, active.length - wanted)) {
          if (await tolerant(registry.delete(podDef, p.metadata.namespace, p.metadata.name!, { preconditions: { uid: p.metadata.uid! } }))) {
            event(events, rs, 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
          }
        }
      }
    }
    const minReady = rs.spec?.minReadySeconds ?? 0;
    let available = 0;
    for (const p of active) {
      const a = podAvailability(p, minReady, nowMs);
      if (a.available) available++;
      else due = earliest(due, a.at);
    }
    const status = {
      replicas: active.length,
      fullyLabeledReplicas: active.length,
      readyReplicas: active.filter(isPodReady).length,
      availableReplicas: available,
      observedGeneration: rs.metadata.generation,
    };
    const current: NonNullable<ReplicaSet['status']> = rs.status ?? { replicas: 0 };
    const changed = (Object.keys(status) as Array<keyof typeof status>).some((k) => (current[k] ?? 0) !== (status[k] ?? 0));
    if (changed) {
      const next: ReplicaSet = { ...rs, status: { ...current, ...status } };
      for (const k of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'] as const) if (next.status![k] === 0) delete next.status![k];
      if (!deepEqual(next.status, rs.status)) await tolerant(registry.update(rsDef, rs.metadata.namespace, rs.metadata.name!, next, { subresource: 'status' }));
    }
  }
  return due;
}
