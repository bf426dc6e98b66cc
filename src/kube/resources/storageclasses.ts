/**
 * storage.k8s.io/v1 StorageClasses (`sc`, SPEC W-17): cluster-scoped, with upstream's defaults (reclaimPolicy
 * Delete, volumeBindingMode Immediate), provisioner/parameters/reclaimPolicy/volumeBindingMode fixed once written,
 * and kubectl's columns (NAME PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION AGE, the default
 * class named "<name> (default)"). AKS's built-in classes are in controllers/storage-classes.ts.
 */
import type { FieldError } from '../api/machinery/errors.js';
import type { ResourceDef } from '../api/machinery/resource.js';
import { READ_WRITE } from '../api/machinery/resource.js';
import type { StorageClass } from '../api/machinery/types.js';
import { age } from '../util/age.js';
import { deepEqual } from '../util/deep.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './common.js';

export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';

export function isDefaultClass(sc: StorageClass): boolean {
  return sc.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true';
}

function validateStorageClass(sc: StorageClass): FieldError[] {
  const errs: FieldError[] = [];
  if (!sc.provisioner) errs.push({ type: 'FieldValueRequired', field: 'provisioner' });
  if (sc.reclaimPolicy && sc.reclaimPolicy !== 'Delete' && sc.reclaimPolicy !== 'Retain') {
    errs.push({ type: 'FieldValueNotSupported', field: 'reclaimPolicy', value: sc.reclaimPolicy, detail: 'supported values: "Delete", "Retain"' });
  }
  if (sc.volumeBindingMode && sc.volumeBindingMode !== 'Immediate' && sc.volumeBindingMode !== 'WaitForFirstConsumer') {
    errs.push({ type: 'FieldValueNotSupported', field: 'volumeBindingMode', value: sc.volumeBindingMode, detail: 'supported values: "Immediate", "WaitForFirstConsumer"' });
  }
  return errs;
}

function validateStorageClassUpdate(sc: StorageClass, old: StorageClass): FieldError[] {
  const errs: FieldError[] = [];
  if (!deepEqual(sc.parameters ?? {}, old.parameters ?? {})) errs.push({ type: 'FieldValueForbidden', field: 'parameters', detail: 'updates to parameters are forbidden.' });
  if (sc.provisioner !== old.provisioner) errs.push({ type: 'FieldValueForbidden', field: 'provisioner', detail: 'updates to provisioner are forbidden.' });
  if (sc.reclaimPolicy !== old.reclaimPolicy) errs.push({ type: 'FieldValueForbidden', field: 'reclaimPolicy', detail: 'updates to reclaimPolicy are forbidden.' });
  if (sc.volumeBindingMode !== old.volumeBindingMode) errs.push({ type: 'FieldValueInvalid', field: 'volumeBindingMode', value: sc.volumeBindingMode, detail: 'field is immutable' });
  return errs;
}

export const storageclasses: ResourceDef<StorageClass> = {
  group: 'storage.k8s.io',
  version: 'v1',
  resource: 'storageclasses',
  singular: 'storageclass',
  kind: 'StorageClass',
  namespaced: false,
  shortNames: ['sc'],
  verbs: READ_WRITE,
  subresources: [],
  model: 'V1StorageClass',
  nameFormat: 'subdomain',
  allowCreateOnUpdate: false,
  returnDeletedObject: false,
  hasStatus: false,
  generation: false,
  fieldSelectors: {},
  columns: [
    NAME_COLUMN,
    column('Provisioner', 'string', 'The driver that provisions volumes of this class.'),
    column('ReclaimPolicy', 'string', 'What happens to a provisioned volume when its claim is deleted.'),
    column('VolumeBindingMode', 'string', 'When claims of this class are provisioned and bound.'),
    column('AllowVolumeExpansion', 'string', 'Whether claims of this class may grow.'),
    AGE_COLUMN,
  ],
  cells: (sc, ctx) => [
    isDefaultClass(sc) ? `${sc.metadata.name} (default)` : sc.metadata.name,
    sc.provisioner,
    sc.reclaimPolicy ?? 'Delete',
    sc.volumeBindingMode ?? 'Immediate',
    String(sc.allowVolumeExpansion ?? false),
    age(sc.metadata.creationTimestamp, ctx.now),
  ],
  defaults: (sc) => {
    sc.reclaimPolicy ??= 'Delete';
    sc.volumeBindingMode ??= 'Immediate';
  },
  validate: validateStorageClass,
  validateUpdate: validateStorageClassUpdate,
};
