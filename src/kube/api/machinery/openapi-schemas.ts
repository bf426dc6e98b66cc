/**
 * The `components.schemas` of kube-apiserver's OpenAPI v3 documents, built from the same client-node models that
 * decode requests (schema.ts), so that what a client reads about a kind is what the server accepts (SPEC W-26).
 *
 * Names follow upstream's (`io.k8s.api.apps.v1.Deployment`, `io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`);
 * a struct's package is meta for the apimachinery types, core for anything a core kind reaches, otherwise the
 * group of the kind that reaches it. Struct-typed fields refer to their schema as upstream does
 * (`allOf: [{$ref}]`, which is also how kubectl's strategic-merge code resolves them).
 *
 * Descriptions and required fields come from client-node's declarations of the same models (model-docs.ts).
 *
 * The patch extensions are the server's own tables: `x-kubernetes-patch-strategy`/`-merge-key` from the strategic
 * merge lists (strategic-merge.ts) plus retainKeys where upstream's Go tags have it, and `x-kubernetes-list-type`/
 * `-list-map-keys`/`-map-type` from server-side apply's field shapes (field-shapes.ts). kubectl computes a
 * client-side apply's patch from these, so they must say what the server does with that patch.
 */
import { fieldShape, isAtomicStruct } from './field-shapes.js';
import { modelDocs } from './model-docs.js';
import { MERGE_LISTS } from './strategic-merge.js';
import { goStructName, isQuantityField, modelFields } from './schema.js';

export type JsonSchema = Record<string, unknown>;

export interface Gvk {
  group: string;
  version: string;
  kind: string;
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const META_MODELS = new Set([
  'V1ObjectMeta',
  'V1ListMeta',
  'V1LabelSelector',
  'V1LabelSelectorRequirement',
  'V1ManagedFieldsEntry',
  'V1OwnerReference',
  'V1Condition',
  'V1Status',
  'V1StatusDetails',
  'V1StatusCause',
  'V1DeleteOptions',
  'V1Preconditions',
  'V1WatchEvent',
  'V1Patch', // not a client-node model: a patch body, any object
]);

/** Scalar types with a schema of their own upstream. */
const TIME = `${META}.Time`;
const MICRO_TIME = `${META}.MicroTime`;
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const RAW = 'io.k8s.apimachinery.pkg.runtime.RawExtension';
const SCALAR_SCHEMAS: Record<string, JsonSchema> = {
  [TIME]: { type: 'string', format: 'date-time' },
  [MICRO_TIME]: { type: 'string', format: 'date-time' },
  [INT_OR_STRING]: { type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true },
  [QUANTITY]: { type: 'string' },
  [RAW]: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
};

/**
 * Fields whose Go tags add retainKeys: kubectl then sends `$retainKeys`, which the server honours wherever it
 * appears, so that switching a Deployment to Recreate drops the defaulted rollingUpdate.
 */
const RETAIN_KEYS = new Set(['V1DeploymentSpec.strategy', 'V1PodSpec.volumes', 'V1PodSpec.resourceClaims']);

/** "apps" → "apps", "rbac.authorization.k8s.io" → "rbac", "" → "core" (the Go package of a group's types). */
function packageOf(group: string): string {
  return group === '' ? 'core' : group.split('.')[0]!;
}

function versionOf(model: string): string {
  return /(V\d+(?:alpha\d+|beta\d+)?)(?=[A-Z])/.exec(model)?.[1]?.toLowerCase() ?? 'v1';
}

function elementOf(type: string): { array?: string; map?: string } {
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) return { array: arr[1]! };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  return map ? { map: map[1]! } : {};
}

function isModel(type: string): boolean {
  return /^[A-Z]/.test(type) && type !== 'Date' && type !== 'IntOrString' && modelFields(type) !== undefined;
}

function ref(name: string): JsonSchema {
  return { $ref: `#/components/schemas/${name}` };
}

/** Builds the schemas reachable from some roots, naming each struct once. */
export class SchemaSet {
  readonly schemas: Record<string, JsonSchema> = {};
  private readonly names = new Map<string, string>();
  private readonly coreModels: Set<string>;

  /** `coreRoots`: the models of the core kinds, whose whole trees are in package core. */
  constructor(coreRoots: readonly string[]) {
    this.coreModels = new Set<string>();
    const walk = (m: string) => {
      if (this.coreModels.has(m) || META_MODELS.has(m)) return;
      this.coreModels.add(m);
      for (const f of modelFields(m) ?? []) {
        const { array, map } = elementOf(f.type);
        const t = array ?? map ?? f.type;
        if (isModel(t)) walk(t);
      }
    };
    for (const r of coreRoots) walk(r);
  }

  /** The schema name of a model reached from a kind of `group`. */
  nameOf(model: string, group: string): string {
    const known = this.names.get(model);
    if (known) return known;
    const pkg = META_MODELS.has(model) ? META : `io.k8s.api.${this.coreModels.has(model) ? 'core' : packageOf(group)}.${versionOf(model)}`;
    const name = `${pkg}.${goStructName(model)}`;
    this.names.set(model, name);
    return name;
  }

  /** Adds a kind's schema (and everything it reaches) with its GVK extension; returns its name. */
  addKind(model: string, gvk: Gvk): string {
    const name = this.addModel(model, gvk.group);
    this.schemas[name]!['x-kubernetes-group-version-kind'] = [{ group: gvk.group, kind: gvk.kind, version: gvk.version }];
    return name;
  }

  addModel(model: string, group: string): string {
    const name = this.nameOf(model, group);
    if (this.schemas[name]) return name;
    const docs = modelDocs(model);
    const properties: Record<string, JsonSchema> = {};
    const schema: JsonSchema = { ...(docs.description ? { description: docs.description } : {}), type: 'object', properties };
    if (docs.required.length > 0) schema.required = docs.required;
    if (isAtomicStruct(model)) schema['x-kubernetes-map-type'] = 'atomic';
    this.schemas[name] = schema; // before the fields: a recursive type refers to itself
    for (const f of modelFields(model) ?? []) {
      const description = docs.fields.get(f.baseName);
      properties[f.baseName] = { ...(description ? { description } : {}), ...this.fieldSchema(model, f.baseName, f.type, f.format, group) };
    }
    return name;
  }

  private addScalar(name: string): JsonSchema {
    this.schemas[name] ??= { ...SCALAR_SCHEMAS[name] };
    return ref(name);
  }

  private typeSchema(type: string, format: string, group: string): JsonSchema {
    if (isModel(type)) return { default: {}, allOf: [ref(this.addModel(type, group))] };
    const { array, map } = elementOf(type);
    if (array !== undefined) return { type: 'array', items: this.typeSchema(array, format, group) };
    if (map !== undefined) return { type: 'object', additionalProperties: this.typeSchema(map, format, group) };
    switch (type) {
      case 'string':
        return format === 'byte' ? { type: 'string', format: 'byte' } : { type: 'string' };
      case 'boolean':
        return { type: 'boolean' };
      case 'number':
        return format === 'int32' || format === 'int64' ? { type: 'integer', format } : { type: 'number', format: format || 'double' };
      case 'Date':
        return { allOf: [this.addScalar(format === 'date-time-micro' ? MICRO_TIME : TIME)] };
      case 'IntOrString':
        return { allOf: [this.addScalar(INT_OR_STRING)] };
      default:
        return { allOf: [this.addScalar(RAW)] };
    }
  }

  private fieldSchema(model: string, field: string, type: string, format: string, group: string): JsonSchema {
    const owner = `${model}.${field}`;
    const { map } = elementOf(type);
    const schema = isQuantityField(model, field) && map !== undefined ? { type: 'object', additionalProperties: { allOf: [this.addScalar(QUANTITY)] } } : this.typeSchema(type, format, group);
    const mergeKey = MERGE_LISTS[owner];
    const strategies = [...(mergeKey !== undefined ? ['merge'] : []), ...(RETAIN_KEYS.has(owner) ? ['retainKeys'] : [])];
    if (strategies.length > 0) schema['x-kubernetes-patch-strategy'] = strategies.join(',');
    if (mergeKey) schema['x-kubernetes-patch-merge-key'] = mergeKey;
    const shape = fieldShape(model, field);
    if (schema.type === 'array') {
      if (shape.kind === 'list') {
        schema['x-kubernetes-list-type'] = 'map';
        schema['x-kubernetes-list-map-keys'] = [...shape.keys];
      } else schema['x-kubernetes-list-type'] = shape.kind === 'set' ? 'set' : 'atomic';
    } else if (schema.type === 'object' && shape.kind === 'leaf') schema['x-kubernetes-map-type'] = 'atomic';
    return schema;
  }
}
