/**
 * JSON patch (RFC 6902, `application/json-patch+json`) and JSON merge patch (RFC 7386,
 * `application/merge-patch+json`) over plain JSON values, as kube-apiserver applies them, written for hostile
 * documents (SPEC R-4):
 *
 * - a path walks own properties only: `/constructor/...`, `/toString` or `/metadata/__proto__` name keys the
 *   object does not have, so they are "missing" as they are to kube-apiserver (whose JSON objects have no
 *   prototype), never a way into the prototype chain;
 * - keys are written as own data properties, so no key (not even `__proto__`) can replace a prototype;
 * - the bytes copies add are bounded (a `copy` of the root doubles the document each time).
 *
 * Why not a library: fast-json-patch and json-merge-patch did this before, and hostile documents broke them. The
 * first followed inherited properties (`replace /data/toString` succeeded), threw plain errors on `/__proto__` (a 500),
 * crashed on a `move` into the moved value's own child and let `copy` double a document without bound. The second
 * silently dropped the rest of a patch after a `constructor` key and crashed on a `hasOwnProperty` key. Their
 * object model (JavaScript objects with prototypes) is not kube-apiserver's (Go maps), and guarding every such
 * case from outside would be longer than the two RFCs' algorithms written here.
 *
 * Errors are PatchError 422 with the words of the JSON patch library kube-apiserver uses (evanphx/json-patch);
 * the registry turns them into kube-apiserver's Status for a patch that does not apply.
 */
import { deepEqual, isPlainObject } from '../../util/deep.js';
import { PatchError } from './strategic-merge.js';

/** How many bytes (as JSON) the `copy` operations of one patch may add, as kube-apiserver bounds them. */
const MAX_ACCUMULATED_COPY_BYTES = 3 * 1024 * 1024;

type Json = unknown;
type Container = Record<string, Json> | Json[];

function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** Sets `key` as an own data property (an assignment to `__proto__` would set the prototype instead). */
function setOwn(obj: Record<string, Json>, key: string, value: Json): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

function missing(message: string): PatchError {
  return new PatchError(`${message}: missing value`, 422);
}

/**
 * The reference tokens of a JSON pointer, or undefined when it is not one. A `__proto__` token makes it a path
 * that does not exist (the key no body may hold, see parseBody), so such a patch is refused as one whose path is
 * missing: kube-apiserver's answer for `/__proto__/...`, and 422 rather than 400 because the patch document itself
 * is well-formed.
 */
function tokens(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  const path = pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  return path.includes('__proto__') ? undefined : path;
}

function arrayIndex(token: string, length: number, allowEnd: boolean): number | undefined {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
  const i = Number(token);
  return i < length || (allowEnd && i === length) ? i : undefined;
}

/** The value at `pointer` (own properties only), or undefined when absent. */
function getAt(doc: Json, pointer: string): { value: Json } | undefined {
  const path = tokens(pointer);
  if (!path) return undefined;
  let cur: Json = doc;
  for (const t of path) {
    if (Array.isArray(cur)) {
      const i = arrayIndex(t, cur.length, false);
      if (i === undefined) return undefined;
      cur = cur[i];
    } else if (isPlainObject(cur) && hasOwn(cur, t)) {
      cur = cur[t];
    } else {
      return undefined;
    }
  }
  return { value: cur };
}

/** The container holding the last token of `pointer`, and that token; undefined when the parent is absent. */
function parentOf(doc: Json, pointer: string): { parent: Container; key: string } | undefined {
  const path = tokens(pointer);
  if (!path || path.length === 0) return undefined;
  const parent = getAt(doc, pointer.slice(0, pointer.lastIndexOf('/')))?.value;
  if (!Array.isArray(parent) && !isPlainObject(parent)) return undefined;
  return { parent, key: path[path.length - 1]! };
}

/** Mutating steps on `doc.v` (the document held in a wrapper, so that the path '' can replace it). */
function add(doc: { v: Json }, pointer: string, value: Json, op: string): void {
  if (pointer === '') {
    doc.v = value;
    return;
  }
  const at = parentOf(doc.v, pointer);
  if (!at) throw missing(`${op} operation does not apply: doc is missing path: "${pointer}"`);
  if (Array.isArray(at.parent)) {
    const i = arrayIndex(at.key, at.parent.length, true);
    if (i === undefined) throw new PatchError(`Unable to access invalid index: ${at.key}: invalid index referenced`, 422);
    at.parent.splice(i, 0, value);
  } else {
    setOwn(at.parent, at.key, value);
  }
}

function remove(doc: { v: Json }, pointer: string): Json {
  const at = parentOf(doc.v, pointer);
  if (!at) throw missing(`remove operation does not apply: doc is missing path: "${pointer}"`);
  if (Array.isArray(at.parent)) {
    const i = arrayIndex(at.key, at.parent.length, false);
    if (i === undefined) throw new PatchError(`error in remove for path: '${pointer}': Unable to access invalid index: ${at.key}: invalid index referenced`, 422);
    return at.parent.splice(i, 1)[0];
  }
  if (!hasOwn(at.parent, at.key)) throw missing(`error in remove for path: '${pointer}': unable to remove nonexistent key: ${at.key}`);
  const old = at.parent[at.key];
  delete at.parent[at.key];
  return old;
}

function stringField(op: Record<string, Json>, field: 'path' | 'from', kind: string): string {
  const v = op[field];
  if (typeof v !== 'string') throw missing(`${kind} operation failed to decode ${field}`);
  return v;
}

/** Applies a JSON patch (an array of operations) to a copy of `doc`. */
export function applyJsonPatch(doc: Json, operations: Json[]): Json {
  const root = { v: structuredClone(doc) };
  let copied = 0;
  for (const raw of operations) {
    if (!isPlainObject(raw)) throw new PatchError(`json: cannot unmarshal ${Array.isArray(raw) ? 'array' : raw === null ? 'null' : typeof raw} into Go value of type jsonpatch.Operation`, 400);
    const kind = typeof raw.op === 'string' ? raw.op : 'unknown';
    const value = hasOwn(raw, 'value') ? raw.value : null;
    switch (kind) {
      case 'add':
        add(root, stringField(raw, 'path', kind), structuredClone(value), kind);
        break;
      case 'remove':
        remove(root, stringField(raw, 'path', kind));
        break;
      case 'replace': {
        const path = stringField(raw, 'path', kind);
        if (path !== '' && !parentOf(root.v, path)) throw missing(`replace operation does not apply: doc is missing path: ${path}`);
        if (!getAt(root.v, path)) throw missing(`replace operation does not apply: doc is missing key: ${path}`);
        if (path !== '') remove(root, path);
        add(root, path, structuredClone(value), kind);
        break;
      }
      case 'move': {
        const from = stringField(raw, 'from', kind);
        const path = stringField(raw, 'path', kind);
        if (!getAt(root.v, from)) throw missing(`move operation does not apply: doc is missing from path: ${from}`);
        const moved = from === '' ? root.v : remove(root, from);
        if (path !== '' && !parentOf(root.v, path)) throw missing(`move operation does not apply: doc is missing destination path: ${path}`);
        add(root, path, moved, kind);
        break;
      }
      case 'copy': {
        const from = stringField(raw, 'from', kind);
        const path = stringField(raw, 'path', kind);
        const source = getAt(root.v, from);
        if (!source) throw missing(`copy operation does not apply: doc is missing from path: ${from}`);
        copied += JSON.stringify(source.value)?.length ?? 0;
        if (copied > MAX_ACCUMULATED_COPY_BYTES) {
          throw new PatchError(`Unable to complete the copy, the accumulated size increase of copy is ${copied}, exceeding the limit ${MAX_ACCUMULATED_COPY_BYTES}`, 422);
        }
        if (path !== '' && !parentOf(root.v, path)) throw missing(`copy operation does not apply: doc is missing destination path: ${path}`);
        add(root, path, structuredClone(source.value), kind);
        break;
      }
      case 'test': {
        const path = stringField(raw, 'path', kind);
        const found = getAt(root.v, path);
        if (found ? !deepEqual(found.value, value) : value !== null) throw new PatchError(`testing value ${path} failed: test failed`, 422);
        break;
      }
      default:
        throw new PatchError(`Unexpected kind: ${kind}: unknown object type`, 422);
    }
  }
  return root.v;
}

/** Applies a JSON merge patch: objects merge key by key, `null` deletes, anything else replaces. */
export function applyMergePatch(target: Json, patch: Json): Json {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const out: Record<string, Json> = {};
  if (isPlainObject(target)) for (const key of Object.keys(target)) setOwn(out, key, target[key]);
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value === null) delete out[key];
    else setOwn(out, key, applyMergePatch(hasOwn(out, key) ? out[key] : undefined, value));
  }
  return out;
}
