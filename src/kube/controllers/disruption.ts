/**
 * The disruption controller (SPEC W-12), one level-triggered pass: each PodDisruptionBudget's status from the pods
 * its selector matches in its namespace, as upstream's disruption controller computes it. expectedPods is the
 * number of matching pods for an integer minAvailable, else the scale of the pods' controllers (a Deployment's
 * replicas for its ReplicaSets' pods, a ReplicaSet's own otherwise); desiredHealthy follows from minAvailable or
 * maxUnavailable (percentages rounded up); currentHealthy counts the Ready pods that are not being deleted and
 * were not evicted in the last two minutes (status.disruptedPods, written by the eviction subresource).
 */
import type { Registry } from '../api/registry/registry.js';
import type { Lister } from './informers.js';
import type { Deployment, Pod, PodDisruptionBudget, ReplicaSet } from '../api/machinery/types.js';
import { deployments as deployDef, poddisruptionbudgets as pdbDef, replicasets as rsDef } from '../resources/index.js';
import { podsCoveredBy } from '../resources/poddisruptionbudgets.js';
import { deepEqual } from '../util/deep.js';
import { isPodReady, tolerant, type OwnerReference } from './workload-common.js';

type Status = NonNullable<PodDisruptionBudget['status']>;

/** How long an eviction's pod stays out of currentHealthy while its deletion has not been seen (DeletionTimeout). */
const DISRUPTED_POD_TIMEOUT_MS = 2 * 60_000;

/** An int-or-percent of `total` (GetScaledValueFromIntOrPercent, rounded up). */
function scaled(v: number | string, total: number): number {
  if (typeof v === 'number') return v;
  const pct = Number(v.replace(/%$/, ''));
  return Math.ceil((pct * total) / 100);
}

export interface Workloads {
  replicaSets: Map<string, ReplicaSet>;
  deployments: Map<string, Deployment>;
}

/** The sum of the scale of the pods' controllers (getExpectedScale); an error names a pod no scalable controller owns. */
function expectedScale(pods: Pod[], w: Workloads): number | { error: string } {
  const seen = new Map<string, number>();
  for (const p of pods) {
    const ref = (p.metadata.ownerReferences as OwnerReference[] | undefined)?.find((o) => o.controller);
    const rs = ref?.kind === 'ReplicaSet' ? w.replicaSets.get(ref.uid) : undefined;
    if (!rs) return { error: `found no controllers for pod "${p.metadata.name}"` };
    const dRef = (rs.metadata.ownerReferences as OwnerReference[] | undefined)?.find((o) => o.controller && o.kind === 'Deployment');
    const d = dRef ? w.deployments.get(dRef.uid) : undefined;
    if (d) seen.set(d.metadata.uid!, d.spec?.replicas ?? 1);
    else seen.set(rs.metadata.uid!, rs.spec?.replicas ?? 1);
  }
  return [...seen.values()].reduce((a, b) => a + b, 0);
}

/** The DisruptionAllowed condition, keeping its transition time while its status stays. */
function condition(prev: Status | undefined, status: 'True' | 'False', reason: string, message: string, now: string, generation: number) {
  const old = prev?.conditions?.find((c) => c.type === 'DisruptionAllowed');
  const lastTransitionTime = old && old.status === status ? old.lastTransitionTime : now;
  return { type: 'DisruptionAllowed', status, reason, message, lastTransitionTime, observedGeneration: generation };
}

/** A budget's status now; `recheckAt` is when a disrupted pod's entry expires. */
export function budgetStatus(pdb: PodDisruptionBudget, pods: Pod[], w: Workloads, nowMs: number): { status: Status; recheckAt?: number } {
  const now = new Date(nowMs).toISOString();
  const generation = pdb.metadata.generation ?? 1;
  const covered = podsCoveredBy(pdb, pods);
  const byName = new Map(covered.map((p) => [p.metadata.name!, p]));
  const disruptedPods: Record<string, string> = {};
  let recheckAt: number | undefined;
  for (const [name, at] of Object.entries(pdb.status?.disruptedPods ?? {})) {
    const p = byName.get(name);
    const expires = Date.parse(String(at)) + DISRUPTED_POD_TIMEOUT_MS;
    if (!p || p.metadata.deletionTimestamp || expires <= nowMs) continue;
    disruptedPods[name] = String(at);
    recheckAt = recheckAt === undefined ? expires : Math.min(recheckAt, expires);
  }
  const currentHealthy = covered.filter((p) => !p.metadata.deletionTimestamp && !(p.metadata.name! in disruptedPods) && isPodReady(p)).length;
  const spec = pdb.spec ?? {};
  let expectedPods = 0;
  let desiredHealthy = 0;
  let failure: string | undefined;
  if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    const scale = expectedScale(covered, w);
    if (typeof scale === 'number') {
      expectedPods = scale;
      desiredHealthy = Math.max(0, scale - scaled(spec.maxUnavailable, scale));
    } else failure = scale.error;
  } else if (typeof spec.minAvailable === 'number') {
    expectedPods = covered.length;
    desiredHealthy = spec.minAvailable;
  } else if (typeof spec.minAvailable === 'string') {
    const scale = expectedScale(covered, w);
    if (typeof scale === 'number') {
      expectedPods = scale;
      desiredHealthy = scaled(spec.minAvailable, scale);
    } else failure = scale.error;
  }
  const base = { ...(Object.keys(disruptedPods).length > 0 ? { disruptedPods } : {}), observedGeneration: generation };
  if (failure) {
    const cond = condition(pdb.status, 'False', 'SyncFailed', failure, now, generation);
    return { status: { ...base, currentHealthy, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0, conditions: [cond] }, ...(recheckAt ? { recheckAt } : {}) };
  }
  const allowed = expectedPods <= 0 ? 0 : Math.max(0, currentHealthy - desiredHealthy);
  const cond = allowed > 0 ? condition(pdb.status, 'True', 'SufficientPods', '', now, generation) : condition(pdb.status, 'False', 'InsufficientPods', '', now, generation);
  return { status: { ...base, currentHealthy, desiredHealthy, disruptionsAllowed: allowed, expectedPods, conditions: [cond] }, ...(recheckAt ? { recheckAt } : {}) };
}

/** One pass over every budget; answers when a disrupted pod's entry expires, if one is pending. */
export async function reconcileDisruptionBudgets(registry: Registry, lister: Lister, pods: Pod[]): Promise<number | undefined> {
  const budgets = await lister.list<PodDisruptionBudget>(pdbDef);
  if (budgets.length === 0) return undefined;
  const w: Workloads = {
    replicaSets: new Map((await lister.list<ReplicaSet>(rsDef)).map((r) => [r.metadata.uid!, r])),
    deployments: new Map((await lister.list<Deployment>(deployDef)).map((d) => [d.metadata.uid!, d])),
  };
  const nowMs = registry.now().getTime();
  let due: number | undefined;
  for (const pdb of budgets) {
    if (pdb.metadata.deletionTimestamp) continue;
    const { status, recheckAt } = budgetStatus(pdb, pods, w, nowMs);
    if (recheckAt !== undefined) due = due === undefined ? recheckAt : Math.min(due, recheckAt);
    if (deepEqual(status, pdb.status)) continue;
    await tolerant(registry.update(pdbDef, pdb.metadata.namespace, pdb.metadata.name!, { ...pdb, status }, { subresource: 'status' }));
  }
  return due;
}
