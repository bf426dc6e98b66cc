/**
 * Sets of field paths, as server-side apply's managed fields record them (structured-merge-diff's fieldpath.Set),
 * and their wire form FieldsV1.
 *
 * A path is a list of path elements in FieldsV1's spelling: `f:<field>` for a field of a struct or a key of a map,
 * `k:{"name":"web"}` for the item of an associative list with those key values (keys sorted by name), `v:"x"` for
 * an item of a set, `i:3` for an item of a list without keys. The set is a trie: a node is a member when the path
 * to it is in the set; in FieldsV1 a member without children is `{}` and a member with children says so with
 * `".": {}` among them.
 */
import { isPlainObject } from '../../util/deep.js';

export class FieldSet {
  private member = false;
  private readonly children = new Map<string, FieldSet>();

  /** Decodes a FieldsV1 document; throws on a malformed one (a non-object, an unknown element prefix). */
  static fromFieldsV1(doc: unknown): FieldSet {
    return FieldSet.read(doc, 0);
  }

  private static read(doc: unknown, depth: number): FieldSet {
    if (!isPlainObject(doc)) throw new Error('FieldsV1 must be a JSON object');
    if (depth > MAX_DEPTH) throw new Error('FieldsV1 is nested too deeply');
    const set = new FieldSet();
    for (const [pe, child] of Object.entries(doc)) {
      if (pe === '.') continue;
      if (!/^[fkvi]:/.test(pe)) throw new Error(`unexpected FieldsV1 element: ${pe}`);
      if (pe[0] !== 'f') JSON.parse(pe.slice(2)); // keys, values and indices are JSON
      const sub = FieldSet.read(child, depth + 1);
      // `{}` is a member without children; a member with children says so with ".".
      sub.member = sub.children.size === 0 || '.' in (child as Record<string, unknown>);
      set.children.set(pe, sub);
    }
    return set;
  }

  static of(paths: string[][]): FieldSet {
    const set = new FieldSet();
    for (const p of paths) set.insert(p);
    return set;
  }

  insert(path: readonly string[]): void {
    let node: FieldSet = this;
    for (const pe of path) node = node.childOrNew(pe);
    if (path.length > 0) node.member = true;
  }

  has(path: readonly string[]): boolean {
    const node = this.at(path);
    return !!node && node.member && path.length > 0;
  }

  /** The subtree under `path` (undefined when nothing there). */
  at(path: readonly string[]): FieldSet | undefined {
    let node: FieldSet | undefined = this;
    for (const pe of path) node = node?.children.get(pe);
    return node;
  }

  /** Whether some member is `path` or below it. */
  hasPrefix(path: readonly string[]): boolean {
    const node = this.at(path);
    return !!node && !node.isEmpty();
  }

  isEmpty(): boolean {
    if (this.member) return false;
    for (const c of this.children.values()) if (!c.isEmpty()) return false;
    return true;
  }

  union(other: FieldSet): FieldSet {
    const out = this.copy();
    out.addAll(other);
    return out;
  }

  /** Members of this set that are not members of `other` (members below a removed one stay). */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    out.member = this.member && !other.member;
    for (const [pe, child] of this.children) {
      const o = other.children.get(pe);
      const d = o ? child.difference(o) : child.copy();
      if (!d.isEmpty()) out.children.set(pe, d);
    }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    out.member = this.member && other.member;
    for (const [pe, child] of this.children) {
      const o = other.children.get(pe);
      if (!o) continue;
      const i = child.intersection(o);
      if (!i.isEmpty()) out.children.set(pe, i);
    }
    return out;
  }

  /** This set without `path` and everything below it. */
  withoutSubtree(path: readonly string[]): FieldSet {
    const out = this.copy();
    out.removeSubtree(path);
    return out;
  }

  /** Removes `path` and everything below it, in place (path not empty). */
  removeSubtree(path: readonly string[]): void {
    if (path.length > 0) this.at(path.slice(0, -1))?.children.delete(path[path.length - 1]!);
  }

  /** Unmarks the member `path` in place (what is below it stays). */
  removeMember(path: readonly string[]): void {
    const node = this.at(path);
    if (node && path.length > 0) node.member = false;
  }

  /** Every member path, depth first in FieldsV1 order. */
  paths(prefix: string[] = []): string[][] {
    const out: string[][] = [];
    if (this.member && prefix.length > 0) out.push(prefix);
    for (const pe of sortedElements(this.children.keys())) out.push(...this.children.get(pe)!.paths([...prefix, pe]));
    return out;
  }

  /** The FieldsV1 document: "." first, then fields, keys, values and indices, each sorted (as upstream writes it). */
  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (this.member && this.children.size > 0) out['.'] = {};
    for (const pe of sortedElements(this.children.keys())) {
      const child = this.children.get(pe)!;
      if (!child.isEmpty()) out[pe] = child.toFieldsV1();
    }
    return out;
  }

  private childOrNew(pe: string): FieldSet {
    let c = this.children.get(pe);
    if (!c) {
      c = new FieldSet();
      this.children.set(pe, c);
    }
    return c;
  }

  private addAll(other: FieldSet): void {
    if (other.member) this.member = true;
    for (const [pe, child] of other.children) this.childOrNew(pe).addAll(child);
  }

  copy(): FieldSet {
    const out = new FieldSet();
    out.addAll(this);
    return out;
  }
}

const PREFIX_ORDER: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

function sortedElements(elements: Iterable<string>): string[] {
  return [...elements].sort((a, b) => {
    const pa = PREFIX_ORDER[a[0]!] ?? 4;
    const pb = PREFIX_ORDER[b[0]!] ?? 4;
    if (pa !== pb) return pa - pb;
    if (pa === 3) return Number(a.slice(2)) - Number(b.slice(2));
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

const MAX_DEPTH = 100;

/** A path as upstream prints it in conflicts: `.spec.replicas`, `.spec.containers[name="web"].image`, `[=value]`, `[0]`. */
export function pathString(path: readonly string[]): string {
  return path
    .map((pe) => {
      const body = pe.slice(2);
      switch (pe[0]) {
        case 'f':
          return `.${body}`;
        case 'k': {
          const key = JSON.parse(body) as Record<string, unknown>;
          return `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
        }
        case 'v':
          return `[=${body}]`;
        default:
          return `[${body}]`;
      }
    })
    .join('');
}
