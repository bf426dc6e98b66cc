/**
 * metrics.k8s.io/v1beta1 (SPEC W-25): what AKS's metrics-server add-on serves to `kubectl top` and to autoscalers,
 * computed from the simulated pods instead of scraped from kubelets.
 *
 * Containers are simulated, so their usage is a model: a Running container uses a deterministic share of what it
 * requests (25–75% of its CPU request, 30–80% of its memory request; a few millicores and MiB when it requests
 * nothing), drawn from a hash of the pod's uid, the container's name and the emulated 60-second window, so that
 * two reads in one window agree, readings move as emulated time passes, and a test can rely on usage never
 * exceeding requests. A node uses what its pods use plus the kubelet, container runtime and OS (50m CPU, 500 MiB).
 * Only Running pods bound to a node have metrics, as metrics-server reports only what a kubelet scraped.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { findResource } from '../../resources/index.js';
import { kubeErrors } from '../machinery/errors.js';
import { milliValue, unitValue } from '../machinery/quantity.js';
import type { Node, Pod } from '../machinery/types.js';
import { type RequestContext, type ResourcePath, listOptions, send } from './request.js';
import type { ResourceDef } from '../machinery/resource.js';

export const METRICS_GROUP = 'metrics.k8s.io';
const METRICS_VERSION = 'v1beta1';

/** The usage window metrics-server reports (its default metric resolution is 15 s). */
const WINDOW = '15s';
const WINDOW_MS = 15_000;
/** Readings change once per emulated minute. */
const DRIFT_MS = 60_000;
/** What a node's own daemons use besides its pods. */
const NODE_BASE = { cpuNano: 50_000_000n, memory: 500n * 1024n * 1024n };

interface Usage {
  cpuNano: bigint;
  memory: bigint;
}

/** A deterministic fraction in [0, 1) for one container in one emulated minute. */
function fraction(podUid: string, container: string, salt: string, nowMs: number): number {
  const h = createHash('sha256').update(`${podUid}\0${container}\0${salt}\0${Math.floor(nowMs / DRIFT_MS)}`).digest();
  return h.readUInt32BE(0) / 0x1_0000_0000;
}

function containerUsage(pod: Pod, c: { name: string; resources?: { requests?: Record<string, string> } }, nowMs: number): Usage {
  const uid = pod.metadata.uid ?? pod.metadata.name ?? '';
  const req = c.resources?.requests ?? {};
  const cpuShare = 0.25 + 0.5 * fraction(uid, c.name, 'cpu', nowMs);
  const memShare = 0.3 + 0.5 * fraction(uid, c.name, 'memory', nowMs);
  const cpuNano = req.cpu !== undefined ? (milliValue(req.cpu) * BigInt(Math.round(cpuShare * 1e6))) : BigInt(Math.round((1 + 4 * cpuShare) * 1e6));
  const memory = req.memory !== undefined ? (unitValue(req.memory) * BigInt(Math.round(memShare * 1e4))) / 10_000n : BigInt(Math.round((8 + 16 * memShare) * 1024 * 1024));
  return { cpuNano, memory };
}

const hasMetrics = (p: Pod) => p.status?.phase === 'Running' && !!p.spec?.nodeName;

/** Quantities as metrics-server writes them: nanocores and KiB. */
const usageOf = (u: Usage) => ({ cpu: `${u.cpuNano}n`, memory: `${u.memory / 1024n}Ki` });

function windowEnd(nowMs: number): string {
  return new Date(Math.floor(nowMs / WINDOW_MS) * WINDOW_MS).toISOString().replace('.000Z', 'Z');
}

function podMetrics(pod: Pod, nowMs: number) {
  return {
    metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, labels: pod.metadata.labels ?? {}, creationTimestamp: new Date(nowMs).toISOString().replace(/\.\d+Z$/, 'Z') },
    timestamp: windowEnd(nowMs),
    window: WINDOW,
    containers: (pod.spec?.containers ?? []).map((c) => ({ name: c.name, usage: usageOf(containerUsage(pod, c, nowMs)) })),
  };
}

function nodeMetrics(node: Node, podsOnNode: Pod[], nowMs: number) {
  const total: Usage = { ...NODE_BASE };
  for (const p of podsOnNode) {
    for (const c of p.spec?.containers ?? []) {
      const u = containerUsage(p, c, nowMs);
      total.cpuNano += u.cpuNano;
      total.memory += u.memory;
    }
  }
  return {
    metadata: { name: node.metadata.name, labels: node.metadata.labels ?? {}, creationTimestamp: new Date(nowMs).toISOString().replace(/\.\d+Z$/, 'Z') },
    timestamp: windowEnd(nowMs),
    window: WINDOW,
    usage: usageOf(total),
  };
}

/** The pods with metrics, by the node they run on (read once for a list of any number of nodes). */
function runningByNode(pods: Pod[]): Map<string, Pod[]> {
  const byNode = new Map<string, Pod[]>();
  for (const p of pods) {
    if (!hasMetrics(p)) continue;
    const list = byNode.get(p.spec!.nodeName!);
    if (list) list.push(p);
    else byNode.set(p.spec!.nodeName!, [p]);
  }
  return byNode;
}

const listOf = (kind: string, items: unknown[]) => ({ kind, apiVersion: `${METRICS_GROUP}/${METRICS_VERSION}`, metadata: {}, items });

/** GET of PodMetrics or NodeMetrics, one or a list; label and field selectors apply to the pods or nodes. */
export async function metricsRequest(c: RequestContext, path: ResourcePath): Promise<FastifyReply> {
  const method = c.req.method.toUpperCase();
  const gr = { group: METRICS_GROUP, resource: path.resource };
  if (method !== 'GET' || path.subresource) throw kubeErrors.methodNotAllowed(method, gr);
  // metrics-server names its kinds' resources podmetrics and nodemetrics in its NotFound errors.
  const missing = (name: string) => kubeErrors.notFound({ group: METRICS_GROUP, resource: path.resource === 'pods' ? 'podmetrics' : 'nodemetrics' }, name);
  const pods = findResource('', 'v1', 'pods')!;
  const nowMs = c.registry.now().getTime();
  const { labelSelector, fieldSelector } = listOptions(c);
  const selection = { ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) };
  // A pod or node that does not exist is a PodMetrics or NodeMetrics that does not exist.
  const named = async <T>(def: ResourceDef, ns: string | undefined, name: string): Promise<T | undefined> => {
    try {
      return (await c.registry.get(def, ns, name)) as T;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  };
  if (path.resource === 'pods') {
    if (path.name) {
      const pod = await named<Pod>(pods, path.namespace, path.name);
      if (!pod || !hasMetrics(pod)) throw missing(path.name);
      return send(c.reply, 200, { kind: 'PodMetrics', apiVersion: `${METRICS_GROUP}/${METRICS_VERSION}`, ...podMetrics(pod, nowMs) });
    }
    const listed = await c.registry.list<Pod>(pods, path.namespace, selection);
    return send(c.reply, 200, listOf('PodMetricsList', listed.items.filter(hasMetrics).map((p) => podMetrics(p, nowMs))));
  }
  if (path.namespace !== undefined) throw kubeErrors.pathNotFound();
  const nodes = findResource('', 'v1', 'nodes')!;
  const byNode = runningByNode((await c.registry.list<Pod>(pods, undefined, {})).items);
  if (path.name) {
    const node = await named<Node>(nodes, undefined, path.name);
    if (!node) throw missing(path.name);
    return send(c.reply, 200, { kind: 'NodeMetrics', apiVersion: `${METRICS_GROUP}/${METRICS_VERSION}`, ...nodeMetrics(node, byNode.get(node.metadata.name!) ?? [], nowMs) });
  }
  const listed = await c.registry.list<Node>(nodes, undefined, selection);
  return send(c.reply, 200, listOf('NodeMetricsList', listed.items.map((n) => nodeMetrics(n, byNode.get(n.metadata.name!) ?? [], nowMs))));
}
