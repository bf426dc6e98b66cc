/**
 * The name and metadata rules every Kubernetes object obeys (apimachinery's ValidateObjectMeta and its name,
 * label and annotation validators), with kube-apiserver's own messages, so that `kubectl` prints the same
 * "is invalid: metadata.name: Invalid value: ..." lines as against a real cluster.
 */
import type { FieldError } from './errors.js';
import type { ObjectMeta } from './types.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

export const DNS1123_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_LABEL_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
export const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const QUALIFIED_NAME_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const CONFIG_KEY_MSG =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

const STANDARD_FINALIZERS = ['kubernetes', 'orphan', 'foregroundDeletion'];

export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** Problems with a DNS-1123 label (namespace names, container names); empty when valid. */
export function dns1123Label(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push('must be no more than 63 characters');
  if (!DNS1123_LABEL.test(value)) out.push(DNS1123_LABEL_MSG);
  return out;
}

/** Problems with a DNS-1035 label (Service names: they become DNS names that must not start with a digit). */
export function dns1035Label(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push('must be no more than 63 characters');
  if (!DNS1035_LABEL.test(value)) out.push(DNS1035_LABEL_MSG);
  return out;
}

/** Problems with a DNS-1123 subdomain (most object names); empty when valid. */
export function dns1123Subdomain(value: string): string[] {
  const out: string[] = [];
  if (value.length > 253) out.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(value)) out.push(DNS1123_SUBDOMAIN_MSG);
  return out;
}

/** Problems with a name used as a URL path segment (every name is one). */
export function pathSegmentName(value: string): string[] {
  if (value === '.' || value === '..') return [`may not be '${value}'`];
  const out: string[] = [];
  for (const bad of ['/', '%']) if (value.includes(bad)) out.push(`may not contain '${bad}'`);
  return out;
}

/** upstream's NotSupported error: `supported values: "A", "B"` (field.NotSupported). */
export function notSupported(field: string, value: unknown, supported: readonly string[]): FieldError {
  return { type: 'FieldValueNotSupported', field, value, detail: `supported values: ${supported.map((x) => `"${x}"`).join(', ')}` };
}

export type NameFormat = 'subdomain' | 'label' | 'dns1035-label' | 'path-segment';

export function nameProblems(format: NameFormat, value: string): string[] {
  const seg = pathSegmentName(value);
  if (seg.length > 0) return seg;
  if (format === 'label') return dns1123Label(value);
  if (format === 'dns1035-label') return dns1035Label(value);
  if (format === 'subdomain') return dns1123Subdomain(value);
  return [];
}

/** Problems with a qualified name (`[prefix/]name`), the form of label and annotation keys. */
export function qualifiedName(value: string): string[] {
  const parts = value.split('/');
  let name: string;
  const out: string[] = [];
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) out.push('prefix part must be non-empty');
    else out.push(...dns1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) out.push('name part must be non-empty');
  else if (name.length > 63) out.push('name part must be no more than 63 characters');
  if (name.length > 0 && !QUALIFIED_NAME_PART.test(name)) out.push(QUALIFIED_NAME_MSG);
  return out;
}

export function labelValue(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(value)) out.push(LABEL_VALUE_MSG);
  return out;
}

/** Problems with a key of a Secret's or ConfigMap's data. */
export function configKey(value: string): string[] {
  const out: string[] = [];
  if (value.length > 253) out.push('must be no more than 253 characters');
  if (!CONFIG_KEY.test(value)) out.push(CONFIG_KEY_MSG);
  if (value === '.' || value === '..') out.push(`must not be '${value}'`);
  else if (value.startsWith('..')) out.push("must not start with '..'");
  return out;
}

export function validateLabels(labels: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (labels === undefined || labels === null) return errs;
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    for (const m of qualifiedName(k)) errs.push({ type: 'FieldValueInvalid', field, value: k, detail: m });
    if (typeof v === 'string') for (const m of labelValue(v)) errs.push({ type: 'FieldValueInvalid', field: `${field}`, value: v, detail: m });
  }
  return errs;
}

export function validateAnnotations(annotations: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (annotations === undefined || annotations === null) return errs;
  let total = 0;
  for (const [k, v] of Object.entries(annotations as Record<string, unknown>)) {
    for (const m of qualifiedName(k.toLowerCase())) errs.push({ type: 'FieldValueInvalid', field, value: k, detail: m });
    total += k.length + (typeof v === 'string' ? v.length : 0);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) {
    errs.push({ type: 'FieldValueTooLong', field, detail: `must have at most ${TOTAL_ANNOTATION_SIZE_LIMIT} bytes` });
  }
  return errs;
}

/** ValidateObjectMeta: name (or generateName), namespace scope, labels, annotations, owner references, finalizers. */
export function validateObjectMeta(meta: ObjectMeta, opts: { namespaced: boolean; nameFormat: NameFormat }): FieldError[] {
  const errs: FieldError[] = [];
  if (meta.generateName) {
    const prefix = meta.generateName;
    for (const m of nameProblems(opts.nameFormat, prefix.replace(/-$/, '') || 'a')) {
      errs.push({ type: 'FieldValueInvalid', field: 'metadata.generateName', value: prefix, detail: m });
    }
  }
  if (!meta.name) {
    errs.push({ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' });
  } else {
    for (const m of nameProblems(opts.nameFormat, meta.name)) errs.push({ type: 'FieldValueInvalid', field: 'metadata.name', value: meta.name, detail: m });
  }
  if (opts.namespaced) {
    if (!meta.namespace) errs.push({ type: 'FieldValueRequired', field: 'metadata.namespace' });
    else for (const m of dns1123Label(meta.namespace)) errs.push({ type: 'FieldValueInvalid', field: 'metadata.namespace', value: meta.namespace, detail: m });
  } else if (meta.namespace) {
    errs.push({ type: 'FieldValueForbidden', field: 'metadata.namespace', detail: 'not allowed on this type' });
  }
  errs.push(...validateLabels(meta.labels, 'metadata.labels'));
  errs.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
  (meta.ownerReferences ?? []).forEach((ref, i) => {
    const f = `metadata.ownerReferences[${i}]`;
    if (!ref.apiVersion) errs.push({ type: 'FieldValueInvalid', field: `${f}.apiVersion`, value: ref.apiVersion ?? '', detail: 'version must not be empty' });
    if (!ref.kind) errs.push({ type: 'FieldValueInvalid', field: `${f}.kind`, value: ref.kind ?? '', detail: 'kind must not be empty' });
    if (!ref.name) errs.push({ type: 'FieldValueInvalid', field: `${f}.name`, value: ref.name ?? '', detail: 'name must not be empty' });
    if (!ref.uid) errs.push({ type: 'FieldValueInvalid', field: `${f}.uid`, value: ref.uid ?? '', detail: 'uid must not be empty' });
  });
  (meta.finalizers ?? []).forEach((f, i) => {
    const problems = STANDARD_FINALIZERS.includes(f) ? [] : f.includes('/') ? qualifiedName(f) : ['name is neither a standard finalizer name nor is it fully qualified'];
    for (const m of problems) errs.push({ type: 'FieldValueInvalid', field: `metadata.finalizers[${i}]`, value: f, detail: m });
  });
  return errs;
}
