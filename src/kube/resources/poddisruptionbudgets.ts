/**
 * policy/v1 PodDisruptionBudgets (SPEC W-12): minAvailable or maxUnavailable (an integer or a percentage), a
 * selector, the status the disruption controller keeps (controllers/disruption.ts), kubectl's columns.
 */
import type { FieldError } from '../api/machinery/errors.js';
import type { ResourceDef } from '../api/machinery/resource.js';
import { READ_WRITE } from '../api/machinery/resource.js';
import { matchesLabels } from '../api/machinery/selectors.js';
import type { Pod, PodDisruptionBudget } from '../api/machinery/types.js';
import { validateLabels } from '../api/machinery/validation.js';
import { age } from '../util/age.js';
import { selectorRequirements } from './apps-common.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './common.js';

const POLICIES = ['IfHealthyBudget', 'AlwaysAllow'];

/** An int-or-percent field's errors (ValidatePositiveIntOrPercent and IsNotMoreThan100Percent). */
function intOrPercentErrors(v: number | string | undefined, field: string): FieldError[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? [] : [{ type: 'FieldValueInvalid', field, value: v, detail: 'must be greater than or equal to 0' }];
  const m = /^(\d+)%$/.exec(v);
  if (!m) return [{ type: 'FieldValueInvalid', field, value: v, detail: 'must be an integer or percentage (e.g \'5%\')' }];
  return Number(m[1]) > 100 ? [{ type: 'FieldValueInvalid', field, value: v, detail: 'must not be greater than 100%' }] : [];
}

/** The pods a budget covers: same namespace, its selector matches (an empty selector matches all, none matches none). */
export function podsCoveredBy(pdb: PodDisruptionBudget, pods: Pod[]): Pod[] {
  const sel = pdb.spec?.selector;
  if (!sel) return [];
  const reqs = selectorRequirements(sel);
  return pods.filter((p) => p.metadata.namespace === pdb.metadata.namespace && matchesLabels(reqs, p.metadata.labels ?? {}));
}

const intOrPercentCell = (v: number | string | undefined) => (v === undefined || v === null ? 'N/A' : String(v));

export const poddisruptionbudgets: ResourceDef<PodDisruptionBudget> = {
  group: 'policy',
  version: 'v1',
  resource: 'poddisruptionbudgets',
  singular: 'poddisruptionbudget',
  kind: 'PodDisruptionBudget',
  namespaced: true,
  shortNames: ['pdb'],
  verbs: READ_WRITE,
  subresources: [{ name: 'status', kind: 'PodDisruptionBudget', verbs: ['get', 'patch', 'update'] }],
  model: 'V1PodDisruptionBudget',
  nameFormat: 'subdomain',
  allowCreateOnUpdate: false,
  returnDeletedObject: false,
  hasStatus: true,
  generation: true,
  fieldSelectors: {},
  columns: [
    NAME_COLUMN,
    column('Min Available', 'string', 'The minimum number of pods that must be available'),
    column('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable'),
    column('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time'),
    AGE_COLUMN,
  ],
  cells: (pdb, ctx) => [
    pdb.metadata.name,
    intOrPercentCell(pdb.spec?.minAvailable),
    intOrPercentCell(pdb.spec?.maxUnavailable),
    pdb.status?.disruptionsAllowed ?? 0,
    age(pdb.metadata.creationTimestamp, ctx.now),
  ],
  prepareForCreate: (pdb) => {
    pdb.status = { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 };
  },
  prepareForUpdate: (pdb, old, subresource) => {
    if (subresource === 'status') pdb.spec = old.spec;
    else pdb.status = old.status;
  },
  validate: (pdb) => {
    const s = pdb.spec ?? {};
    const errs: FieldError[] = [];
    if (s.minAvailable !== undefined && s.maxUnavailable !== undefined) {
      errs.push({ type: 'FieldValueInvalid', field: 'spec', value: s, detail: 'minAvailable and maxUnavailable cannot be both set' });
    }
    errs.push(...intOrPercentErrors(s.minAvailable, 'spec.minAvailable'), ...intOrPercentErrors(s.maxUnavailable, 'spec.maxUnavailable'));
    if (s.selector) errs.push(...validateLabels(s.selector.matchLabels, 'spec.selector.matchLabels'));
    if (s.unhealthyPodEvictionPolicy !== undefined && !POLICIES.includes(s.unhealthyPodEvictionPolicy)) {
      errs.push({ type: 'FieldValueNotSupported', field: 'spec.unhealthyPodEvictionPolicy', value: s.unhealthyPodEvictionPolicy, detail: 'supported values: "AlwaysAllow", "IfHealthyBudget"' });
    }
    return errs;
  },
  specOf: (pdb) => pdb.spec,
};
