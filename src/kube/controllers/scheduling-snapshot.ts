/**
 * What one scheduler pass knows about the cluster beyond each node's usage (SPEC W-23, W-24): the bound pods per
 * node, their resolved pod affinity terms, and the InterPodAffinity and PodTopologySpread states of the pods being
 * scheduled. The states are built once per kind of pod (the replicas of a workload share labels, affinity and
 * constraints, so they share one state) and every pod the pass binds is added to all of them, so scheduling a pod
 * costs O(nodes), not O(pods × nodes).
 */
import type { Namespace, Node, Pod } from '../api/machinery/types.js';
import { AffinityState, hasAffinityTerms, podAffinityTerms, type NamespaceLabels, type PodAffinityTerms } from './pod-affinity.js';
import { SpreadState, spreadConstraints } from './topology-spread.js';
import { addUsage, emptyUsage, filterNode, scoreNode, unschedulableMessage, type FilterFailure, type NodeUsage } from './scheduling.js';

/** The InterPodAffinity and PodTopologySpread view for one pod being scheduled. */
interface PodPlugins {
  /** The two filters in the default profile's order: PodTopologySpread, then InterPodAffinity. */
  filter(node: Node): FilterFailure | undefined;
  /** Raw InterPodAffinity score (higher is better), 0 when the pod and the cluster have no affinity terms. */
  affinityScore(node: Node): number;
  /** Raw PodTopologySpread score (lower is better); undefined when the node lacks a topology key. */
  spreadScore(node: Node): number | undefined;
}

export function terminal(p: Pod): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

/**
 * Lower is better: the node's own score (scheduling.ts) plus PodTopologySpread's and minus InterPodAffinity's,
 * each normalized across the feasible nodes to 0..1 and weighed 2 as in kube-scheduler's default profile.
 */
function pickNode(feasible: Array<{ node: Node; base: number }>, plugins: PodPlugins): Node | undefined {
  const affinity = feasible.map((f) => plugins.affinityScore(f.node));
  const spread = feasible.map((f) => plugins.spreadScore(f.node));
  const known = spread.filter((v): v is number => v !== undefined);
  const [aMin, aMax] = [Math.min(...affinity, 0), Math.max(...affinity, 0)];
  const [sMin, sMax] = known.length > 0 ? [Math.min(...known), Math.max(...known)] : [0, 0];
  let best: { node: Node; score: number } | undefined;
  feasible.forEach((f, i) => {
    const a = aMax > aMin ? (affinity[i]! - aMin) / (aMax - aMin) : 0;
    const raw = spread[i];
    const sp = raw === undefined ? 1 : sMax > sMin ? (raw - sMin) / (sMax - sMin) : 0;
    const score = f.base + 2 * sp - 2 * a;
    if (!best || score < best.score || (score === best.score && f.node.metadata.name! < best.node.metadata.name!)) best = { node: f.node, score };
  });
  return best?.node;
}

const NO_TERMS: PodAffinityTerms = { required: [], requiredAnti: [], preferred: [], preferredAnti: [] };

export class SchedulingSnapshot {
  private readonly nsLabels: NamespaceLabels;
  private readonly usage = new Map<string, NodeUsage>();
  private readonly live: Node[];
  private readonly podsOn = new Map<string, Pod[]>();
  private readonly bound: Array<{ pod: Pod; node: Node; terms: PodAffinityTerms }> = [];
  private readonly withAffinity: Array<{ pod: Pod; node: Node; terms: PodAffinityTerms }> = [];
  private readonly affinityStates = new Map<string, AffinityState>();
  private readonly spreadStates = new Map<string, { hard: SpreadState; soft: SpreadState }>();

  constructor(
    private readonly nodes: Node[],
    pods: Pod[],
    namespaces: Namespace[],
  ) {
    this.nsLabels = new Map(namespaces.map((n) => [n.metadata.name!, n.metadata.labels ?? {}]));
    const byName = new Map(nodes.map((n) => [n.metadata.name!, n]));
    this.live = nodes.filter((n) => !n.metadata.deletionTimestamp);
    for (const n of nodes) {
      this.podsOn.set(n.metadata.name!, []);
      this.usage.set(n.metadata.name!, emptyUsage());
    }
    for (const p of pods) {
      const node = p.spec?.nodeName ? byName.get(p.spec.nodeName) : undefined;
      if (node && !terminal(p)) this.record(p, node);
    }
  }

  /** The node the pod goes to, or kube-scheduler's FitError message saying why none fits. */
  place(pod: Pod): { node: Node } | { message: string } {
    const plugins = this.plugins(pod);
    const failures: FilterFailure[] = [];
    const feasible: Array<{ node: Node; base: number }> = [];
    for (const node of this.live) {
      const u = this.usage.get(node.metadata.name!)!;
      const failure = filterNode(pod, node, u) ?? plugins.filter(node);
      if (failure) failures.push(failure);
      else feasible.push({ node, base: scoreNode(pod, node, u) });
    }
    const best = pickNode(feasible, plugins);
    return best ? { node: best } : { message: unschedulableMessage(this.live.length, failures) };
  }

  private record(pod: Pod, node: Node): PodAffinityTerms {
    const terms = pod.spec?.affinity?.podAffinity || pod.spec?.affinity?.podAntiAffinity ? podAffinityTerms(pod, this.nsLabels) : NO_TERMS;
    const entry = { pod, node, terms };
    this.bound.push(entry);
    if (hasAffinityTerms(terms)) this.withAffinity.push(entry);
    this.podsOn.get(node.metadata.name!)?.push(pod);
    const u = this.usage.get(node.metadata.name!);
    if (u) addUsage(u, pod);
    return terms;
  }

  /** Counts a pod the pass has just bound to `node` in every state. */
  bind(pod: Pod, node: Node): void {
    const terms = this.record(pod, node);
    for (const s of this.affinityStates.values()) if (s.needsAllPods || hasAffinityTerms(terms)) s.add(pod, terms, node);
    for (const s of this.spreadStates.values()) {
      s.hard.addPod(pod, node);
      s.soft.addPod(pod, node);
    }
  }

  private signature(pod: Pod): string {
    const m = pod.metadata;
    const s = pod.spec;
    const owner = (m.ownerReferences ?? []).find((o) => o.controller)?.uid ?? '';
    return JSON.stringify([m.namespace, m.labels ?? {}, owner, s?.affinity ?? null, s?.topologySpreadConstraints ?? null, s?.nodeSelector ?? null, s?.tolerations ?? null]);
  }

  private affinityState(pod: Pod, key: string): AffinityState | undefined {
    let state = this.affinityStates.get(key);
    if (state) return state;
    const terms = pod.spec?.affinity?.podAffinity || pod.spec?.affinity?.podAntiAffinity ? podAffinityTerms(pod, this.nsLabels) : NO_TERMS;
    if (!hasAffinityTerms(terms) && this.withAffinity.length === 0) return undefined;
    state = new AffinityState(pod, terms);
    for (const b of state.needsAllPods ? this.bound : this.withAffinity) state.add(b.pod, b.terms, b.node);
    this.affinityStates.set(key, state);
    return state;
  }

  private spreadState(pod: Pod, key: string): { hard: SpreadState; soft: SpreadState } {
    let state = this.spreadStates.get(key);
    if (state) return state;
    const { hard, soft } = spreadConstraints(pod);
    state = { hard: new SpreadState(pod, hard), soft: new SpreadState(pod, soft) };
    for (const n of this.nodes) {
      const pods = this.podsOn.get(n.metadata.name!) ?? [];
      if (hard.length > 0) state.hard.addNode(n, pods);
      if (soft.length > 0) state.soft.addNode(n, pods);
    }
    this.spreadStates.set(key, state);
    return state;
  }

  /** The plugins' view for `pod`, sharing state with every earlier pod of the same kind. */
  private plugins(pod: Pod): PodPlugins {
    const key = this.signature(pod);
    const affinity = this.affinityState(pod, key);
    const spread = this.spreadState(pod, key);
    const hard = spread.hard.constraints.length > 0 ? spread.hard : undefined;
    const soft = spread.soft.constraints.length > 0 ? spread.soft : undefined;
    return {
      filter: (node) => hard?.filter(node) ?? affinity?.filter(node),
      affinityScore: (node) => affinity?.score(node) ?? 0,
      spreadScore: (node) => (soft ? soft.score(node) : 0),
    };
  }
}
