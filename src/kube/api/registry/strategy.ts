/**
 * What each write does to an object, around a resource's strategy hooks (ResourceDef): the server-owned fields of
 * a create, the object an update writes, and how a delete is recorded when it must wait (graceful deletion,
 * finalizers). Pure functions of the object read; the registry does the reading and the writing.
 */
import { kubeErrors, type FieldError, type KubeError } from '../machinery/errors.js';
import { apiVersionOf, type ResourceDef } from '../machinery/resource.js';
import { validateObjectMeta } from '../machinery/validation.js';
import { kubeTime } from '../../util/age.js';
import { clone, deepEqual } from '../../util/deep.js';
import type { StoredObject } from '../../storage/object-storage.js';
import type { KubeObject } from '../../../clusters/stored-object.js';
import { recordUpdate, type FieldTracking } from './managed-fields.js';

export function gr(def: ResourceDef): { group: string; resource: string } {
  return { group: def.group, resource: def.resource };
}

export function invalid(def: ResourceDef, name: string, errs: FieldError[]): KubeError {
  return kubeErrors.invalid(def.kind, def.group, name, errs);
}

export function withTypeMeta<T extends KubeObject>(def: ResourceDef, obj: T): T {
  return { apiVersion: apiVersionOf(def), kind: def.kind, ...obj } as T;
}

/**
 * Refuses a patched or applied object that names another object than the URL (kube-apiserver's checkName): a
 * patch cannot rename or move an object, and is refused rather than have the change dropped.
 */
export function checkPatchedName(def: ResourceDef, obj: KubeObject, ns: string | undefined, name: string): void {
  const objName = obj.metadata?.name ?? '';
  if (objName !== name) throw kubeErrors.badRequest(`the name of the object (${objName}) does not match the name on the URL (${name})`);
  const objNs = obj.metadata?.namespace;
  if (def.namespaced && ns && objNs && objNs !== ns) {
    throw kubeErrors.badRequest(`the namespace of the object (${objNs}) does not match the namespace on the request (${ns})`);
  }
}

/** Object metadata the server owns: what a create must not take from the client. */
export function stripServerOwnedOnCreate(obj: KubeObject): void {
  const m = obj.metadata;
  delete m.uid;
  delete m.creationTimestamp;
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
  delete m.generation;
  delete m.selfLink;
}

/**
 * How an update's managed fields are kept: recorded for a manager (SPEC W-18), already computed by an apply, or
 * (a write nobody names, in-process) left as stored.
 */
export type FieldsUpdate = FieldTracking | 'applied' | 'unchanged';

/** The object an update writes: preconditions, server-owned fields, strategy, validation, generation, managed fields. */
export function prepareUpdate<T extends KubeObject>(def: ResourceDef<any>, current: StoredObject<T>, input: T, subresource: string | undefined, fields: FieldsUpdate = 'unchanged'): T {
  const old = current.obj;
  const next = clone(input);
  next.metadata ??= {};
  const name = old.metadata.name!;
  if (next.metadata.resourceVersion && next.metadata.resourceVersion !== String(current.modRevision)) {
    throw kubeErrors.staleUpdate(gr(def), name);
  }
  if (next.metadata.uid && next.metadata.uid !== old.metadata.uid) {
    throw kubeErrors.conflict(gr(def), name, `Precondition failed: UID in precondition: ${next.metadata.uid}, UID in object meta: ${old.metadata.uid}`);
  }
  next.metadata.name = name;
  if (def.namespaced) next.metadata.namespace = old.metadata.namespace;
  else delete next.metadata.namespace;
  next.metadata.uid = old.metadata.uid;
  next.metadata.creationTimestamp = old.metadata.creationTimestamp;
  if (old.metadata.deletionTimestamp) next.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
  else delete next.metadata.deletionTimestamp;
  if (old.metadata.deletionGracePeriodSeconds !== undefined) next.metadata.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
  else delete next.metadata.deletionGracePeriodSeconds;
  if (old.metadata.generation !== undefined) next.metadata.generation = old.metadata.generation;
  else delete next.metadata.generation;
  delete next.metadata.selfLink;
  if (fields === 'unchanged') next.metadata.managedFields = old.metadata.managedFields;
  if (next.metadata.managedFields === undefined) delete next.metadata.managedFields;
  if (subresource === 'status') {
    // A status update changes status only (metadata stays as stored, but labels and annotations).
    next.metadata = { ...old.metadata, labels: next.metadata.labels, annotations: next.metadata.annotations };
    if (next.metadata.labels === undefined) delete next.metadata.labels;
    if (next.metadata.annotations === undefined) delete next.metadata.annotations;
  }
  def.prepareForUpdate?.(next, old, subresource);
  def.defaults?.(next);
  const errs = [
    ...validateObjectMeta(next.metadata, { namespaced: def.namespaced, nameFormat: def.nameFormat }),
    ...(def.validate?.(next) ?? []),
    ...(def.validateUpdate?.(next, old, subresource) ?? []),
  ];
  if (errs.length > 0) throw invalid(def, name, errs);
  if (def.generation && def.specOf && !deepEqual(def.specOf(next), def.specOf(old))) {
    next.metadata.generation = (old.metadata.generation ?? 0) + 1;
  }
  if (typeof fields === 'object') recordUpdate(def, old, next, fields);
  delete next.metadata.resourceVersion;
  return withTypeMeta(def, next);
}

/** Whether anything still holds the object's deletion: metadata.finalizers or the kind's own (a namespace's spec). */
function hasFinalizers(def: ResourceDef<any>, obj: KubeObject): boolean {
  return (obj.metadata.finalizers ?? []).length > 0 || (def.specFinalizers?.(obj) ?? []).length > 0;
}

/** Finalizers removed from an object whose deletion was waiting for them: the update deletes it. */
export function shouldDeleteDuringUpdate(def: ResourceDef<any>, old: KubeObject, next: KubeObject): boolean {
  if (!next.metadata.deletionTimestamp) return false;
  if (hasFinalizers(def, next)) return false;
  const grace = next.metadata.deletionGracePeriodSeconds;
  return hasFinalizers(def, old) && (grace === undefined || grace === 0);
}

/**
 * The garbage collector's finalizers for a delete's propagationPolicy (deletionFinalizersForGarbageCollection):
 * Orphan holds the object until its dependents lose their owner reference, Foreground until they are gone,
 * Background (the default of apps/v1 kinds) holds nothing: the collector deletes the dependents afterwards.
 */
// SPEC W-7
function setDeletionFinalizers(obj: KubeObject, policy: string | undefined): void {
  const wanted = policy === 'Orphan' ? 'orphan' : policy === 'Foreground' ? 'foregroundDeletion' : undefined;
  const kept = (obj.metadata.finalizers ?? []).filter((f) => f !== 'orphan' && f !== 'foregroundDeletion');
  if (wanted) kept.push(wanted);
  if (kept.length > 0) obj.metadata.finalizers = kept;
  else delete obj.metadata.finalizers;
}

/**
 * The object with its deletion recorded, when it must wait, else undefined (delete it now): a kind with graceful
 * deletion (`gracePeriod`, pods on a node) gets a deletionTimestamp that far ahead, and an object that finalizers
 * hold gets one now (and the kind's `prepareForDeletion`, a namespace's phase Terminating).
 */
export function pendingDeletion<T extends KubeObject>(def: ResourceDef<any>, obj: T, requestedGrace: number | undefined, now: Date, propagationPolicy?: string): T | undefined {
  const next = clone(obj);
  const m = next.metadata;
  if (def.collectsDependents) setDeletionFinalizers(next, propagationPolicy);
  const finalizers = hasFinalizers(def, next);
  let grace = 0;
  if (def.gracePeriod) {
    grace = def.gracePeriod(next, requestedGrace);
    if (m.deletionTimestamp && m.deletionGracePeriodSeconds !== undefined && grace >= m.deletionGracePeriodSeconds) {
      // Already terminating with an equal or shorter grace period: nothing changes.
      return finalizers || grace > 0 ? next : undefined;
    }
  }
  if (grace > 0) {
    m.deletionTimestamp = kubeTime(new Date(now.getTime() + grace * 1000));
    m.deletionGracePeriodSeconds = grace;
    def.prepareForDeletion?.(next);
    return next;
  }
  if (finalizers) {
    m.deletionTimestamp ??= kubeTime(now);
    m.deletionGracePeriodSeconds = 0;
    def.prepareForDeletion?.(next);
    return next;
  }
  return undefined;
}
