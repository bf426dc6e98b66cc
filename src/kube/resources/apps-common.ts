/**
 * What apps/v1 workloads share (SPEC W-4): the label selector and pod template checks of
 * ValidateDeploymentSpec/ValidateReplicaSetSpec, the pod template defaults, and the selector as the string the
 * scale subresource and kubectl print.
 */
import type { FieldError } from '../api/machinery/errors.js';
import type { TableColumn } from '../api/machinery/resource.js';
import { matchesLabels, type LabelRequirement } from '../api/machinery/selectors.js';
import type { LabelSelector, Pod, PodTemplateSpec } from '../api/machinery/types.js';
import { validateLabels } from '../api/machinery/validation.js';
import { deepEqual } from '../util/deep.js';
import { pods } from './pods.js';
import { column } from './common.js';

const OPS: Record<string, LabelRequirement['op']> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/** A LabelSelector as requirements (LabelSelectorAsSelector); an empty selector matches everything. */
export function selectorRequirements(sel: LabelSelector | undefined): LabelRequirement[] {
  const reqs: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(sel?.matchLabels ?? {})) reqs.push({ key, op: '=', values: [value] });
  for (const e of sel?.matchExpressions ?? []) reqs.push({ key: e.key, op: OPS[e.operator] ?? 'in', values: e.values ?? [] });
  return reqs;
}

/** The selector in label-selector syntax ("app=web,tier in (a,b)"), as FormatLabelSelector writes it. */
export function selectorString(sel: LabelSelector | undefined): string {
  const parts = Object.entries(sel?.matchLabels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${e.operator === 'NotIn' ? 'notin' : 'in'} (${(e.values ?? []).join(',')})`);
  }
  return parts.length === 0 ? '<none>' : parts.join(',');
}

/** The wide (`-o wide`) columns kubectl prints for every kind with a pod template: CONTAINERS and IMAGES. */
export const TEMPLATE_COLUMNS: TableColumn[] = [
  column('Containers', 'string', 'Names of each container in the template.', 1),
  column('Images', 'string', 'Images referenced by each container in the template.', 1),
];

/** The cells of TEMPLATE_COLUMNS: the template's container names and images, comma-separated. */
export function templateCells(t: PodTemplateSpec | undefined): [string, string] {
  const containers = t?.spec?.containers ?? [];
  return [containers.map((c) => c.name).join(','), containers.map((c) => c.image ?? '').join(',')];
}

/** Pod template defaults (SetDefaults_PodSpec and its containers'), without the pod-only admission fields. */
export function defaultTemplate(t: PodTemplateSpec | undefined): void {
  if (!t?.spec) return;
  const pod = { metadata: {}, spec: t.spec } as Pod;
  const had = { sa: t.spec.serviceAccountName, legacySa: t.spec.serviceAccount, priority: t.spec.priority, preemption: t.spec.preemptionPolicy };
  pods.defaults?.(pod);
  const s = pod.spec!;
  if (had.sa === undefined) delete s.serviceAccountName;
  if (had.legacySa === undefined) delete s.serviceAccount;
  if (had.priority === undefined) delete s.priority;
  if (had.preemption === undefined) delete s.preemptionPolicy;
  t.spec = s;
}

/** A LabelSelector's own errors (ValidateLabelSelector): labels, operators, values. */
export function selectorErrors(sel: LabelSelector | undefined, field: string): FieldError[] {
  if (!sel) return [{ type: 'FieldValueRequired', field }];
  const errs = validateLabels(sel.matchLabels, `${field}.matchLabels`);
  (sel.matchExpressions ?? []).forEach((e, i) => {
    const f = `${field}.matchExpressions[${i}]`;
    if (!(e.operator in OPS)) errs.push({ type: 'FieldValueNotSupported', field: `${f}.operator`, value: e.operator, detail: 'supported values: "In", "NotIn", "Exists", "DoesNotExist"' });
    else if ((e.operator === 'In' || e.operator === 'NotIn') && (e.values ?? []).length === 0) {
      errs.push({ type: 'FieldValueRequired', field: `${f}.values`, detail: 'must be specified when `operator` is \'In\' or \'NotIn\'' });
    } else if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && (e.values ?? []).length > 0) {
      errs.push({ type: 'FieldValueForbidden', field: `${f}.values`, detail: 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\'' });
    }
  });
  return errs;
}

/** Checks what a workload spec's selector, replicas and template must satisfy (fields under `spec.`). */
export function validateWorkloadSpec(spec: { selector?: LabelSelector; replicas?: number; template?: PodTemplateSpec; minReadySeconds?: number } | undefined): FieldError[] {
  if (!spec) return [{ type: 'FieldValueRequired', field: 'spec' }];
  const errs = selectorErrors(spec.selector, 'spec.selector');
  const reqs = selectorRequirements(spec.selector);
  if (spec.selector && reqs.length === 0) errs.push({ type: 'FieldValueInvalid', field: 'spec.selector', value: spec.selector, detail: 'empty selector is invalid for deployment' });
  if (spec.replicas !== undefined && spec.replicas < 0) errs.push({ type: 'FieldValueInvalid', field: 'spec.replicas', value: spec.replicas, detail: 'must be greater than or equal to 0' });
  if (spec.minReadySeconds !== undefined && spec.minReadySeconds < 0) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.minReadySeconds', value: spec.minReadySeconds, detail: 'must be greater than or equal to 0' });
  }
  const t = spec.template;
  if (!t) return [...errs, { type: 'FieldValueRequired', field: 'spec.template' }];
  const labels = t.metadata?.labels ?? {};
  errs.push(...validateLabels(t.metadata?.labels, 'spec.template.metadata.labels'));
  if (reqs.length > 0 && !matchesLabels(reqs, labels)) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.template.metadata.labels', value: labels, detail: '`selector` does not match template `labels`' });
  }
  if (t.spec?.restartPolicy && t.spec.restartPolicy !== 'Always') {
    errs.push({ type: 'FieldValueNotSupported', field: 'spec.template.spec.restartPolicy', value: t.spec.restartPolicy, detail: 'supported values: "Always"' });
  }
  const podErrs = pods.validate?.({ metadata: { name: 'template', namespace: 'default' }, spec: t.spec } as Pod) ?? [];
  for (const e of podErrs) errs.push({ ...e, field: `spec.template.${e.field}` });
  return errs;
}

/** spec.selector cannot change once set (apps/v1). */
export function immutableSelector(sel: LabelSelector | undefined, old: LabelSelector | undefined): FieldError[] {
  return deepEqual(sel ?? null, old ?? null) ? [] : [{ type: 'FieldValueInvalid', field: 'spec.selector', value: sel, detail: 'field is immutable' }];
}
