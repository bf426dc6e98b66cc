/**
 * apps/v1 StatefulSets (`sts`, SPEC W-15): upstream's defaults (OrderedReady, RollingUpdate with partition 0,
 * revisionHistoryLimit 10, replicas 1, claim retention Retain/Retain, the claim templates' own defaults), the
 * essentials of ValidateStatefulSet, upstream's refusal of updates to anything but replicas, ordinals, template,
 * updateStrategy, revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and minReadySeconds, the scale and
 * status subresources and kubectl's columns (NAME READY AGE). controllers/statefulsets.ts runs them.
 */
import type { FieldError } from '../api/machinery/errors.js';
import type { ResourceDef } from '../api/machinery/resource.js';
import { READ_WRITE } from '../api/machinery/resource.js';
import type { StatefulSet } from '../api/machinery/types.js';
import { age } from '../util/age.js';
import { deepEqual } from '../util/deep.js';
import { defaultTemplate, TEMPLATE_COLUMNS, templateCells, validateWorkloadSpec } from './apps-common.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './common.js';
import { canonicalStorageRequest, validateClaimSpec } from './persistentvolumeclaims.js';
import { SCALE_SUBRESOURCE } from './replicasets.js';

type Spec = NonNullable<StatefulSet['spec']>;

const MUTABLE: Array<keyof Spec> = ['replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

function maxUnavailableErrors(v: number | string | undefined, field: string): FieldError[] {
  if (v === undefined) return [];
  if (typeof v === 'number') return v < 1 ? [{ type: 'FieldValueInvalid', field, value: v, detail: 'must be greater than 0' }] : [];
  const m = /^(\d+)%$/.exec(v);
  if (!m) return [{ type: 'FieldValueInvalid', field, value: v, detail: 'a valid percent string must be a numeric string followed by an ending \'%\' (e.g. \'1%\',  or \'93%\', regex used for validation is \'[0-9]+%\')' }];
  const pct = Number(m[1]);
  if (pct < 1) return [{ type: 'FieldValueInvalid', field, value: v, detail: 'must be greater than 0' }];
  return pct > 100 ? [{ type: 'FieldValueInvalid', field, value: v, detail: 'must not be greater than 100%' }] : [];
}

function validateStatefulSet(sts: StatefulSet): FieldError[] {
  const errs = validateWorkloadSpec(sts.spec).map((e) => (e.field === 'spec.selector' && e.detail?.startsWith('empty selector') ? { ...e, detail: 'empty selector is invalid for statefulset' } : e));
  const s = sts.spec;
  if (!s) return errs;
  if (s.podManagementPolicy && s.podManagementPolicy !== 'OrderedReady' && s.podManagementPolicy !== 'Parallel') {
    errs.push({ type: 'FieldValueNotSupported', field: 'spec.podManagementPolicy', value: s.podManagementPolicy, detail: 'supported values: "OrderedReady", "Parallel"' });
  }
  const u = s.updateStrategy ?? {};
  if (u.type && u.type !== 'RollingUpdate' && u.type !== 'OnDelete') {
    errs.push({ type: 'FieldValueNotSupported', field: 'spec.updateStrategy.type', value: u.type, detail: 'supported values: "OnDelete", "RollingUpdate"' });
  }
  if (u.type === 'OnDelete' && u.rollingUpdate) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.updateStrategy.rollingUpdate', value: u.rollingUpdate, detail: 'only allowed for updateStrategy \'RollingUpdate\'' });
  }
  if (u.rollingUpdate) {
    const partition = u.rollingUpdate.partition;
    if (partition !== undefined && partition < 0) {
      errs.push({ type: 'FieldValueInvalid', field: 'spec.updateStrategy.rollingUpdate.partition', value: partition, detail: 'must be greater than or equal to 0' });
    }
    errs.push(...maxUnavailableErrors(u.rollingUpdate.maxUnavailable as number | string | undefined, 'spec.updateStrategy.rollingUpdate.maxUnavailable'));
  }
  if (s.revisionHistoryLimit !== undefined && s.revisionHistoryLimit < 0) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.revisionHistoryLimit', value: s.revisionHistoryLimit, detail: 'must be greater than or equal to 0' });
  }
  if (s.ordinals?.start !== undefined && s.ordinals.start < 0) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.ordinals.start', value: s.ordinals.start, detail: 'must be greater than or equal to 0' });
  }
  if (s.template?.spec?.activeDeadlineSeconds !== undefined) {
    errs.push({ type: 'FieldValueForbidden', field: 'spec.template.spec.activeDeadlineSeconds', detail: 'activeDeadlineSeconds in StatefulSet is not Supported' });
  }
  const retention = s.persistentVolumeClaimRetentionPolicy ?? {};
  for (const key of ['whenDeleted', 'whenScaled'] as const) {
    const v = retention[key];
    if (v !== undefined && v !== 'Retain' && v !== 'Delete') {
      errs.push({ type: 'FieldValueNotSupported', field: `spec.persistentVolumeClaimRetentionPolicy.${key}`, value: v, detail: 'supported values: "Retain", "Delete"' });
    }
  }
  const names = new Set<string>();
  (s.volumeClaimTemplates ?? []).forEach((t, i) => {
    const f = `spec.volumeClaimTemplates[${i}]`;
    const name = t.metadata?.name;
    if (!name) errs.push({ type: 'FieldValueRequired', field: `${f}.metadata.name`, detail: 'name or generateName is required' });
    else if (names.has(name)) errs.push({ type: 'FieldValueDuplicate', field: `${f}.metadata.name`, value: name });
    else names.add(name);
    errs.push(...validateClaimSpec(t.spec, `${f}.spec`));
  });
  return errs;
}

/** ValidateStatefulSetUpdate: only the mutable fields may change; anything else is one Forbidden on `spec`. */
function validateStatefulSetUpdate(sts: StatefulSet, old: StatefulSet): FieldError[] {
  const fixed = (s: Spec | undefined) => {
    const c: Record<string, unknown> = { ...(s ?? {}) };
    for (const k of MUTABLE) delete c[k];
    return c;
  };
  if (deepEqual(fixed(sts.spec), fixed(old.spec))) return [];
  return [
    {
      type: 'FieldValueForbidden',
      field: 'spec',
      detail: "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    },
  ];
}

function defaultStatefulSet(sts: StatefulSet): void {
  sts.spec ??= { selector: {}, template: {}, serviceName: '' } as Spec;
  const s = sts.spec;
  s.replicas ??= 1;
  s.podManagementPolicy ??= 'OrderedReady';
  s.updateStrategy ??= {};
  s.updateStrategy.type ??= 'RollingUpdate';
  if (s.updateStrategy.type === 'RollingUpdate') {
    s.updateStrategy.rollingUpdate ??= {};
    s.updateStrategy.rollingUpdate.partition ??= 0;
  }
  s.revisionHistoryLimit ??= 10;
  s.persistentVolumeClaimRetentionPolicy ??= {};
  s.persistentVolumeClaimRetentionPolicy.whenDeleted ??= 'Retain';
  s.persistentVolumeClaimRetentionPolicy.whenScaled ??= 'Retain';
  for (const t of s.volumeClaimTemplates ?? []) {
    // Each template is a whole PersistentVolumeClaim as far as defaulting goes (SetDefaults_PersistentVolumeClaim).
    t.apiVersion ??= 'v1';
    t.kind ??= 'PersistentVolumeClaim';
    t.spec ??= {};
    t.spec.volumeMode ??= 'Filesystem';
    canonicalStorageRequest(t.spec);
    t.status ??= {};
    t.status.phase ??= 'Pending';
  }
  defaultTemplate(s.template);
}

export const statefulsets: ResourceDef<StatefulSet> = {
  group: 'apps',
  version: 'v1',
  resource: 'statefulsets',
  singular: 'statefulset',
  kind: 'StatefulSet',
  namespaced: true,
  shortNames: ['sts'],
  categories: ['all'],
  verbs: READ_WRITE,
  subresources: [{ ...SCALE_SUBRESOURCE, verbs: [...SCALE_SUBRESOURCE.verbs] }, { name: 'status', kind: 'StatefulSet', verbs: ['get', 'patch', 'update'] }],
  model: 'V1StatefulSet',
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
    AGE_COLUMN,
    ...TEMPLATE_COLUMNS,
  ],
  cells: (sts, ctx) => {
    return [
      sts.metadata.name,
      `${sts.status?.readyReplicas ?? 0}/${sts.spec?.replicas ?? 0}`,
      age(sts.metadata.creationTimestamp, ctx.now),
      ...templateCells(sts.spec?.template),
    ];
  },
  prepareForCreate: (sts) => {
    sts.status = { replicas: 0, availableReplicas: 0 };
  },
  prepareForUpdate: (sts, old, subresource) => {
    if (subresource === 'status') sts.spec = old.spec;
    else sts.status = old.status;
  },
  defaults: defaultStatefulSet,
  validate: validateStatefulSet,
  validateUpdate: (sts, old, subresource) => (subresource === 'status' ? [] : validateStatefulSetUpdate(sts, old)),
  specOf: (sts) => sts.spec,
};
