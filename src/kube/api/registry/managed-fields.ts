/**
 * metadata.managedFields, kept as kube-apiserver's field manager keeps them (SPEC W-18, W-19): one entry per
 * manager, operation (Apply or Update), apiVersion (Update only) and subresource, each owning a set of fields
 * (FieldsV1) since `time`.
 *
 * - An update (create, PUT, patch) gives its manager the fields it added or changed and takes them, and the fields
 *   it removed, from every other manager; an entry left owning nothing is dropped. Managed fields a client sends
 *   replace the stored ones (a list of one empty entry resets them; an empty or undecodable list is ignored, so
 *   that clients unaware of them cannot erase them by accident); a subresource's never do.
 * - An apply merges the applied configuration into the object, removes what its manager applied before and no
 *   longer names (when nobody else owns it), and refuses with 409 Conflict to change a field another manager owns
 *   unless forced, which takes it over.
 *
 * Fields the server owns (apiVersion, kind, name, uid, resourceVersion...) are nobody's, and so is the part of the
 * object a write cannot change (status through the main resource, the rest through status).
 */
import { kubeErrors, KubeError } from '../machinery/errors.js';
import { FieldSet, pathString } from '../machinery/field-set.js';
import { rootShape } from '../machinery/field-shapes.js';
import { compareObjects, mergeApplied, removeFields, toFieldSet } from '../machinery/field-walk.js';
import { apiVersionOf, type ResourceDef } from '../machinery/resource.js';
import { deepEqual, isPlainObject } from '../../util/deep.js';
import type { KubeObject } from '../../../clusters/stored-object.js';

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

interface Manager {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource?: string;
  time?: string;
  set: FieldSet;
}

/** Who writes, through which subresource, at what time. */
export interface FieldTracking {
  manager: string;
  subresource?: string;
  now: string;
}

/** Upstream's manager identifier: appliers are one manager whatever apiVersion they apply. */
function identifier(m: Pick<Manager, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify({
    manager: m.manager,
    operation: m.operation,
    ...(m.operation === 'Update' ? { apiVersion: m.apiVersion } : {}),
    ...(m.subresource ? { subresource: m.subresource } : {}),
  });
}

/** A manager as conflicts name it: `"kubectl" with subresource "scale" using apps/v1`. */
function describe(m: Manager): string {
  const sub = m.subresource ? ` with subresource ${JSON.stringify(m.subresource)}` : '';
  return `${JSON.stringify(m.manager)}${sub}${m.operation === 'Update' ? ` using ${m.apiVersion}` : ''}`;
}

/** Decodes managed fields; undefined when any entry is not a valid one (the caller then keeps what it had). */
function decode(entries: unknown): Map<string, Manager> | undefined {
  const out = new Map<string, Manager>();
  if (entries === undefined) return out;
  if (!Array.isArray(entries)) return undefined;
  try {
    for (const item of entries as unknown[]) {
      if (!isPlainObject(item)) return undefined;
      const e = item as ManagedFieldsEntry;
      if ((e.operation !== 'Apply' && e.operation !== 'Update') || typeof e.apiVersion !== 'string' || !e.apiVersion || e.fieldsType !== 'FieldsV1') return undefined;
      const m: Manager = {
        manager: typeof e.manager === 'string' ? e.manager : '',
        operation: e.operation,
        apiVersion: e.apiVersion,
        ...(typeof e.subresource === 'string' && e.subresource ? { subresource: e.subresource } : {}),
        ...(typeof e.time === 'string' ? { time: e.time } : {}),
        set: FieldSet.fromFieldsV1(e.fieldsV1 ?? {}),
      };
      const id = identifier(m);
      if (out.has(id)) return undefined;
      out.set(id, m);
    }
  } catch {
    return undefined;
  }
  return out;
}

/** Entries in upstream's order: Apply before Update, then by time, manager, apiVersion, subresource. */
function encode(managers: Map<string, Manager>): ManagedFieldsEntry[] | undefined {
  const list = [...managers.values()].filter((m) => !m.set.isEmpty());
  if (list.length === 0) return undefined;
  const seconds = (t: string | undefined) => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  list.sort((a, b) => cmp(a.operation, b.operation) || seconds(a.time) - seconds(b.time) || cmp(a.manager, b.manager) || cmp(a.apiVersion, b.apiVersion) || cmp(a.subresource ?? '', b.subresource ?? ''));
  return list.map((m) => ({
    manager: m.manager,
    operation: m.operation,
    apiVersion: m.apiVersion,
    ...(m.time ? { time: m.time } : {}),
    fieldsType: 'FieldsV1',
    fieldsV1: m.set.toFieldsV1(),
    ...(m.subresource ? { subresource: m.subresource } : {}),
  }));
}

/** Object metadata the server sets: owned by nobody. */
const SERVER_META = ['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'];

/** A field set without what no manager owns: server metadata and the part of the object `subresource` cannot write. */
function ownable(def: ResourceDef, set: FieldSet, subresource: string | undefined): FieldSet {
  const out = set.copy();
  out.removeSubtree(['f:apiVersion']);
  out.removeSubtree(['f:kind']);
  out.removeMember(['f:metadata']);
  for (const f of SERVER_META) out.removeSubtree(['f:metadata', `f:${f}`]);
  if (subresource === 'status') out.removeSubtree(['f:spec']);
  else if (!subresource && def.subresources.some((s) => s.name === 'status')) out.removeSubtree(['f:status']);
  return out;
}

function withoutManagedFields(obj: KubeObject | undefined): Record<string, unknown> {
  if (!obj) return {};
  const { managedFields: _m, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

/** A list of entries that are all empty: the documented way to clear managed fields. */
function isReset(entries: unknown): boolean {
  return Array.isArray(entries) && entries.length > 0 && entries.every((e) => isPlainObject(e) && Object.keys(e).length === 0);
}

/**
 * Records a create, update or patch on `next` (its metadata.managedFields replaced): `live` is the object before
 * (undefined for a create).
 */
export function recordUpdate(def: ResourceDef, live: KubeObject | undefined, next: KubeObject, t: FieldTracking): void {
  const requested = next.metadata.managedFields;
  delete next.metadata.managedFields;
  let managers: Map<string, Manager> | undefined;
  // What a client sends back unchanged (a controller's read-modify-write) is the stored state: no decoding needed.
  const sentBack = requested === undefined || deepEqual(requested, live?.metadata.managedFields);
  if (!t.subresource && !sentBack) managers = isReset(requested) ? new Map() : Array.isArray(requested) && requested.length > 0 ? decode(requested) : undefined;
  const fromLive = managers === undefined;
  const c = compareObjects(withoutManagedFields(live), withoutManagedFields(next), rootShape(def.model));
  const changed = ownable(def, c.added.union(c.modified), t.subresource);
  const removed = ownable(def, c.removed, t.subresource);
  if (changed.isEmpty() && removed.isEmpty() && fromLive) {
    // Nothing changed hands: the stored entries stand as they are (no decoding needed).
    if (live?.metadata.managedFields !== undefined) next.metadata.managedFields = live.metadata.managedFields;
    return;
  }
  managers ??= decode(live?.metadata.managedFields) ?? new Map();
  for (const m of managers.values()) m.set = m.set.difference(changed).difference(removed);
  if (!changed.isEmpty()) {
    // The time moves only when the manager took fields (not when it just removed some).
    const self: Manager = { manager: t.manager, operation: 'Update', apiVersion: apiVersionOf(def), ...(t.subresource ? { subresource: t.subresource } : {}), time: t.now, set: changed };
    const id = identifier(self);
    const previous = managers.get(id)?.set;
    managers.set(id, { ...self, set: previous ? previous.union(changed) : changed });
  }
  const entries = encode(managers);
  if (entries) next.metadata.managedFields = entries;
}

/**
 * An apply of `config` by `t.manager` to `live` (undefined when the apply creates the object): the object to write,
 * its managed fields set. Throws 409 Conflict naming each field another manager owns with another value, unless
 * `force`.
 */
export function applyConfiguration(def: ResourceDef, live: KubeObject | undefined, config: KubeObject, t: FieldTracking & { force: boolean }): KubeObject {
  if (config.metadata.managedFields !== undefined) throw kubeErrors.badRequest('metadata.managedFields must be nil');
  const shape = rootShape(def.model);
  const managers = decode(live?.metadata.managedFields) ?? new Map<string, Manager>();
  const liveBody = withoutManagedFields(live);
  const applied = ownable(def, toFieldSet(config, shape), t.subresource);
  let merged = mergeApplied(liveBody, config, shape) as Record<string, unknown>;
  const self: Manager = { manager: t.manager, operation: 'Apply', apiVersion: apiVersionOf(def), ...(t.subresource ? { subresource: t.subresource } : {}), time: t.now, set: applied };
  const id = identifier(self);
  const last = managers.get(id)?.set;
  managers.set(id, self);
  if (last) {
    // What this manager applied before and no longer names goes, unless someone still owns it or something below it.
    let owned = new FieldSet();
    for (const m of managers.values()) owned = owned.union(m.set);
    const gone = last.difference(applied).paths().filter((p) => !owned.hasPrefix(p));
    if (gone.length > 0) merged = removeFields(merged, gone, shape);
  }
  const c = compareObjects(liveBody, merged, shape);
  const changed = ownable(def, c.added.union(c.modified), t.subresource);
  const removed = ownable(def, c.removed, t.subresource);
  const conflicts: Array<{ manager: Manager; path: string[] }> = [];
  for (const [key, m] of [...managers].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (key === id) continue;
    for (const path of m.set.intersection(changed).paths()) conflicts.push({ manager: m, path });
  }
  if (conflicts.length > 0 && !t.force) throw applyConflict(conflicts);
  for (const [key, m] of managers) if (key !== id) m.set = m.set.difference(changed).difference(removed);
  const out = merged as KubeObject;
  const entries = encode(managers);
  out.metadata = { ...out.metadata };
  if (entries) out.metadata.managedFields = entries;
  else delete out.metadata.managedFields;
  return out;
}

/** kube-apiserver's apply conflict: 409 Conflict with a FieldManagerConflict cause per field. */
function applyConflict(conflicts: Array<{ manager: Manager; path: string[] }>): KubeError {
  let message: string;
  if (conflicts.length === 1) {
    const [only] = conflicts;
    message = `Apply failed with 1 conflict: conflict with ${describe(only!.manager)}: ${pathString(only!.path)}`;
  } else {
    const lines: string[] = [];
    let current: Manager | undefined;
    for (const c of conflicts) {
      if (c.manager !== current) lines.push(`conflicts with ${describe(c.manager)}:`);
      current = c.manager;
      lines.push(`- ${pathString(c.path)}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new KubeError(409, 'Conflict', message, {
    causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${describe(c.manager)}`, field: pathString(c.path) })),
  });
}
