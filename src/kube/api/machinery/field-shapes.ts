/**
 * The shape of each field as server-side apply sees it (the `x-kubernetes-list-type`, `list-map-keys`,
 * `map-type` and `structType` markers of the Kubernetes OpenAPI): a struct merges field by field, a map key by
 * key, an associative list item by item under its key fields, a set value by value, and everything else (scalars,
 * atomic structs, maps and lists) is one leaf that a single manager owns whole.
 *
 * The field types come from client-node's models (schema.ts); the list keys start from strategic merge patch's
 * merge keys (the same lists, mostly the same keys) with upstream's list-map keys where they differ.
 */
import { fieldType } from './schema.js';
import { MERGE_LISTS } from './strategic-merge.js';

export type FieldShape =
  | { kind: 'struct'; model: string }
  | { kind: 'map'; element: FieldShape }
  | { kind: 'list'; keys: readonly string[]; element: FieldShape }
  | { kind: 'set' }
  | { kind: 'leaf' }
  /** No schema (an unknown model or field): shaped by the value, maps granular and lists atomic. */
  | { kind: 'deduced' };

const LEAF: FieldShape = { kind: 'leaf' };
const DEDUCED: FieldShape = { kind: 'deduced' };

/** List-map keys that differ from the strategic merge key (or lists strategic merge patch replaces). */
const LIST_MAP_KEYS: Record<string, readonly string[]> = {
  'V1Container.ports': ['containerPort', 'protocol'],
  'V1EphemeralContainer.ports': ['containerPort', 'protocol'],
  'V1PodSpec.topologySpreadConstraints': ['topologyKey', 'whenUnsatisfiable'],
  'V1DeploymentStatus.conditions': ['type'],
  'V1ReplicaSetStatus.conditions': ['type'],
  'V1PodDisruptionBudgetStatus.conditions': ['type'],
};

/** Key fields with a schema default, used when an item leaves them out (a port's protocol is TCP). */
export const KEY_DEFAULTS: Record<string, unknown> = { protocol: 'TCP' };

/** Structs marked `+structType=atomic`. */
const ATOMIC_STRUCTS = new Set(['V1LabelSelector', 'V1ObjectReference', 'V1LocalObjectReference', 'V1NodeSelector', 'V1TypedLocalObjectReference']);

/** Whether a struct is marked `+structType=atomic` (one leaf for server-side apply). */
export function isAtomicStruct(model: string): boolean {
  return ATOMIC_STRUCTS.has(model);
}

/** Maps marked `+mapType=atomic`. */
const ATOMIC_MAPS = new Set(['V1PodSpec.nodeSelector']);

/**
 * Fields that Go always serializes (value structs, lists without omitempty): an object decoded into Go has them even
 * when empty, so their appearance is never a field being added (it decides where FieldsV1 marks a map "." itself).
 */
const ALWAYS_PRESENT = new Set(['V1DeploymentSpec.strategy', 'V1DaemonSetSpec.updateStrategy', 'V1CronJobSpec.jobTemplate', 'V1Container.resources', 'V1EphemeralContainer.resources', 'V1PodSpec.containers', 'V1ClusterRoleBinding.roleRef', 'V1RoleBinding.roleRef', 'V1Role.rules', 'V1ClusterRole.rules']);
const ALWAYS_PRESENT_NAMES = new Set(['metadata', 'spec', 'status']);

export function alwaysPresent(model: string | undefined, field: string): boolean {
  if (!model) return false;
  if (ALWAYS_PRESENT_NAMES.has(field) || ALWAYS_PRESENT.has(`${model}.${field}`)) return true;
  return field === 'template' && model.endsWith('Spec');
}

const SCALARS = new Set(['string', 'number', 'boolean', 'Date', 'IntOrString', 'object', 'any']);

function shapeOfType(type: string, owner: string): FieldShape {
  if (SCALARS.has(type)) return LEAF;
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return ATOMIC_MAPS.has(owner) ? LEAF : { kind: 'map', element: shapeOfType(map[1]!, '') };
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) {
    const keys = LIST_MAP_KEYS[owner];
    const mergeKey = MERGE_LISTS[owner];
    if (keys) return { kind: 'list', keys, element: shapeOfType(arr[1]!, '') };
    if (mergeKey === '') return { kind: 'set' };
    if (mergeKey !== undefined) return { kind: 'list', keys: [mergeKey], element: shapeOfType(arr[1]!, '') };
    return LEAF;
  }
  if (/^[A-Z]/.test(type)) return ATOMIC_STRUCTS.has(type) ? LEAF : { kind: 'struct', model: type };
  return DEDUCED;
}

const shapes = new Map<string, FieldShape>();

/** The shape of `field` of struct `model` (cached: every write walks its object through these). */
export function fieldShape(model: string, field: string): FieldShape {
  const owner = `${model}.${field}`;
  let shape = shapes.get(owner);
  if (!shape) {
    const t = fieldType(model, field);
    shape = t ? shapeOfType(t.type, owner) : DEDUCED;
    // Unknown fields (anything a client may send) are not remembered, so the cache stays as small as the schema.
    if (t) shapes.set(owner, shape);
  }
  return shape;
}

/** The shape of a kind's root object. */
export function rootShape(model: string): FieldShape {
  return { kind: 'struct', model };
}
