/**
 * The Job controller and the TTL-after-finished controller (SPEC W-9, W-10), one level-triggered pass:
 *
 * - pods are created from the template (job-pods.ts) up to min(parallelism, what is left to complete), one per
 *   missing index for an Indexed Job; replacements of failed pods wait the back-off (10 s doubling, at most 6 min,
 *   scaled by the speed like the other controller delays);
 * - finished pods are counted as upstream does, through the `batch.kubernetes.io/job-tracking` finalizer and
 *   `status.uncountedTerminatedPods` (a pod's uid is recorded, its finalizer removed, then it is counted), so a
 *   pod deleted after it finished is still counted once; a pod deleted before it finished counts as failed
 *   (podReplacementPolicy TerminatingOrFailed), except for the pods a suspension deletes;
 * - more failures than backoffLimit (with OnFailure: container restarts too), activeDeadlineSeconds passed on
 *   the emulated clock, or a podFailurePolicy FailJob rule set FailureTarget, delete the active pods, and Failed
 *   follows once none is left; enough completions set SuccessCriteriaMet and then Complete with completionTime;
 * - suspend deletes the active pods (condition Suspended, reasons JobSuspended/JobResumed); resuming restarts
 *   startTime, so the deadline counts from then;
 * - a finished Job with ttlSecondsAfterFinished is deleted (foreground) that long after it finished.
 */
import type { Registry } from '../api/registry/registry.js';
import type { Job, Pod } from '../api/machinery/types.js';
import { jobFinished, jobs as jobDef } from '../resources/jobs.js';
import { pods as podDef } from '../resources/index.js';
import { kubeTime } from '../util/age.js';
import { deepEqual } from '../util/deep.js';
import { recordEvent } from './events.js';
import { TRACKING_FINALIZER, completionIndex, failedAt, formatIndexes, jobPod, matchPodFailurePolicy, parseIndexes, podBackOffMs, wantedActive } from './job-pods.js';
import { controllerUid, earliest, isActivePod, isPodReady, tolerant } from './workload-common.js';

type JobCondition = NonNullable<NonNullable<Job['status']>['conditions']>[number];

/** Upstream creates or deletes at most this many pods of one Job per sync. */
const BURST = 500;

const terminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const tracked = (p: Pod) => (p.metadata.finalizers ?? []).includes(TRACKING_FINALIZER);

async function event(registry: Registry, job: Job, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
  await tolerant(recordEvent(registry, { involved: { ...job, apiVersion: 'batch/v1', kind: 'Job' }, type, reason, message, component: 'job-controller' }));
}

async function dropFinalizer(registry: Registry, p: Pod): Promise<void> {
  const finalizers = (p.metadata.finalizers ?? []).filter((f) => f !== TRACKING_FINALIZER);
  await tolerant(registry.update(podDef, p.metadata.namespace, p.metadata.name!, { ...p, metadata: { ...p.metadata, finalizers } }));
}

async function deletePod(registry: Registry, job: Job, p: Pod): Promise<void> {
  if (await tolerant(registry.delete(podDef, p.metadata.namespace, p.metadata.name!, { preconditions: { uid: p.metadata.uid! } }))) {
    await event(registry, job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
  }
}

function jobCondition(type: string, status: 'True' | 'False', at: string, reason: string, message: string): JobCondition {
  return { type, status, lastProbeTime: at, lastTransitionTime: at, reason, message };
}

/** The conditions with `c` set: a condition of its type is replaced when its status changes, else kept. */
function withCondition(conditions: JobCondition[], c: JobCondition): JobCondition[] {
  const cur = conditions.find((x) => x.type === c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason) return conditions;
  return cur ? conditions.map((x) => (x.type === c.type ? c : x)) : [...conditions, c];
}

/** How a pod's end counts: 'succeeded', 'failed', or undefined while it runs (or when a suspension deleted it). */
function outcome(job: Job, p: Pod): 'succeeded' | 'failed' | undefined {
  if (p.status?.phase === 'Succeeded') return 'succeeded';
  if (p.status?.phase === 'Failed') return 'failed';
  if (p.metadata.deletionTimestamp && job.spec?.podReplacementPolicy !== 'Failed' && !job.spec?.suspend) return 'failed';
  return undefined;
}

/** One Job; answers the emulated time at which it must be looked at again (deadline, back-off, TTL). */
async function reconcileJob(registry: Registry, job: Job, owned: Pod[], nowMs: number, speedDelay: (ms: number) => number): Promise<number | undefined> {
  const at = kubeTime(new Date(nowMs));
  const spec: Partial<NonNullable<Job['spec']>> = job.spec ?? {};
  let due: number | undefined;
  const old = job.status ?? {};
  const status: NonNullable<Job['status']> = { ...old, conditions: [...(old.conditions ?? [])] };
  const uncounted = { succeeded: [...(old.uncountedTerminatedPods?.succeeded ?? [])], failed: [...(old.uncountedTerminatedPods?.failed ?? [])] };
  const byUid = new Map(owned.map((p) => [p.metadata.uid!, p]));
  const indexed = spec.completionMode === 'Indexed';
  const completions = spec.completions ?? undefined;
  const completed = parseIndexes(status.completedIndexes);

  // Count what the last pass recorded and released: a recorded pod without the finalizer (or gone) is counted.
  const released = (uid: string) => !byUid.get(uid) || !tracked(byUid.get(uid)!);
  status.succeeded = (status.succeeded ?? 0) + (indexed ? 0 : uncounted.succeeded.filter(released).length);
  status.failed = (status.failed ?? 0) + uncounted.failed.filter(released).length;
  uncounted.succeeded = uncounted.succeeded.filter((u) => !released(u));
  uncounted.failed = uncounted.failed.filter((u) => !released(u));

  // Record the pods that ended since; their finalizers come off once this status is written.
  const ignored: Pod[] = [];
  for (const p of owned) {
    if (!tracked(p) || uncounted.succeeded.includes(p.metadata.uid!) || uncounted.failed.includes(p.metadata.uid!)) continue;
    const o = outcome(job, p);
    if (o === undefined && p.metadata.deletionTimestamp) {
      ignored.push(p); // deleted by a suspension: released uncounted, so that its deletion completes
    } else if (o === 'succeeded') {
      uncounted.succeeded.push(p.metadata.uid!);
      const ix = completionIndex(p);
      if (indexed && ix !== undefined && completions !== undefined && ix < completions) completed.add(ix);
    } else if (o === 'failed') {
      const match = spec.podFailurePolicy ? matchPodFailurePolicy(job, p) : undefined;
      if (match?.action === 'Ignore') {
        ignored.push(p); // released without being counted: it neither fails the Job nor uses up the back-off
        continue;
      }
      uncounted.failed.push(p.metadata.uid!);
      if (match?.action === 'FailJob' && !hasCondition(status, 'FailureTarget')) {
        status.conditions = withCondition(status.conditions!, jobCondition('FailureTarget', 'True', at, 'PodFailurePolicy', match.message));
      }
    }
  }
  if (indexed) status.succeeded = completed.size;
  const succeeded = (indexed ? 0 : uncounted.succeeded.length) + (status.succeeded ?? 0);
  const failed = uncounted.failed.length + (status.failed ?? 0);
  let active = owned.filter(isActivePod);

  // Suspension and its end.
  if (spec.suspend) {
    if (!hasCondition(status, 'Suspended')) {
      status.conditions = withCondition(status.conditions!, jobCondition('Suspended', 'True', at, 'JobSuspended', 'Job suspended'));
      await event(registry, job, 'Normal', 'Suspended', 'Job suspended');
    }
    for (const p of active) await deletePod(registry, job, p);
    active = [];
  } else {
    if (hasCondition(status, 'Suspended')) {
      status.conditions = withCondition(status.conditions!, jobCondition('Suspended', 'False', at, 'JobResumed', 'Job resumed'));
      status.startTime = at;
      await event(registry, job, 'Normal', 'Resumed', 'Job resumed');
    }
    status.startTime ??= at;
  }

  // Failure: the back-off limit, the deadline, a FailJob rule (already set above).
  if (!spec.suspend && !hasCondition(status, 'FailureTarget') && !hasCondition(status, 'SuccessCriteriaMet')) {
    const limit = spec.backoffLimit ?? 6;
    const restarts = spec.template?.spec?.restartPolicy === 'OnFailure' ? active.reduce((n, p) => n + (p.status?.containerStatuses ?? []).reduce((m, s) => m + (s.restartCount ?? 0), 0), 0) : 0;
    const restartsExceed = restarts > 0 && (limit === 0 || restarts >= limit);
    const deadline = spec.activeDeadlineSeconds ? Date.parse(status.startTime ?? '') + spec.activeDeadlineSeconds * 1000 : NaN;
    if (failed > limit || restartsExceed) {
      status.conditions = withCondition(status.conditions!, jobCondition('FailureTarget', 'True', at, 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'));
    } else if (!Number.isNaN(deadline) && deadline <= nowMs) {
      status.conditions = withCondition(status.conditions!, jobCondition('FailureTarget', 'True', at, 'DeadlineExceeded', 'Job was active longer than specified deadline'));
    } else if (!Number.isNaN(deadline)) {
      due = earliest(due, deadline);
    }
  }

  // Success.
  if (!hasCondition(status, 'FailureTarget') && !hasCondition(status, 'SuccessCriteriaMet')) {
    const done = indexed ? completions !== undefined && completed.size >= completions : completions === undefined ? succeeded > 0 && active.length === 0 : succeeded >= completions;
    if (done) status.conditions = withCondition(status.conditions!, jobCondition('SuccessCriteriaMet', 'True', at, 'CompletionsReached', 'Reached expected number of succeeded pods'));
  }

  const failureTarget = status.conditions!.find((c) => c.type === 'FailureTarget' && c.status === 'True');
  if (failureTarget || hasCondition(status, 'SuccessCriteriaMet')) {
    for (const p of active) await deletePod(registry, job, p);
    active = [];
  } else if (!spec.suspend) {
    due = earliest(due, await createOrDeletePods(registry, job, owned, active, succeeded, failed, completed, nowMs, speedDelay));
  }

  // What this pass created and deleted counts as it now stands.
  const now = (await registry.list<Pod>(podDef, job.metadata.namespace)).items.filter((p) => controllerUid(p) === job.metadata.uid);
  active = now.filter(isActivePod);
  const terminating = now.filter((p) => p.metadata.deletionTimestamp && !terminal(p)).length;
  // The terminal condition waits for every pod to be gone or finished and counted (KEP-4368's delayed condition).
  const settled = active.length === 0 && terminating === 0 && uncounted.succeeded.length === 0 && uncounted.failed.length === 0;
  if (settled && failureTarget) {
    status.conditions = withCondition(status.conditions!, jobCondition('Failed', 'True', at, failureTarget.reason!, failureTarget.message!));
    await event(registry, job, 'Warning', failureTarget.reason!, failureTarget.message!);
  } else if (settled && hasCondition(status, 'SuccessCriteriaMet')) {
    status.conditions = withCondition(status.conditions!, jobCondition('Complete', 'True', at, 'CompletionsReached', 'Reached expected number of succeeded pods'));
    status.completionTime = at;
    await event(registry, job, 'Normal', 'Completed', 'Job completed');
  }

  status.active = active.length;
  status.ready = active.filter(isPodReady).length;
  status.terminating = terminating;
  status.uncountedTerminatedPods = { ...(uncounted.succeeded.length ? { succeeded: uncounted.succeeded } : {}), ...(uncounted.failed.length ? { failed: uncounted.failed } : {}) };
  if (indexed) status.completedIndexes = formatIndexes(completed);
  for (const k of ['active', 'succeeded', 'failed'] as const) if (status[k] === 0) delete status[k];
  if ((status.conditions ?? []).length === 0) delete status.conditions;
  const written = deepEqual(status, job.status) ? true : await tolerant(registry.update(jobDef, job.metadata.namespace, job.metadata.name!, { ...job, status }, { subresource: 'status' }));
  if (!written) return due;

  // The recorded pods' finalizers come off only once their uids are stored.
  const recorded = new Set([...uncounted.succeeded, ...uncounted.failed]);
  for (const p of owned) if (tracked(p) && (recorded.has(p.metadata.uid!) || ignored.includes(p))) await dropFinalizer(registry, p);
  return due;
}

function hasCondition(status: NonNullable<Job['status']>, type: string): boolean {
  return (status.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** Creates the missing pods (after the failure back-off) and deletes the extra ones; answers when the back-off ends. */
async function createOrDeletePods(registry: Registry, job: Job, owned: Pod[], active: Pod[], succeeded: number, failed: number, completed: Set<number>, nowMs: number, speedDelay: (ms: number) => number): Promise<number | undefined> {
  const failedPods = owned.filter((p) => p.status?.phase === 'Failed' || (p.metadata.deletionTimestamp && !terminal(p)));
  if (failed > 0 && failedPods.length > 0) {
    const createAt = Math.max(...failedPods.map(failedAt)) + speedDelay(podBackOffMs(failed));
    if (createAt > nowMs) return createAt;
  }
  const parallelism = job.spec?.parallelism ?? 1;
  if (job.spec?.completionMode === 'Indexed') {
    const completions = job.spec.completions ?? 0;
    const running = new Set<number>();
    for (const p of active) {
      const ix = completionIndex(p);
      if (ix === undefined || ix >= completions || completed.has(ix) || running.has(ix)) await deletePod(registry, job, p);
      else running.add(ix);
    }
    let room = Math.min(parallelism - running.size, BURST);
    for (let ix = 0; ix < completions && room > 0; ix++) {
      if (completed.has(ix) || running.has(ix)) continue;
      await create(registry, job, ix);
      room--;
    }
    return undefined;
  }
  const want = wantedActive(job, succeeded);
  if (active.length < want) {
    for (let i = active.length; i < Math.min(want, active.length + BURST); i++) await create(registry, job);
  } else if (active.length > want) {
    const newestFirst = [...active].sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''));
    for (const p of newestFirst.slice(0, active.length - want)) await deletePod(registry, job, p);
  }
  return undefined;
}

async function create(registry: Registry, job: Job, index?: number): Promise<void> {
  const created = await tolerant(registry.create(podDef, job.metadata.namespace, jobPod(job, index)));
  if (created) await event(registry, job, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
}

/** A finished Job's TTL: deleted (foreground) ttlSecondsAfterFinished after its terminal condition. */
async function expire(registry: Registry, job: Job, nowMs: number): Promise<number | undefined> {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl === undefined || ttl === null || job.metadata.deletionTimestamp) return undefined;
  const c = (job.status?.conditions ?? []).find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  const at = Date.parse(c?.lastTransitionTime ?? '') + ttl * 1000;
  if (Number.isNaN(at)) return undefined;
  if (at > nowMs) return at;
  await tolerant(registry.delete(jobDef, job.metadata.namespace, job.metadata.name!, { propagationPolicy: 'Foreground', preconditions: { uid: job.metadata.uid! } }));
  return undefined;
}

/**
 * One pass over every Job; answers the emulated time at which one is due again. Tracking finalizers are removed
 * from the pods of a Job that is gone, being deleted or finished, so that nothing holds their deletion.
 */
export async function reconcileJobs(registry: Registry, jobs: Job[], pods: Pod[], speedDelay: (ms: number) => number): Promise<number | undefined> {
  const nowMs = registry.now().getTime();
  const byUid = new Map(jobs.map((j) => [j.metadata.uid!, j]));
  const owned = new Map<string, Pod[]>();
  for (const p of pods) {
    const uid = controllerUid(p);
    const job = uid ? byUid.get(uid) : undefined;
    if (job && job.metadata.namespace === p.metadata.namespace) owned.set(uid!, [...(owned.get(uid!) ?? []), p]);
    else if (tracked(p) && (p.metadata.ownerReferences ?? []).some((r) => r.kind === 'Job' && r.controller)) await dropFinalizer(registry, p);
  }
  let due: number | undefined;
  for (const job of jobs) {
    const mine = owned.get(job.metadata.uid!) ?? [];
    if (job.metadata.deletionTimestamp || jobFinished(job)) {
      for (const p of mine) if (tracked(p)) await dropFinalizer(registry, p);
      due = earliest(due, await expire(registry, job, nowMs));
      continue;
    }
    due = earliest(due, await reconcileJob(registry, job, mine, nowMs, speedDelay));
  }
  return due;
}
