/**
 * The CronJob controller (SPEC W-11), one level-triggered pass on the emulated clock (so a clock jump fires what
 * fell due, and a pass is scheduled at the next schedule time):
 *
 * - the active list follows the Jobs the CronJob controls: a finished one leaves it (SawCompletedJob), a gone one
 *   too (MissingJob), a running one the controller did not create is reported (UnexpectedJob), and the latest
 *   completionTime of a Complete Job is lastSuccessfulTime;
 * - unless suspended or being deleted: the most recent unmet schedule time (util/cron.ts) since lastScheduleTime
 *   (or creation, or now − startingDeadlineSeconds) is run once — missed beyond startingDeadlineSeconds
 *   (MissSchedule), skipped while a Job runs under Forbid (JobAlreadyActive), after deleting the running Jobs under
 *   Replace — as the Job `<cronjob>-<minutes since the epoch>` with the template's labels and annotations and
 *   `batch.kubernetes.io/cronjob-scheduled-timestamp`; more than 100 unmet times are reported
 *   (TooManyMissedTimes);
 * - finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit are deleted, oldest start first.
 */
import type { Registry } from '../api/registry/registry.js';
import type { CronJob, Job } from '../api/machinery/types.js';
import { KubeError } from '../api/machinery/errors.js';
import { cronjobs as cronDef, jobs as jobDef } from '../resources/index.js';
import { hasJobCondition, jobFinished } from '../resources/jobs.js';
import { kubeTime } from '../util/age.js';
import { MANY_MISSED, mostRecentScheduleTime, nextScheduleTime, rfc3339In, scheduledJobName } from '../util/cron.js';
import { clone, deepEqual } from '../util/deep.js';
import { recordEvent } from './events.js';
import { controllerRef, controllerUid, earliest, tolerant } from './workload-common.js';

const SCHEDULED_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

type CronJobStatus = NonNullable<CronJob['status']>;
type JobRef = NonNullable<CronJobStatus['active']>[number];

async function event(registry: Registry, cj: CronJob, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
  await tolerant(recordEvent(registry, { involved: { ...cj, apiVersion: 'batch/v1', kind: 'CronJob' }, type, reason, message, component: 'cronjob-controller' }));
}

function refOf(job: Job): JobRef {
  return { kind: 'Job', namespace: job.metadata.namespace, name: job.metadata.name, uid: job.metadata.uid, apiVersion: 'batch/v1', resourceVersion: job.metadata.resourceVersion };
}

/** Go's time.RFC1123Z in UTC, as the MissSchedule event writes the missed time. */
function rfc1123z(ms: number): string {
  const d = new Date(ms);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${day}, ${p(d.getUTCDate())} ${month} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

async function deleteJob(registry: Registry, cj: CronJob, job: Job, status: CronJobStatus): Promise<void> {
  if (await tolerant(registry.delete(jobDef, job.metadata.namespace, job.metadata.name!, { propagationPolicy: 'Background', preconditions: { uid: job.metadata.uid! } }))) {
    status.active = (status.active ?? []).filter((r) => r.uid !== job.metadata.uid);
    await event(registry, cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
  }
}

/** The Job for a schedule time (getJobFromTemplate2). */
function jobFor(cj: CronJob, scheduledMs: number): Job {
  const t = clone(cj.spec!.jobTemplate ?? {});
  return {
    metadata: {
      name: scheduledJobName(cj.metadata.name!, scheduledMs),
      namespace: cj.metadata.namespace,
      ...(t.metadata?.labels ? { labels: t.metadata.labels } : {}),
      annotations: { ...(t.metadata?.annotations ?? {}), [SCHEDULED_ANNOTATION]: rfc3339In(scheduledMs, cj.spec?.timeZone ?? undefined) },
      ownerReferences: [controllerRef(cj, 'batch/v1', 'CronJob')],
    },
    spec: t.spec,
  } as Job;
}

/** Syncs the active list with the Jobs the CronJob controls (what upstream does before scheduling). */
async function syncActive(registry: Registry, cj: CronJob, jobs: Job[], status: CronJobStatus): Promise<void> {
  const active = () => status.active ?? [];
  for (const j of jobs) {
    const listed = active().some((r) => r.uid === j.metadata.uid);
    if (!listed && !jobFinished(j)) {
      await event(registry, cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata.name}`);
    } else if (listed && jobFinished(j)) {
      status.active = active().filter((r) => r.uid !== j.metadata.uid);
      await event(registry, cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata.name}, condition: ${hasJobCondition(j, 'Complete') ? 'Complete' : 'Failed'}`);
    }
    const done = j.status?.completionTime;
    if (hasJobCondition(j, 'Complete') && done && (!status.lastSuccessfulTime || Date.parse(done) > Date.parse(status.lastSuccessfulTime))) status.lastSuccessfulTime = done;
  }
  for (const r of active()) {
    if (jobs.some((j) => j.metadata.uid === r.uid)) continue;
    status.active = active().filter((x) => x.uid !== r.uid);
    await event(registry, cj, 'Normal', 'MissingJob', `Active job went missing: ${r.name}`);
  }
}

/** Runs the most recent unmet schedule time, if any is due; answers the next schedule time. */
async function schedule(registry: Registry, cj: CronJob, jobs: Job[], status: CronJobStatus, nowMs: number): Promise<number | undefined> {
  const spec = cj.spec!;
  const tz = spec.timeZone ?? undefined;
  const next = nextScheduleTime(spec.schedule, tz, nowMs);
  let earliestMs = Date.parse(status.lastScheduleTime ?? cj.metadata.creationTimestamp ?? '');
  if (Number.isNaN(earliestMs)) return next;
  const deadline = spec.startingDeadlineSeconds;
  if (deadline !== undefined && deadline !== null) earliestMs = Math.max(earliestMs, nowMs - deadline * 1000);
  const { time, missed } = mostRecentScheduleTime(spec.schedule, tz, earliestMs, nowMs);
  if (time === undefined) return next;
  if (missed > MANY_MISSED) {
    await event(registry, cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
  }
  if (deadline !== undefined && deadline !== null && time + deadline * 1000 < nowMs) {
    await event(registry, cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(time)}`);
    return next;
  }
  const name = scheduledJobName(cj.metadata.name!, time);
  if ((status.active ?? []).some((r) => r.name === name) || (status.lastScheduleTime && Date.parse(status.lastScheduleTime) === time)) return next;
  if (spec.concurrencyPolicy === 'Forbid' && (status.active ?? []).length > 0) {
    await event(registry, cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
    return next;
  }
  if (spec.concurrencyPolicy === 'Replace') {
    for (const r of [...(status.active ?? [])]) {
      const j = jobs.find((x) => x.metadata.uid === r.uid);
      if (j) await deleteJob(registry, cj, j, status);
    }
  }
  let job: Job | undefined;
  try {
    job = await registry.create<Job>(jobDef, cj.metadata.namespace, jobFor(cj, time));
    await event(registry, cj, 'Normal', 'SuccessfulCreate', `Created job ${job.metadata.name}`);
  } catch (err) {
    if (!(err instanceof KubeError)) throw err;
    if (err.code !== 409) {
      await event(registry, cj, 'Warning', 'FailedCreate', `Error creating job: ${err.message}`);
      return next;
    }
    // Created before (a pass that stopped before writing the status): take it if it is this CronJob's.
    job = await tolerant(registry.get<Job>(jobDef, cj.metadata.namespace, name));
    if (!job || controllerUid(job) !== cj.metadata.uid) return next;
  }
  if (!(status.active ?? []).some((r) => r.uid === job!.metadata.uid)) status.active = [...(status.active ?? []), refOf(job)];
  status.lastScheduleTime = kubeTime(new Date(time));
  return next;
}

/** Deletes the oldest finished Jobs beyond the history limits. */
async function cleanUp(registry: Registry, cj: CronJob, jobs: Job[], status: CronJobStatus): Promise<void> {
  const byStart = (a: Job, b: Job) => {
    const sa = a.status?.startTime;
    const sb = b.status?.startTime;
    if (!sa || !sb) return sa ? -1 : sb ? 1 : (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
    return sa === sb ? (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '') : Date.parse(sa) - Date.parse(sb);
  };
  const limits: Array<[string, number | undefined]> = [
    ['Complete', cj.spec?.successfulJobsHistoryLimit ?? undefined],
    ['Failed', cj.spec?.failedJobsHistoryLimit ?? undefined],
  ];
  for (const [type, limit] of limits) {
    if (limit === undefined) continue;
    const finished = jobs.filter((j) => !j.metadata.deletionTimestamp && hasJobCondition(j, type)).sort(byStart);
    for (const j of finished.slice(0, Math.max(0, finished.length - limit))) await deleteJob(registry, cj, j, status);
  }
}

/** One pass over every CronJob; answers the emulated time of the next schedule time among them. */
export async function reconcileCronJobs(registry: Registry, cronJobs: CronJob[], jobs: Job[]): Promise<number | undefined> {
  const nowMs = registry.now().getTime();
  let due: number | undefined;
  for (const cj of cronJobs) {
    const mine = jobs.filter((j) => controllerUid(j) === cj.metadata.uid && j.metadata.namespace === cj.metadata.namespace);
    const status: CronJobStatus = clone(cj.status ?? {});
    await syncActive(registry, cj, mine, status);
    if (cj.metadata.deletionTimestamp) continue;
    if (!cj.spec?.suspend && cj.spec?.schedule) due = earliest(due, await schedule(registry, cj, mine, status, nowMs));
    await cleanUp(registry, cj, mine, status);
    if ((status.active ?? []).length === 0) delete status.active;
    if (!deepEqual(status, cj.status ?? {})) await tolerant(registry.update(cronDef, cj.metadata.namespace, cj.metadata.name!, { ...cj, status }, { subresource: 'status' }));
  }
  return due;
}
