/**
 * Parsed bodies (and patch results) into objects of the endpoint's kind, with kube-apiserver's answers:
 *
 * - wrong apiVersion/kind for the endpoint: 400 "Secret in version "v1" cannot be handled as a Pod: ...";
 * - wrong field types: 400 with encoding/json's message; unknown and duplicate fields: per `fieldValidation`
 *   (Strict: 400 "strict decoding error: unknown field "spec.foo""; Warn: `Warning` headers; Ignore: dropped).
 *
 * Not to be confused with the storage-level `decodeObject` (stored-object.ts), which reads stored bytes.
 */
import { KubeError, kubeErrors } from '../machinery/errors.js';
import { apiVersionOf, type ResourceDef } from '../machinery/resource.js';
import { DecodeError, decodeAs } from '../machinery/schema.js';
import { RESOURCES } from '../../resources/index.js';
import type { KubeObject } from '../../../clusters/stored-object.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';


export interface ParsedBody {
  value: unknown;
  /** Paths of keys that appear twice in one object (only computed when asked). */
  duplicates: string[];
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

export interface DecodedObject {
  obj: KubeObject;
  warnings: string[];
}

/**
 * Checks a parsed body against the endpoint's kind and decodes it through the kind's schema.
 * `context` is 'body' for create/update (errors say "X in version v cannot be handled as a Y") and 'patch'
 * for the result of a patch (errors are the bare decoder message, as kube-apiserver's patcher reports them).
 */
export function decodeAsKind(
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
  const obj = decoded.value as unknown as KubeObject;
  obj.metadata ??= {};
  return { obj, warnings };
}

/** Parses `fieldValidation` (absent: Warn, kube-apiserver's default). */
export function parseFieldValidation(value: string | null): FieldValidation {
  if (value === null || value === '') return 'Warn';
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  throw new KubeError(400, 'BadRequest', `fieldValidation: Unsupported value: ${JSON.stringify(value)}: supported values: "Ignore", "Strict", "Warn"`);
}
