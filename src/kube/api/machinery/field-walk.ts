/**
 * Walks over objects by their field shapes (field-shapes.ts), as structured-merge-diff does for server-side apply:
 *
 * - `toFieldSet`: the fields an applied configuration names (leaves, map keys, list items, empty maps);
 * - `compareObjects`: which fields an update added, modified and removed (a map or list node itself counts as
 *   added or removed when it appears or disappears, which is where FieldsV1's "." comes from);
 * - `mergeApplied`: an applied configuration merged into the live object (structs and maps by key, associative
 *   lists by their keys, sets by value, leaves replaced);
 * - `removeFields`: fields taken out of an object, maps and lists left empty by that disappearing with them.
 */
import { isPlainObject, clone, deepEqual } from '../../util/deep.js';
import { FieldSet } from './field-set.js';
import { alwaysPresent, fieldShape, KEY_DEFAULTS, type FieldShape } from './field-shapes.js';

type Resolved = Exclude<FieldShape, { kind: 'deduced' }>;

const LEAF: Resolved = { kind: 'leaf' };
const DEDUCED_MAP: Resolved = { kind: 'map', element: { kind: 'deduced' } };

function resolve(shape: FieldShape, value: unknown): Resolved {
  if (shape.kind !== 'deduced') return shape;
  return isPlainObject(value) ? DEDUCED_MAP : LEAF;
}

function childShape(shape: Resolved, key: string): FieldShape {
  if (shape.kind === 'struct') return fieldShape(shape.model, key);
  if (shape.kind === 'map') return shape.element;
  return { kind: 'deduced' };
}

/** The path element of a list item: `k:{...}` by the list's keys (sorted, defaults filled in), `v:` for a set. */
function itemElement(shape: Resolved, item: unknown): string {
  if (shape.kind === 'set' || !isPlainObject(item) || shape.kind !== 'list') return `v:${JSON.stringify(item)}`;
  const key: Record<string, unknown> = {};
  for (const k of [...shape.keys].sort()) {
    const v = item[k] ?? KEY_DEFAULTS[k];
    if (v !== undefined) key[k] = v;
  }
  return `k:${JSON.stringify(key)}`;
}

function itemsByElement(shape: Resolved, list: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (Array.isArray(list)) for (const item of list) out.set(itemElement(shape, item), item);
  return out;
}

function isEmptyValue(v: unknown): boolean {
  return v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isPlainObject(v) && Object.keys(v).length === 0);
}

/** The fields `value` names, under `path` (structured-merge-diff's ToFieldSet). */
export function toFieldSet(value: unknown, shape: FieldShape, set = new FieldSet(), path: string[] = []): FieldSet {
  const s = resolve(shape, value);
  switch (s.kind) {
    case 'leaf':
      if (path.length > 0) set.insert(path);
      break;
    case 'struct':
    case 'map':
      if (!isPlainObject(value)) {
        if (path.length > 0) set.insert(path);
        break;
      }
      for (const [k, v] of Object.entries(value)) {
        const p = [...path, `f:${k}`];
        const cs = childShape(s, k);
        toFieldSet(v, cs, set, p);
        // A struct's own fields are named through their contents; a map's keys and empty values are members.
        if (s.kind === 'map' || cs.kind === 'deduced' || isEmptyValue(v) && !Array.isArray(v)) set.insert(p);
      }
      break;
    case 'list':
      if (!Array.isArray(value)) break;
      for (const item of value) {
        const p = [...path, itemElement(s, item)];
        toFieldSet(item, s.element, set, p);
        set.insert(p);
      }
      break;
    case 'set':
      if (Array.isArray(value)) for (const item of value) set.insert([...path, itemElement(s, item)]);
      break;
  }
  return set;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** What changed from `lhs` to `rhs` (either may be absent: undefined). */
export function compareObjects(lhs: unknown, rhs: unknown, shape: FieldShape): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  compareAt(lhs, rhs, shape, [], c);
  return c;
}

function emptyLike(v: unknown): unknown {
  return Array.isArray(v) ? [] : {};
}

/** Walks both values; `path` is a stack shared by the whole walk (copied only into the sets). */
function compareAt(l: unknown, r: unknown, shape: FieldShape, path: string[], c: Comparison): void {
  const s = resolve(shape, r ?? l);
  const bothEmpty = isEmptyValue(l) && isEmptyValue(r);
  if (s.kind === 'leaf' || bothEmpty) {
    if (path.length === 0) return;
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
    else if (l !== r && !deepEqual(l, r)) c.modified.insert(path);
    return;
  }
  if (s.kind === 'struct' || s.kind === 'map') {
    const lo = isPlainObject(l) ? l : undefined;
    const ro = isPlainObject(r) ? r : undefined;
    const model = s.kind === 'struct' ? s.model : undefined;
    const visit = (k: string) => {
      let lv = lo?.[k];
      let rv = ro?.[k];
      // A Go value struct is there even when empty: its appearance is not an addition.
      if ((lv === undefined || rv === undefined) && alwaysPresent(model, k)) {
        if (lo && lv === undefined) lv = emptyLike(rv);
        if (ro && rv === undefined) rv = emptyLike(lv);
      }
      path.push(`f:${k}`);
      compareAt(lv, rv, childShape(s, k), path, c);
      path.pop();
    };
    if (lo) for (const k of Object.keys(lo)) visit(k);
    if (ro) for (const k of Object.keys(ro)) if (!lo || !(k in lo)) visit(k);
  } else if (s.kind === 'list' || s.kind === 'set') {
    const li = itemsByElement(s, l);
    const ri = itemsByElement(s, r);
    const element = s.kind === 'list' ? s.element : LEAF;
    const visit = (pe: string) => {
      path.push(pe);
      compareAt(li.get(pe), ri.get(pe), element, path, c);
      path.pop();
    };
    for (const pe of li.keys()) visit(pe);
    for (const pe of ri.keys()) if (!li.has(pe)) visit(pe);
  }
  if (path.length === 0) return;
  if (l === undefined) c.added.insert(path);
  else if (r === undefined) c.removed.insert(path);
}

/** `config` merged into `live` (structured-merge-diff's Merge): what an apply makes of the object. */
export function mergeApplied(live: unknown, config: unknown, shape: FieldShape): unknown {
  if (config === undefined) return live;
  if (live === undefined) return clone(config);
  const s = resolve(shape, config);
  if ((s.kind === 'struct' || s.kind === 'map') && isPlainObject(live) && isPlainObject(config)) {
    const out: Record<string, unknown> = { ...live };
    for (const [k, v] of Object.entries(config)) out[k] = mergeApplied(live[k], v, childShape(s, k));
    return out;
  }
  if ((s.kind === 'list' || s.kind === 'set') && Array.isArray(live) && Array.isArray(config)) {
    const fromConfig = itemsByElement(s, config);
    const element = s.kind === 'list' ? s.element : LEAF;
    const out = live.map((item) => {
      const pe = itemElement(s, item);
      return fromConfig.has(pe) ? mergeApplied(item, fromConfig.get(pe), element) : item;
    });
    const inLive = itemsByElement(s, live);
    for (const [pe, item] of fromConfig) if (!inLive.has(pe)) out.push(clone(item));
    return out;
  }
  return clone(config);
}

/** `obj` without the fields in `paths`; maps and lists emptied by a removal disappear too. */
export function removeFields(obj: Record<string, unknown>, paths: string[][], shape: FieldShape): Record<string, unknown> {
  const out = clone(obj);
  for (const p of paths) removeAt(out, p, shape);
  return out;
}

/** Removes `path` below `container`; answers whether `container` is now empty (and should go too). */
function removeAt(container: unknown, path: string[], shape: FieldShape): boolean {
  const s = resolve(shape, container);
  const [pe, ...rest] = path;
  if (pe === undefined) return false;
  if (isPlainObject(container) && pe.startsWith('f:') && (s.kind === 'struct' || s.kind === 'map')) {
    const key = pe.slice(2);
    if (!(key in container)) return false;
    if (rest.length === 0 || removeAt(container[key], rest, childShape(s, key))) delete container[key];
    return Object.keys(container).length === 0;
  }
  if (Array.isArray(container) && (s.kind === 'list' || s.kind === 'set')) {
    const idx = container.findIndex((item) => itemElement(s, item) === pe);
    if (idx < 0) return false;
    const element = s.kind === 'list' ? s.element : LEAF;
    if (rest.length === 0 || removeAt(container[idx], rest, element)) container.splice(idx, 1);
    return container.length === 0;
  }
  return false;
}
