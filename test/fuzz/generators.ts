/**
 * Generators of hostile input shared by the fuzz properties (SPEC R-4): values of the wrong type, huge and odd
 * strings, keys that reach Object.prototype, deep nesting, broken JSON text, mutations of a valid document, odd
 * path segments, api-versions and query strings. Everything shrinks, so a failure reduces to a small input.
 */
import fc from 'fast-check';

/** Keys that reach Object.prototype machinery when code indexes, merges or copies by them. */
export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'toJSON', 'then', 'length'];

const SPECIAL_STRINGS = [
  '', ' ', '\u0000', '\t\n', '\ud800', '\udfff', '\u202e', '\ufeff', '😀', 'İ', 'ß', 'ﬀ', '..', '../..', '%', '%00', '%2F',
  '${x}', '{{x}}', 'null', 'true', '-0', '1e309', 'NaN', '0x10', '<script>', "'; DROP", '\\', '/', 'a/b', 'eastus', 'EASTUS', ' eastus',
];

/** A string of up to 100k repeated characters (1-4 UTF-8 bytes each). */
const hugeString = fc.tuple(fc.constantFrom('a', 'é', '😀', '\u0000', '%', '\\'), fc.integer({ min: 1_000, max: 100_000 })).map(([c, n]) => c.repeat(n));

export const oddString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SPECIAL_STRINGS, ...PROTO_KEYS) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: hugeString },
);

/** Percent-encodes every byte of the UTF-8 form but unreserved characters (a lone surrogate becomes U+FFFD). */
export function pct(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

const oddNumber = fc.oneof(
  fc.constantFrom(0, -0, -1, 1, 0.5, 2 ** 31, 2 ** 32 + 1, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e308, -1e308, 5e-324),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const leaf: fc.Arbitrary<unknown> = fc.oneof(fc.constant(null), fc.boolean(), oddNumber, oddString);

export const hostileKey: fc.Arbitrary<string> = fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...PROTO_KEYS) }, { weight: 3, arbitrary: oddString.filter((s) => s.length < 2000) });

/** An object with these own entries, `__proto__` included as an own key (as JSON.parse makes it). */
export function ownObject(entries: Array<[string, unknown]>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

/**
 * Values that make String(v), `${v}`, [v].join() or v + '' throw once parsed from JSON: an own "toString" (or
 * "valueOf") that is not a function. The commonest way a wrong type turns into a 500 in JavaScript.
 */
const trap: fc.Arbitrary<unknown> = fc.constantFrom(
  () => ownObject([['toString', 1]]),
  () => ownObject([['toString', null], ['valueOf', {}]]),
  () => [ownObject([['toString', false]])],
  () => ownObject([['valueOf', 'x'], ['toString', []]]),
  () => ownObject([['a', 'b'], ['toString', 'x']]),
).map((make) => make());

const tree = fc.letrec<{ value: unknown; array: unknown[]; object: Record<string, unknown> }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, trap, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.array(fc.tuple(hostileKey, tie('value')), { maxLength: 4 }).map(ownObject),
}));

/** Any JSON value: wrong types, odd and huge strings, prototype keys, some nesting. */
export const hostileValue: fc.Arbitrary<unknown> = tree.value;

/** JSON text nested `depth` levels deep (arrays, objects or both). */
const deepJson = fc.tuple(fc.integer({ min: 20, max: 5_000 }), fc.constantFrom('array', 'object', 'mixed')).map(([depth, kind]) => {
  const open = kind === 'array' ? '[' : kind === 'object' ? '{"a":' : '[{"a":';
  const close = kind === 'array' ? ']' : kind === 'object' ? '}' : '}]';
  const n = kind === 'mixed' ? Math.ceil(depth / 2) : depth;
  return `${open.repeat(n)}1${close.repeat(n)}`;
});

const BROKEN_JSON = [
  '', ' ', '{', '}', '{"a":', '[1,]', '{"a":1,}', "{'a':1}", 'NaN', 'Infinity', '{"a":1}}', '\ufeff{}', '{"a":1,"a":2}', 'null', '"x"', '123', 'true', '[]',
  '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '\u0000', '{"a":"\\ud800"}', '{"a":"\\u00"}', '{"a":1e999}', '{"a":-}',
  '/* c */ {}', '{"a":01}', '{"a":.5}', '{"a":"\n"}',
];

/** JSON text: a document as JSON, broken JSON, truncated JSON or very deep JSON. */
export function jsonText(doc: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: doc.map((v) => JSON.stringify(v) ?? 'undefined') },
    { weight: 2, arbitrary: fc.constantFrom(...BROKEN_JSON) },
    { weight: 1, arbitrary: doc.chain((v) => { const s = JSON.stringify(v) ?? ''; return fc.integer({ min: 0, max: Math.max(0, s.length - 1) }).map((n) => s.slice(0, n)); }) },
    { weight: 1, arbitrary: deepJson },
  );
}

type Path = Array<string | number>;

/** Every path into a JSON document (the root too): where a mutation may strike. */
function pathsOf(doc: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(doc)) doc.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  else if (doc && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) out.push(...pathsOf(v, [...prefix, k]));
  return out;
}

interface Mutation {
  path: Path;
  kind: 'replace' | 'delete' | 'add';
  key: string;
  value: unknown;
}

function applyMutation(doc: unknown, m: Mutation): unknown {
  if (m.path.length === 0) return m.kind === 'add' && doc && typeof doc === 'object' && !Array.isArray(doc) ? ownObject([...Object.entries(doc), [m.key, m.value]]) : m.value;
  let parent = doc as Record<string | number, unknown>;
  for (const p of m.path.slice(0, -1)) {
    const next = parent?.[p];
    if (!next || typeof next !== 'object') return doc;
    parent = next as Record<string | number, unknown>;
  }
  const last = m.path[m.path.length - 1]!;
  if (!parent || typeof parent !== 'object' || !Object.prototype.hasOwnProperty.call(parent, last)) return doc;
  if (m.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (m.kind === 'add') {
    const target = parent[last];
    if (target && typeof target === 'object' && !Array.isArray(target)) Object.defineProperty(target, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
    else if (Array.isArray(target)) target.push(m.value);
    else parent[last] = m.value;
  } else {
    Object.defineProperty(parent, last, { value: m.value, enumerable: true, writable: true, configurable: true });
  }
  return doc;
}

/** A valid document with one to three hostile changes: a value replaced, a key deleted, a key added. */
export function mutated(base: unknown): fc.Arbitrary<unknown> {
  const paths = pathsOf(base);
  const mutation = fc.record({ path: fc.constantFrom(...paths), kind: fc.constantFrom<Mutation['kind']>('replace', 'delete', 'add'), key: hostileKey, value: hostileValue });
  return fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => ms.reduce<unknown>((doc, m) => applyMutation(doc, m), structuredClone(base)));
}

/** A valid document with the value at one of its paths replaced by a hostile value: it reaches field validation. */
export function fieldReplaced(base: unknown): fc.Arbitrary<unknown> {
  const paths = pathsOf(base).filter((p) => p.length > 0);
  return fc.tuple(fc.constantFrom(...paths), hostileValue).map(([path, value]) => applyMutation(structuredClone(base), { path, kind: 'replace', key: '', value }));
}

/** A request body: hostile JSON text around `base`, or raw bytes (invalid UTF-8 included). */
export function hostileBody(base: unknown): fc.Arbitrary<string | Buffer> {
  return fc.oneof(
    { weight: 4, arbitrary: fieldReplaced(base).map((d) => JSON.stringify(d)) },
    { weight: 4, arbitrary: jsonText(mutated(base)) },
    { weight: 3, arbitrary: jsonText(hostileValue) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
  );
}

export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      undefined, '', 'application/json; charset=utf-8', 'application/json; charset=utf-16', 'APPLICATION/JSON', 'text/plain', 'application/x-www-form-urlencoded',
      'application/merge-patch+json', 'application/json, text/plain', 'application/json;;', 'multipart/form-data; boundary=x', 'application/yaml',
    ),
  },
);

// Node's HTTP client sends path bytes 0x21-0xff; a raw 0x80-0xff byte is a latin-1 byte on the wire (invalid UTF-8).
const RAW_PATH_CHARS = Array.from({ length: 0xff - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).filter((c) => !'/?#'.includes(c));

/** A path segment: an encoded odd string, a broken escape, raw latin-1 bytes, a very long name. */
export const oddSegment: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).map(pct),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '%00', '%2F', '%2e%2e', '..', '.', '~', 'a'.repeat(300), '%F0%9F%98%80', '__proto__', 'constructor', 'prototype', 'a%20b', 'x;y', "a'b", 'A', '-', '_'),
  fc.string({ unit: fc.constantFrom(...RAW_PATH_CHARS), minLength: 1, maxLength: 20 }),
);

/** An api-version: a good one (mostly), or something that is not one. */
export function apiVersion(good: string[]): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...good) },
    { weight: 1, arbitrary: fc.constantFrom(undefined, '', '2099-01-01', 'latest', '2022-11-01-preview', ' 2022-11-01', '2022-13-45', '7.4', '1'.repeat(5000), '__proto__') },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  );
}

const QUERY_KEYS = ['$filter', '$top', '$skiptoken', '$expand', '$select', 'api-version', 'maxresults', 'x', '__proto__', 'constructor', ''];

/** Extra query parameters (encoded, raw or broken), appended after the api-version. */
export const oddQuery: fc.Arbitrary<string[]> = fc.array(
  fc.oneof(
    fc.tuple(fc.constantFrom(...QUERY_KEYS), oddString.filter((s) => s.length < 3000)).map(([k, v]) => `${pct(k)}=${pct(v)}`),
    fc.constantFrom('a', '=', '&', '%', '%zz=1', 'a=%E0%A4%A', 'a=1=2', 'api-version', 'api-version=', '$top=-1', '$top=1e309', '$filter=x%20eq%20'),
  ),
  { maxLength: 3 },
);

/** `?api-version=...&...` from a generated api-version and extra parameters. */
export function queryString(version: string | undefined, extra: string[]): string {
  const parts = [...(version === undefined ? [] : [`api-version=${pct(version)}`]), ...extra];
  return parts.length ? `?${parts.join('&')}` : '';
}

/** Methods node accepts that no service route serves (besides the ordinary ones). */
export const ODD_METHODS = ['OPTIONS', 'TRACE', 'PROPFIND', 'M-SEARCH', 'LOCK', 'PURGE', 'QUERY'];
