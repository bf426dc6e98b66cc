/**
 * kube-scheduler's PodTopologySpread plugin as pure data and functions (SPEC W-24). A pod's
 * topologySpreadConstraints (or, for a pod without any that a workload owns, the scheduler's system defaults:
 * ScheduleAnyway with maxSkew 3 per node and 5 per zone, counting the pods of the same owner) become
 * `SpreadConstraint`s; a `SpreadState` counts the matching pods per topology domain over the nodes each constraint
 * includes (nodeAffinityPolicy Honor by default, nodeTaintsPolicy Ignore by default, only nodes carrying every
 * constraint's topology key), once per pass and then updated as the pass binds pods. DoNotSchedule constraints
 * filter (`matching pods in the node's domain + 1 - global minimum <= maxSkew`, the global minimum 0 while fewer
 * than minDomains domains exist); ScheduleAnyway ones score.
 */
import { matchesLabels, type LabelRequirement } from '../api/machinery/selectors.js';
import type { Node, Pod, TopologySpreadConstraint } from '../api/machinery/types.js';
import { selectorRequirements } from '../resources/apps-common.js';
import { matchesNodeAffinity, tolerates, type FilterFailure } from './scheduling.js';

/** kube-scheduler's FailedScheduling reasons of the PodTopologySpread filter. */
export const SPREAD_REASONS = {
  skew: "node(s) didn't match pod topology spread constraints",
  missingLabel: "node(s) didn't match pod topology spread constraints (missing required label)",
} as const;

const HOSTNAME = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';

export interface SpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  minDomains: number;
  /** Which pods count: in the incoming pod's namespace, not terminating, selected by the constraint. */
  selects: (p: Pod) => boolean;
  /** Whether the incoming pod itself is one the constraint counts. */
  selfMatch: boolean;
  honorNodeAffinity: boolean;
  honorNodeTaints: boolean;
}

function requirements(pod: Pod, c: TopologySpreadConstraint): LabelRequirement[] | null {
  if (!c.labelSelector || typeof c.labelSelector !== 'object') return null;
  const labels = pod.metadata.labels ?? {};
  const keys = (Array.isArray(c.matchLabelKeys) ? c.matchLabelKeys : []).filter((k) => typeof k === 'string' && k in labels);
  return [...selectorRequirements(c.labelSelector), ...keys.map((key) => ({ key, op: 'in' as const, values: [labels[key]!] }))];
}

function constraintOf(pod: Pod, c: TopologySpreadConstraint): SpreadConstraint {
  const ns = pod.metadata.namespace ?? 'default';
  const reqs = requirements(pod, c);
  const selects = (p: Pod) => reqs !== null && (p.metadata.namespace ?? 'default') === ns && !p.metadata.deletionTimestamp && matchesLabels(reqs, p.metadata.labels ?? {});
  return {
    maxSkew: typeof c.maxSkew === 'number' && c.maxSkew > 0 ? c.maxSkew : 1,
    topologyKey: c.topologyKey,
    minDomains: typeof c.minDomains === 'number' && c.minDomains > 0 ? c.minDomains : 1,
    selects,
    selfMatch: reqs !== null && matchesLabels(reqs, pod.metadata.labels ?? {}),
    honorNodeAffinity: c.nodeAffinityPolicy !== 'Ignore',
    honorNodeTaints: c.nodeTaintsPolicy === 'Honor',
  };
}

/** The system defaults kube-scheduler applies to a pod without constraints of its own that a workload selects. */
function defaultConstraints(pod: Pod): SpreadConstraint[] {
  const owner = (pod.metadata.ownerReferences ?? []).find((o) => o.controller)?.uid;
  if (!owner) return [];
  const ns = pod.metadata.namespace ?? 'default';
  const selects = (p: Pod) => (p.metadata.namespace ?? 'default') === ns && !p.metadata.deletionTimestamp && (p.metadata.ownerReferences ?? []).some((o) => o.controller && o.uid === owner);
  const base = { minDomains: 1, selects, selfMatch: true, honorNodeAffinity: true, honorNodeTaints: false };
  return [
    { ...base, topologyKey: HOSTNAME, maxSkew: 3 },
    { ...base, topologyKey: ZONE, maxSkew: 5 },
  ];
}

/** The pod's constraints that filter (DoNotSchedule) and those that score (ScheduleAnyway). */
export function spreadConstraints(pod: Pod): { hard: SpreadConstraint[]; soft: SpreadConstraint[] } {
  const own = (Array.isArray(pod.spec?.topologySpreadConstraints) ? pod.spec.topologySpreadConstraints : []).filter(
    (c) => c && typeof c === 'object' && typeof c.topologyKey === 'string' && c.topologyKey !== '',
  );
  if (own.length === 0) return { hard: [], soft: defaultConstraints(pod) };
  return {
    hard: own.filter((c) => c.whenUnsatisfiable !== 'ScheduleAnyway').map((c) => constraintOf(pod, c)),
    soft: own.filter((c) => c.whenUnsatisfiable === 'ScheduleAnyway').map((c) => constraintOf(pod, c)),
  };
}

function taintsTolerated(pod: Pod, node: Node): boolean {
  const tolerations = pod.spec?.tolerations ?? [];
  return (node.spec?.taints ?? []).every((t) => (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') || tolerations.some((tol) => tolerates(tol, t)));
}

/** Matching pods per topology domain, for one incoming pod and one set of constraints. */
export class SpreadState {
  /** Per constraint: domain value → matching pods (every domain of an included node, zero or more). */
  private readonly counts: Array<Map<string, number>>;
  private readonly minimum: Array<number | undefined>;

  constructor(
    private readonly pod: Pod,
    readonly constraints: SpreadConstraint[],
  ) {
    this.counts = constraints.map(() => new Map());
    this.minimum = constraints.map(() => undefined);
  }

  private hasAllKeys(node: Node): boolean {
    const labels = node.metadata.labels ?? {};
    return this.constraints.every((c) => labels[c.topologyKey] !== undefined);
  }

  private includes(c: SpreadConstraint, node: Node): boolean {
    return (!c.honorNodeAffinity || matchesNodeAffinity(this.pod, node)) && (!c.honorNodeTaints || taintsTolerated(this.pod, node));
  }

  /** Counts a node and the pods already on it (PreFilter); every node once. */
  addNode(node: Node, pods: Iterable<Pod>): void {
    if (!this.hasAllKeys(node)) return;
    const podList = [...pods];
    this.constraints.forEach((c, i) => {
      if (!this.includes(c, node)) return;
      const value = node.metadata.labels![c.topologyKey]!;
      const n = podList.reduce((acc, p) => acc + (c.selects(p) ? 1 : 0), 0);
      this.counts[i]!.set(value, (this.counts[i]!.get(value) ?? 0) + n);
      this.minimum[i] = undefined;
    });
  }

  /** Counts a pod bound to `node` during the pass. */
  addPod(p: Pod, node: Node): void {
    if (!this.hasAllKeys(node)) return;
    this.constraints.forEach((c, i) => {
      if (!c.selects(p) || !this.includes(c, node)) return;
      const value = node.metadata.labels![c.topologyKey]!;
      this.counts[i]!.set(value, (this.counts[i]!.get(value) ?? 0) + 1);
      this.minimum[i] = undefined;
    });
  }

  private globalMinimum(i: number): number {
    const counts = this.counts[i]!;
    if (counts.size < this.constraints[i]!.minDomains) return 0;
    let min = this.minimum[i];
    if (min === undefined) {
      min = counts.size === 0 ? 0 : Math.min(...counts.values());
      this.minimum[i] = min;
    }
    return min;
  }

  /** The PodTopologySpread filter over DoNotSchedule constraints. */
  filter(node: Node): FilterFailure | undefined {
    const labels = node.metadata.labels ?? {};
    for (let i = 0; i < this.constraints.length; i++) {
      const c = this.constraints[i]!;
      const value = labels[c.topologyKey];
      if (value === undefined) return { reasons: [SPREAD_REASONS.missingLabel], resolvable: false };
      const skew = (this.counts[i]!.get(value) ?? 0) + (c.selfMatch ? 1 : 0) - this.globalMinimum(i);
      if (skew > c.maxSkew) return { reasons: [SPREAD_REASONS.skew], resolvable: true };
    }
    return undefined;
  }

  /**
   * The raw PodTopologySpread score over ScheduleAnyway constraints (lower is better; the pass normalizes it):
   * matching pods in the node's domains, each constraint weighted by the log of its number of domains as
   * kube-scheduler weighs them. Undefined for a node missing one of the topology keys (scored worst).
   */
  score(node: Node): number | undefined {
    if (!this.hasAllKeys(node)) return undefined;
    let sum = 0;
    this.constraints.forEach((c, i) => {
      const counts = this.counts[i]!;
      sum += (counts.get(node.metadata.labels![c.topologyKey]!) ?? 0) * Math.log(counts.size + 2) + (c.maxSkew - 1);
    });
    return sum;
  }
}
