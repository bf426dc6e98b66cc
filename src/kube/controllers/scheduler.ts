/**
 * The scheduler of a cluster (SPEC C-4, W-20): binds every pending pod of the default scheduler to the best node that
 * passes the filters (scheduling.ts), or records why none does — PodScheduled=False/Unschedulable on the pod and
 * a FailedScheduling event, written again only when the reason changes. Pods bound in one pass count toward
 * the nodes' usage for the next pod of the same pass.
 */
import type { Registry } from '../api/registry/registry.js';
import { bindPod } from '../api/registry/pod-binding.js';
import type { Node, Pod } from '../api/machinery/types.js';
import { KubeError } from '../api/machinery/errors.js';
import { pods as podDef } from '../resources/index.js';
import { kubeTime } from '../util/age.js';
import { recordEvent } from './events.js';
import { addUsage, emptyUsage, filterNode, scoreNode, unschedulableMessage, type FilterFailure, type NodeUsage } from './scheduling.js';

function terminal(p: Pod): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

export function nodeUsage(nodes: Node[], pods: Pod[]): Map<string, NodeUsage> {
  const usage = new Map<string, NodeUsage>(nodes.map((n) => [n.metadata.name!, emptyUsage()]));
  for (const p of pods) {
    const u = p.spec?.nodeName ? usage.get(p.spec.nodeName) : undefined;
    if (u && !terminal(p)) addUsage(u, p);
  }
  return usage;
}

export async function schedulePods(registry: Registry, nodes: Node[], pods: Pod[]): Promise<void> {
  const usage = nodeUsage(nodes, pods);
  const pending = pods
    .filter((p) => !p.spec?.nodeName && !p.metadata.deletionTimestamp && !terminal(p))
    .filter((p) => (p.spec?.schedulerName ?? 'default-scheduler') === 'default-scheduler' && (p.spec?.schedulingGates ?? []).length === 0)
    .sort((a, b) => (b.spec?.priority ?? 0) - (a.spec?.priority ?? 0) || (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
  const live = nodes.filter((n) => !n.metadata.deletionTimestamp);
  for (const pod of pending) {
    const failures: FilterFailure[] = [];
    let best: { node: Node; score: number } | undefined;
    for (const node of live) {
      const u = usage.get(node.metadata.name!)!;
      const failure = filterNode(pod, node, u);
      if (failure) {
        failures.push(failure);
        continue;
      }
      const score = scoreNode(pod, node, u);
      if (!best || score < best.score || (score === best.score && node.metadata.name! < best.node.metadata.name!)) best = { node, score };
    }
    try {
      if (best) {
        await bindPod(registry, pod.metadata.namespace!, pod.metadata.name!, best.node.metadata.name!);
        addUsage(usage.get(best.node.metadata.name!)!, pod);
        await recordEvent(registry, {
          involved: { ...pod, kind: 'Pod', apiVersion: 'v1' },
          type: 'Normal',
          reason: 'Scheduled',
          message: `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${best.node.metadata.name}`,
          component: 'default-scheduler',
        });
      } else {
        await markUnschedulable(registry, pod, unschedulableMessage(live.length, failures));
      }
    } catch (err) {
      // The pod changed or went away meanwhile: the next pass sees its new state.
      if (err instanceof KubeError && (err.code === 409 || err.code === 404)) continue;
      throw err;
    }
  }
}

async function markUnschedulable(registry: Registry, pod: Pod, message: string): Promise<void> {
  const current = (pod.status?.conditions ?? []).find((c) => c.type === 'PodScheduled');
  if (current && current.status === 'False' && current.message === message) return;
  const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
  conditions.push({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null as unknown as string, lastTransitionTime: kubeTime(registry.now()) });
  const updated = await registry.update(podDef, pod.metadata.namespace, pod.metadata.name!, { ...pod, status: { ...(pod.status ?? {}), conditions } }, { subresource: 'status' });
  await recordEvent(registry, { involved: { ...updated.obj, kind: 'Pod', apiVersion: 'v1' }, type: 'Warning', reason: 'FailedScheduling', message, component: 'default-scheduler' });
}
