/**
 * Request bodies into objects, with kube-apiserver's answers for every way a body can be wrong:
 *
 * - media type: JSON and YAML are decoded; protobuf (which `kubectl debug` posts) and anything else get 415;
 * - malformed JSON/YAML: 400 "the object provided is unrecognized (must be of type Pod): couldn't get
 *   version/kind; json parse error: ...";
 * - wrong apiVersion/kind for the endpoint: 400 "Secret in version "v1" cannot be handled as a Pod: ...";
 * - wrong field types: 400 with encoding/json's message; unknown and duplicate fields: per `fieldValidation`
 *   (Strict: 400 "strict decoding error: unknown field "spec.foo""; Warn: `Warning` headers; Ignore: dropped).
 */
import type { Node as YamlNode } from 'yaml';
import { yaml } from '../../util/yaml.js';
import { KubeError, kubeErrors } from './errors.js';
import { apiVersionOf, type ResourceDef } from './resource.js';
import { DecodeError, decodeAs } from './schema.js';
import type { KObject } from './types.js';
import { RESOURCES } from '../resources/index.js';
import { decodeProtobufBody, PROTOBUF_MEDIA_TYPE } from './protobuf.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export const ACCEPTED_BODY_TYPES = ['application/json', 'application/yaml', PROTOBUF_MEDIA_TYPE];

export type BodyFormat = 'json' | 'yaml' | 'protobuf';

/** The body's format from its Content-Type (JSON when absent, as kube-apiserver assumes). */
export function bodyFormat(contentType: string | undefined, accepted: readonly string[] = ACCEPTED_BODY_TYPES): BodyFormat {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === '' || type === 'application/json' || type === 'text/json') return 'json';
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') return 'yaml';
  if (type === PROTOBUF_MEDIA_TYPE && accepted.includes(PROTOBUF_MEDIA_TYPE)) return 'protobuf';
  throw kubeErrors.unsupportedMediaType(type, [...accepted]);
}

function summarize(body: Buffer, max = 30): string {
  const s = body.toString('utf8');
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

export interface ParsedBody {
  value: unknown;
  /** Paths of keys that appear twice in one object (only computed when asked). */
  duplicates: string[];
}

function yamlPathDuplicates(node: YamlNode | null | undefined, path: string, out: string[]): void {
  if (!node) return;
  const { isMap, isScalar, isSeq } = yaml();
  if (isMap(node)) {
    const seen = new Set<string>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const child = path ? `${path}.${key}` : key;
      if (seen.has(key)) out.push(child);
      seen.add(key);
      yamlPathDuplicates(pair.value as YamlNode, child, out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => yamlPathDuplicates(item as YamlNode, `${path}[${i}]`, out));
  }
}

/** Whether some object key occurs twice anywhere in a JSON text (a cheap test before the precise check). */
function mayHaveDuplicateKeys(text: string): boolean {
  const seen = new Set<string>();
  const re = /"((?:[^"\\]|\\.)*)"\s*:/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (seen.has(m[1]!)) return true;
    seen.add(m[1]!);
  }
  return false;
}

/**
 * Parses a body. `kind` names the expected kind in error messages. Duplicate keys are looked for only when
 * `findDuplicates` (Strict field validation), as kube-apiserver's strict decoder does.
 */
export function parseBody(body: Buffer, format: BodyFormat, kind: string, findDuplicates: boolean): ParsedBody {
  if (format === 'protobuf') return { value: decodeProtobufBody(body, ACCEPTED_BODY_TYPES), duplicates: [] };
  if (format === 'json') {
    const text = body.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      const msg = (err as Error).message.replace(/^JSON\.parse: /, '');
      throw kubeErrors.badRequest(`the object provided is unrecognized (must be of type ${kind}): couldn't get version/kind; json parse error: ${msg} (${summarize(body)})`);
    }
    const duplicates: string[] = [];
    if (findDuplicates && mayHaveDuplicateKeys(text)) yamlPathDuplicates(yaml().parseDocument(text, { uniqueKeys: false }).contents as YamlNode, '', duplicates);
    return { value, duplicates };
  }
  const doc = yaml().parseDocument(body.toString('utf8'), { uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw kubeErrors.badRequest(`the object provided is unrecognized (must be of type ${kind}): couldn't get version/kind; yaml parse error: ${doc.errors[0]!.message.split('\n')[0]}`);
  }
  const duplicates: string[] = [];
  if (findDuplicates) yamlPathDuplicates(doc.contents as YamlNode, '', duplicates);
  return { value: doc.toJS({ maxAliasCount: 100 }), duplicates };
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

export interface DecodedObject {
  obj: KObject;
  warnings: string[];
}

/**
 * Checks a parsed body against the endpoint's kind and decodes it through the kind's schema.
 * `context` is 'body' for create/update (errors say "X in version v cannot be handled as a Y") and 'patch'
 * for the result of a patch (errors are the bare decoder message, as kube-apiserver's patcher reports them).
 */
export function decodeObject(
  def: ResourceDef,
  parsed: ParsedBody,
  fieldValidation: FieldValidation,
  context: 'body' | 'patch' = 'body',
  expectedKind: { kind: string; apiVersion: string } = { kind: def.kind, apiVersion: apiVersionOf(def) },
): DecodedObject {
  const raw = parsed.value;
  const expected = splitApiVersion(expectedKind.apiVersion);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    const what = Array.isArray(raw) ? 'array' : raw === null ? 'null' : typeof raw;
    throw kubeErrors.badRequest(`the object provided is unrecognized (must be of type ${expectedKind.kind}): couldn't get version/kind; json parse error: json: cannot unmarshal ${what} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`);
  }
  const body = raw as Record<string, unknown>;
  if (body.apiVersion !== undefined && typeof body.apiVersion !== 'string') {
    throw kubeErrors.badRequest(`the object provided is unrecognized (must be of type ${expectedKind.kind}): couldn't get version/kind; json parse error: json: cannot unmarshal ${typeof body.apiVersion} into Go struct field .apiVersion of type string`);
  }
  if (body.kind !== undefined && typeof body.kind !== 'string') {
    throw kubeErrors.badRequest(`the object provided is unrecognized (must be of type ${expectedKind.kind}): couldn't get version/kind; json parse error: json: cannot unmarshal ${typeof body.kind} into Go struct field .kind of type string`);
  }
  const apiVersion = (body.apiVersion as string | undefined) || expectedKind.apiVersion;
  const kind = (body.kind as string | undefined) || expectedKind.kind;
  const gv = splitApiVersion(apiVersion);
  const prefix = `${kind} in version "${gv.version}" cannot be handled as a ${expectedKind.kind}`;
  if (kind !== expectedKind.kind || gv.group !== expected.group || gv.version !== expected.version) {
    const served = RESOURCES.some((r) => r.kind === kind && r.group === gv.group && r.version === gv.version);
    if (!served) {
      const scheme = gv.group === '' ? 'pkg/api/legacyscheme/scheme.go:30' : 'pkg/api/legacyscheme/scheme.go:30';
      throw kubeErrors.badRequest(`${prefix}: no kind "${kind}" is registered for version "${apiVersion}" in scheme "${scheme}"`);
    }
    if (gv.group !== expected.group || gv.version !== expected.version) {
      throw kubeErrors.badRequest(`the API version in the data (${apiVersion}) does not match the expected API version (${expectedKind.apiVersion})`);
    }
    throw kubeErrors.badRequest(`${prefix}: converting (${gv.version}.${kind}) to (${gv.group === '' ? 'core' : gv.group.split('.')[0]}.${expectedKind.kind}): unknown conversion`);
  }
  let decoded;
  try {
    decoded = decodeAs(def.model, { ...body, apiVersion, kind });
  } catch (err) {
    if (err instanceof DecodeError) throw kubeErrors.badRequest(context === 'body' ? `${prefix}: ${err.message}` : err.message);
    throw err;
  }
  const problems = [...decoded.unknownFields.map((f) => `unknown field "${f}"`), ...parsed.duplicates.map((f) => `duplicate field "${f}"`)];
  const warnings: string[] = [];
  if (problems.length > 0) {
    if (fieldValidation === 'Strict') {
      const msg = `strict decoding error: ${problems.join(', ')}`;
      throw kubeErrors.badRequest(context === 'body' ? `${prefix}: ${msg}` : msg);
    }
    if (fieldValidation === 'Warn') warnings.push(...problems);
  }
  const obj = decoded.value as unknown as KObject;
  obj.metadata ??= {};
  return { obj, warnings };
}

/** Parses `fieldValidation` (absent: Warn, kube-apiserver's default). */
export function parseFieldValidation(value: string | null): FieldValidation {
  if (value === null || value === '') return 'Warn';
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  throw new KubeError(400, 'BadRequest', `fieldValidation: Unsupported value: ${JSON.stringify(value)}: supported values: "Ignore", "Strict", "Warn"`);
}
