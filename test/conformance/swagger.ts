/**
 * Reading the swaggers (OpenAPI 2.0) of the corpus: `$ref`s within a file, to files beside it (`common.json`) and
 * to ARM's common types (the built-in table of arm-common-types.ts), and a merged view of a schema (its `allOf`
 * chain flattened) that the comparison walks.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ARM_COMMON_TYPES } from './arm-common-types.js';

type Json = Record<string, any>;

/** A schema and the document its own `$ref`s are relative to. */
export interface Located {
  schema: Json;
  file: string;
}

/** A schema with its allOf chain merged: what an object may hold and what it must. */
export interface SchemaView {
  type?: string;
  properties: Map<string, Located>;
  required: Set<string>;
  /** undefined: not said (for objects with properties: nothing else allowed); true/false; or the values' schema. */
  additionalProperties?: boolean | Located;
  items?: Located;
  enum?: unknown[];
  readOnly: boolean;
  format?: string;
}

const BUILTIN_PREFIX = 'builtin:';

export class Swaggers {
  private readonly docs = new Map<string, Json>();

  /** A document by absolute path (or `builtin:<name>` for ARM's common types). */
  doc(file: string): Json {
    let d = this.docs.get(file);
    if (!d) {
      d = file.startsWith(BUILTIN_PREFIX) ? ARM_COMMON_TYPES[file.slice(BUILTIN_PREFIX.length)]! : (JSON.parse(readFileSync(file, 'utf8')) as Json);
      if (!d) throw new Error(`no built-in common types for ${file}`);
      this.docs.set(file, d);
    }
    return d;
  }

  /** Follows `$ref`s until a schema (or parameter) that is not one; keeps the wrapper's readOnly. */
  deref(node: Json, file: string): Located {
    let cur: Located = { schema: node, file };
    let readOnly = node.readOnly === true;
    for (let i = 0; i < 32 && typeof cur.schema.$ref === 'string'; i++) {
      cur = this.target(cur.schema.$ref, cur.file);
      readOnly ||= cur.schema.readOnly === true;
    }
    return readOnly && cur.schema.readOnly !== true ? { schema: { ...cur.schema, readOnly: true }, file: cur.file } : cur;
  }

  private target(ref: string, from: string): Located {
    const [path, pointer = ''] = ref.split('#');
    let file = from;
    if (path) {
      file = /common-types\//.test(path) ? `${BUILTIN_PREFIX}${basename(path)}` : resolve(dirname(from), path);
    }
    let node: any = this.doc(file);
    for (const part of pointer.split('/').filter(Boolean)) {
      node = node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    }
    if (node === undefined) throw new Error(`unresolved $ref ${ref} from ${from}`);
    return { schema: node, file };
  }

  /** The merged view of a schema (allOf flattened, refs followed). */
  view(loc: Located): SchemaView {
    const out: SchemaView = { properties: new Map(), required: new Set(), readOnly: false };
    this.merge(this.deref(loc.schema, loc.file), out, 0);
    return out;
  }

  private merge(loc: Located, out: SchemaView, depth: number): void {
    if (depth > 16) return;
    const s = loc.schema;
    if (s.type && !out.type) out.type = s.type;
    if (s.format && !out.format) out.format = s.format;
    if (s.readOnly === true) out.readOnly = true;
    if (Array.isArray(s.enum) && !out.enum) out.enum = s.enum;
    for (const [name, prop] of Object.entries((s.properties ?? {}) as Json)) {
      if (!out.properties.has(name)) out.properties.set(name, { schema: prop, file: loc.file });
    }
    for (const r of (s.required ?? []) as string[]) out.required.add(r);
    if (s.additionalProperties !== undefined && out.additionalProperties === undefined) {
      out.additionalProperties = typeof s.additionalProperties === 'boolean' ? s.additionalProperties : { schema: s.additionalProperties, file: loc.file };
    }
    if (s.items && !out.items) out.items = { schema: s.items, file: loc.file };
    for (const part of (s.allOf ?? []) as Json[]) this.merge(this.deref(part, loc.file), out, depth + 1);
  }
}
