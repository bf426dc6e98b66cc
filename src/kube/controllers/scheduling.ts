/**
 * The scheduler's rules as data and pure functions (SPEC C-4: "pods with a nodeSelector land only on matching
 * nodes, or stay Pending"; W-20): the default profile's filters in their order — NodeUnschedulable,
 * TaintToleration, NodeAffinity (nodeSelector and required node affinity), NodeResourcesFit (every short resource
 * is a reason of its own, counted per node as kube-scheduler's histogram does) — a least-allocated score with
 * spreading of a workload's replicas, and the FailedScheduling message kube-scheduler writes
 * ("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: ...").
 */
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod, Taint, Toleration } from '../api/machinery/types.js';
import { nodeReady } from '../resources/nodes.js';
import { milliValue, unitValue } from '../api/machinery/quantity.js';

/** Usage in plain numbers (exact up to 2^53 bytes or millicores): the pass compares them for every node and pod. */
export interface NodeUsage {
  cpuMilli: number;
  memory: number;
  pods: number;
  /** Owner uids of the pods on the node (for spreading replicas). */
  owners: Map<string, number>;
}

export function emptyUsage(): NodeUsage {
  return { cpuMilli: 0, memory: 0, pods: 0, owners: new Map() };
}

type Requests = { cpuMilli: number; memory: number };
type Allocatable = { cpuMilli?: number; memory?: number; pods?: number };
// Parsed once per object: a pass filters every node for every pending pod, and quantity parsing would dominate it.
const requestsOf = new WeakMap<Pod, Requests>();
const allocatableOf = new WeakMap<Node, Allocatable>();

function allocatable(n: Node): Allocatable {
  let a = allocatableOf.get(n);
  if (!a) {
    const alloc = n.status?.allocatable ?? {};
    a = {
      ...(alloc.cpu !== undefined ? { cpuMilli: Number(milliValue(alloc.cpu)) } : {}),
      ...(alloc.memory !== undefined ? { memory: Number(unitValue(alloc.memory)) } : {}),
      ...(alloc.pods !== undefined ? { pods: Number(unitValue(alloc.pods)) } : {}),
    };
    allocatableOf.set(n, a);
  }
  return a;
}

export function podRequests(p: Pod): Requests {
  let r = requestsOf.get(p);
  if (!r) {
    r = computeRequests(p);
    requestsOf.set(p, r);
  }
  return r;
}

function computeRequests(p: Pod): Requests {
  let cpu = 0n;
  let mem = 0n;
  for (const c of p.spec?.containers ?? []) {
    const r = c.resources?.requests ?? {};
    if (r.cpu !== undefined) cpu += milliValue(r.cpu);
    if (r.memory !== undefined) mem += unitValue(r.memory);
  }
  // Init containers run one at a time before the others: the pod needs the larger of the two.
  for (const c of p.spec?.initContainers ?? []) {
    const r = c.resources?.requests ?? {};
    if (r.cpu !== undefined && milliValue(r.cpu) > cpu) cpu = milliValue(r.cpu);
    if (r.memory !== undefined && unitValue(r.memory) > mem) mem = unitValue(r.memory);
  }
  for (const [k, v] of Object.entries(p.spec?.overhead ?? {})) {
    if (k === 'cpu') cpu += milliValue(v);
    if (k === 'memory') mem += unitValue(v);
  }
  return { cpuMilli: Number(cpu), memory: Number(mem) };
}

export function addUsage(u: NodeUsage, p: Pod): void {
  const r = podRequests(p);
  u.cpuMilli += r.cpuMilli;
  u.memory += r.memory;
  u.pods += 1;
  for (const o of p.metadata.ownerReferences ?? []) u.owners.set(o.uid, (u.owners.get(o.uid) ?? 0) + 1);
}

const taintsOf = new WeakMap<Node, Taint[]>();

/** Taints a node effectively has: its own plus those the node lifecycle controller sets for its conditions. */
export function effectiveTaints(n: Node): Taint[] {
  let cached = taintsOf.get(n);
  if (!cached) taintsOf.set(n, (cached = computeTaints(n)));
  return cached;
}

function computeTaints(n: Node): Taint[] {
  const taints = [...(n.spec?.taints ?? [])];
  const ready = (n.status?.conditions ?? []).find((c) => c.type === 'Ready');
  const add = (key: string, effect: string) => {
    if (!taints.some((t) => t.key === key && t.effect === effect)) taints.push({ key, effect });
  };
  if (!ready || ready.status === 'Unknown') add('node.kubernetes.io/unreachable', 'NoSchedule');
  else if (ready.status !== 'True') add('node.kubernetes.io/not-ready', 'NoSchedule');
  if (n.spec?.unschedulable) add('node.kubernetes.io/unschedulable', 'NoSchedule');
  return taints;
}

export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === 'Exists') return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
}

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || !/^-?\d+$/.test(value) || values.length !== 1) return false;
      const a = BigInt(value);
      const b = BigInt(values[0]!);
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

function termMatches(term: NodeSelectorTerm, n: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false; // an empty term matches nothing
  const labels = n.metadata.labels ?? {};
  return exprs.every((r) => requirementMatches(r, labels[r.key])) && fields.every((r) => requirementMatches(r, r.key === 'metadata.name' ? n.metadata.name : undefined));
}

/** nodeSelector and required node affinity (terms ORed, requirements ANDed). */
export function matchesNodeAffinity(p: Pod, n: Node): boolean {
  const labels = n.metadata.labels ?? {};
  for (const [k, v] of Object.entries(p.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms = p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && terms.length > 0 && !terms.some((t) => termMatches(t, n))) return false;
  return true;
}

/** Why one node does not fit: one filter's reasons (NodeResourcesFit names every resource that is short). */
export type FilterFailure = { reasons: string[]; resolvable: boolean };

/** The first filter a node fails for a pod, in the default profile's order; undefined when it fits. */
export function filterNode(p: Pod, n: Node, usage: NodeUsage): FilterFailure | undefined {
  const tolerations = p.spec?.tolerations ?? [];
  if (n.spec?.unschedulable && !tolerations.some((t) => tolerates(t, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }))) {
    return { reasons: ['node(s) were unschedulable'], resolvable: false };
  }
  for (const taint of effectiveTaints(n)) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (taint.key === 'node.kubernetes.io/unschedulable') continue;
    if (!tolerations.some((t) => tolerates(t, taint))) return { reasons: [`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`], resolvable: false };
  }
  if (!matchesNodeAffinity(p, n)) return { reasons: ["node(s) didn't match Pod's node affinity/selector"], resolvable: false };
  const alloc = allocatable(n);
  const req = podRequests(p);
  const short: string[] = [];
  if (alloc.pods !== undefined && usage.pods + 1 > alloc.pods) short.push('Too many pods');
  if (alloc.cpuMilli !== undefined && req.cpuMilli > 0 && usage.cpuMilli + req.cpuMilli > alloc.cpuMilli) short.push('Insufficient cpu');
  if (alloc.memory !== undefined && req.memory > 0 && usage.memory + req.memory > alloc.memory) short.push('Insufficient memory');
  if (short.length > 0) return { reasons: short, resolvable: true };
  return undefined;
}

/** Share (0..1) of the weight of the pod's preferred node affinity terms that the node matches. */
export function preferredAffinity(p: Pod, n: Node): number {
  const terms = p.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  const total = terms.reduce((a, t) => a + (t.weight ?? 0), 0);
  if (total <= 0) return 0;
  return terms.reduce((a, t) => a + (termMatches(t.preference, n) ? (t.weight ?? 0) : 0), 0) / total;
}

/**
 * Lower is better: requested share of CPU and memory after placing, spreading of the pod's owner, and (twice
 * as heavy, as kube-scheduler weighs its NodeAffinity score) preferred node affinity.
 */
export function scoreNode(p: Pod, n: Node, usage: NodeUsage): number {
  const alloc = allocatable(n);
  const req = podRequests(p);
  const cpu = alloc.cpuMilli !== undefined ? (usage.cpuMilli + req.cpuMilli) / Math.max(1, alloc.cpuMilli) : 0;
  const mem = alloc.memory !== undefined ? (usage.memory + req.memory) / Math.max(1, alloc.memory) : 0;
  const sameOwner = (p.metadata.ownerReferences ?? []).reduce((acc, o) => acc + (usage.owners.get(o.uid) ?? 0), 0);
  return (cpu + mem) / 2 + sameOwner + usage.pods * 0.001 - 2 * preferredAffinity(p, n);
}

/** kube-scheduler's FitError text for a pod no node fits. */
export function unschedulableMessage(total: number, failures: FilterFailure[]): string {
  if (total === 0) return 'no nodes available to schedule pods';
  const count = (items: string[]) => {
    const m = new Map<string, number>();
    for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
    return [...m.entries()].map(([reason, n]) => `${n} ${reason}`).sort();
  };
  const reasons = count(failures.flatMap((f) => f.reasons));
  const preemption = count(failures.map((f) => (f.resolvable ? 'No preemption victims found for incoming pod' : 'Preemption is not helpful for scheduling')));
  return `0/${total} nodes are available: ${reasons.join(', ')}. preemption: 0/${total} nodes are available: ${preemption.join(', ')}.`;
}

export { nodeReady };
