/**
 * What the kubelet reports when a container's process ends (the debugging shell's `exit`): the container is
 * terminated with the exit code (reason Completed for 0, Error otherwise) and, by the pod's restartPolicy, either
 * stays terminated (Never; OnFailure after a 0) or is restarted (restartCount + 1, the last state kept). A pod
 * whose containers have all terminated is Succeeded (all 0) or Failed; `kubectl get pods` then shows Completed
 * or Error, as for a real `kubectl debug node/...` pod after its session.
 */
import { createHash } from 'node:crypto';
import { KubeError } from '../api/machinery/errors.js';
import type { Registry } from '../api/registry/registry.js';
import type { Pod, PodCondition } from '../api/machinery/types.js';
import { pods as podDef } from '../resources/index.js';
import { kubeTime } from '../util/age.js';

type ContainerStatus = NonNullable<NonNullable<Pod['status']>['containerStatuses']>[number];

function setCondition(conditions: PodCondition[], type: string, status: 'True' | 'False', at: string, reason?: string, message?: string): PodCondition[] {
  return conditions.map((c) =>
    c.type === type ? { type, status, lastProbeTime: null as unknown as string, lastTransitionTime: c.status === status ? c.lastTransitionTime : at, ...(reason ? { reason } : {}), ...(message ? { message } : {}) } : c,
  );
}

/** The pod's status after container `name` (of process `containerId`) exited with `exitCode`; undefined if moot. */
export function statusAfterExit(pod: Pod, name: string, containerId: string, exitCode: number, now: Date): Pod['status'] | undefined {
  const status = pod.status;
  const statuses = status?.containerStatuses ?? [];
  const cur = statuses.find((s) => s.name === name);
  // Another process by now (restarted, or the pod was replaced): nothing to report.
  if (!status || !cur?.state?.running || cur.containerID !== containerId) return undefined;
  const at = kubeTime(now);
  const terminated = { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: cur.state.running.startedAt, finishedAt: at, containerID: containerId };
  const policy = pod.spec?.restartPolicy ?? 'Always';
  const restart = policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
  const next: ContainerStatus = restart
    ? {
        ...cur,
        restartCount: (cur.restartCount ?? 0) + 1,
        // A restarted container is a new container: a new id, so a new process.
        containerID: `containerd://${createHash('sha256').update(`${containerId}/restart/${(cur.restartCount ?? 0) + 1}`).digest('hex')}`,
        lastState: { terminated },
        state: { running: { startedAt: at } },
      }
    : { ...cur, ready: false, started: false, state: { terminated } };
  const containerStatuses = statuses.map((s) => (s.name === name ? next : s));
  if (restart) return { ...status, containerStatuses };
  const allDone = containerStatuses.every((s) => s.state?.terminated);
  const failed = containerStatuses.some((s) => (s.state?.terminated?.exitCode ?? 0) !== 0);
  let conditions = status.conditions ?? [];
  if (allDone) {
    conditions = setCondition(conditions, 'Ready', 'False', at, 'PodCompleted');
    conditions = setCondition(conditions, 'ContainersReady', 'False', at, 'PodCompleted');
  } else {
    const unready = containerStatuses.filter((s) => !s.ready).map((s) => s.name);
    conditions = setCondition(conditions, 'Ready', 'False', at, 'ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`);
    conditions = setCondition(conditions, 'ContainersReady', 'False', at, 'ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`);
  }
  return { ...status, ...(allDone ? { phase: failed ? 'Failed' : 'Succeeded' } : {}), conditions, containerStatuses };
}

/** Reports the exit through the pod's status subresource (retried on conflicts with the kubelet simulation). */
export async function reportContainerExit(registry: Registry, namespace: string, podName: string, name: string, containerId: string, exitCode: number): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const pod = await registry.tryGet<Pod>(podDef, namespace, podName);
    if (!pod) return;
    const status = statusAfterExit(pod, name, containerId, exitCode, registry.now());
    if (!status) return;
    try {
      await registry.update(podDef, namespace, podName, { ...pod, status }, { subresource: 'status' });
      return;
    } catch (err) {
      if (err instanceof KubeError && err.code === 409) continue;
      if (err instanceof KubeError && err.code === 404) return;
      throw err;
    }
  }
}
