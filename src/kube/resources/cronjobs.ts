/**
 * batch/v1 CronJobs (`cj`, SPEC W-11): upstream's defaults (concurrencyPolicy Allow, suspend false, 3 successful
 * and 1 failed Job kept), the essentials of ValidateCronJob (a schedule robfig/cron parses, a known timeZone, at
 * most 52 characters of name so that the Jobs' names fit, the jobTemplate as a Job spec), the status subresource
 * and kubectl's columns (NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE). controllers/cronjobs.ts runs them.
 */
import type { FieldError } from '../api/machinery/errors.js';
import type { ResourceDef } from '../api/machinery/resource.js';
import { READ_WRITE } from '../api/machinery/resource.js';
import type { CronJob } from '../api/machinery/types.js';
import { age } from '../util/age.js';
import { knownTimeZone, scheduleError } from '../util/cron.js';
import { defaultTemplate, selectorString, TEMPLATE_COLUMNS, templateCells } from './apps-common.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './common.js';
import { validateJobSpec } from './jobs.js';

const CONCURRENCY = ['Allow', 'Forbid', 'Replace'];
/** A CronJob's name leaves room for the 11-character suffix of its Jobs' names (ValidateCronJob). */
const MAX_NAME = 52;

function validateCronJob(cj: CronJob): FieldError[] {
  const errs: FieldError[] = [];
  if ((cj.metadata.name ?? '').length > MAX_NAME) {
    errs.push({ type: 'FieldValueInvalid', field: 'metadata.name', value: cj.metadata.name, detail: `must be no more than ${MAX_NAME} characters` });
  }
  const s = cj.spec;
  if (!s) return [...errs, { type: 'FieldValueRequired', field: 'spec' }];
  if (!s.schedule) errs.push({ type: 'FieldValueRequired', field: 'spec.schedule' });
  else {
    const why = scheduleError(s.schedule);
    if (why) errs.push({ type: 'FieldValueInvalid', field: 'spec.schedule', value: s.schedule, detail: why });
  }
  if (s.timeZone !== undefined && s.timeZone !== null && !knownTimeZone(s.timeZone)) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.timeZone', value: s.timeZone, detail: `unknown time zone ${s.timeZone}` });
  }
  if (s.concurrencyPolicy !== undefined && !CONCURRENCY.includes(s.concurrencyPolicy)) {
    errs.push({ type: 'FieldValueNotSupported', field: 'spec.concurrencyPolicy', value: s.concurrencyPolicy, detail: 'supported values: "Allow", "Forbid", "Replace"' });
  }
  for (const f of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit'] as const) {
    const v = s[f];
    if (v !== undefined && v !== null && v < 0) errs.push({ type: 'FieldValueInvalid', field: `spec.${f}`, value: v, detail: 'must be greater than or equal to 0' });
  }
  errs.push(...validateJobSpec(s.jobTemplate?.spec, 'spec.jobTemplate.spec', false));
  return errs;
}

export const cronjobs: ResourceDef<CronJob> = {
  group: 'batch',
  version: 'v1',
  resource: 'cronjobs',
  singular: 'cronjob',
  kind: 'CronJob',
  namespaced: true,
  shortNames: ['cj'],
  categories: ['all'],
  verbs: READ_WRITE,
  subresources: [{ name: 'status', kind: 'CronJob', verbs: ['get', 'patch', 'update'] }],
  model: 'V1CronJob',
  nameFormat: 'subdomain',
  allowCreateOnUpdate: false,
  returnDeletedObject: false,
  hasStatus: true,
  generation: true,
  collectsDependents: true,
  fieldSelectors: {},
  columns: [
    NAME_COLUMN,
    column('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    column('Timezone', 'string', 'The time zone name for the given schedule; the controller\'s time zone when unset.'),
    column('Suspend', 'boolean', 'Whether the controller suspends subsequent executions.'),
    column('Active', 'integer', 'The number of jobs currently running.'),
    column('Last Schedule', 'string', 'When the job was last successfully scheduled.'),
    AGE_COLUMN,
    ...TEMPLATE_COLUMNS,
    column('Selector', 'string', 'A label query over pods that should match the pod count.', 1),
  ],
  cells: (cj, ctx) => {
    const last = cj.status?.lastScheduleTime;
    return [
      cj.metadata.name,
      cj.spec?.schedule ?? '',
      cj.spec?.timeZone ?? '<none>',
      cj.spec?.suspend === true ? 'True' : 'False',
      (cj.status?.active ?? []).length,
      last ? age(last, ctx.now) : '<none>',
      age(cj.metadata.creationTimestamp, ctx.now),
      ...templateCells(cj.spec?.jobTemplate?.spec?.template),
      selectorString(cj.spec?.jobTemplate?.spec?.selector),
    ];
  },
  prepareForCreate: (cj) => {
    cj.status = {};
  },
  prepareForUpdate: (cj, old, subresource) => {
    if (subresource === 'status') cj.spec = old.spec;
    else cj.status = old.status;
  },
  defaults: (cj) => {
    cj.spec ??= { schedule: '', jobTemplate: {} };
    const s = cj.spec;
    s.concurrencyPolicy ??= 'Allow';
    s.suspend ??= false;
    s.successfulJobsHistoryLimit ??= 3;
    s.failedJobsHistoryLimit ??= 1;
    s.jobTemplate ??= {};
    // Only the pod template's defaults: the Job spec's own (SetDefaults_Job) apply to the Jobs made from it.
    defaultTemplate(s.jobTemplate.spec?.template);
  },
  validate: validateCronJob,
  specOf: (cj) => cj.spec,
};
