/**
 * core/v1 PersistentVolumes (`pv`, SPEC W-17): cluster-scoped, with upstream's defaults (reclaim policy Retain for
 * a volume made by hand, volumeMode Filesystem, phase Pending), an immutable volume source, and kubectl's columns
 * (NAME CAPACITY ACCESS MODES RECLAIM POLICY STATUS CLAIM STORAGECLASS VOLUMEATTRIBUTESCLASS REASON AGE). The
 * volume controller (controllers/volumes.ts) provisions them for claims as simulated Azure Disks.
 */
import type { FieldError } from '../api/machinery/errors.js';
import type { ResourceDef } from '../api/machinery/resource.js';
import { READ_WRITE } from '../api/machinery/resource.js';
import type { PersistentVolume } from '../api/machinery/types.js';
import { age } from '../util/age.js';
import { deepEqual } from '../util/deep.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './common.js';
import { accessModesCell, storageBytes } from './persistentvolumeclaims.js';

function validatePersistentVolume(pv: PersistentVolume): FieldError[] {
  const errs: FieldError[] = [];
  const s = pv.spec;
  if ((s?.accessModes ?? []).length === 0) errs.push({ type: 'FieldValueRequired', field: 'spec.accessModes', detail: 'at least 1 access mode is required' });
  const storage = s?.capacity?.storage;
  if (storage === undefined) errs.push({ type: 'FieldValueRequired', field: 'spec.capacity' });
  else if (storageBytes(storage) === undefined) errs.push({ type: 'FieldValueInvalid', field: 'spec.capacity[storage]', value: storage, detail: 'must be a valid quantity' });
  const policy = s?.persistentVolumeReclaimPolicy;
  if (policy && !['Retain', 'Delete', 'Recycle'].includes(policy)) {
    errs.push({ type: 'FieldValueNotSupported', field: 'spec.persistentVolumeReclaimPolicy', value: policy, detail: 'supported values: "Delete", "Recycle", "Retain"' });
  }
  const { csi, hostPath, local, nfs, azureDisk, azureFile } = s ?? {};
  if (![csi, hostPath, local, nfs, azureDisk, azureFile].some((x) => x !== undefined)) {
    errs.push({ type: 'FieldValueRequired', field: 'spec', detail: 'must specify a volume type' });
  }
  return errs;
}

/** The volume source is fixed once written; other spec fields (capacity, claimRef, policy) may change. */
function sourceOf(pv: PersistentVolume): unknown {
  const { csi, hostPath, local, nfs, azureDisk, azureFile } = pv.spec ?? {};
  return { csi, hostPath, local, nfs, azureDisk, azureFile };
}

export const persistentvolumes: ResourceDef<PersistentVolume> = {
  group: '',
  version: 'v1',
  resource: 'persistentvolumes',
  singular: 'persistentvolume',
  kind: 'PersistentVolume',
  namespaced: false,
  shortNames: ['pv'],
  verbs: READ_WRITE,
  subresources: [{ name: 'status', kind: 'PersistentVolume', verbs: ['get', 'patch', 'update'] }],
  model: 'V1PersistentVolume',
  nameFormat: 'subdomain',
  allowCreateOnUpdate: false,
  returnDeletedObject: false,
  hasStatus: true,
  generation: false,
  fieldSelectors: {},
  columns: [
    NAME_COLUMN,
    column('Capacity', 'string', 'The capacity of the volume.'),
    column('Access Modes', 'string', 'The ways the volume can be mounted.'),
    column('Reclaim Policy', 'string', 'What happens to the volume when its claim is released.'),
    column('Status', 'string', 'The phase of the volume: Pending, Available, Bound, Released or Failed.'),
    column('Claim', 'string', 'The claim bound to the volume.'),
    column('StorageClass', 'string', 'The storage class of the volume.'),
    column('VolumeAttributesClass', 'string', 'The volume attributes class of the volume.'),
    column('Reason', 'string', 'Why the volume is in its phase.'),
    AGE_COLUMN,
    column('VolumeMode', 'string', 'Whether the volume is a filesystem or a raw block device.', 1),
  ],
  cells: (pv, ctx) => {
    const ref = pv.spec?.claimRef;
    return [
      pv.metadata.name,
      String(pv.spec?.capacity?.storage ?? ''),
      accessModesCell(pv.spec?.accessModes),
      pv.spec?.persistentVolumeReclaimPolicy ?? '',
      pv.metadata.deletionTimestamp ? 'Terminating' : (pv.status?.phase ?? ''),
      ref ? `${ref.namespace}/${ref.name}` : '',
      pv.spec?.storageClassName ?? '',
      pv.spec?.volumeAttributesClassName ?? '<unset>',
      pv.status?.reason ?? '',
      age(pv.metadata.creationTimestamp, ctx.now),
      pv.spec?.volumeMode ?? 'Filesystem',
    ];
  },
  prepareForCreate: (pv) => {
    pv.status = { phase: 'Pending' };
  },
  prepareForUpdate: (pv, old, subresource) => {
    if (subresource === 'status') pv.spec = old.spec;
    else pv.status = old.status;
  },
  defaults: (pv) => {
    pv.spec ??= {};
    pv.spec.persistentVolumeReclaimPolicy ??= 'Retain';
    pv.spec.volumeMode ??= 'Filesystem';
  },
  validate: validatePersistentVolume,
  validateUpdate: (pv, old, subresource) =>
    subresource === 'status' || deepEqual(sourceOf(pv), sourceOf(old))
      ? []
      : [{ type: 'FieldValueForbidden', field: 'spec.persistentvolumesource', detail: 'spec.persistentvolumesource is immutable after creation' }],
  specOf: (pv) => pv.spec,
};
