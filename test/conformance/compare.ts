/**
 * The comparison of aksemu's answer with Azure's example (SPEC P-4):
 *  - every property of the example's body is present in aksemu's, with the same JSON type (recursively; an
 *    array's items against the example's first item);
 *  - where the swagger makes a value an enum, and where the example echoes a value of the request, the values are
 *    equal (instance-specific values excepted: ids, names, times, GUIDs, etags, host names, key ids);
 *  - the swagger's required properties are present, and nothing lies outside the swagger's schema (a property the
 *    schema does not define where it allows no additional properties).
 */
import type { Located, SchemaView, Swaggers } from './swagger.js';

export interface Divergence {
  path: string;
  problem: string;
}

type JsonType = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null' | 'undefined';

function jsonType(v: unknown): JsonType {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v as JsonType;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
/** Property names whose values belong to one instance (or one moment, or one caller) of a resource. */
const INSTANCE_KEYS = /^(id|name|etag|kid|nextLink|created|updated|.*(Id|ID|Ids|IDs|Fqdn|FQDN|fqdn|Time|At|Date|Uri|URI|Url|URL|ByType))$/;

function instanceSpecific(key: string, value: unknown): boolean {
  if (INSTANCE_KEYS.test(key)) return true;
  return typeof value === 'string' && (GUID.test(value) || DATE_TIME.test(value) || value.startsWith('/subscriptions/') || /^https?:\/\//.test(value));
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? 'undefined' : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function childOf(view: SchemaView | undefined, key: string): Located | undefined {
  if (!view) return undefined;
  return view.properties.get(key) ?? (typeof view.additionalProperties === 'object' ? view.additionalProperties : undefined);
}

/** The item of `actual` that corresponds to the example's item: same name or id where it has one, else the first. */
function counterpart(expected: unknown, actual: unknown[]): { item: unknown; index: number } {
  if (expected && typeof expected === 'object') {
    const e = expected as Record<string, unknown>;
    for (const key of ['name', 'id', 'kid']) {
      const want = e[key];
      if (typeof want !== 'string') continue;
      const last = (s: string) => s.replace(/\/+$/, '').split('/').pop()!.toLowerCase();
      const i = actual.findIndex((a) => a && typeof a === 'object' && typeof (a as Record<string, unknown>)[key] === 'string' && last((a as Record<string, string>)[key]!) === last(want));
      if (i >= 0) return { item: actual[i], index: i };
    }
  }
  return { item: actual[0], index: 0 };
}

function requestCounterpart(expected: unknown, request: unknown): unknown {
  if (!Array.isArray(request)) return undefined;
  const name = expected && typeof expected === 'object' ? (expected as Record<string, unknown>).name : undefined;
  if (typeof name === 'string') return request.find((r) => r && typeof r === 'object' && (r as Record<string, unknown>).name === name);
  return request[0];
}

export class Comparison {
  readonly divergences: Divergence[] = [];

  constructor(private readonly swaggers: Swaggers) {}

  private add(path: string, problem: string): void {
    this.divergences.push({ path: path || '(body)', problem });
  }

  private view(loc: Located | undefined): SchemaView | undefined {
    return loc ? this.swaggers.view(loc) : undefined;
  }

  /** The example's body against aksemu's: presence, types, enum and echoed values. */
  example(expected: unknown, actual: unknown, schema: Located | undefined, request: unknown, path = '', key = ''): void {
    if (expected === null || expected === undefined) return;
    const te = jsonType(expected);
    const ta = jsonType(actual);
    if (ta === 'undefined') return this.add(path, `missing (Azure's example has ${show(expected)})`);
    if (te !== ta) return this.add(path, `is ${ta} ${show(actual)}, Azure's is ${te} ${show(expected)}`);
    const view = this.view(schema);
    if (te === 'object') {
      const a = actual as Record<string, unknown>;
      const r = request && typeof request === 'object' && !Array.isArray(request) ? (request as Record<string, unknown>) : undefined;
      for (const [k, v] of Object.entries(expected as Record<string, unknown>)) {
        const declared = view?.properties.get(k);
        // A dictionary's keys are data (versions, resource ids): an entry Azure shows stands for any entry.
        const dictionary = !declared && typeof view?.additionalProperties === 'object';
        if (dictionary && !(k in a)) {
          const keys = Object.keys(a);
          if (keys.length === 0) this.add(`${path}${path ? '.' : ''}${k}`, `missing: the map is empty, Azure's has entries like ${show(v)}`);
          else this.example(v, a[keys[0]!], childOf(view, k), undefined, `${path}${path ? '.' : ''}${keys[0]}`, k);
          continue;
        }
        this.example(v, a[k], declared ?? childOf(view, k), r?.[k], `${path}${path ? '.' : ''}${k}`, k);
      }
      return;
    }
    if (te === 'array') {
      const e = expected as unknown[];
      const a = actual as unknown[];
      if (e.length === 0) return;
      if (a.length === 0) return this.add(path, `is empty, Azure's has ${e.length} item(s)`);
      const { item, index } = counterpart(e[0], a);
      this.example(e[0], item, view?.items, requestCounterpart(e[0], request), `${path}[${index}]`, key);
      return;
    }
    if (instanceSpecific(key, expected)) return;
    if (view?.enum) {
      // Where an example's answer contradicts its own request (it asked for one value and shows another), the
      // request decides: the answer was edited by hand, the request is what a client sends.
      const want = request !== undefined && typeof request !== 'object' ? request : expected;
      if (actual !== want) this.add(path, `is ${show(actual)}, Azure's is ${show(want)} (an enum value)`);
      return;
    }
    if (request !== undefined && request === expected && actual !== expected) this.add(path, `is ${show(actual)}: the request's ${show(request)} is not echoed as Azure does`);
  }

  /** aksemu's whole body against the swagger: required properties present, nothing the schema does not define. */
  schema(actual: unknown, schema: Located | undefined, path = ''): void {
    const view = this.view(schema);
    if (!view || actual === null || actual === undefined) return;
    if (Array.isArray(actual)) {
      actual.forEach((item, i) => this.schema(item, view.items, `${path}[${i}]`));
      return;
    }
    if (typeof actual !== 'object') return;
    const a = actual as Record<string, unknown>;
    for (const r of view.required) if (a[r] === undefined) this.add(`${path}${path ? '.' : ''}${r}`, 'missing: the swagger requires it');
    const closed = view.properties.size > 0 && (view.additionalProperties === undefined || view.additionalProperties === false);
    for (const [k, v] of Object.entries(a)) {
      const child = childOf(view, k);
      const p = `${path}${path ? '.' : ''}${k}`;
      if (!child && closed) {
        this.add(p, `is not in the swagger's schema (${show(v)})`);
        continue;
      }
      this.schema(v, child, p);
    }
  }
}
