/**
 * Validation of a pod's inter-pod affinity terms and topology spread constraints (SPEC W-23, W-24), the checks
 * kube-apiserver's ValidatePodSpec makes on them before the scheduler ever sees the pod: a topologyKey on every
 * term, weights of 1-100, maxSkew above zero, a supported whenUnsatisfiable, minDomains only with DoNotSchedule,
 * Honor or Ignore as node inclusion policies, and no two constraints with the same topologyKey and
 * whenUnsatisfiable.
 */
import type { FieldError } from '../api/machinery/errors.js';
import type { Pod, PodAffinityTerm } from '../api/machinery/types.js';

const ACTIONS = ['DoNotSchedule', 'ScheduleAnyway'];
const POLICIES = ['Honor', 'Ignore'];

function affinityTerm(t: PodAffinityTerm, field: string): FieldError[] {
  return t.topologyKey ? [] : [{ type: 'FieldValueRequired', field: `${field}.topologyKey`, detail: 'can not be empty' }];
}

function podAffinity(s: NonNullable<Pod['spec']>, kind: 'podAffinity' | 'podAntiAffinity'): FieldError[] {
  const a = s.affinity?.[kind];
  if (!a) return [];
  const base = `spec.affinity.${kind}`;
  const errs: FieldError[] = [];
  (a.requiredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => errs.push(...affinityTerm(t, `${base}.requiredDuringSchedulingIgnoredDuringExecution[${i}]`)));
  (a.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((w, i) => {
    const f = `${base}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
    if (!(w.weight >= 1 && w.weight <= 100)) errs.push({ type: 'FieldValueInvalid', field: `${f}.weight`, value: w.weight, detail: 'must be in the range 1-100' });
    errs.push(...affinityTerm(w.podAffinityTerm ?? ({} as PodAffinityTerm), `${f}.podAffinityTerm`));
  });
  return errs;
}

function spreadConstraints(s: NonNullable<Pod['spec']>): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (s.topologySpreadConstraints ?? []).forEach((c, i) => {
    const f = `spec.topologySpreadConstraints[${i}]`;
    if (!(c.maxSkew > 0)) errs.push({ type: 'FieldValueInvalid', field: `${f}.maxSkew`, value: c.maxSkew ?? 0, detail: 'must be greater than zero' });
    if (!c.topologyKey) errs.push({ type: 'FieldValueRequired', field: `${f}.topologyKey`, detail: 'can not be empty' });
    if (!ACTIONS.includes(c.whenUnsatisfiable)) {
      errs.push({ type: 'FieldValueNotSupported', field: `${f}.whenUnsatisfiable`, value: c.whenUnsatisfiable ?? '', detail: 'supported values: "DoNotSchedule", "ScheduleAnyway"' });
    }
    if (c.minDomains !== undefined && c.minDomains !== null) {
      if (!(c.minDomains > 0)) errs.push({ type: 'FieldValueInvalid', field: `${f}.minDomains`, value: c.minDomains, detail: 'must be greater than 0' });
      else if (c.whenUnsatisfiable !== 'DoNotSchedule') {
        errs.push({ type: 'FieldValueInvalid', field: `${f}.minDomains`, value: c.minDomains, detail: `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${c.whenUnsatisfiable}` });
      }
    }
    for (const policy of ['nodeAffinityPolicy', 'nodeTaintsPolicy'] as const) {
      const v = c[policy];
      if (v !== undefined && v !== null && !POLICIES.includes(v)) errs.push({ type: 'FieldValueNotSupported', field: `${f}.${policy}`, value: v, detail: 'supported values: "Honor", "Ignore"' });
    }
    const pair = `{${c.topologyKey}, ${c.whenUnsatisfiable}}`;
    if (c.topologyKey && seen.has(pair)) errs.push({ type: 'FieldValueDuplicate', field: f, value: pair });
    seen.add(pair);
  });
  return errs;
}

export function validatePodScheduling(s: NonNullable<Pod['spec']>): FieldError[] {
  return [...podAffinity(s, 'podAffinity'), ...podAffinity(s, 'podAntiAffinity'), ...spreadConstraints(s)];
}
