/**
 * v1 Namespaces: `kubernetes.io/metadata.name` label and the `kubernetes` finalizer set by the server, phase
 * Active until deleted, then Terminating while the namespace controller empties it (controllers/namespaces.ts).
 */
import { kubeErrors, type FieldError } from '../api/machinery/errors.js';
import type { ResourceDef } from '../api/machinery/resource.js';
import type { Namespace } from '../api/machinery/types.js';
import { age } from '../util/age.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './common.js';

/** Namespaces that cannot be deleted (NamespaceLifecycle admission). */
export const IMMORTAL_NAMESPACES = ['default', 'kube-system', 'kube-public'];
/** Namespaces every cluster has from the start. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export const namespaces: ResourceDef<Namespace> = {
  group: '',
  version: 'v1',
  resource: 'namespaces',
  singular: 'namespace',
  kind: 'Namespace',
  namespaced: false,
  shortNames: ['ns'],
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: [
    { name: 'finalize', kind: 'Namespace', verbs: ['update'] },
    { name: 'status', kind: 'Namespace', verbs: ['get', 'patch', 'update'] },
  ],
  model: 'V1Namespace',
  nameFormat: 'label',
  allowCreateOnUpdate: false,
  returnDeletedObject: true,
  hasStatus: true,
  generation: false,
  fieldSelectors: { 'status.phase': (n) => n.status?.phase ?? '' },
  columns: [NAME_COLUMN, column('Status', 'string', 'The status of the namespace'), AGE_COLUMN],
  cells: (n, ctx) => [n.metadata.name, n.status?.phase ?? '', age(n.metadata.creationTimestamp, ctx.now)],
  prepareForCreate: (n) => {
    n.status = { phase: 'Active' };
    const finalizers = n.spec?.finalizers ?? [];
    n.spec = { ...(n.spec ?? {}), finalizers: finalizers.includes('kubernetes') ? finalizers : [...finalizers, 'kubernetes'] };
  },
  prepareForUpdate: (n, old, subresource) => {
    if (subresource === 'status') {
      n.spec = old.spec;
    } else if (subresource === 'finalize') {
      n.status = old.status;
    } else {
      n.spec = old.spec;
      n.status = old.status;
    }
  },
  defaults: (n) => {
    n.metadata.labels = { ...(n.metadata.labels ?? {}), 'kubernetes.io/metadata.name': n.metadata.name! };
  },
  validate: (n) => {
    const errs: FieldError[] = [];
    (n.spec?.finalizers ?? []).forEach((f, i) => {
      if (!f.includes('/') && f !== 'kubernetes') {
        errs.push({ type: 'FieldValueInvalid', field: `spec.finalizers[${i}]`, value: f, detail: 'name is neither a standard finalizer name nor is it fully qualified' });
      }
    });
    return errs;
  },
  beforeDelete: (name) => {
    if (IMMORTAL_NAMESPACES.includes(name)) throw kubeErrors.forbidden({ group: '', resource: 'namespaces' }, name, 'this namespace may not be deleted');
  },
  // The `kubernetes` finalizer holds a deleted namespace in Terminating until the namespace controller has
  // emptied it and finalized it (controllers/namespaces.ts).
  specFinalizers: (n) => n.spec?.finalizers ?? [],
  prepareForDeletion: (n) => {
    n.status = { ...(n.status ?? {}), phase: 'Terminating' };
  },
};
