/** apps/v1 ReplicaSets (SPEC W-4): defaults, validation, the scale and status subresources, kubectl's columns. */
import type { ResourceDef } from '../api/machinery/resource.js';
import { READ_WRITE } from '../api/machinery/resource.js';
import type { ReplicaSet } from '../api/machinery/types.js';
import { age } from '../util/age.js';
import { defaultTemplate, immutableSelector, selectorString, TEMPLATE_COLUMNS, templateCells, validateWorkloadSpec } from './apps-common.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './common.js';

/** The scale subresource as kube-apiserver serves it for apps/v1 kinds (an autoscaling/v1 Scale). */
export const SCALE_SUBRESOURCE = { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] } as const;

export const replicasets: ResourceDef<ReplicaSet> = {
  group: 'apps',
  version: 'v1',
  resource: 'replicasets',
  singular: 'replicaset',
  kind: 'ReplicaSet',
  namespaced: true,
  shortNames: ['rs'],
  categories: ['all'],
  verbs: READ_WRITE,
  subresources: [{ ...SCALE_SUBRESOURCE, verbs: [...SCALE_SUBRESOURCE.verbs] }, { name: 'status', kind: 'ReplicaSet', verbs: ['get', 'patch', 'update'] }],
  model: 'V1ReplicaSet',
  nameFormat: 'subdomain',
  allowCreateOnUpdate: false,
  returnDeletedObject: false,
  hasStatus: true,
  generation: true,
  collectsDependents: true,
  fieldSelectors: { 'status.replicas': (rs) => String(rs.status?.replicas ?? 0) },
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', 'Number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1.'),
    column('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
    column('Ready', 'integer', 'The number of ready replicas for this replica set.'),
    AGE_COLUMN,
    ...TEMPLATE_COLUMNS,
    column('Selector', 'string', 'Selector is a label query over pods that should match the replica count.', 1),
  ],
  cells: (rs, ctx) => {
    return [
      rs.metadata.name,
      rs.spec?.replicas ?? 0,
      rs.status?.replicas ?? 0,
      rs.status?.readyReplicas ?? 0,
      age(rs.metadata.creationTimestamp, ctx.now),
      ...templateCells(rs.spec?.template),
      selectorString(rs.spec?.selector),
    ];
  },
  prepareForCreate: (rs) => {
    rs.status = { replicas: 0 };
  },
  prepareForUpdate: (rs, old, subresource) => {
    if (subresource === 'status') rs.spec = old.spec;
    else rs.status = old.status;
  },
  defaults: (rs) => {
    rs.spec ??= { selector: {} };
    rs.spec.replicas ??= 1;
    rs.spec.minReadySeconds ??= 0;
    defaultTemplate(rs.spec.template);
  },
  validate: (rs) => validateWorkloadSpec(rs.spec),
  validateUpdate: (rs, old, subresource) => (subresource === 'status' ? [] : immutableSelector(rs.spec?.selector, old.spec?.selector)),
  specOf: (rs) => rs.spec,
};
