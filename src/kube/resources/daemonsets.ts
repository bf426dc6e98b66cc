/**
 * apps/v1 DaemonSets (SPEC W-8): upstream's defaults (RollingUpdate with maxUnavailable 1 and maxSurge 0,
 * revisionHistoryLimit 10), the essentials of ValidateDaemonSet, the status subresource and kubectl's columns
 * (NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE). controllers/daemonsets.ts runs them.
 */
import type { FieldError } from '../api/machinery/errors.js';
import type { ResourceDef } from '../api/machinery/resource.js';
import { READ_WRITE } from '../api/machinery/resource.js';
import type { DaemonSet } from '../api/machinery/types.js';
import { age } from '../util/age.js';
import { defaultTemplate, immutableSelector, selectorString, TEMPLATE_COLUMNS, templateCells, validateWorkloadSpec } from './apps-common.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './common.js';

type IntOrPercent = number | string | undefined;

function intOrPercentErrors(v: IntOrPercent, field: string): FieldError[] {
  if (v === undefined) return [];
  if (typeof v === 'number') return v < 0 ? [{ type: 'FieldValueInvalid', field, value: v, detail: 'must be greater than or equal to 0' }] : [];
  const m = /^(\d+)%$/.exec(v);
  if (!m) return [{ type: 'FieldValueInvalid', field, value: v, detail: 'a valid percent string must be a numeric string followed by an ending \'%\' (e.g. \'1%\',  or \'93%\', regex used for validation is \'[0-9]+%\')' }];
  return Number(m[1]) > 100 ? [{ type: 'FieldValueInvalid', field, value: v, detail: 'must not be greater than 100%' }] : [];
}

const isZero = (v: IntOrPercent) => v === undefined || v === 0 || v === '0%';

function validateDaemonSet(ds: DaemonSet): FieldError[] {
  const errs = validateWorkloadSpec(ds.spec);
  const s = ds.spec;
  if (!s) return errs;
  const strategy = s.updateStrategy ?? {};
  if (strategy.type && strategy.type !== 'RollingUpdate' && strategy.type !== 'OnDelete') {
    errs.push({ type: 'FieldValueNotSupported', field: 'spec.updateStrategy.type', value: strategy.type, detail: 'supported values: "OnDelete", "RollingUpdate"' });
  }
  const ru = strategy.rollingUpdate;
  if (strategy.type === 'RollingUpdate' && ru) {
    errs.push(...intOrPercentErrors(ru.maxUnavailable as IntOrPercent, 'spec.updateStrategy.rollingUpdate.maxUnavailable'));
    errs.push(...intOrPercentErrors(ru.maxSurge as IntOrPercent, 'spec.updateStrategy.rollingUpdate.maxSurge'));
    if (isZero(ru.maxUnavailable as IntOrPercent) && isZero(ru.maxSurge as IntOrPercent)) {
      errs.push({ type: 'FieldValueInvalid', field: 'spec.updateStrategy.rollingUpdate.maxUnavailable', value: ru.maxUnavailable ?? 0, detail: 'may not be 0 when `maxSurge` is 0' });
    }
  }
  if (s.revisionHistoryLimit !== undefined && s.revisionHistoryLimit < 0) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.revisionHistoryLimit', value: s.revisionHistoryLimit, detail: 'must be greater than or equal to 0' });
  }
  return errs;
}

/** The NODE SELECTOR cell: the template's nodeSelector as k=v pairs, `<none>` without one. */
function nodeSelectorCell(ds: DaemonSet): string {
  const sel = Object.entries(ds.spec?.template?.spec?.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`);
  return sel.length === 0 ? '<none>' : sel.join(',');
}

export const daemonsets: ResourceDef<DaemonSet> = {
  group: 'apps',
  version: 'v1',
  resource: 'daemonsets',
  singular: 'daemonset',
  kind: 'DaemonSet',
  namespaced: true,
  shortNames: ['ds'],
  categories: ['all'],
  verbs: READ_WRITE,
  subresources: [{ name: 'status', kind: 'DaemonSet', verbs: ['get', 'patch', 'update'] }],
  model: 'V1DaemonSet',
  nameFormat: 'subdomain',
  allowCreateOnUpdate: false,
  returnDeletedObject: false,
  hasStatus: true,
  generation: true,
  collectsDependents: true,
  fieldSelectors: {},
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', 'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).'),
    column('Current', 'integer', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.'),
    column('Ready', 'integer', 'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.'),
    column('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
    column('Available', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)'),
    column('Node Selector', 'string', 'NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node\'s labels for the pod to be scheduled on that node.'),
    AGE_COLUMN,
    ...TEMPLATE_COLUMNS,
    column('Selector', 'string', 'A label query over pods that are managed by the daemon set.', 1),
  ],
  cells: (ds, ctx) => {
    const st = ds.status;
    return [
      ds.metadata.name,
      st?.desiredNumberScheduled ?? 0,
      st?.currentNumberScheduled ?? 0,
      st?.numberReady ?? 0,
      st?.updatedNumberScheduled ?? 0,
      st?.numberAvailable ?? 0,
      nodeSelectorCell(ds),
      age(ds.metadata.creationTimestamp, ctx.now),
      ...templateCells(ds.spec?.template),
      selectorString(ds.spec?.selector),
    ];
  },
  prepareForCreate: (ds) => {
    ds.status = { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 };
  },
  prepareForUpdate: (ds, old, subresource) => {
    if (subresource === 'status') ds.spec = old.spec;
    else ds.status = old.status;
  },
  defaults: (ds) => {
    ds.spec ??= { selector: {}, template: {} };
    const s = ds.spec;
    s.updateStrategy ??= {};
    s.updateStrategy.type ??= 'RollingUpdate';
    if (s.updateStrategy.type === 'RollingUpdate') {
      s.updateStrategy.rollingUpdate ??= {};
      s.updateStrategy.rollingUpdate.maxUnavailable ??= 1;
      s.updateStrategy.rollingUpdate.maxSurge ??= 0;
    }
    s.revisionHistoryLimit ??= 10;
    s.minReadySeconds ??= 0;
    defaultTemplate(s.template);
  },
  validate: validateDaemonSet,
  validateUpdate: (ds, old, subresource) => (subresource === 'status' ? [] : immutableSelector(ds.spec?.selector, old.spec?.selector)),
  specOf: (ds) => ds.spec,
};
