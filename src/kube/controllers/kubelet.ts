/**
 * What the nodes' kubelets (and the control plane's pod housekeeping) do with pods, simulated: aksemu runs no
 * containers, so "running" is a status the kubelet reports, with the fields a real one fills in.
 *
 * - A pod bound to a Ready node starts (after the image pull and start time, `ctx.speed`): phase Running,
 *   PodReadyToStartContainers/Initialized/Ready/ContainersReady, pod IP from the node's pod CIDR (or the node's
 *   IP for hostNetwork pods), container statuses with container ids; events Pulled, Created, Started.
 * - A pod on a node that is not Ready is reported not Ready (the node lifecycle controller's MarkPodsNotReady),
 *   and Ready again when the node is.
 * - A terminating pod (deletionTimestamp) on a Ready node is stopped and removed (delete with grace 0).
 * - A pod bound to a node that no longer exists is removed (pod garbage collection).
 *
 * Every step is decided from the stored state and the emulated clock, so a restart resumes where it stopped.
 * The pass answers the emulated time of its next due step, if any.
 */
import { createHash } from 'node:crypto';
import type { Registry } from '../api/registry/registry.js';
import type { Node, Pod, PodCondition } from '../api/machinery/types.js';
import { KubeError } from '../api/machinery/errors.js';
import { pods as podDef } from '../resources/index.js';
import { nodeReady } from '../resources/nodes.js';
import { kubeTime } from '../util/age.js';
import type { Speed } from '../../runtime/clock.js';
import { recordEvent } from './events.js';

/** Realistic durations (ctx.speed): image pull and container start; container stop. */
export const POD_START_MS = 3000;
export const POD_STOP_MS = 2000;

function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** "nginx" → "docker.io/library/nginx:latest", as the container runtime reports an image reference. */
export function normalizeImage(image: string): string {
  let ref = image;
  const firstSlash = ref.indexOf('/');
  const domain = firstSlash > 0 ? ref.slice(0, firstSlash) : '';
  if (!(domain.includes('.') || domain.includes(':') || domain === 'localhost')) ref = ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`;
  const lastSlash = ref.lastIndexOf('/');
  if (!ref.includes('@') && !ref.slice(lastSlash + 1).includes(':')) ref = `${ref}:latest`;
  return ref;
}

function condition(type: string, status: 'True' | 'False', at: string, reason?: string, message?: string): PodCondition {
  return { type, status, lastProbeTime: null as unknown as string, lastTransitionTime: at, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

function internalIp(n: Node): string | undefined {
  return (n.status?.addresses ?? []).find((a) => a.type === 'InternalIP')?.address;
}

/** The next free address of the node's pod CIDR (an IPv4 /24 or larger), else one derived from the pod uid. */
function allocatePodIp(node: Node, pods: Pod[], uid: string): string {
  const cidr = node.spec?.podCIDR;
  const used = new Set(pods.filter((p) => p.spec?.nodeName === node.metadata.name && !p.spec?.hostNetwork).map((p) => p.status?.podIP));
  const m = cidr ? /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr) : null;
  if (m && Number(m[5]) <= 24) {
    const base = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
    const size = 2 ** (32 - Number(m[5]));
    for (let i = 4; i < size - 1; i++) {
      const n = base + i;
      const ip = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
      if (!used.has(ip)) return ip;
    }
  }
  const h = Buffer.from(sha(uid), 'hex');
  return `10.244.${h[0]}.${(h[1]! % 250) + 4}`;
}

function startedStatus(pod: Pod, node: Node, pods: Pod[], now: Date): Pod['status'] {
  const at = kubeTime(now);
  const ip = pod.spec?.hostNetwork ? internalIp(node) ?? allocatePodIp(node, pods, pod.metadata.uid!) : allocatePodIp(node, pods, pod.metadata.uid!);
  const hostIp = internalIp(node);
  const scheduled = (pod.status?.conditions ?? []).find((c) => c.type === 'PodScheduled');
  const containerStatus = (c: { name: string; image?: string }, init: boolean) => ({
    name: c.name,
    image: normalizeImage(c.image ?? ''),
    imageID: `${normalizeImage(c.image ?? '').replace(/:[^:/@]+$/, '')}@sha256:${sha(`image:${c.image}`)}`,
    containerID: `containerd://${sha(`${pod.metadata.uid}/${c.name}`)}`,
    ready: !init,
    started: !init,
    restartCount: 0,
    state: init ? { terminated: { exitCode: 0, reason: 'Completed', startedAt: at, finishedAt: at, containerID: `containerd://${sha(`${pod.metadata.uid}/${c.name}`)}` } } : { running: { startedAt: at } },
    lastState: {},
  });
  return {
    ...(pod.status ?? {}),
    phase: 'Running',
    conditions: [
      condition('PodReadyToStartContainers', 'True', at),
      condition('Initialized', 'True', at),
      condition('Ready', 'True', at),
      condition('ContainersReady', 'True', at),
      scheduled ?? condition('PodScheduled', 'True', at),
    ],
    ...(hostIp ? { hostIP: hostIp, hostIPs: [{ ip: hostIp }] } : {}),
    podIP: ip,
    podIPs: [{ ip }],
    startTime: at,
    ...((pod.spec?.initContainers ?? []).length > 0 ? { initContainerStatuses: (pod.spec?.initContainers ?? []).map((c) => containerStatus(c, true)) } : {}),
    containerStatuses: (pod.spec?.containers ?? []).map((c) => containerStatus(c, false)),
  };
}

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
  const now = registry.now();
  const byName = new Map(nodes.map((n) => [n.metadata.name!, n]));
  let next: number | undefined;
  const due = (t: number) => {
    next = next === undefined ? t : Math.min(next, t);
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
      const startAt = scheduledAt(pod) + speed.delay(POD_START_MS);
      if (now.getTime() < startAt) {
        due(startAt);
        continue;
      }
      try {
        const updated = await registry.update(podDef, ns, name, { ...pod, status: startedStatus(pod, node, pods, now) }, { subresource: 'status' });
        pods[i] = updated.obj; // later pods of this pass see its IP as taken
        const involved = { ...updated.obj, kind: 'Pod', apiVersion: 'v1' };
        for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
          const fieldPath = `spec.${(pod.spec?.initContainers ?? []).includes(c) ? 'initContainers' : 'containers'}{${c.name}}`;
          await recordEvent(registry, { involved, type: 'Normal', reason: 'Pulled', message: `Container image "${c.image}" already present on machine`, component: 'kubelet', host: nodeName, fieldPath });
          await recordEvent(registry, { involved, type: 'Normal', reason: 'Created', message: `Created container: ${c.name}`, component: 'kubelet', host: nodeName, fieldPath });
          await recordEvent(registry, { involved, type: 'Normal', reason: 'Started', message: `Started container ${c.name}`, component: 'kubelet', host: nodeName, fieldPath });
        }
      } catch (err) {
        if (!(err instanceof KubeError && (err.code === 404 || err.code === 409))) throw err;
      }
      continue;
    }
    if (pod.status?.phase === 'Running') {
      // MarkPodsNotReady on a node that stopped being Ready; the kubelet reports Ready again when it is back.
      const readyCond = (pod.status.conditions ?? []).find((c) => c.type === 'Ready');
      const want = ready ? 'True' : 'False';
      if (readyCond && readyCond.status !== want) {
        const at = kubeTime(now);
        const conditions = (pod.status.conditions ?? []).map((c) =>
          c.type === 'Ready' ? condition('Ready', want, at, ready ? undefined : 'NodeNotReady', ready ? undefined : `Node ${nodeName} is not ready`) : c,
        );
        await tolerate404or409(registry.update(podDef, ns, name, { ...pod, status: { ...pod.status, conditions } }, { subresource: 'status' }));
      }
    }
  }
  return next;
}
