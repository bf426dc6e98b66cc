/**
 * kube-scheduler's InterPodAffinity plugin as pure data and functions (SPEC W-23). A pod's affinity terms are
 * resolved once (namespaces from `namespaces`, `namespaceSelector` and the pod's own namespace; the label selector
 * with `matchLabelKeys`/`mismatchLabelKeys` merged in as kube-apiserver merges them). An `AffinityState` holds,
 * for one incoming pod, the counts per topology domain (key and value of a node label) that the filter and the
 * score read: pods matching all its required affinity terms, pods matching each required anti-affinity term,
 * existing pods whose required anti-affinity terms match it (symmetry), and the weights of preferred terms both
 * ways. It is built once from the pods already bound and updated with each pod the pass binds, so filtering a
 * node costs a few map lookups.
 */
import { matchesLabels, type LabelRequirement } from '../api/machinery/selectors.js';
import type { LabelSelector, Node, Pod, PodAffinityTerm } from '../api/machinery/types.js';
import { selectorRequirements } from '../resources/apps-common.js';
import type { FilterFailure } from './scheduling.js';

/** kube-scheduler's FailedScheduling reasons of the InterPodAffinity filter. */
export const AFFINITY_REASONS = {
  affinity: "node(s) didn't match pod affinity rules",
  antiAffinity: "node(s) didn't match pod anti-affinity rules",
  existingAntiAffinity: "node(s) didn't satisfy existing pods anti-affinity rules",
} as const;

/** kube-scheduler's hardPodAffinityWeight: an existing pod's required affinity to the incoming pod as a score. */
const HARD_POD_AFFINITY_WEIGHT = 1;

/** Namespace name → labels, for namespaceSelector. */
export type NamespaceLabels = Map<string, Record<string, string>>;

export interface AffinityTerm {
  /** The namespaces the term looks in; 'all' for an empty namespaceSelector. */
  namespaces: Set<string> | 'all';
  /** null: no labelSelector, which matches no pod. */
  selector: LabelRequirement[] | null;
  topologyKey: string;
  weight: number;
}

export interface PodAffinityTerms {
  required: AffinityTerm[];
  requiredAnti: AffinityTerm[];
  preferred: AffinityTerm[];
  preferredAnti: AffinityTerm[];
}

const list = <T>(v: T[] | undefined): T[] => (Array.isArray(v) ? v : []);

function termNamespaces(pod: Pod, t: PodAffinityTerm, nsLabels: NamespaceLabels): Set<string> | 'all' {
  const names = new Set(list(t.namespaces).filter((n) => typeof n === 'string'));
  const sel = t.namespaceSelector;
  if (sel && typeof sel === 'object') {
    const reqs = selectorRequirements(sel as LabelSelector);
    if (reqs.length === 0) return 'all';
    for (const [name, labels] of nsLabels) if (matchesLabels(reqs, labels)) names.add(name);
  } else if (names.size === 0) names.add(pod.metadata.namespace ?? 'default');
  return names;
}

function termSelector(pod: Pod, t: PodAffinityTerm): LabelRequirement[] | null {
  const labels = pod.metadata.labels ?? {};
  const matchKeys = list(t.matchLabelKeys).filter((k) => typeof k === 'string' && k in labels);
  const mismatchKeys = list(t.mismatchLabelKeys).filter((k) => typeof k === 'string' && k in labels);
  if (!t.labelSelector && matchKeys.length === 0 && mismatchKeys.length === 0) return null;
  return [
    ...selectorRequirements(t.labelSelector && typeof t.labelSelector === 'object' ? t.labelSelector : undefined),
    ...matchKeys.map((key) => ({ key, op: 'in' as const, values: [labels[key]!] })),
    ...mismatchKeys.map((key) => ({ key, op: 'notin' as const, values: [labels[key]!] })),
  ];
}

function term(pod: Pod, t: PodAffinityTerm | undefined, nsLabels: NamespaceLabels, weight: number): AffinityTerm | undefined {
  if (!t || typeof t !== 'object' || typeof t.topologyKey !== 'string' || t.topologyKey === '') return undefined;
  return { namespaces: termNamespaces(pod, t, nsLabels), selector: termSelector(pod, t), topologyKey: t.topologyKey, weight };
}

const defined = <T>(v: T | undefined): v is T => v !== undefined;

/** The pod's affinity and anti-affinity terms, resolved against the cluster's namespaces. */
export function podAffinityTerms(pod: Pod, nsLabels: NamespaceLabels): PodAffinityTerms {
  const a = pod.spec?.affinity;
  const weighted = (ws: Array<{ weight?: number; podAffinityTerm?: PodAffinityTerm }> | undefined) =>
    list(ws)
      .map((w) => term(pod, w?.podAffinityTerm, nsLabels, typeof w?.weight === 'number' ? w.weight : 0))
      .filter(defined);
  return {
    required: list(a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution).map((t) => term(pod, t, nsLabels, HARD_POD_AFFINITY_WEIGHT)).filter(defined),
    requiredAnti: list(a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution).map((t) => term(pod, t, nsLabels, 1)).filter(defined),
    preferred: weighted(a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAnti: weighted(a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
  };
}

export function hasAffinityTerms(t: PodAffinityTerms): boolean {
  return t.required.length + t.requiredAnti.length + t.preferred.length + t.preferredAnti.length > 0;
}

/** Whether a pod is one the term selects: in one of its namespaces and matching its label selector. */
export function termMatches(t: AffinityTerm, pod: Pod): boolean {
  if (t.selector === null) return false;
  if (t.namespaces !== 'all' && !t.namespaces.has(pod.metadata.namespace ?? 'default')) return false;
  return matchesLabels(t.selector, pod.metadata.labels ?? {});
}

function matchesAll(terms: AffinityTerm[], pod: Pod): boolean {
  return terms.length > 0 && terms.every((t) => termMatches(t, pod));
}

/** Counts per topology key, then per value. */
type DomainCounts = Map<string, Map<string, number>>;

function bump(m: DomainCounts, key: string, node: Node, by: number): void {
  const value = node.metadata.labels?.[key];
  if (value === undefined) return;
  let values = m.get(key);
  if (!values) m.set(key, (values = new Map()));
  values.set(value, (values.get(value) ?? 0) + by);
}

function at(m: DomainCounts, key: string, node: Node): number {
  const value = node.metadata.labels?.[key];
  return value === undefined ? 0 : (m.get(key)?.get(value) ?? 0);
}

/** What the InterPodAffinity filter and score know about the cluster for one incoming pod. */
export class AffinityState {
  private readonly affinity: DomainCounts = new Map();
  private readonly anti: DomainCounts = new Map();
  private readonly existingAnti: DomainCounts = new Map();
  private readonly preference: DomainCounts = new Map();

  constructor(
    private readonly pod: Pod,
    private readonly terms: PodAffinityTerms,
  ) {}

  /** Whether the state must look at every bound pod, or only at those with affinity terms of their own. */
  get needsAllPods(): boolean {
    return hasAffinityTerms(this.terms);
  }

  /** Counts a pod bound to `node` (`podTerms` are its own resolved terms). */
  add(other: Pod, podTerms: PodAffinityTerms, node: Node): void {
    const { required, requiredAnti, preferred, preferredAnti } = this.terms;
    if (matchesAll(required, other)) for (const t of required) bump(this.affinity, t.topologyKey, node, 1);
    for (const t of requiredAnti) if (termMatches(t, other)) bump(this.anti, t.topologyKey, node, 1);
    for (const t of podTerms.requiredAnti) if (termMatches(t, this.pod)) bump(this.existingAnti, t.topologyKey, node, 1);
    // Scores both ways, as kube-scheduler's PreScore adds them up per topology domain.
    for (const t of preferred) if (termMatches(t, other)) bump(this.preference, t.topologyKey, node, t.weight);
    for (const t of preferredAnti) if (termMatches(t, other)) bump(this.preference, t.topologyKey, node, -t.weight);
    for (const t of podTerms.required) if (termMatches(t, this.pod)) bump(this.preference, t.topologyKey, node, t.weight);
    for (const t of podTerms.preferred) if (termMatches(t, this.pod)) bump(this.preference, t.topologyKey, node, t.weight);
    for (const t of podTerms.preferredAnti) if (termMatches(t, this.pod)) bump(this.preference, t.topologyKey, node, -t.weight);
  }

  /** The InterPodAffinity filter: the pod's affinity, its anti-affinity, then the existing pods' anti-affinity. */
  filter(node: Node): FilterFailure | undefined {
    const labels = node.metadata.labels ?? {};
    const { required, requiredAnti } = this.terms;
    if (required.length > 0) {
      if (required.some((t) => labels[t.topologyKey] === undefined)) return { reasons: [AFFINITY_REASONS.affinity], resolvable: false };
      const podsExist = required.every((t) => at(this.affinity, t.topologyKey, node) > 0);
      // The first of a group of pods with affinity to each other may go anywhere its topology keys exist.
      if (!podsExist && !(this.affinity.size === 0 && matchesAll(required, this.pod))) return { reasons: [AFFINITY_REASONS.affinity], resolvable: false };
    }
    if (requiredAnti.some((t) => at(this.anti, t.topologyKey, node) > 0)) return { reasons: [AFFINITY_REASONS.antiAffinity], resolvable: true };
    for (const [key, values] of this.existingAnti) {
      const value = labels[key];
      if (value !== undefined && (values.get(value) ?? 0) > 0) return { reasons: [AFFINITY_REASONS.existingAntiAffinity], resolvable: true };
    }
    return undefined;
  }

  /** The raw InterPodAffinity score of a node (higher is better; the pass normalizes it across the nodes). */
  score(node: Node): number {
    let sum = 0;
    const labels = node.metadata.labels ?? {};
    for (const [key, values] of this.preference) {
      const value = labels[key];
      if (value !== undefined) sum += values.get(value) ?? 0;
    }
    return sum;
  }
}
