/**
 * The log of a simulated container (SPEC W-22): aksemu runs no process, so the "kubelet" writes a deterministic log
 * for it — which node started it with which image, what it would run, a line per emulated minute while it runs, its
 * exit when it has one. Every line is a function of the pod and the emulated time: `kubectl logs` on two emulators
 * with the same state prints the same lines, and `--since`, `--tail` and `-f` select from the same sequence.
 */
import type { Container, Pod } from '../api/machinery/types.js';
import { containerId, imageId, normalizeImage } from './pod-status.js';

/** A running container writes a line this often (emulated time). */
export const LOG_LINE_INTERVAL_MS = 60_000;
/** The heartbeat lines a log keeps (the kubelet rotates container logs: older lines are no longer served). */
const KEPT_HEARTBEATS = 10_000;

export interface LogLine {
  /** Emulated ms at which the line was written. */
  at: number;
  text: string;
}

export interface ContainerRef {
  container: Container;
  init: boolean;
}

/** The spec of the named container (regular, then init), or undefined. */
export function findContainer(pod: Pod, name: string): ContainerRef | undefined {
  const regular = (pod.spec?.containers ?? []).find((c) => c.name === name);
  if (regular) return { container: regular, init: false };
  const init = (pod.spec?.initContainers ?? []).find((c) => c.name === name);
  return init ? { container: init, init: true } : undefined;
}

/** Go's time.Duration form ("1m0s", "2h5m0s"), as a Go program would print its uptime. */
function goDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h${m}m${sec}s`;
  if (m > 0) return `${m}m${sec}s`;
  return `${sec}s`;
}

function quoteArgs(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/** One run of a container: when it started and, once it has, ended; its id; which restart of the container it is. */
export interface ContainerInstance {
  started?: number;
  finished?: number;
  exitCode?: number;
  reason?: string;
  containerID?: string;
  /** 0 for the first run, n for the run after the n-th restart. */
  restart: number;
}

/**
 * The run of the container whose log the kubelet serves, per the pod's status (SPEC W-22): the current one
 * (running, or terminated; between restarts the one that just ended, its lastState), or with `previous` the one
 * before it (lastState.terminated), which only a restarted container has. `started` is undefined when there is none.
 */
export function containerTimes(pod: Pod, ref: ContainerRef, previous = false): ContainerInstance {
  const statuses = ref.init ? pod.status?.initContainerStatuses : pod.status?.containerStatuses;
  const s = (statuses ?? []).find((x) => x.name === ref.container.name);
  const restarts = s?.restartCount ?? 0;
  const last = s?.lastState?.terminated?.containerID ? s.lastState.terminated : undefined;
  const current = s?.state?.running ?? s?.state?.terminated;
  if (previous || !current) {
    // The ended run is the latest while the container waits to restart, the one before the current run otherwise.
    if (!last) return { restart: restarts };
    return instance(last.startedAt, last.finishedAt, last.exitCode, last.reason, last.containerID, current ? Math.max(0, restarts - 1) : restarts);
  }
  const t = s?.state?.terminated;
  return instance(current.startedAt, t?.finishedAt, t?.exitCode, t?.reason, t?.containerID ?? s?.containerID, restarts);
}

function instance(startedAt: string | undefined, finishedAt: string | undefined, exitCode: number | undefined, reason: string | undefined, containerID: string | undefined, restart: number): ContainerInstance {
  const started = Date.parse(startedAt ?? '');
  if (Number.isNaN(started)) return { restart };
  const finished = Date.parse(finishedAt ?? '');
  const id = containerID ? { containerID } : {};
  return Number.isNaN(finished) ? { started, restart, ...id } : { started, finished, exitCode: exitCode ?? 0, reason: reason ?? '', restart, ...id };
}

/**
 * The container's lines written after `afterMs` (exclusive) and up to `untilMs` (inclusive), oldest first; the
 * rotated-away beginning of a long log is not among them. `previous`: the run before the current one.
 */
export function containerLogLines(pod: Pod, ref: ContainerRef, untilMs: number, afterMs = -Infinity, previous = false): LogLine[] {
  const { started, finished, exitCode, reason, containerID, restart } = containerTimes(pod, ref, previous);
  if (started === undefined || started > untilMs) return [];
  const c = ref.container;
  const end = Math.min(untilMs, finished ?? untilMs);
  const lastBeat = Math.floor((end - started) / LOG_LINE_INTERVAL_MS);
  const rotated = lastBeat > KEPT_HEARTBEATS;
  const firstBeat = Math.max(1, lastBeat - KEPT_HEARTBEATS + 1, Math.floor((afterMs - started) / LOG_LINE_INTERVAL_MS) + 1);
  const lines: LogLine[] = [];
  if (!rotated && started > afterMs) {
    const argv = [...(c.command ?? []), ...(c.args ?? [])];
    lines.push(
      { at: started, text: `aksemu: simulated container "${c.name}" of pod ${pod.metadata.namespace}/${pod.metadata.name} started on node ${pod.spec?.nodeName} with image ${normalizeImage(c.image ?? '')}${restart > 0 ? ` (restart ${restart})` : ''}` },
      { at: started, text: `aksemu: image ${imageId(c.image)}, container ${containerID ?? containerId(pod, c.name)}` },
      { at: started, text: argv.length > 0 ? `aksemu: would run: ${quoteArgs(argv)}` : `aksemu: would run the image's default entrypoint` },
    );
  }
  for (let k = firstBeat; k <= lastBeat; k++) {
    const at = started + k * LOG_LINE_INTERVAL_MS;
    if (at > afterMs) lines.push({ at, text: `aksemu: container "${c.name}" running on node ${pod.spec?.nodeName} (uptime ${goDuration(at - started)})` });
  }
  if (finished !== undefined && finished <= untilMs && finished > afterMs) {
    lines.push({ at: finished, text: `aksemu: container "${c.name}" exited with code ${exitCode}${reason ? ` (${reason})` : ''}` });
  }
  return lines;
}

/** RFC 3339 with nanoseconds, as the kubelet prefixes lines for `--timestamps`. */
export function logTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}
