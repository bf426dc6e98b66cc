/** Label and field selection of a resource's objects (lists, deletecollection and watches). */
import { kubeErrors } from '../machinery/errors.js';
import type { ResourceDef } from '../machinery/resource.js';
import { matchesFields, matchesLabels, type FieldRequirement, type LabelRequirement } from '../machinery/selectors.js';
import type { KubeObject } from '../../../clusters/stored-object.js';

export function fieldValue(def: ResourceDef, obj: KubeObject, field: string): string {
  if (field === 'metadata.name') return obj.metadata.name ?? '';
  if (field === 'metadata.namespace') return obj.metadata.namespace ?? '';
  const f = def.fieldSelectors[field];
  return f ? f(obj) : '';
}

/** Rejects field selectors on fields the resource does not index (kube-apiserver: "field label not supported"). */
export function checkFieldSelector(def: ResourceDef, reqs: FieldRequirement[] | undefined): void {
  for (const r of reqs ?? []) {
    if (r.field !== 'metadata.name' && r.field !== 'metadata.namespace' && !(r.field in def.fieldSelectors)) {
      throw kubeErrors.badRequest(`field label not supported: ${r.field}`);
    }
  }
}

export function matches(def: ResourceDef, obj: KubeObject, opts: { labelSelector?: LabelRequirement[]; fieldSelector?: FieldRequirement[] }): boolean {
  if (opts.labelSelector && opts.labelSelector.length > 0 && !matchesLabels(opts.labelSelector, obj.metadata.labels)) return false;
  if (opts.fieldSelector && opts.fieldSelector.length > 0 && !matchesFields(opts.fieldSelector, (f) => fieldValue(def, obj, f))) return false;
  return true;
}
