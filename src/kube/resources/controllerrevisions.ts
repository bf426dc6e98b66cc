/**
 * apps/v1 ControllerRevisions (SPEC W-4): immutable snapshots that controllers keep (DaemonSets and StatefulSets
 * upstream); served and validated as kube-apiserver does (data cannot change, revision ≥ 0). The StatefulSet
 * controller writes one per template (SPEC W-16, controllers/statefulset-revisions.ts).
 */
import type { FieldError } from '../api/machinery/errors.js';
import type { ResourceDef } from '../api/machinery/resource.js';
import { READ_WRITE } from '../api/machinery/resource.js';
import type { ControllerRevision } from '../api/machinery/types.js';
import { age } from '../util/age.js';
import { deepEqual } from '../util/deep.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './common.js';

/** The CONTROLLER cell: the controlling owner as `<kind>.<group>/<name>`, as kubectl prints it. */
function controllerOf(cr: ControllerRevision): string {
  const ref = (cr.metadata.ownerReferences ?? []).find((o) => o.controller);
  if (!ref) return '<none>';
  const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : '';
  return `${ref.kind.toLowerCase()}${group ? `.${group}` : ''}/${ref.name}`;
}

export const controllerrevisions: ResourceDef<ControllerRevision> = {
  group: 'apps',
  version: 'v1',
  resource: 'controllerrevisions',
  singular: 'controllerrevision',
  kind: 'ControllerRevision',
  namespaced: true,
  verbs: READ_WRITE,
  subresources: [],
  model: 'V1ControllerRevision',
  nameFormat: 'subdomain',
  allowCreateOnUpdate: false,
  returnDeletedObject: false,
  hasStatus: false,
  generation: false,
  fieldSelectors: {},
  columns: [
    NAME_COLUMN,
    column('Controller', 'string', 'Controller of the object'),
    column('Revision', 'integer', 'Revision indicates the revision of the state represented by Data.'),
    AGE_COLUMN,
  ],
  cells: (cr, ctx) => [cr.metadata.name, controllerOf(cr), cr.revision ?? 0, age(cr.metadata.creationTimestamp, ctx.now)],
  validate: (cr) => {
    const errs: FieldError[] = [];
    if ((cr.revision ?? 0) < 0) errs.push({ type: 'FieldValueInvalid', field: 'revision', value: cr.revision, detail: 'must be greater than or equal to 0' });
    return errs;
  },
  validateUpdate: (cr, old) => (deepEqual(cr.data ?? null, old.data ?? null) ? [] : [{ type: 'FieldValueInvalid', field: 'data', value: cr.data, detail: 'field is immutable' }]),
};
