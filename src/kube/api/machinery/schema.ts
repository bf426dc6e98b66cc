/**
 * Decoding a JSON object into a typed Kubernetes kind, as kube-apiserver's JSON serializer does it: the shape of
 * every served kind comes from @kubernetes/client-node's generated models (each lists its fields with their JSON
 * names and types, from the Kubernetes OpenAPI), so the schema is the real one and not a hand-written copy.
 *
 * - A value of the wrong JSON type fails the decode with the message Go's encoding/json gives
 *   ("json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container").
 * - Unknown fields are collected with their paths ("spec.containers[0].foo"): Strict field validation rejects
 *   them ("strict decoding error: unknown field ..."), Warn reports them as warnings, Ignore drops them. They are
 *   always pruned from the decoded object: what is stored is what the schema knows, as after a real decode.
 * - Resource quantities are canonicalized ("0.5" → "500m"), timestamps are normalized to metav1.Time's form,
 *   nulls are dropped, and base64 `[]byte` fields are checked.
 */
import { canonicalQuantity, QuantityError } from './quantity.js';

interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

interface ModelClass {
  getAttributeTypeMap(): Attribute[];
}

type Models = Record<string, unknown>;

let models: Models | undefined;
let loading: Promise<Models> | undefined;

/** Loads client-node's model classes once (about 0.1 s); every decode needs them. */
export async function loadSchema(): Promise<void> {
  if (models) return;
  loading ??= import('@kubernetes/client-node/dist/gen/models/ObjectSerializer.js').then((m) => (models = m as unknown as Models));
  await loading;
}

function modelAttributes(name: string): Attribute[] | undefined {
  const cls = models?.[name] as Partial<ModelClass> | undefined;
  return cls && typeof cls.getAttributeTypeMap === 'function' ? cls.getAttributeTypeMap() : undefined;
}

/** A decode failure: the body cannot be this kind at all (400 "... cannot be handled as a ..."). */
export class DecodeError extends Error {}

/** Map-valued fields whose values are resource.Quantity (client-node types them as strings). */
const QUANTITY_FIELDS = new Set([
  'V1ResourceRequirements.limits',
  'V1ResourceRequirements.requests',
  'V1NodeStatus.capacity',
  'V1NodeStatus.allocatable',
  'V1PodSpec.overhead',
  'V1EmptyDirVolumeSource.sizeLimit',
  'V1ContainerStatus.allocatedResources',
  'V1ResourceQuotaSpec.hard',
  'V1ResourceQuotaStatus.hard',
  'V1ResourceQuotaStatus.used',
]);

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export interface DecodeResult {
  /** The decoded object: unknown fields removed, quantities and timestamps normalized, nulls dropped. */
  value: Record<string, unknown>;
  /** Paths of unknown fields, in document order ("spec.foo", "spec.containers[0].bar"). */
  unknownFields: string[];
}

interface Walk {
  unknown: string[];
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

/** The Go type name of a client-node type string, for encoding/json-style messages. */
function goType(type: string, format: string): string {
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) return `[]${goType(arr[1]!, format)}`;
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return `map[string]${goType(map[1]!, format)}`;
  switch (type) {
    case 'string':
      return format === 'byte' ? '[]uint8' : 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return format === 'int32' ? 'int32' : format === 'int64' ? 'int64' : 'float64';
    case 'Date':
    case 'V1MicroTime':
      return 'v1.Time';
    case 'IntOrString':
      return 'intstr.IntOrString';
    case 'any':
    case 'object':
      return 'interface {}';
    default:
      return `v1.${goStructName(type)}`;
  }
}

/** "V1PodSpec" → "PodSpec", "CoreV1Event" → "Event". */
export function goStructName(model: string): string {
  return model.replace(/^[A-Z][a-z]*V\d+(?:alpha\d+|beta\d+)?(?=[A-Z])/, '').replace(/^V\d+(?:alpha\d+|beta\d+)?(?=[A-Z])/, '');
}

function mismatch(value: unknown, struct: string, fieldPath: string, type: string, format: string): DecodeError {
  const what = typeof value === 'number' && !Number.isInteger(value) && (format === 'int32' || format === 'int64') ? `number ${value}` : jsonKind(value);
  return new DecodeError(`json: cannot unmarshal ${what} into Go struct field ${struct}.${fieldPath} of type ${goType(type, format)}`);
}

function normalizeTime(v: string, micro: boolean): string {
  const d = new Date(v);
  if (micro) {
    const frac = /\.(\d+)/.exec(v)?.[1] ?? '';
    return `${d.toISOString().slice(0, 19)}.${(frac + '000000').slice(0, 6)}Z`;
  }
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Walks `value` as type `type`. `struct`/`goPath` name the enclosing Go struct and the dotted field path (no
 * indices or map keys) for type errors; `path` is the precise path for unknown-field reports.
 */
function walk(w: Walk, type: string, format: string, value: unknown, path: string, struct: string, goPath: string, quantity: boolean): unknown {
  if (value === null || value === undefined) return undefined;
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) {
    if (!Array.isArray(value)) throw mismatch(value, struct, goPath, type, format);
    return value.map((item, i) => {
      const v = walk(w, arr[1]!, format, item, `${path}[${i}]`, struct, goPath, false);
      return v === undefined ? zeroValue(arr[1]!) : v;
    });
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value !== 'object' || Array.isArray(value)) throw mismatch(value, struct, goPath, type, format);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const decoded = walk(w, map[1]!, format, v, `${path}[${k}]`, struct, goPath, quantity);
      if (decoded !== undefined) out[k] = decoded;
    }
    return out;
  }
  if (quantity) {
    if (typeof value !== 'string' && typeof value !== 'number') throw mismatch(value, struct, goPath, 'string', '');
    try {
      return canonicalQuantity(value);
    } catch (err) {
      if (err instanceof QuantityError) throw new DecodeError(err.message);
      throw err;
    }
  }
  switch (type) {
    case 'string':
      if (typeof value !== 'string') throw mismatch(value, struct, goPath, type, format);
      if (format === 'byte') checkBase64(value);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw mismatch(value, struct, goPath, type, format);
      return value;
    case 'number':
      if (typeof value !== 'number') throw mismatch(value, struct, goPath, type, format);
      if ((format === 'int32' || format === 'int64') && !Number.isInteger(value)) throw mismatch(value, struct, goPath, type, format);
      return value;
    case 'Date':
    case 'V1MicroTime':
      if (typeof value !== 'string') throw mismatch(value, struct, goPath, type, format);
      if (!RFC3339.test(value) || Number.isNaN(Date.parse(value))) {
        throw new DecodeError(`parsing time ${JSON.stringify(value)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(value)} as "2006"`);
      }
      return normalizeTime(value, type === 'V1MicroTime');
    case 'IntOrString':
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) throw mismatch(value, struct, goPath, type, format);
      return value;
    case 'any':
    case 'object':
      return value;
    default: {
      const attrs = modelAttributes(type);
      if (!attrs) return value; // a type client-node does not describe: keep as is
      if (typeof value !== 'object' || Array.isArray(value)) throw mismatch(value, struct, goPath, type, format);
      const out: Record<string, unknown> = {};
      const goName = goStructName(type);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const attr = attrs.find((a) => a.baseName === k);
        const childPath = path ? `${path}.${k}` : k;
        if (!attr) {
          w.unknown.push(childPath);
          continue;
        }
        const childGo = goPath ? `${goPath}.${k}` : k;
        // Type errors name the struct that declares the field (encoding/json's UnmarshalTypeError.Struct).
        const decoded = walk(w, attr.type, attr.format, v, childPath, goName, childGo, QUANTITY_FIELDS.has(`${type}.${k}`));
        if (decoded !== undefined) out[k] = decoded;
      }
      return out;
    }
  }
}

/**
 * What encoding/json leaves for a null array element: the element type's zero value ("" in a []string, an empty
 * struct in a []Container), so that validation sees what kube-apiserver's does, and no code meets a null where
 * its type allows none (a null finalizer was a 500: SPEC R-4).
 */
function zeroValue(type: string): unknown {
  switch (type) {
    case 'string':
      return '';
    case 'boolean':
      return false;
    case 'number':
    case 'IntOrString':
      return 0;
    default:
      return modelAttributes(type) ? {} : null;
  }
}

function checkBase64(value: string): void {
  // Go's encoding/base64 StdEncoding: standard alphabet, padding required; newlines are skipped.
  const s = value.replace(/[\r\n]/g, '');
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (!/[A-Za-z0-9+/=]/.test(c)) throw new DecodeError(`illegal base64 data at input byte ${i}`);
    if (c === '=') {
      const rest = s.slice(i);
      if (!/^={1,2}$/.test(rest) || s.length % 4 !== 0) throw new DecodeError(`illegal base64 data at input byte ${i}`);
      return;
    }
  }
  if (s.length % 4 !== 0) throw new DecodeError(`illegal base64 data at input byte ${s.length - (s.length % 4)}`);
}

/**
 * Decodes `value` as the client-node model `model` ("V1Pod"). Throws DecodeError when a value has the wrong
 * type; reports unknown fields without failing.
 */
export function decodeAs(model: string, value: Record<string, unknown>): DecodeResult {
  if (!models) throw new Error('loadSchema() has not been awaited');
  const w: Walk = { unknown: [] };
  const decoded = walk(w, model, '', value, '', goStructName(model), '', false) as Record<string, unknown>;
  return { value: decoded, unknownFields: w.unknown };
}

/** The fields of a model as client-node lists them (JSON name, type, format), or undefined for an unknown model. */
export function modelFields(model: string): ReadonlyArray<Readonly<Attribute>> | undefined {
  return modelAttributes(model);
}

/** Whether a map field's values are resource.Quantity ("V1ResourceRequirements", "limits"). */
export function isQuantityField(model: string, field: string): boolean {
  return QUANTITY_FIELDS.has(`${model}.${field}`);
}

/** The client-node type of one field of a model ("V1PodSpec", "containers" → "Array<V1Container>"). */
export function fieldType(model: string, field: string): { type: string } | undefined {
  return modelAttributes(model)?.find((a) => a.baseName === field);
}
