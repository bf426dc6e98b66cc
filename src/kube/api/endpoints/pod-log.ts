/**
 * pods/log (SPEC W-22): the simulated container's deterministic log (controllers/container-log.ts) with the
 * kubelet's options — `container`, `previous` (the run before a restart), `sinceSeconds`/`sinceTime`, `tailLines`, `timestamps`,
 * `limitBytes` — and `follow`, which streams the lines the container writes as the emulated clock runs until the
 * container stops or the pod goes away.
 */
import type { FastifyReply } from 'fastify';
import { kubeErrors } from '../machinery/errors.js';
import type { ResourceDef } from '../machinery/resource.js';
import type { Pod } from '../machinery/types.js';
import { containerLogLines, containerTimes, findContainer, logTimestamp, type ContainerRef, type LogLine } from '../../controllers/container-log.js';
import type { RequestContext, ResourcePath } from './request.js';

/** How often (real time) a follow looks for new lines and whether the pod is still there. */
const FOLLOW_POLL_MS = 200;

interface LogOptions {
  container?: string;
  follow: boolean;
  previous: boolean;
  sinceMs?: number;
  tailLines?: number;
  timestamps: boolean;
  limitBytes?: number;
}

function invalid(field: string, value: string, detail: string): never {
  throw kubeErrors.invalid('PodLogOptions', '', '', [{ type: 'FieldValueInvalid', field, value, detail }]);
}

function intParam(q: URLSearchParams, name: string, min: number, detail: string): number | undefined {
  const raw = q.get(name);
  if (raw === null) return undefined;
  if (!/^-?\d+$/.test(raw)) throw kubeErrors.badRequest(`strconv.ParseInt: parsing "${raw}": invalid syntax`);
  const n = Number(raw);
  if (n < min) invalid(name, raw, detail);
  return n;
}

function boolParam(q: URLSearchParams, name: string): boolean {
  const raw = q.get(name);
  if (raw === null || raw === '') return false;
  if (/^(1|t|true)$/i.test(raw)) return true;
  if (/^(0|f|false)$/i.test(raw)) return false;
  throw kubeErrors.badRequest(`strconv.ParseBool: parsing "${raw}": invalid syntax`);
}

function parseOptions(q: URLSearchParams, now: number): LogOptions {
  const sinceSeconds = intParam(q, 'sinceSeconds', 1, 'must be greater than 0');
  const sinceTime = q.get('sinceTime');
  if (sinceSeconds !== undefined && sinceTime !== null) invalid('sinceSeconds', String(sinceSeconds), 'at most one of `sinceTime` or `sinceSeconds` may be specified');
  let sinceMs: number | undefined;
  if (sinceSeconds !== undefined) sinceMs = now - sinceSeconds * 1000;
  if (sinceTime !== null) {
    sinceMs = Date.parse(sinceTime);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(sinceTime) || Number.isNaN(sinceMs)) throw kubeErrors.badRequest(`parsing time "${sinceTime}" as "2006-01-02T15:04:05Z07:00": cannot parse "${sinceTime}" as "2006"`);
  }
  return {
    container: q.get('container') ?? undefined,
    follow: boolParam(q, 'follow'),
    previous: boolParam(q, 'previous'),
    sinceMs,
    tailLines: intParam(q, 'tailLines', 0, 'must be greater than or equal to 0'),
    timestamps: boolParam(q, 'timestamps'),
    limitBytes: intParam(q, 'limitBytes', 1, 'must be greater than 0'),
  };
}

/** The container the request names (or the pod's only one), as kube-apiserver chooses and words refusals. */
function chooseContainer(pod: Pod, name: string | undefined): ContainerRef {
  const containers = pod.spec?.containers ?? [];
  const podName = pod.metadata.name!;
  if (!name) {
    const defaulted = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
    if (defaulted && containers.some((c) => c.name === defaulted)) name = defaulted;
    else if (containers.length === 1) name = containers[0]!.name;
    else {
      const inits = (pod.spec?.initContainers ?? []).map((c) => c.name);
      const initText = inits.length > 0 ? ` or one of the init containers: [${inits.join(' ')}]` : '';
      throw kubeErrors.badRequest(`a container name must be specified for pod ${podName}, choose one of: [${containers.map((c) => c.name).join(' ')}]${initText}`);
    }
  }
  const ref = findContainer(pod, name);
  if (!ref) throw kubeErrors.badRequest(`container ${name} is not valid for pod ${podName}`);
  return ref;
}

function render(lines: LogLine[], timestamps: boolean): string {
  return lines.map((l) => `${timestamps ? `${logTimestamp(l.at)} ` : ''}${l.text}\n`).join('');
}

export async function servePodLog(c: RequestContext, def: ResourceDef, path: ResourcePath): Promise<FastifyReply> {
  const now = () => c.registry.now().getTime();
  const opts = parseOptions(c.url.searchParams, now());
  const pod = (await c.registry.get<Pod>(def, path.namespace, path.name!)) as Pod;
  const ref = chooseContainer(pod, opts.container);
  const name = ref.container.name;
  const times = containerTimes(pod, ref, opts.previous);
  // Only a restarted container has a previous run (the kubelet's words when there is none).
  if (opts.previous && times.started === undefined) throw kubeErrors.badRequest(`previous terminated container "${name}" in pod "${path.name}" not found`);
  if (times.started === undefined) {
    const statuses = ref.init ? pod.status?.initContainerStatuses : pod.status?.containerStatuses;
    const reason = (statuses ?? []).find((s) => s.name === name)?.state?.waiting?.reason ?? (pod.spec?.nodeName ? 'ContainerCreating' : 'Pending');
    throw kubeErrors.badRequest(`container "${name}" in pod "${path.name}" is waiting to start: ${reason}`);
  }
  const until = now();
  let lines = containerLogLines(pod, ref, until, opts.sinceMs === undefined ? -Infinity : opts.sinceMs - 1, opts.previous);
  if (opts.tailLines !== undefined) lines = opts.tailLines === 0 ? [] : lines.slice(-opts.tailLines);
  let budget = opts.limitBytes ?? Infinity;
  const bounded = (text: string): string => {
    const buf = Buffer.from(text);
    const out = buf.length <= budget ? text : buf.subarray(0, budget).toString();
    budget -= Math.min(buf.length, budget);
    return out;
  };
  const first = bounded(render(lines, opts.timestamps));
  if (!opts.follow || budget <= 0 || times.finished !== undefined) return c.reply.code(200).type('text/plain').send(first);
  return follow(c, def, path, pod.metadata.uid, ref, first, until, opts.timestamps, bounded, () => budget <= 0);
}

/** Streams new lines until the container stops, the pod is gone, the byte limit is reached or the client leaves. */
function follow(
  c: RequestContext,
  def: ResourceDef,
  path: ResourcePath,
  podUid: string | undefined,
  ref: ContainerRef,
  first: string,
  sentUntil: number,
  timestamps: boolean,
  bounded: (text: string) => string,
  exhausted: () => boolean,
): FastifyReply {
  const raw = c.reply.raw;
  c.reply.hijack();
  raw.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private', 'X-Content-Type-Options': 'nosniff' });
  if (first) raw.write(first);
  raw.flushHeaders?.();
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const finish = () => {
    if (closed) return;
    closed = true;
    if (timer) clearTimeout(timer);
    raw.end();
  };
  raw.on('close', finish);
  const tick = async () => {
    if (closed) return;
    try {
      const pod = (await c.registry.get<Pod>(def, path.namespace, path.name!)) as Pod;
      const current = findContainer(pod, ref.container.name);
      if (pod.metadata.uid !== podUid || !current) return finish();
      const until = c.registry.now().getTime();
      const lines = containerLogLines(pod, current, until, sentUntil);
      if (until > sentUntil) sentUntil = until;
      if (lines.length > 0 && !closed) raw.write(bounded(render(lines, timestamps)));
      const times = containerTimes(pod, current);
      if (exhausted() || times.started === undefined || times.finished !== undefined || pod.metadata.deletionTimestamp) return finish();
    } catch {
      // The pod is gone (or the store is unreachable): the container's log ends, as when the kubelet stops it.
      return finish();
    }
    timer = setTimeout(() => void tick(), FOLLOW_POLL_MS);
  };
  timer = setTimeout(() => void tick(), FOLLOW_POLL_MS);
  return c.reply;
}
