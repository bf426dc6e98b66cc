/**
 * What the Job controller (SPEC W-9, W-10) computes without writing: the pod it creates for a Job (and an index of
 * an Indexed Job), the completion index of a pod, the compressed index list of `status.completedIndexes`, how
 * many pods a Job wants running, the pod-creation back-off after failures, and which podFailurePolicy rule a
 * failed pod matches.
 */
import type { Job, Pod } from '../api/machinery/types.js';
import { clone } from '../util/deep.js';
import { randomSuffix } from '../util/names.js';
import { controllerRef } from './workload-common.js';

export const TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
const BACKOFF_START_MS = 10_000;
const BACKOFF_MAX_MS = 360_000;

/** The completion index a pod was created for (annotation, else label), or undefined. */
export function completionIndex(pod: Pod): number | undefined {
  const v = pod.metadata.annotations?.[COMPLETION_INDEX] ?? pod.metadata.labels?.[COMPLETION_INDEX];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** Indexes as `status.completedIndexes` writes them: sorted, runs of three or more as ranges ("0-2,4,6,7"). */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    if (j - i >= 2) parts.push(`${sorted[i]}-${sorted[j]}`);
    else for (let k = i; k <= j; k++) parts.push(String(sorted[k]));
    i = j + 1;
  }
  return parts.join(',');
}

/** The indexes of a `completedIndexes` string ("1,3-5" → 1,3,4,5); malformed parts are skipped. */
export function parseIndexes(s: string | undefined): Set<number> {
  const out = new Set<number>();
  for (const part of (s ?? '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const from = Number(m[1]);
    const to = m[2] !== undefined ? Number(m[2]) : from;
    for (let i = from; i <= to && i - from < 1_000_000; i++) out.add(i);
  }
  return out;
}

/**
 * How many pods a Job wants active (NonIndexed): min(parallelism, completions − succeeded); a work queue (no
 * completions) wants parallelism until one pod has succeeded, then none.
 */
export function wantedActive(job: Job, succeeded: number): number {
  const parallelism = job.spec?.parallelism ?? 1;
  const completions = job.spec?.completions;
  if (completions === undefined || completions === null) return succeeded > 0 ? 0 : parallelism;
  return Math.max(0, Math.min(parallelism, completions - succeeded));
}

/** The delay before pods replace failed ones: 10 s doubling per failure, at most 6 minutes (before the speed's scaling). */
export function podBackOffMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** Math.min(failures - 1, 10));
}

/** When a failed pod failed: its last container's finish, else its deletion, else its creation (emulated ms). */
export function failedAt(pod: Pod): number {
  const finishes = (pod.status?.containerStatuses ?? []).map((s) => Date.parse(s.state?.terminated?.finishedAt ?? '')).filter((t) => !Number.isNaN(t));
  if (finishes.length > 0) return Math.max(...finishes);
  const t = Date.parse(pod.metadata.deletionTimestamp ?? pod.metadata.creationTimestamp ?? '');
  return Number.isNaN(t) ? 0 : t;
}

/**
 * The pod a Job creates: its template with the tracking finalizer and the Job as controller, named
 * `<job>-<5 chars>`; for an index of an Indexed Job `<job>-<index>-<5 chars>` with the index as annotation and
 * label, the hostname `<job>-<index>` and `JOB_COMPLETION_INDEX` in every container's environment.
 */
export function jobPod(job: Job, index?: number): Pod {
  const t = clone(job.spec!.template ?? {});
  const spec = t.spec!;
  const labels = { ...(t.metadata?.labels ?? {}) };
  const annotations = { ...(t.metadata?.annotations ?? {}) };
  let name = `${job.metadata.name}-${randomSuffix(5)}`;
  if (index !== undefined) {
    name = `${job.metadata.name}-${index}-${randomSuffix(5)}`;
    annotations[COMPLETION_INDEX] = String(index);
    labels[COMPLETION_INDEX] = String(index);
    spec.hostname ??= `${job.metadata.name}-${index}`;
    const env = { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${COMPLETION_INDEX}']` } } };
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      if (!(c.env ?? []).some((e) => e.name === env.name)) c.env = [...(c.env ?? []), env];
    }
  }
  return {
    metadata: {
      name,
      namespace: job.metadata.namespace,
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ownerReferences: [controllerRef(job, 'batch/v1', 'Job')],
      finalizers: [TRACKING_FINALIZER],
    },
    spec,
  } as Pod;
}

export interface PolicyMatch {
  action: string;
  /** The FailureTarget message of a FailJob rule. */
  message: string;
}

/**
 * The first podFailurePolicy rule a failed pod matches (onExitCodes over its terminated containers with a
 * non-zero code, or onPodConditions over its conditions), with the message upstream writes for FailJob.
 */
export function matchPodFailurePolicy(job: Job, pod: Pod): PolicyMatch | undefined {
  const rules = job.spec?.podFailurePolicy?.rules ?? [];
  const where = `${pod.metadata.namespace}/${pod.metadata.name}`;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    const codes = rule.onExitCodes;
    if (codes) {
      for (const s of pod.status?.containerStatuses ?? []) {
        const code = s.state?.terminated?.exitCode;
        if (code === undefined || code === 0 || (codes.containerName && codes.containerName !== s.name)) continue;
        const listed = (codes.values ?? []).includes(code);
        if (codes.operator === 'In' ? listed : !listed) {
          return { action: rule.action, message: `Container ${s.name} for pod ${where} failed with exit code ${code} matching ${rule.action} rule at index ${i}` };
        }
      }
    }
    for (const pattern of rule.onPodConditions ?? []) {
      if ((pod.status?.conditions ?? []).some((c) => c.type === pattern.type && c.status === (pattern.status ?? 'True'))) {
        return { action: rule.action, message: `Pod ${where} has condition ${pattern.type} matching ${rule.action} rule at index ${i}` };
      }
    }
  }
  return undefined;
}
