/**
 * batch/v1 Jobs (SPEC W-9): upstream's defaults (SetDefaults_Job: completions and parallelism 1 when both are unset,
 * parallelism 1, backoffLimit 6, completionMode NonIndexed, suspend false, podReplacementPolicy), the selector and
 * pod labels kube-apiserver generates from the Job's uid (`batch.kubernetes.io/controller-uid`,
 * `batch.kubernetes.io/job-name` and their legacy unprefixed forms) unless `manualSelector`, the essentials of
 * ValidateJob, the status subresource and kubectl's columns (NAME STATUS COMPLETIONS DURATION AGE).
 * controllers/jobs.ts runs them.
 */
import type { FieldError } from '../api/machinery/errors.js';
import type { ResourceDef } from '../api/machinery/resource.js';
import { READ_WRITE } from '../api/machinery/resource.js';
import { matchesLabels } from '../api/machinery/selectors.js';
import type { Job, Pod } from '../api/machinery/types.js';
import { validateLabels } from '../api/machinery/validation.js';
import { age, humanDuration } from '../util/age.js';
import { deepEqual } from '../util/deep.js';
import { defaultTemplate, immutableSelector, selectorErrors, selectorRequirements, selectorString, TEMPLATE_COLUMNS, templateCells } from './apps-common.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './common.js';
import { pods } from './pods.js';

export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
const LEGACY_JOB_NAME_LABEL = 'job-name';

type JobSpec = NonNullable<Job['spec']>;

/** The most completions and parallelism an Indexed Job may ask for. */
const MAX_INDEXED = 100_000;

/** A nonnegative optional integer field's error (ValidateNonnegativeField). */
function nonNegative(v: number | undefined, field: string): FieldError[] {
  return v !== undefined && v !== null && v < 0 ? [{ type: 'FieldValueInvalid', field, value: v, detail: 'must be greater than or equal to 0' }] : [];
}

/** Whether a condition of this type is True (what kubectl's STATUS column and the controllers ask). */
export function hasJobCondition(job: Job, type: string): boolean {
  return (job.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** Whether the Job has finished (a Complete or Failed condition), IsJobFinished. */
export function jobFinished(job: Job): boolean {
  return hasJobCondition(job, 'Complete') || hasJobCondition(job, 'Failed');
}

/**
 * The essentials of ValidateJobSpec, shared with a CronJob's jobTemplate (fields under `prefix`): counts, the
 * completion mode, the pod template with restartPolicy OnFailure or Never, a selector matching the template.
 */
export function validateJobSpec(spec: JobSpec | undefined, prefix: string, selectorRequired: boolean): FieldError[] {
  if (!spec) return [{ type: 'FieldValueRequired', field: prefix }];
  const errs: FieldError[] = [
    ...nonNegative(spec.parallelism, `${prefix}.parallelism`),
    ...nonNegative(spec.completions, `${prefix}.completions`),
    ...nonNegative(spec.backoffLimit, `${prefix}.backoffLimit`),
    ...nonNegative(spec.ttlSecondsAfterFinished, `${prefix}.ttlSecondsAfterFinished`),
  ];
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null && spec.activeDeadlineSeconds <= 0) {
    errs.push({ type: 'FieldValueInvalid', field: `${prefix}.activeDeadlineSeconds`, value: spec.activeDeadlineSeconds, detail: 'must be greater than 0' });
  }
  const mode = spec.completionMode;
  if (mode !== undefined && mode !== 'NonIndexed' && mode !== 'Indexed') {
    errs.push({ type: 'FieldValueNotSupported', field: `${prefix}.completionMode`, value: mode, detail: 'supported values: "NonIndexed", "Indexed"' });
  }
  if (mode === 'Indexed' && (spec.completions === undefined || spec.completions === null)) {
    errs.push({ type: 'FieldValueRequired', field: `${prefix}.completions`, detail: 'when completion mode is Indexed' });
  }
  if (mode === 'Indexed' && (spec.completions ?? 0) > MAX_INDEXED) {
    errs.push({ type: 'FieldValueInvalid', field: `${prefix}.completions`, value: spec.completions, detail: `must be less than or equal to ${MAX_INDEXED} when completion mode is Indexed` });
  }
  if (mode === 'Indexed' && (spec.parallelism ?? 0) > MAX_INDEXED) {
    errs.push({ type: 'FieldValueInvalid', field: `${prefix}.parallelism`, value: spec.parallelism, detail: `must be less than or equal to ${MAX_INDEXED} when completion mode is Indexed` });
  }
  const replacement = spec.podReplacementPolicy;
  if (replacement !== undefined && replacement !== 'TerminatingOrFailed' && replacement !== 'Failed') {
    errs.push({ type: 'FieldValueNotSupported', field: `${prefix}.podReplacementPolicy`, value: replacement, detail: 'supported values: "Failed", "TerminatingOrFailed"' });
  }
  if (spec.selector) errs.push(...selectorErrors(spec.selector, `${prefix}.selector`));
  else if (selectorRequired) errs.push({ type: 'FieldValueRequired', field: `${prefix}.selector` });
  const t = spec.template;
  if (!t) return [...errs, { type: 'FieldValueRequired', field: `${prefix}.template` }];
  const labels = t.metadata?.labels ?? {};
  errs.push(...validateLabels(t.metadata?.labels, `${prefix}.template.metadata.labels`));
  const reqs = selectorRequirements(spec.selector);
  if (spec.selector && reqs.length === 0) errs.push({ type: 'FieldValueInvalid', field: `${prefix}.selector`, value: spec.selector, detail: 'empty selector is invalid for job' });
  if (reqs.length > 0 && !matchesLabels(reqs, labels)) {
    errs.push({ type: 'FieldValueInvalid', field: `${prefix}.template.metadata.labels`, value: labels, detail: '`selector` does not match template `labels`' });
  }
  const restart = t.spec?.restartPolicy;
  if (restart !== 'OnFailure' && restart !== 'Never') {
    errs.push({ type: 'FieldValueNotSupported', field: `${prefix}.template.spec.restartPolicy`, value: restart ?? '', detail: 'supported values: "OnFailure", "Never"' });
  }
  if (spec.podFailurePolicy && restart !== 'Never') {
    errs.push({ type: 'FieldValueInvalid', field: `${prefix}.template.spec.restartPolicy`, value: restart ?? '', detail: 'only "Never" is supported when podFailurePolicy is specified' });
  }
  const podErrs = pods.validate?.({ metadata: { name: 'template', namespace: 'default' }, spec: t.spec } as Pod) ?? [];
  for (const e of podErrs) errs.push({ ...e, field: `${prefix}.template.${e.field}` });
  return errs;
}

/** Job spec defaults (SetDefaults_Job), also applied to a CronJob's jobTemplate.spec by the Job it creates. */
export function defaultJobSpec(s: JobSpec): void {
  if (s.completions === undefined && s.parallelism === undefined) {
    s.completions = 1;
    s.parallelism = 1;
  }
  s.parallelism ??= 1;
  s.backoffLimit ??= s.backoffLimitPerIndex !== undefined ? 2147483647 : 6;
  s.completionMode ??= 'NonIndexed';
  s.suspend ??= false;
  s.podReplacementPolicy ??= s.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  for (const rule of s.podFailurePolicy?.rules ?? []) for (const p of rule.onPodConditions ?? []) p.status ??= 'True';
  defaultTemplate(s.template);
}

/**
 * generateSelector: unless manualSelector, the template gets the Job's name and uid as labels and the selector
 * selects the uid (labels the client already set are kept; a conflict is then a validation error).
 */
function generateSelector(job: Job): void {
  const s = job.spec!;
  if (s.manualSelector === true) return;
  s.template ??= {};
  s.template.metadata ??= {};
  const labels = (s.template.metadata.labels ??= {});
  labels[LEGACY_JOB_NAME_LABEL] ??= job.metadata.name!;
  labels[JOB_NAME_LABEL] ??= job.metadata.name!;
  labels[LEGACY_CONTROLLER_UID_LABEL] ??= job.metadata.uid!;
  labels[CONTROLLER_UID_LABEL] ??= job.metadata.uid!;
  s.selector ??= {};
  s.selector.matchLabels ??= {};
  s.selector.matchLabels[CONTROLLER_UID_LABEL] ??= job.metadata.uid!;
}

/** validateGeneratedSelector: the selector must be exactly the generated one, and the labels name this Job's uid. */
function generatedSelectorErrors(job: Job): FieldError[] {
  const s = job.spec;
  if (!s || s.manualSelector === true) return [];
  const uid = job.metadata.uid;
  if (!uid) return [];
  if (!deepEqual(s.selector ?? null, { matchLabels: { [CONTROLLER_UID_LABEL]: uid } })) {
    return [{ type: 'FieldValueInvalid', field: 'spec.selector', value: s.selector, detail: '`selector` not auto-generated' }];
  }
  const labels = s.template?.metadata?.labels ?? {};
  if (labels[CONTROLLER_UID_LABEL] !== uid) {
    return [{ type: 'FieldValueInvalid', field: `spec.template.metadata.labels[${CONTROLLER_UID_LABEL}]`, value: labels[CONTROLLER_UID_LABEL], detail: `must be '${uid}'` }];
  }
  return [];
}

/** The STATUS cell (printJob): the terminal condition first, then Terminating, Suspended, the interim conditions. */
export function jobStatusCell(job: Job): string {
  if (hasJobCondition(job, 'Complete')) return 'Complete';
  if (hasJobCondition(job, 'Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (hasJobCondition(job, 'Suspended')) return 'Suspended';
  if (hasJobCondition(job, 'FailureTarget')) return 'FailureTarget';
  if (hasJobCondition(job, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

/** The COMPLETIONS cell: succeeded/completions, or for a work queue (no completions) succeeded/1 of parallelism. */
export function completionsCell(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  const completions = job.spec?.completions;
  if (completions !== undefined && completions !== null) return `${succeeded}/${completions}`;
  const parallelism = job.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

/** The DURATION cell: from startTime to completionTime, or to now while it runs; empty before it starts. */
export function durationCell(job: Job, now: Date): string {
  const start = Date.parse(job.status?.startTime ?? '');
  if (Number.isNaN(start)) return '';
  const end = Date.parse(job.status?.completionTime ?? '');
  return humanDuration((Number.isNaN(end) ? now.getTime() : end) - start);
}

export const jobs: ResourceDef<Job> = {
  group: 'batch',
  version: 'v1',
  resource: 'jobs',
  singular: 'job',
  kind: 'Job',
  namespaced: true,
  categories: ['all'],
  verbs: READ_WRITE,
  subresources: [{ name: 'status', kind: 'Job', verbs: ['get', 'patch', 'update'] }],
  model: 'V1Job',
  nameFormat: 'subdomain',
  allowCreateOnUpdate: false,
  returnDeletedObject: false,
  hasStatus: true,
  generation: true,
  collectsDependents: true,
  fieldSelectors: { 'status.successful': (j) => String(j.status?.succeeded ?? 0) },
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'Status of the job.'),
    column('Completions', 'string', 'The number of pods that completed successfully, out of the completions the job asks for.'),
    column('Duration', 'string', 'Time the job took to complete, or has been running.'),
    AGE_COLUMN,
    ...TEMPLATE_COLUMNS,
    column('Selector', 'string', 'A label query over pods that should match the pod count.', 1),
  ],
  cells: (job, ctx) => {
    return [
      job.metadata.name,
      jobStatusCell(job),
      completionsCell(job),
      durationCell(job, ctx.now),
      age(job.metadata.creationTimestamp, ctx.now),
      ...templateCells(job.spec?.template),
      selectorString(job.spec?.selector),
    ];
  },
  prepareForCreate: (job) => {
    job.status = {};
    if (!job.spec) return;
    // SetDefaults_Job copies the template's labels to a Job without labels before the selector is generated; a
    // template without labels leaves the generated ones, which kube-apiserver's defaulting on read copies.
    const own = job.spec.template?.metadata?.labels;
    if (Object.keys(job.metadata.labels ?? {}).length === 0 && own && Object.keys(own).length > 0) job.metadata.labels = { ...own };
    generateSelector(job);
    if (Object.keys(job.metadata.labels ?? {}).length === 0 && job.spec.template?.metadata?.labels) job.metadata.labels = { ...job.spec.template.metadata.labels };
  },
  prepareForUpdate: (job, old, subresource) => {
    if (subresource === 'status') job.spec = old.spec;
    else job.status = old.status;
  },
  defaults: (job) => {
    job.spec ??= { template: {} };
    defaultJobSpec(job.spec);
  },
  validate: (job) => [...validateJobSpec(job.spec, 'spec', job.spec?.manualSelector === true), ...generatedSelectorErrors(job)],
  validateUpdate: (job, old, subresource) => {
    if (subresource === 'status') return [];
    const s = job.spec;
    const o = old.spec;
    const errs = immutableSelector(s?.selector, o?.selector);
    const immutable = (field: string, a: unknown, b: unknown) => {
      if (!deepEqual(a ?? null, b ?? null)) errs.push({ type: 'FieldValueInvalid', field, value: a, detail: 'field is immutable' });
    };
    // A suspended Job that never started may still change its pod template (the mutable scheduling directives).
    if (!(o?.suspend && !old.status?.startTime)) immutable('spec.template', s?.template, o?.template);
    immutable('spec.completionMode', s?.completionMode, o?.completionMode);
    // Elastic Indexed Jobs change completions together with parallelism.
    if (!(s?.completionMode === 'Indexed' && s.completions === s.parallelism)) immutable('spec.completions', s?.completions, o?.completions);
    return errs;
  },
  specOf: (job) => job.spec,
};
