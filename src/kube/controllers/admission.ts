/**
 * The kubelet's admission of a pod bound to its node (SPEC W-20, W-21): a pod placed with `spec.nodeName` skips the
 * scheduler, so the node's kubelet checks what the scheduler would have — node affinity (nodeSelector included) and
 * resources against allocatable, counting the pods it has already admitted — and rejects a pod that does not fit:
 * phase Failed with the kubelet's reason (`NodeAffinity`, `OutOfcpu`, `OutOfmemory`, `OutOfpods`) and message.
 */
import type { Node, Pod } from '../api/machinery/types.js';
import { milliValue, unitValue } from '../api/machinery/quantity.js';
import { addUsage, emptyUsage, matchesNodeAffinity, podRequests, type NodeUsage } from './scheduling.js';

export interface Rejection {
  reason: string;
  message: string;
}

/** Whether the kubelet has admitted the pod already (it reported container statuses, or it runs or ran). */
export function admitted(p: Pod): boolean {
  return p.status?.containerStatuses !== undefined || (p.status?.phase !== undefined && p.status.phase !== 'Pending');
}

/** What the pods each node's kubelet has admitted use (terminal pods no longer count). */
export function admittedUsage(pods: Pod[]): Map<string, NodeUsage> {
  const usage = new Map<string, NodeUsage>();
  for (const p of pods) {
    const node = p.spec?.nodeName;
    if (!node || !admitted(p) || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    if (!usage.has(node)) usage.set(node, emptyUsage());
    addUsage(usage.get(node)!, p);
  }
  return usage;
}

/** Why the node's kubelet rejects `pod`, given what the pods it admitted use; undefined when it admits it. */
export function admissionRejection(pod: Pod, node: Node, used: NodeUsage = emptyUsage()): Rejection | undefined {
  if (!matchesNodeAffinity(pod, node)) {
    return { reason: 'NodeAffinity', message: "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector" };
  }
  const alloc = node.status?.allocatable ?? {};
  const req = podRequests(pod);
  const short = (resource: string, requested: number, usedNow: number, capacity: bigint): Rejection => ({
    reason: `OutOf${resource}`,
    message: `Pod was rejected: Node didn't have enough resource: ${resource}, requested: ${requested}, used: ${usedNow}, capacity: ${capacity}`,
  });
  if (alloc.pods !== undefined && BigInt(used.pods + 1) > unitValue(alloc.pods)) return short('pods', 1, used.pods, unitValue(alloc.pods));
  if (alloc.cpu !== undefined && req.cpuMilli > 0 && BigInt(used.cpuMilli + req.cpuMilli) > milliValue(alloc.cpu)) return short('cpu', req.cpuMilli, used.cpuMilli, milliValue(alloc.cpu));
  if (alloc.memory !== undefined && req.memory > 0 && BigInt(used.memory + req.memory) > unitValue(alloc.memory)) return short('memory', req.memory, used.memory, unitValue(alloc.memory));
  return undefined;
}
