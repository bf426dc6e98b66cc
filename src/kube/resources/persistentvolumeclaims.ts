/**
 * core/v1 PersistentVolumeClaims (`pvc`, SPEC W-17): what StatefulSets' volumeClaimTemplates become, served with
 * upstream's defaults (volumeMode Filesystem, phase Pending), the claim-protection finalizer, the essentials of
 * ValidatePersistentVolumeClaim (access modes, a storage request, a spec that only grows its request once
 * written) and kubectl's columns (NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS VOLUMEATTRIBUTESCLASS AGE).
 * controllers/volumes.ts binds them to simulated disks.
 */
import type { FieldError } from '../api/machinery/errors.js';
import type { ResourceDef } from '../api/machinery/resource.js';
import { READ_WRITE } from '../api/machinery/resource.js';
import { canonicalQuantity, unitValue } from '../api/machinery/quantity.js';
import type { PersistentVolumeClaim } from '../api/machinery/types.js';
import { age } from '../util/age.js';
import { deepEqual } from '../util/deep.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './common.js';

/** Held by the claim while a pod uses it (the StorageObjectInUseProtection admission plugin adds it). */
export const PVC_PROTECTION = 'kubernetes.io/pvc-protection';

const ACCESS_MODES: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };

/** Access modes as kubectl abbreviates them ("RWO,RWX"). */
export function accessModesCell(modes: string[] | undefined): string {
  return (modes ?? []).map((m) => ACCESS_MODES[m] ?? m).join(',');
}

type ClaimSpec = NonNullable<PersistentVolumeClaim['spec']>;

/** A storage quantity in bytes, or undefined when it is not a quantity. */
export function storageBytes(q: unknown): bigint | undefined {
  if (typeof q !== 'string' && typeof q !== 'number') return undefined;
  try {
    return unitValue(q);
  } catch {
    return undefined;
  }
}

/** Writes the storage request in canonical form ("1024Mi" → "1Gi"), as kube-apiserver stores quantities. */
export function canonicalStorageRequest(spec: ClaimSpec | undefined): void {
  const requests = spec?.resources?.requests as Record<string, string> | undefined;
  if (requests?.storage === undefined || storageBytes(requests.storage) === undefined) return;
  requests.storage = canonicalQuantity(requests.storage);
}

/** The checks a claim's spec must pass, also for a StatefulSet's volumeClaimTemplates (fields under `field`). */
export function validateClaimSpec(spec: ClaimSpec | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const modes = spec?.accessModes ?? [];
  if (modes.length === 0) errs.push({ type: 'FieldValueRequired', field: `${field}.accessModes`, detail: 'at least 1 access mode is required' });
  for (const m of modes) {
    if (!(m in ACCESS_MODES)) errs.push({ type: 'FieldValueNotSupported', field: `${field}.accessModes`, value: m, detail: 'supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"' });
  }
  if (modes.includes('ReadWriteOncePod') && modes.length > 1) {
    errs.push({ type: 'FieldValueForbidden', field: `${field}.accessModes`, detail: 'may not use ReadWriteOncePod with other access modes' });
  }
  const storage = spec?.resources?.requests?.storage as string | undefined;
  if (storage === undefined) errs.push({ type: 'FieldValueRequired', field: `${field}.resources[storage]` });
  else if (storageBytes(storage) === undefined) {
    errs.push({ type: 'FieldValueInvalid', field: `${field}.resources.requests[storage]`, value: storage, detail: 'must be a valid quantity' });
  } else if ((storageBytes(storage) ?? 0n) <= 0n) {
    errs.push({ type: 'FieldValueInvalid', field: `${field}.resources[storage]`, value: storage, detail: 'must be greater than zero' });
  }
  if (spec?.volumeMode && spec.volumeMode !== 'Filesystem' && spec.volumeMode !== 'Block') {
    errs.push({ type: 'FieldValueNotSupported', field: `${field}.volumeMode`, value: spec.volumeMode, detail: 'supported values: "Block", "Filesystem"' });
  }
  return errs;
}

/** What may change in a written claim's spec: a larger storage request, the attributes class, a first volumeName or class. */
function validateClaimUpdate(pvc: PersistentVolumeClaim, old: PersistentVolumeClaim): FieldError[] {
  // A claim's first volumeName (binding) and first storageClassName (the default class, assigned retroactively) may be set.
  const strip = (s: ClaimSpec | undefined, keepVolume: boolean, keepClass: boolean) => {
    const { resources: _r, volumeAttributesClassName: _v, volumeName, storageClassName, ...rest } = s ?? {};
    return { ...rest, volumeName: keepVolume ? volumeName || undefined : undefined, storageClassName: keepClass ? storageClassName : undefined };
  };
  const errs: FieldError[] = [];
  const keepVolume = Boolean(old.spec?.volumeName);
  const keepClass = old.spec?.storageClassName !== undefined;
  if (!deepEqual(strip(pvc.spec, keepVolume, keepClass), strip(old.spec, keepVolume, keepClass))) {
    errs.push({ type: 'FieldValueForbidden', field: 'spec', detail: 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims' });
  }
  const was = storageBytes(old.spec?.resources?.requests?.storage) ?? 0n;
  const now = storageBytes(pvc.spec?.resources?.requests?.storage) ?? 0n;
  if (now < was) errs.push({ type: 'FieldValueForbidden', field: 'spec.resources.requests.storage', detail: 'field can not be less than status.capacity' });
  return errs;
}

export const persistentvolumeclaims: ResourceDef<PersistentVolumeClaim> = {
  group: '',
  version: 'v1',
  resource: 'persistentvolumeclaims',
  singular: 'persistentvolumeclaim',
  kind: 'PersistentVolumeClaim',
  namespaced: true,
  shortNames: ['pvc'],
  verbs: READ_WRITE,
  subresources: [{ name: 'status', kind: 'PersistentVolumeClaim', verbs: ['get', 'patch', 'update'] }],
  model: 'V1PersistentVolumeClaim',
  nameFormat: 'subdomain',
  allowCreateOnUpdate: false,
  returnDeletedObject: false,
  hasStatus: true,
  generation: false,
  fieldSelectors: {},
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'The phase of the claim: Pending, Bound or Lost.'),
    column('Volume', 'string', 'The persistent volume the claim is bound to.'),
    column('Capacity', 'string', 'The capacity of the bound volume.'),
    column('Access Modes', 'string', 'The access modes of the bound volume.'),
    column('StorageClass', 'string', 'The storage class the claim asks for.'),
    column('VolumeAttributesClass', 'string', 'The volume attributes class the claim asks for.'),
    AGE_COLUMN,
    column('VolumeMode', 'string', 'Whether the volume is a filesystem or a raw block device.', 1),
  ],
  cells: (pvc, ctx) => {
    const bound = pvc.status?.phase === 'Bound';
    return [
      pvc.metadata.name,
      pvc.metadata.deletionTimestamp ? 'Terminating' : (pvc.status?.phase ?? 'Pending'),
      pvc.spec?.volumeName ?? '',
      bound ? String(pvc.status?.capacity?.storage ?? '') : '',
      bound ? accessModesCell(pvc.status?.accessModes) : '',
      pvc.spec?.storageClassName ?? '',
      pvc.spec?.volumeAttributesClassName ?? '<unset>',
      age(pvc.metadata.creationTimestamp, ctx.now),
      pvc.spec?.volumeMode ?? 'Filesystem',
    ];
  },
  prepareForCreate: (pvc) => {
    pvc.status = { phase: 'Pending' };
    const finalizers = pvc.metadata.finalizers ?? [];
    if (!finalizers.includes(PVC_PROTECTION)) pvc.metadata.finalizers = [...finalizers, PVC_PROTECTION];
  },
  prepareForUpdate: (pvc, old, subresource) => {
    if (subresource === 'status') pvc.spec = old.spec;
    else pvc.status = old.status;
  },
  defaults: (pvc) => {
    pvc.spec ??= {};
    pvc.spec.volumeMode ??= 'Filesystem';
    canonicalStorageRequest(pvc.spec);
  },
  validate: (pvc) => validateClaimSpec(pvc.spec, 'spec'),
  validateUpdate: (pvc, old, subresource) => (subresource === 'status' ? [] : validateClaimUpdate(pvc, old)),
  specOf: (pvc) => pvc.spec,
};
