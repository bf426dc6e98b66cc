/**
 * What the nodes' kubelets (and the control plane's pod housekeeping) do with pods, simulated: aksemu runs no
 * containers, so "running" is a status the kubelet reports, with the fields a real one fills in.
 *
 * - A pod bound to a Ready node is admitted at once (Pending, containers waiting in ContainerCreating) and starts
 *   after the image pull and start time (`ctx.speed`; straight to Running when that is no time): phase Running,
 *   PodReadyToStartContainers/Initialized/Ready/ContainersReady, pod IP from the node's pod CIDR (or the node's
 *   IP for hostNetwork pods), container statuses with image and container ids; events Pulled, Created, Started.
 *   A container with a readinessProbe turns ready once the probe's initialDelaySeconds have passed on the
 *   emulated clock (SPEC W-21; statuses in pod-status.ts).
 * - A pod bound by `spec.nodeName` that the node cannot take is rejected (admission.ts): phase Failed.
 * - A container of a restartPolicy Never/OnFailure pod ends after its simulated run time with the exit code its
 *   command states (container-exit.ts): the pod Succeeded or Failed (SPEC W-9).
 * - A pod on a node that is not Ready is reported not Ready (the node lifecycle controller's MarkPodsNotReady),
 *   and Ready again when the node is.
 * - A terminating pod (deletionTimestamp) on a Ready node is stopped and removed (delete with grace 0).
 * - A pod bound to a node that no longer exists is removed (pod garbage collection).
 *
 * Every step is decided from the stored state and the emulated clock, so a restart resumes where it stopped.
 * The pass answers the emulated time of its next due step, if any.
 */
import type { Registry } from '../api/registry/registry.js';
import type { Node, Pod } from '../api/machinery/types.js';
import { KubeError } from '../api/machinery/errors.js';
import { pods as podDef } from '../resources/index.js';
import { nodeReady } from '../resources/nodes.js';
import { kubeTime } from '../util/age.js';
import type { Speed } from '../../runtime/clock.js';
import { EventBatch } from './events.js';
import { condition, creatingStatus, probedStatus, startedStatus } from './pod-status.js';
import { admissionRejection, admitted, admittedUsage } from './admission.js';
import { RUN_MS, finishedStatus } from './container-exit.js';
import { addUsage, emptyUsage } from './scheduling.js';

/** Realistic durations (ctx.speed): image pull and container start; container stop. */
export const POD_START_MS = 3000;
export const POD_STOP_MS = 2000;

function scheduledAt(pod: Pod): number {
  const c = (pod.status?.conditions ?? []).find((x) => x.type === 'PodScheduled' && x.status === 'True');
  const t = Date.parse(c?.lastTransitionTime ?? pod.metadata.creationTimestamp ?? '');
  return Number.isNaN(t) ? 0 : t;
}

async function tolerate404or409(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (err instanceof KubeError && (err.code === 404 || err.code === 409)) return;
    throw err;
  }
}

/** One pass of every node's kubelet over the cluster's pods; answers the emulated ms of the next due step. */
export async function runKubelets(registry: Registry, speed: Speed, nodes: Node[], pods: Pod[]): Promise<number | undefined> {
  // The kubelets' events of the pass, written together at its end.
  const events = new EventBatch(registry);
  try {
    return await kubeletsPass(registry, speed, nodes, pods, events);
  } finally {
    await events.flush();
  }
}

async function kubeletsPass(registry: Registry, speed: Speed, nodes: Node[], pods: Pod[], events: EventBatch): Promise<number | undefined> {
  const now = registry.now();
  const byName = new Map(nodes.map((n) => [n.metadata.name!, n]));
  const usage = admittedUsage(pods);
  let next: number | undefined;
  const due = (t: number) => {
    next = next === undefined ? t : Math.min(next, t);
  };
  // The pods of each node (the pod IPs a start must not reuse), kept current as the pass updates pods: looking
  // through every pod of the cluster for each start made a large cluster's kubelet pass quadratic.
  const onNode = new Map<string, Pod[]>();
  for (const p of pods) {
    const n = p.spec?.nodeName;
    if (!n) continue;
    const list = onNode.get(n);
    if (list) list.push(p);
    else onNode.set(n, [p]);
  }
  const replace = (i: number, updated: Pod) => {
    const list = onNode.get(pods[i]!.spec?.nodeName ?? '') ?? [];
    const j = list.indexOf(pods[i]!);
    if (j >= 0) list[j] = updated;
    pods[i] = updated;
  };
  for (let i = 0; i < pods.length; i++) {
    const pod = pods[i]!;
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) continue;
    const node = byName.get(nodeName);
    const ns = pod.metadata.namespace!;
    const name = pod.metadata.name!;
    if (!node) {
      // Pod garbage collection: the node is gone, so is the pod.
      await tolerate404or409(registry.delete(podDef, ns, name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid! } }));
      continue;
    }
    const ready = nodeReady(node);
    if (pod.metadata.deletionTimestamp) {
      if (!ready) continue;
      const grace = pod.metadata.deletionGracePeriodSeconds ?? 0;
      const requested = Date.parse(pod.metadata.deletionTimestamp) - grace * 1000;
      const stopAt = requested + Math.min(grace * 1000, speed.delay(POD_STOP_MS));
      if (now.getTime() < stopAt) {
        due(stopAt);
        continue;
      }
      await tolerate404or409(registry.delete(podDef, ns, name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid! } }));
      continue;
    }
    if (pod.status?.phase === 'Pending') {
      if (!ready) continue;
      const rejection = admitted(pod) ? undefined : admissionRejection(pod, node, usage.get(nodeName));
      if (!rejection && !admitted(pod)) {
        if (!usage.has(nodeName)) usage.set(nodeName, emptyUsage());
        addUsage(usage.get(nodeName)!, pod); // later pods of this pass count it as admitted
      }
      if (rejection) {
        const status = { ...(pod.status ?? {}), phase: 'Failed', reason: rejection.reason, message: rejection.message, startTime: kubeTime(now) };
        await tolerate404or409(registry.update(podDef, ns, name, { ...pod, status }, { subresource: 'status' }));
        events.record({ involved: { ...pod, kind: 'Pod', apiVersion: 'v1' }, type: 'Warning', reason: rejection.reason, message: rejection.message.replace(/^Pod was rejected: /, ''), component: 'kubelet', host: nodeName });
        continue;
      }
      const startAt = scheduledAt(pod) + speed.delay(POD_START_MS);
      if (now.getTime() < startAt) {
        due(startAt);
        if (!pod.status?.containerStatuses) {
          try {
            replace(i, (await registry.update(podDef, ns, name, { ...pod, status: creatingStatus(pod, node, now) }, { subresource: 'status' })).obj);
          } catch (err) {
            if (!(err instanceof KubeError && (err.code === 404 || err.code === 409))) throw err;
          }
        }
        continue;
      }
      try {
        const updated = await registry.update(podDef, ns, name, { ...pod, status: startedStatus(pod, node, onNode.get(nodeName) ?? [], now) }, { subresource: 'status' });
        replace(i, updated.obj); // later pods of this pass see its IP as taken
        const probeDue = probedStatus(updated.obj, now).next;
        if (probeDue !== undefined) due(probeDue);
        const involved = { ...updated.obj, kind: 'Pod', apiVersion: 'v1' };
        for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
          const fieldPath = `spec.${(pod.spec?.initContainers ?? []).includes(c) ? 'initContainers' : 'containers'}{${c.name}}`;
          events.record({ involved, type: 'Normal', reason: 'Pulled', message: `Container image "${c.image}" already present on machine`, component: 'kubelet', host: nodeName, fieldPath });
          events.record({ involved, type: 'Normal', reason: 'Created', message: `Created container: ${c.name}`, component: 'kubelet', host: nodeName, fieldPath });
          events.record({ involved, type: 'Normal', reason: 'Started', message: `Started container ${c.name}`, component: 'kubelet', host: nodeName, fieldPath });
        }
      } catch (err) {
        if (!(err instanceof KubeError && (err.code === 404 || err.code === 409))) throw err;
      }
      continue;
    }
    if (pod.status?.phase === 'Running') {
      // MarkPodsNotReady on a node that stopped being Ready; the kubelet reports Ready again when it is back.
      const readyCond = (pod.status.conditions ?? []).find((c) => c.type === 'Ready');
      if (ready) {
        // A container told to finish (restartPolicy Never/OnFailure) ends as container-exit.ts reads it (SPEC W-9).
        const finished = finishedStatus(pod, now, speed.delay(RUN_MS));
        if (finished.next !== undefined) due(finished.next);
        if (finished.status) {
          await tolerate404or409(registry.update(podDef, ns, name, { ...pod, status: finished.status }, { subresource: 'status' }));
          continue;
        }
        const probed = probedStatus(pod, now);
        if (probed.next !== undefined) due(probed.next);
        if (probed.status) {
          await tolerate404or409(registry.update(podDef, ns, name, { ...pod, status: probed.status }, { subresource: 'status' }));
          continue;
        }
      }
      const containersReady = (pod.status.containerStatuses ?? []).every((s) => s.ready);
      const want = ready && containersReady ? 'True' : 'False';
      if (readyCond && readyCond.status !== want) {
        const at = kubeTime(now);
        const conditions = (pod.status.conditions ?? []).map((c) =>
          c.type !== 'Ready' ? c : !ready ? condition('Ready', want, at, 'NodeNotReady', `Node ${nodeName} is not ready`) : want === 'True' ? condition('Ready', want, at) : { ...c, status: want, lastTransitionTime: at },
        );
        await tolerate404or409(registry.update(podDef, ns, name, { ...pod, status: { ...pod.status, conditions } }, { subresource: 'status' }));
      }
    }
  }
  return next;
}
