/**
 * When and how a simulated container ends (SPEC W-9, W-21). No container runs, so a container's end is read from
 * what it was told to run, deterministically:
 *
 * - only containers of pods whose restartPolicy is Never or OnFailure end (an Always container is one a kubelet
 *   keeps running), and not while a container keeps stdin open (`kubectl debug -it`, `kubectl run -i`: it waits
 *   for its input, and the session's end is what ends it, streams/container-exit.ts);
 * - the run time is the sum of the `sleep N` in its command and args (seconds, or with GNU sleep's s/m/h/d
 *   suffix; `sleep infinity` never ends), else RUN_MS of emulated time (no time at the `instant` speed);
 * - the exit code is the last `exit N` in its command and args, else 0 (`["sh","-c","exit 1"]` fails,
 *   upstream's `perl -Mbignum=bpi -wle "print bpi(2000)"` example succeeds).
 *
 * A container that exits 0, or any exit under Never, stays terminated (Completed, or Error with its code). Under
 * OnFailure a failed container is restarted in place as the kubelet does: CrashLoopBackOff for 10 s, doubling per
 * restart up to 5 minutes (emulated time, not scaled by the speed: the back-off is what bounds a crash loop), then
 * running again with restartCount + 1. A pod whose containers have all terminated is Succeeded (all 0) or Failed,
 * Ready/ContainersReady False with reason PodCompleted.
 */
import type { Container, Pod, PodCondition } from '../api/machinery/types.js';
import { kubeTime } from '../util/age.js';
import { condition, sha } from './pod-status.js';

/** Emulated run time of a finishing container that does not say how long it sleeps (before the speed's scaling). */
export const RUN_MS = 5000;
const BACKOFF_START_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;
const UNIT_MS: Record<string, number> = { '': 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

type ContainerStatus = NonNullable<NonNullable<Pod['status']>['containerStatuses']>[number];

function words(c: Container): string {
  return [...(c.command ?? []), ...(c.args ?? [])].join(' ');
}

/** Emulated ms the container runs before it exits (`defaultMs` when it sleeps nowhere; Infinity for `sleep infinity`). */
export function runTimeMs(c: Container, defaultMs: number): number {
  const w = words(c);
  if (/\bsleep\s+inf(inity)?\b/.test(w)) return Infinity;
  const sleeps = [...w.matchAll(/\bsleep\s+(\d+(?:\.\d+)?)([smhd]?)(?![\w.])/g)].map((m) => Number(m[1]) * UNIT_MS[m[2]!]!);
  return sleeps.length > 0 ? sleeps.reduce((a, b) => a + b, 0) : defaultMs;
}

/** The container's exit code: the last `exit N` it runs, else 0. */
export function exitCode(c: Container): number {
  const exits = [...words(c).matchAll(/\bexit\s+(\d+)\b/g)];
  return exits.length > 0 ? Number(exits[exits.length - 1]![1]) % 256 : 0;
}

/** The kubelet's crash-loop back-off before restart number `restartCount + 1`. */
export function crashLoopBackOffMs(restartCount: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** Math.min(restartCount, 10));
}

/** One container's next state at `nowMs`: unchanged (with when it changes next), or changed. */
function step(pod: Pod, c: Container, s: ContainerStatus, nowMs: number, defaultRunMs: number): { status?: ContainerStatus; next?: number } {
  const restartCount = s.restartCount ?? 0;
  if (s.state?.running) {
    const started = Date.parse(s.state.running.startedAt ?? '');
    const end = started + runTimeMs(c, defaultRunMs);
    if (Number.isNaN(started) || !Number.isFinite(end)) return {};
    if (end > nowMs) return { next: end };
    const code = exitCode(c);
    const terminated = { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', startedAt: s.state.running.startedAt, finishedAt: kubeTime(new Date(end)), containerID: s.containerID };
    if (pod.spec?.restartPolicy === 'OnFailure' && code !== 0) {
      const backOff = crashLoopBackOffMs(restartCount);
      const message = `back-off ${humanSeconds(backOff)} restarting failed container=${c.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
      return { status: { ...s, ready: false, started: false, state: { waiting: { reason: 'CrashLoopBackOff', message } }, lastState: { terminated } } };
    }
    return { status: { ...s, ready: false, started: false, state: { terminated } } };
  }
  const last = s.lastState?.terminated;
  if (s.state?.waiting?.reason === 'CrashLoopBackOff' && last) {
    const restartAt = Date.parse(last.finishedAt ?? '') + crashLoopBackOffMs(restartCount);
    if (Number.isNaN(restartAt)) return {};
    if (restartAt > nowMs) return { next: restartAt };
    // A restarted container is a new container: a new id.
    const containerID = `containerd://${sha(`${pod.metadata.uid}/${c.name}/restart/${restartCount + 1}`)}`;
    return { status: { ...s, ready: true, started: true, restartCount: restartCount + 1, containerID, state: { running: { startedAt: kubeTime(new Date(restartAt)) } } } };
  }
  return {};
}

function humanSeconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}

function setCondition(conditions: PodCondition[], type: string, status: 'True' | 'False', at: string, reason?: string, message?: string): PodCondition[] {
  return conditions.map((x) => (x.type !== type ? x : x.status === status && x.reason === reason ? x : condition(type, status, x.status === status ? (x.lastTransitionTime ?? at) : at, reason, message)));
}

/**
 * A running pod of restartPolicy Never/OnFailure after its containers' ends and restarts up to `now` (one step
 * per container per call), if anything changed; `next` is when something changes next. `defaultRunMs` is RUN_MS
 * as the emulator's speed scales it.
 */
export function finishedStatus(pod: Pod, now: Date, defaultRunMs: number): { status?: Pod['status']; next?: number } {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  const containers = pod.spec?.containers ?? [];
  if (policy === 'Always' || containers.some((c) => c.stdin)) return {};
  const statuses = pod.status?.containerStatuses ?? [];
  let next: number | undefined;
  let changed = false;
  const updated = statuses.map((s) => {
    const c = containers.find((x) => x.name === s.name);
    if (!c) return s;
    const r = step(pod, c, s, now.getTime(), defaultRunMs);
    if (r.next !== undefined) next = next === undefined ? r.next : Math.min(next, r.next);
    if (!r.status) return s;
    changed = true;
    return r.status;
  });
  if (!changed) return next === undefined ? {} : { next };
  const at = kubeTime(now);
  let conditions = pod.status?.conditions ?? [];
  if (updated.length > 0 && updated.every((s) => s.state?.terminated)) {
    const failed = updated.some((s) => (s.state?.terminated?.exitCode ?? 0) !== 0);
    conditions = setCondition(setCondition(setCondition(conditions, 'Ready', 'False', at, 'PodCompleted'), 'ContainersReady', 'False', at, 'PodCompleted'), 'PodReadyToStartContainers', 'False', at);
    return { status: { ...pod.status, phase: failed ? 'Failed' : 'Succeeded', conditions, containerStatuses: updated } };
  }
  const unready = updated.filter((s) => !s.ready).map((s) => s.name);
  if (unready.length > 0) {
    const message = `containers with unready status: [${unready.join(' ')}]`;
    conditions = setCondition(setCondition(conditions, 'Ready', 'False', at, 'ContainersNotReady', message), 'ContainersReady', 'False', at, 'ContainersNotReady', message);
  } else {
    conditions = setCondition(setCondition(conditions, 'Ready', 'True', at), 'ContainersReady', 'True', at);
  }
  return { status: { ...pod.status, conditions, containerStatuses: updated }, ...(next !== undefined ? { next } : {}) };
}
