/**
 * The statuses a node's kubelet reports for a pod it runs (simulated, SPEC W-21): the phases a real pod goes
 * through — bound and being created (Pending, containers waiting in ContainerCreating), then Running — with the
 * conditions, container statuses (image ids, container ids) and readiness a real kubelet reports. Pure functions
 * of the pod, its node and the emulated time; the kubelet pass (kubelet.ts) decides when to write them.
 */
import { createHash } from 'node:crypto';
import type { Container, Node, Pod, PodCondition } from '../api/machinery/types.js';
import { kubeTime } from '../util/age.js';

export function sha(s: string): string {
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

/** The digest reference containerd reports as a container's imageID (deterministic per image). */
export function imageId(image: string | undefined): string {
  return `${normalizeImage(image ?? '').replace(/:[^:/@]+$/, '')}@sha256:${sha(`image:${image}`)}`;
}

export function containerId(pod: Pod, container: string): string {
  return `containerd://${sha(`${pod.metadata.uid}/${container}`)}`;
}

export function condition(type: string, status: 'True' | 'False', at: string, reason?: string, message?: string): PodCondition {
  return { type, status, lastProbeTime: null as unknown as string, lastTransitionTime: at, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

export function internalIp(n: Node): string | undefined {
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

function notReadyMessage(containers: Container[]): string {
  return `containers with unready status: [${containers.map((c) => c.name).join(' ')}]`;
}

function scheduledCondition(pod: Pod, at: string): PodCondition {
  return (pod.status?.conditions ?? []).find((c) => c.type === 'PodScheduled' && c.status === 'True') ?? condition('PodScheduled', 'True', at);
}

/**
 * What the kubelet reports as soon as it admits a bound pod: still Pending, its sandbox not yet ready, every
 * container waiting in ContainerCreating (PodInitializing behind init containers, which are then the ones being
 * created), as `kubectl get pods` shows "ContainerCreating" or "Init:0/N".
 */
export function creatingStatus(pod: Pod, node: Node, now: Date): Pod['status'] {
  const at = kubeTime(now);
  const hostIp = internalIp(node);
  const inits = pod.spec?.initContainers ?? [];
  const containers = pod.spec?.containers ?? [];
  const waiting = (c: Container, reason: string) => ({ name: c.name, image: c.image ?? '', imageID: '', ready: false, started: false, restartCount: 0, state: { waiting: { reason } }, lastState: {} });
  return {
    ...(pod.status ?? {}),
    phase: 'Pending',
    conditions: [
      condition('PodReadyToStartContainers', 'False', at),
      inits.length > 0 ? condition('Initialized', 'False', at, 'ContainersNotInitialized', `containers with incomplete status: [${inits.map((c) => c.name).join(' ')}]`) : condition('Initialized', 'True', at),
      condition('Ready', 'False', at, 'ContainersNotReady', notReadyMessage(containers)),
      condition('ContainersReady', 'False', at, 'ContainersNotReady', notReadyMessage(containers)),
      scheduledCondition(pod, at),
    ],
    ...(hostIp ? { hostIP: hostIp, hostIPs: [{ ip: hostIp }] } : {}),
    startTime: at,
    ...(inits.length > 0 ? { initContainerStatuses: inits.map((c) => waiting(c, 'PodInitializing')) } : {}),
    containerStatuses: containers.map((c) => waiting(c, inits.length > 0 ? 'PodInitializing' : 'ContainerCreating')),
  };
}

/** Emulated ms at which a container started at `startedMs` passes its readiness probe (now, without one). */
export function readyAt(c: Container, startedMs: number): number {
  const probe = c.readinessProbe;
  if (!probe) return startedMs;
  // The first probe runs after initialDelaySeconds; successThreshold successes, periodSeconds apart, make it ready.
  const period = (probe.periodSeconds ?? 10) * 1000;
  return startedMs + (probe.initialDelaySeconds ?? 0) * 1000 + Math.max(0, (probe.successThreshold ?? 1) - 1) * period;
}

/** Running: init containers Completed, containers running; readiness as their probes allow at `now`. */
export function startedStatus(pod: Pod, node: Node, pods: Pod[], now: Date): Pod['status'] {
  const at = kubeTime(now);
  const ip = pod.spec?.hostNetwork ? internalIp(node) ?? allocatePodIp(node, pods, pod.metadata.uid!) : allocatePodIp(node, pods, pod.metadata.uid!);
  const hostIp = internalIp(node);
  const containerStatus = (c: Container, init: boolean) => {
    const ready = !init && readyAt(c, now.getTime()) <= now.getTime();
    return {
      name: c.name,
      image: normalizeImage(c.image ?? ''),
      imageID: imageId(c.image),
      containerID: containerId(pod, c.name),
      ready,
      started: !init,
      restartCount: 0,
      state: init ? { terminated: { exitCode: 0, reason: 'Completed', startedAt: at, finishedAt: at, containerID: containerId(pod, c.name) } } : { running: { startedAt: at } },
      lastState: {},
    };
  };
  const statuses = (pod.spec?.containers ?? []).map((c) => containerStatus(c, false));
  return {
    ...(pod.status ?? {}),
    phase: 'Running',
    conditions: [condition('PodReadyToStartContainers', 'True', at), condition('Initialized', 'True', at), ...readinessConditions(pod, statuses, at), scheduledCondition(pod, at)],
    ...(hostIp ? { hostIP: hostIp, hostIPs: [{ ip: hostIp }] } : {}),
    podIP: ip,
    podIPs: [{ ip }],
    startTime: pod.status?.startTime ?? at,
    ...((pod.spec?.initContainers ?? []).length > 0 ? { initContainerStatuses: (pod.spec?.initContainers ?? []).map((c) => containerStatus(c, true)) } : {}),
    containerStatuses: statuses,
  };
}

function readinessConditions(pod: Pod, statuses: Array<{ name: string; ready: boolean }>, at: string): PodCondition[] {
  const unready = (pod.spec?.containers ?? []).filter((c) => !statuses.find((s) => s.name === c.name)?.ready);
  if (unready.length === 0) return [condition('Ready', 'True', at), condition('ContainersReady', 'True', at)];
  return [condition('Ready', 'False', at, 'ContainersNotReady', notReadyMessage(unready)), condition('ContainersReady', 'False', at, 'ContainersNotReady', notReadyMessage(unready))];
}

/**
 * A running pod whose containers' readiness probes have passed by `now` (on a Ready node): the status with those
 * containers ready, or undefined when nothing changes; `next` is the emulated ms of the next container to turn ready.
 */
export function probedStatus(pod: Pod, now: Date): { status?: Pod['status']; next?: number } {
  const statuses = pod.status?.containerStatuses ?? [];
  let changed = false;
  let next: number | undefined;
  const updated = statuses.map((s) => {
    const c = (pod.spec?.containers ?? []).find((x) => x.name === s.name);
    const started = Date.parse(s.state?.running?.startedAt ?? '');
    if (s.ready || !c || Number.isNaN(started)) return s;
    const due = readyAt(c, started);
    if (due > now.getTime()) {
      next = next === undefined ? due : Math.min(next, due);
      return s;
    }
    changed = true;
    return { ...s, ready: true };
  });
  if (!changed) return { next };
  const at = kubeTime(now);
  const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'Ready' && c.type !== 'ContainersReady');
  conditions.splice(2, 0, ...readinessConditions(pod, updated, at));
  return { status: { ...pod.status, containerStatuses: updated, conditions }, next };
}
