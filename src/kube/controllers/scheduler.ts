/**
 * The scheduler of a cluster (SPEC C-4, W-20, W-23, W-24): binds every pending pod of the default scheduler to the
 * best node that passes the filters (scheduling.ts, then PodTopologySpread and InterPodAffinity through the pass's
 * SchedulingSnapshot), or records why none does — PodScheduled=False/Unschedulable on the pod and a
 * FailedScheduling event, written again only when the reason changes. Pods bound in one pass count toward the
 * nodes' usage, the topology domains' counts and the affinity terms for the next pod of the same pass.
 */
import type { Registry } from '../api/registry/registry.js';
import { bindPod } from '../api/registry/pod-binding.js';
import type { Namespace, Node, Pod } from '../api/machinery/types.js';
import { KubeError } from '../api/machinery/errors.js';
import { pods as podDef } from '../resources/index.js';
import { kubeTime } from '../util/age.js';
import { EventBatch, recordEvent } from './events.js';
import { SchedulingSnapshot, terminal } from './scheduling-snapshot.js';

export async function schedulePods(registry: Registry, nodes: Node[], pods: Pod[], namespaces: Namespace[] = []): Promise<void> {
  const pending = pods
    .filter((p) => !p.spec?.nodeName && !p.metadata.deletionTimestamp && !terminal(p))
    .filter((p) => (p.spec?.schedulerName ?? 'default-scheduler') === 'default-scheduler' && (p.spec?.schedulingGates ?? []).length === 0)
    .sort((a, b) => (b.spec?.priority ?? 0) - (a.spec?.priority ?? 0) || (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
  if (pending.length === 0) return;
  const snapshot = new SchedulingSnapshot(nodes, pods, namespaces);
  // The Scheduled events of the pass, written together at its end.
  const events = new EventBatch(registry);
  try {
    await bindAll(registry, snapshot, pending, events);
  } finally {
    await events.flush();
  }
}

async function bindAll(registry: Registry, snapshot: SchedulingSnapshot, pending: Pod[], events: EventBatch): Promise<void> {
  for (const pod of pending) {
    const placement = snapshot.place(pod);
    try {
      if ('node' in placement) {
        const best = placement.node;
        await bindPod(registry, pod.metadata.namespace!, pod.metadata.name!, best.metadata.name!);
        snapshot.bind(pod, best);
        events.record({
          involved: { ...pod, kind: 'Pod', apiVersion: 'v1' },
          type: 'Normal',
          reason: 'Scheduled',
          message: `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${best.metadata.name}`,
          component: 'default-scheduler',
        });
      } else {
        await markUnschedulable(registry, pod, placement.message);
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
