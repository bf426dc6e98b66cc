/**
 * Strategic merge patch (`application/strategic-merge-patch+json`), the patch `kubectl apply` and `kubectl patch`
 * send for built-in kinds, with the documented semantics
 * (https://github.com/kubernetes/community/blob/master/contributors/devel/sig-api-machinery/strategic-merge-patch.md):
 *
 * - maps merge recursively; `null` deletes a key; `$patch: replace` replaces a map, `$patch: delete` removes it;
 *   `$retainKeys` keeps only the listed keys;
 * - lists with a patch merge key (containers by `name`, env by `name`, volumeMounts by `mountPath`, ports by
 *   `containerPort`, conditions by `type`, ...) merge element by element; an element `{key, $patch: delete}`
 *   removes one, `{$patch: replace}` replaces the whole list; lists of scalars with the merge strategy
 *   (finalizers) are unions, `$deleteFromPrimitiveList/<field>` removes values; `$setElementOrder/<field>` orders
 *   the result;
 * - every other list is replaced.
 *
 * Which fields merge and by which key is Kubernetes' `patchStrategy`/`patchMergeKey` struct tags, listed below for
 * the kinds this API serves; the field types come from client-node's models so the walk follows the real schema.
 */
import { isPlainObject } from '../../util/deep.js';

/**
 * patchStrategy "merge" fields of the served kinds: model.field → merge key ('' for lists of scalars). Server-side
 * apply's associative lists and sets (field-shapes.ts) start from the same table.
 */
export const MERGE_LISTS: Record<string, string> = {
  'V1PodSpec.containers': 'name',
  'V1PodSpec.initContainers': 'name',
  'V1PodSpec.ephemeralContainers': 'name',
  'V1PodSpec.volumes': 'name',
  'V1PodSpec.imagePullSecrets': 'name',
  'V1PodSpec.hostAliases': 'ip',
  'V1PodSpec.topologySpreadConstraints': 'topologyKey',
  'V1PodSpec.resourceClaims': 'name',
  'V1PodSpec.schedulingGates': 'name',
  'V1Container.env': 'name',
  'V1Container.ports': 'containerPort',
  'V1Container.volumeMounts': 'mountPath',
  'V1Container.volumeDevices': 'devicePath',
  'V1EphemeralContainer.env': 'name',
  'V1EphemeralContainer.ports': 'containerPort',
  'V1EphemeralContainer.volumeMounts': 'mountPath',
  'V1EphemeralContainer.volumeDevices': 'devicePath',
  'V1ObjectMeta.finalizers': '',
  'V1ObjectMeta.ownerReferences': 'uid',
  'V1PodStatus.conditions': 'type',
  'V1PodStatus.podIPs': 'ip',
  'V1PodStatus.hostIPs': 'ip',
  'V1NodeStatus.conditions': 'type',
  'V1NodeStatus.addresses': 'type',
  'V1NodeSpec.podCIDRs': '',
  'V1NamespaceStatus.conditions': 'type',
  'V1ServiceAccount.secrets': 'name',
};


export class PatchError extends Error {
  constructor(
    message: string,
    /** 400 for a malformed patch, 422 for a patch that cannot apply. */
    readonly status: 400 | 422,
  ) {
    super(message);
  }
}

export type TypeLookup = (model: string, field: string) => { type: string } | undefined;

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE = '$deleteFromPrimitiveList/';
const SET_ELEMENT_ORDER = '$setElementOrder/';

function elementModel(type: string | undefined): string | undefined {
  if (!type) return undefined;
  const arr = /^Array<(.+)>$/.exec(type);
  return arr ? arr[1] : type;
}

function isModel(type: string | undefined): boolean {
  return !!type && /^[A-Z]/.test(type) && !type.startsWith('Array<') && type !== 'Date' && type !== 'IntOrString';
}

/** Applies a strategic merge patch to `original` (a JSON object of client-node model `model`). */
export function strategicMerge(original: Record<string, unknown>, patch: unknown, model: string, lookup: TypeLookup): Record<string, unknown> {
  if (!isPlainObject(patch)) throw new PatchError(`json: cannot unmarshal ${Array.isArray(patch) ? 'array' : typeof patch} into Go value of type map[string]interface {}`, 400);
  const out = mergeMap(original, patch, model, lookup);
  return out ?? {};
}

function mergeMap(original: Record<string, unknown> | undefined, patch: Record<string, unknown>, model: string | undefined, lookup: TypeLookup): Record<string, unknown> | undefined {
  const directive = patch[DIRECTIVE];
  if (directive !== undefined) {
    if (directive === 'delete') return undefined;
    if (directive === 'replace') {
      const { [DIRECTIVE]: _d, ...rest } = patch;
      return stripDirectives(rest);
    }
    // Any JSON may stand there: String() of an object whose toString is not a function throws (SPEC R-4).
    if (directive !== 'merge') throw new PatchError(`Unknown patch type: ${typeof directive === 'string' ? directive : JSON.stringify(directive)}`, 400);
  }
  const result: Record<string, unknown> = { ...(original ?? {}) };
  const retain = patch[RETAIN_KEYS];
  for (const [key, value] of Object.entries(patch)) {
    if (key === DIRECTIVE || key === RETAIN_KEYS) continue;
    if (key.startsWith(DELETE_FROM_PRIMITIVE)) {
      const field = key.slice(DELETE_FROM_PRIMITIVE.length);
      if (!Array.isArray(value)) throw new PatchError('invalid patch: $deleteFromPrimitiveList must be a list', 400);
      const current = result[field];
      if (Array.isArray(current)) result[field] = current.filter((v) => !value.some((d) => d === v));
      continue;
    }
    if (key.startsWith(SET_ELEMENT_ORDER)) continue; // applied after the list is merged
    if (key.startsWith('$')) throw new PatchError(`unknown patch directive: ${key}`, 400);
    const fieldType = model ? lookup(model, key)?.type : undefined;
    if (value === null) {
      delete result[key];
      continue;
    }
    if (Array.isArray(value)) {
      const mergeKey = model ? MERGE_LISTS[`${model}.${key}`] : undefined;
      const order = patch[`${SET_ELEMENT_ORDER}${key}`];
      result[key] =
        mergeKey === undefined
          ? stripDirectives(value)
          : mergeList(Array.isArray(result[key]) ? (result[key] as unknown[]) : [], value, mergeKey, elementModel(fieldType), lookup, Array.isArray(order) ? order : undefined);
      continue;
    }
    if (isPlainObject(value)) {
      const childModel = isModel(fieldType) ? fieldType : undefined;
      const current = isPlainObject(result[key]) ? (result[key] as Record<string, unknown>) : undefined;
      const merged = mergeMap(current, value, childModel, lookup);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
      continue;
    }
    result[key] = value;
  }
  // A $setElementOrder for a list the patch did not touch still orders it.
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER) || !Array.isArray(order)) continue;
    const field = key.slice(SET_ELEMENT_ORDER.length);
    if (field in patch) continue;
    const mergeKey = model ? MERGE_LISTS[`${model}.${field}`] : undefined;
    if (mergeKey !== undefined && Array.isArray(result[field])) result[field] = applyOrder(result[field] as unknown[], order, mergeKey);
  }
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw new PatchError('invalid patch: $retainKeys must be a list', 400);
    for (const k of Object.keys(result)) if (!retain.includes(k) && !(k in patch)) delete result[k];
  }
  return result;
}

function keyOf(item: unknown, mergeKey: string): unknown {
  return isPlainObject(item) ? item[mergeKey] : item;
}

function mergeList(original: unknown[], patch: unknown[], mergeKey: string, model: string | undefined, lookup: TypeLookup, order: unknown[] | undefined): unknown[] {
  if (patch.some((p) => isPlainObject(p) && p[DIRECTIVE] === 'replace')) {
    return stripDirectives(patch.filter((p) => !(isPlainObject(p) && p[DIRECTIVE] === 'replace'))) as unknown[];
  }
  let result: unknown[];
  if (mergeKey === '') {
    // A set of scalars: union, in order of first appearance.
    result = [...original];
    for (const v of patch) {
      if (isPlainObject(v)) throw new PatchError('invalid patch: a list of primitives cannot contain objects', 400);
      if (!result.some((r) => r === v)) result.push(v);
    }
  } else {
    result = original.map((o) => o);
    for (const p of patch) {
      if (!isPlainObject(p)) throw new PatchError(`invalid patch: the elements of a list merged by '${mergeKey}' must be objects`, 400);
      const k = p[mergeKey];
      if (k === undefined) throw new PatchError(`map: ${JSON.stringify(p)} does not contain declared merge key: ${mergeKey}`, 422);
      const idx = result.findIndex((o) => keyOf(o, mergeKey) === k);
      if (p[DIRECTIVE] === 'delete') {
        if (idx >= 0) result.splice(idx, 1);
        continue;
      }
      if (idx >= 0) {
        const merged = mergeMap(isPlainObject(result[idx]) ? (result[idx] as Record<string, unknown>) : undefined, p, isModel(model) ? model : undefined, lookup);
        if (merged === undefined) result.splice(idx, 1);
        else result[idx] = merged;
      } else {
        const added = mergeMap(undefined, p, isModel(model) ? model : undefined, lookup);
        if (added !== undefined) result.push(added);
      }
    }
  }
  return order ? applyOrder(result, order, mergeKey) : result;
}

/** Orders `list` as `order` says (elements it names first, in its order; the others after, as they were). */
function applyOrder(list: unknown[], order: unknown[], mergeKey: string): unknown[] {
  const wanted = order.map((o) => (mergeKey === '' ? o : keyOf(o, mergeKey)));
  const named: unknown[] = [];
  for (const k of wanted) {
    const found = list.find((item) => keyOf(item, mergeKey) === k);
    if (found !== undefined && !named.includes(found)) named.push(found);
  }
  return [...named, ...list.filter((item) => !named.includes(item))];
}

/** Removes directive keys from values that replace rather than merge. */
function stripDirectives<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => stripDirectives(v)) as T;
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === DIRECTIVE || k === RETAIN_KEYS || k.startsWith(SET_ELEMENT_ORDER) || k.startsWith(DELETE_FROM_PRIMITIVE)) continue;
    if (v === null) continue;
    out[k] = stripDirectives(v);
  }
  return out as T;
}


