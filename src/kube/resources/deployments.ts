/**
 * apps/v1 Deployments (SPEC W-4): upstream's defaults (RollingUpdate 25%/25%, revisionHistoryLimit 10,
 * progressDeadlineSeconds 600), the essentials of ValidateDeployment, the scale and status subresources and the
 * columns kubectl prints (NAME READY UP-TO-DATE AVAILABLE AGE). controllers/deployments.ts rolls them out.
 */
import type { FieldError } from '../api/machinery/errors.js';
import type { ResourceDef } from '../api/machinery/resource.js';
import { READ_WRITE } from '../api/machinery/resource.js';
import type { Deployment } from '../api/machinery/types.js';
import { age } from '../util/age.js';
import { defaultTemplate, immutableSelector, selectorString, TEMPLATE_COLUMNS, templateCells, validateWorkloadSpec } from './apps-common.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './common.js';
import { SCALE_SUBRESOURCE } from './replicasets.js';

type IntOrPercent = number | string | undefined;

/** An int-or-percent field's problems (a percentage is "<digits>%"). */
function intOrPercent(v: IntOrPercent, field: string): FieldError[] {
  if (v === undefined) return [];
  if (typeof v === 'number') return v < 0 ? [{ type: 'FieldValueInvalid', field, value: v, detail: 'must be greater than or equal to 0' }] : [];
  const m = /^(\d+)%$/.exec(v);
  if (!m) return [{ type: 'FieldValueInvalid', field, value: v, detail: 'a valid percent string must be a numeric string followed by an ending \'%\' (e.g. \'1%\',  or \'93%\', regex used for validation is \'[0-9]+%\')' }];
  return Number(m[1]) > 100 ? [{ type: 'FieldValueInvalid', field, value: v, detail: 'must not be greater than 100%' }] : [];
}

function isZero(v: IntOrPercent): boolean {
  return v === 0 || v === '0%' || v === undefined;
}

function validateDeployment(d: Deployment): FieldError[] {
  const errs = validateWorkloadSpec(d.spec);
  const s = d.spec;
  if (!s) return errs;
  const strategy = s.strategy ?? {};
  if (strategy.type && strategy.type !== 'RollingUpdate' && strategy.type !== 'Recreate') {
    errs.push({ type: 'FieldValueNotSupported', field: 'spec.strategy.type', value: strategy.type, detail: 'supported values: "Recreate", "RollingUpdate"' });
  }
  if (strategy.type === 'Recreate' && strategy.rollingUpdate) {
    errs.push({ type: 'FieldValueForbidden', field: 'spec.strategy.rollingUpdate', detail: 'may not be specified when strategy `type` is \'Recreate\'' });
  }
  const ru = strategy.rollingUpdate;
  if (ru) {
    errs.push(...intOrPercent(ru.maxSurge as IntOrPercent, 'spec.strategy.rollingUpdate.maxSurge'));
    errs.push(...intOrPercent(ru.maxUnavailable as IntOrPercent, 'spec.strategy.rollingUpdate.maxUnavailable'));
    if (isZero(ru.maxSurge as IntOrPercent) && isZero(ru.maxUnavailable as IntOrPercent)) {
      errs.push({ type: 'FieldValueInvalid', field: 'spec.strategy.rollingUpdate.maxUnavailable', value: ru.maxUnavailable ?? 0, detail: 'may not be 0 when `maxSurge` is 0' });
    }
  }
  if (s.revisionHistoryLimit !== undefined && s.revisionHistoryLimit < 0) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.revisionHistoryLimit', value: s.revisionHistoryLimit, detail: 'must be greater than or equal to 0' });
  }
  if (s.progressDeadlineSeconds !== undefined && s.progressDeadlineSeconds <= (s.minReadySeconds ?? 0)) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.progressDeadlineSeconds', value: s.progressDeadlineSeconds, detail: 'must be greater than minReadySeconds' });
  }
  return errs;
}

export const deployments: ResourceDef<Deployment> = {
  group: 'apps',
  version: 'v1',
  resource: 'deployments',
  singular: 'deployment',
  kind: 'Deployment',
  namespaced: true,
  shortNames: ['deploy'],
  categories: ['all'],
  verbs: READ_WRITE,
  subresources: [{ ...SCALE_SUBRESOURCE, verbs: [...SCALE_SUBRESOURCE.verbs] }, { name: 'status', kind: 'Deployment', verbs: ['get', 'patch', 'update'] }],
  model: 'V1Deployment',
  nameFormat: 'subdomain',
  allowCreateOnUpdate: false,
  returnDeletedObject: false,
  hasStatus: true,
  generation: true,
  collectsDependents: true,
  fieldSelectors: {},
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'Number of the pod with ready state'),
    column('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    column('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    AGE_COLUMN,
    ...TEMPLATE_COLUMNS,
    column('Selector', 'string', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.', 1),
  ],
  cells: (d, ctx) => {
    return [
      d.metadata.name,
      `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
      d.status?.updatedReplicas ?? 0,
      d.status?.availableReplicas ?? 0,
      age(d.metadata.creationTimestamp, ctx.now),
      ...templateCells(d.spec?.template),
      selectorString(d.spec?.selector),
    ];
  },
  prepareForCreate: (d) => {
    d.status = {};
  },
  prepareForUpdate: (d, old, subresource) => {
    if (subresource === 'status') d.spec = old.spec;
    else d.status = old.status;
  },
  defaults: (d) => {
    d.spec ??= { selector: {}, template: {} };
    const s = d.spec;
    s.replicas ??= 1;
    s.strategy ??= {};
    s.strategy.type ??= 'RollingUpdate';
    if (s.strategy.type === 'RollingUpdate') {
      s.strategy.rollingUpdate ??= {};
      s.strategy.rollingUpdate.maxUnavailable ??= '25%';
      s.strategy.rollingUpdate.maxSurge ??= '25%';
    }
    s.revisionHistoryLimit ??= 10;
    s.progressDeadlineSeconds ??= 600;
    defaultTemplate(s.template);
  },
  validate: validateDeployment,
  validateUpdate: (d, old, subresource) => (subresource === 'status' ? [] : immutableSelector(d.spec?.selector, old.spec?.selector)),
  specOf: (d) => d.spec,
};
