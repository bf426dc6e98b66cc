/**
 * The StatefulSet controller (SPEC W-15, W-16, W-17), one level-triggered pass per set, as upstream's
 * stateful_set_control.go steps it:
 *
 * - pods `<set>-<ordinal>` for the ordinals [start, start+replicas), each with its claims created first;
 *   OrderedReady creates one at a time in ordinal order, each waiting for the ones before to be Running and Ready
 *   (available after minReadySeconds), and removes those beyond the replicas one at a time from the highest
 *   ordinal; Parallel creates and removes them all at once;
 * - failed pods are deleted and made again with the same identity;
 * - RollingUpdate replaces the pods from the highest ordinal down to the partition, within maxUnavailable (1
 *   unless set), each at the update revision; pods below the partition are made at the current revision;
 *   OnDelete replaces nothing (a pod deleted by hand comes back at the update revision);
 * - the status counts the pods (replicas, ready, available, current, updated) with the current and update
 *   revisions; the current revision becomes the update revision once every pod is updated and ready.
 *
 * Revisions are in statefulset-revisions.ts, claims in statefulset-claims.ts, the arithmetic in
 * statefulset-identity.ts.
 */
import type { Registry } from '../api/registry/registry.js';
import type { ControllerRevision, PersistentVolumeClaim, Pod, StatefulSet } from '../api/machinery/types.js';
import { pods as podDef, statefulsets as stsDef } from '../resources/index.js';
import { deepEqual } from '../util/deep.js';
import { recordEvent } from './events.js';
import { ensureClaims, indexClaims, syncClaimOwners, type ClaimIndex } from './statefulset-claims.js';
import { REVISION_LABEL, maxUnavailable, ordinalOf, podForOrdinal, rollingUpdateVictims, startOrdinal, staysAtCurrentRevision, templateOfRevision } from './statefulset-identity.js';
import { syncRevisions, truncateHistory, type SetRevisions } from './statefulset-revisions.js';
import { adoptOrphans, controllerUid, earliest, isPodReady, podAvailability, tolerant } from './workload-common.js';

type Status = NonNullable<StatefulSet['status']>;

/** At most this many pods of one set are created per pass (Parallel), as the ReplicaSet controller's burst. */
const BURST_PODS = 500;

interface SetPass {
  registry: Registry;
  sts: StatefulSet;
  revisions: SetRevisions;
  claims: ClaimIndex;
  nowMs: number;
  /** The emulated time a pod becomes available (minReadySeconds), if one is waiting for it. */
  due?: number;
}

const isTerminating = (p: Pod) => Boolean(p.metadata.deletionTimestamp);
const isFinished = (p: Pod) => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';
const isRunningAndReady = (p: Pod) => p.status?.phase === 'Running' && isPodReady(p);

/** Running, Ready for minReadySeconds and not terminating (isHealthy with availability); notes when it will be. */
function healthy(pass: SetPass, p: Pod): boolean {
  if (isTerminating(p) || !isRunningAndReady(p)) return false;
  const a = podAvailability(p, pass.sts.spec?.minReadySeconds ?? 0, pass.nowMs);
  if (!a.available) pass.due = earliest(pass.due, a.at);
  return a.available;
}

async function event(pass: SetPass, reason: string, message: string): Promise<void> {
  const { registry, sts } = pass;
  await tolerant(recordEvent(registry, { involved: { ...sts, apiVersion: 'apps/v1', kind: 'StatefulSet' }, type: 'Normal', reason, message, component: 'statefulset-controller' }));
}

async function createPod(pass: SetPass, ordinal: number): Promise<void> {
  const { sts, revisions } = pass;
  if (!(await ensureClaims(pass.registry, sts, ordinal, pass.claims))) return;
  const atCurrent = staysAtCurrentRevision(sts, ordinal);
  const revision = atCurrent ? revisions.current : revisions.update;
  const template = atCurrent ? templateOfRevision(revisions.current.data) : sts.spec?.template;
  const pod = podForOrdinal(sts, template, revision.metadata.name!, ordinal);
  if (await tolerant(pass.registry.create(podDef, sts.metadata.namespace, pod))) {
    await event(pass, 'SuccessfulCreate', `create Pod ${pod.metadata.name} in StatefulSet ${sts.metadata.name} successful`);
  }
}

async function deletePod(pass: SetPass, p: Pod): Promise<void> {
  if (await tolerant(pass.registry.delete(podDef, p.metadata.namespace, p.metadata.name!, { preconditions: { uid: p.metadata.uid! } }))) {
    await event(pass, 'SuccessfulDelete', `delete Pod ${p.metadata.name} in StatefulSet ${pass.sts.metadata.name} successful`);
  }
}

/** The pod steps of one pass; OrderedReady stops at the first step that must be waited for. */
async function syncPods(pass: SetPass, byOrdinal: Map<number, Pod>, condemned: Array<[number, Pod]>): Promise<void> {
  const { sts } = pass;
  const monotonic = sts.spec?.podManagementPolicy !== 'Parallel';
  const start = startOrdinal(sts);
  const end = start + (sts.spec?.replicas ?? 1);
  for (const [ordinal, p] of byOrdinal) if (ordinal >= start && ordinal < end) await syncClaimOwners(pass.registry, sts, ordinal, p, false, pass.claims);
  for (const [ordinal, p] of condemned) await syncClaimOwners(pass.registry, sts, ordinal, p, true, pass.claims);

  let created = 0;
  for (let ordinal = start; ordinal < end; ordinal++) {
    const p = byOrdinal.get(ordinal);
    if (!p) {
      await createPod(pass, ordinal);
      if (monotonic || ++created >= BURST_PODS) return;
      continue;
    }
    if (isFinished(p) && !isTerminating(p)) {
      await deletePod(pass, p);
      if (monotonic) return;
      continue;
    }
    if (!healthy(pass, p) && monotonic) return;
  }
  const unhealthyCondemned = condemned.filter(([, p]) => !healthy(pass, p));
  for (const [, p] of condemned) {
    if (isTerminating(p)) {
      if (monotonic) return;
      continue;
    }
    if (monotonic && unhealthyCondemned.length > 0 && unhealthyCondemned[0]![1] !== p) return;
    await deletePod(pass, p);
    if (monotonic) return;
  }
  if (sts.spec?.updateStrategy?.type !== 'RollingUpdate') return;
  const from = start + (sts.spec.updateStrategy.rollingUpdate?.partition ?? 0);
  const expected: number[] = [];
  for (let o = from; o < end; o++) expected.push(o);
  const slots = expected.flatMap((o) => {
    const p = byOrdinal.get(o);
    return p ? [{ ordinal: o, revision: p.metadata.labels?.[REVISION_LABEL], terminating: isTerminating(p), healthy: healthy(pass, p) }] : [];
  });
  for (const o of rollingUpdateVictims(slots, expected, pass.revisions.update.metadata.name!, maxUnavailable(sts))) await deletePod(pass, byOrdinal.get(o)!);
}

/** The status from the pods as read at the start of the pass (updateStatefulSetStatus and completeRollingUpdate). */
function statusOf(pass: SetPass, owned: Pod[]): Status {
  const { sts, revisions } = pass;
  const current = revisions.current.metadata.name!;
  const update = revisions.update.metadata.name!;
  const live = owned.filter((p) => !isTerminating(p));
  const status: Status = {
    observedGeneration: sts.metadata.generation,
    replicas: owned.length,
    readyReplicas: owned.filter(isRunningAndReady).length,
    availableReplicas: owned.filter((p) => isRunningAndReady(p) && podAvailability(p, sts.spec?.minReadySeconds ?? 0, pass.nowMs).available).length,
    currentReplicas: live.filter((p) => p.metadata.labels?.[REVISION_LABEL] === current).length,
    updatedReplicas: live.filter((p) => p.metadata.labels?.[REVISION_LABEL] === update).length,
    currentRevision: current,
    updateRevision: update,
    collisionCount: revisions.collisionCount,
  };
  if (sts.spec?.updateStrategy?.type === 'RollingUpdate' && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
    status.currentRevision = update;
    status.currentReplicas = status.updatedReplicas;
  }
  for (const k of ['readyReplicas', 'currentReplicas', 'updatedReplicas'] as const) if (status[k] === 0) delete status[k];
  if (sts.status?.conditions) status.conditions = sts.status.conditions;
  return status;
}

/** One pass over every StatefulSet; answers when a pod becomes available (minReadySeconds) if that is pending. */
export async function reconcileStatefulSets(registry: Registry, sets: StatefulSet[], pods: Pod[], revisions: ControllerRevision[], claims: PersistentVolumeClaim[]): Promise<number | undefined> {
  const nowMs = registry.now().getTime();
  const claimIndex = indexClaims(claims);
  let due: number | undefined;
  for (const sts of sets) {
    if (sts.metadata.deletionTimestamp) continue;
    const name = sts.metadata.name!;
    const owned = pods.filter((p) => p.metadata.namespace === sts.metadata.namespace && controllerUid(p) === sts.metadata.uid);
    const members = pods.filter((p) => ordinalOf(name, p.metadata.name!) !== undefined);
    owned.push(...(await adoptOrphans(registry, podDef, members, sts, 'StatefulSet', sts.spec?.selector)));
    const setRevisions = await syncRevisions(registry, sts, revisions);
    if (!setRevisions) continue;
    const pass: SetPass = { registry, sts, revisions: setRevisions, claims: claimIndex, nowMs };
    const byOrdinal = new Map<number, Pod>();
    const condemned: Array<[number, Pod]> = [];
    const start = startOrdinal(sts);
    const end = start + (sts.spec?.replicas ?? 1);
    for (const p of owned) {
      const ordinal = ordinalOf(name, p.metadata.name!);
      if (ordinal === undefined) continue;
      if (ordinal >= start && ordinal < end) byOrdinal.set(ordinal, p);
      else condemned.push([ordinal, p]);
    }
    condemned.sort((a, b) => b[0] - a[0]);
    const status = statusOf(pass, owned);
    await syncPods(pass, byOrdinal, condemned);
    await truncateHistory(registry, sts, revisions, owned, setRevisions);
    due = earliest(due, pass.due);
    if (!deepEqual(status, sts.status)) await tolerant(registry.update(stsDef, sts.metadata.namespace, name, { ...sts, status }, { subresource: 'status' }));
  }
  return due;
}
