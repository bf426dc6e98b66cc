/**
 * The endpoints that are not a stored resource: /version, the health checks, discovery and OpenAPI (the
 * reviews are in reviews.ts).
 */
import type { FastifyReply } from 'fastify';
import { createHash } from 'node:crypto';
import { kubernetesVersion, type ClusterView } from '../../clusters.js';
import { aggregatedDiscovery, apiGroupDocument, apiGroupList, apiResourceList, apiVersions, servesGroup, servesGroupVersion } from './discovery.js';
import { kubeErrors } from '../machinery/errors.js';
import { negotiateDiscovery } from '../machinery/negotiation.js';
import { openapiV3 } from './openapi-v3.js';
import { type RequestContext, send } from './request.js';

/** A health check another module adds to a cluster's API server (KMS: kms-providers). */
export interface ExtraHealthCheck {
  name: string;
  ok: boolean;
  message?: string;
  /** Also answered at /healthz/<name> but not listed (kube-apiserver lists kms-providers, serves kms-provider-<i>). */
  hidden?: boolean;
  /** false: a check of /healthz and /readyz only, absent from /livez (kube-apiserver's KMS checks from 1.29). */
  livez?: boolean;
}

export function versionInfo(cluster: ClusterView): Record<string, string> {
  const v = kubernetesVersion(cluster.config);
  const commit = createHash('sha1').update(`aksemu-kube-${v.gitVersion}`).digest('hex');
  return {
    major: v.major,
    minor: v.minor,
    gitVersion: v.gitVersion,
    gitCommit: commit,
    gitTreeState: 'clean',
    buildDate: '2025-04-22T16:00:00Z',
    goVersion: 'go1.23.8',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export const HEALTH_CHECKS = ['ping', 'log', 'etcd', 'informer-sync', 'poststarthook/start-apiextensions-controllers', 'poststarthook/bootstrap-controller'];

/** kube-apiserver's health endpoints: the built-in checks (always ok here) and other modules' checks. */
export async function health(c: RequestContext, allExtra: ExtraHealthCheck[], endpoint: string, sub: string[]): Promise<FastifyReply> {
  const text = (code: number, body: string) => c.reply.code(code).type('text/plain; charset=utf-8').send(body);
  const extra = endpoint === 'livez' ? allExtra.filter((x) => x.livez !== false) : allExtra;
  if (sub.length > 0) {
    const check = sub.join('/');
    const e = extra.find((x) => x.name === check);
    if (e) return e.ok ? text(200, 'ok') : text(500, `internal server error: ${e.message ?? 'failed'}\n`);
    if (!HEALTH_CHECKS.includes(check)) return text(404, '404 page not found\n');
    return text(200, 'ok');
  }
  const listed = extra.filter((x) => !x.hidden);
  const ok = listed.every((x) => x.ok);
  if (c.url.searchParams.has('verbose') || !ok) {
    const lines = [...HEALTH_CHECKS.map((h) => `[+]${h} ok`), ...listed.map((x) => (x.ok ? `[+]${x.name} ok` : `[-]${x.name} failed: reason withheld`))].join('\n');
    return text(ok ? 200 : 500, `${lines}\n${endpoint} check ${ok ? 'passed' : 'failed'}\n`);
  }
  return text(200, 'ok');
}

export function discovery(c: RequestContext, parts: string[]): FastifyReply {
  const fqdn = c.cluster.record.fqdn;
  if (parts[0] === 'api') {
    if (parts.length === 1) {
      const { output, contentType } = negotiateDiscovery(c.req.headers.accept);
      c.reply.header('Vary', 'Accept');
      return send(c.reply, 200, output === 'legacy' ? apiVersions(`${fqdn}:443`) : aggregatedDiscovery(true, output), contentType);
    }
    if (parts.length === 2 && parts[1] === 'v1') return send(c.reply, 200, apiResourceList('', 'v1'));
    throw kubeErrors.pathNotFound();
  }
  if (parts.length === 1) {
    const { output, contentType } = negotiateDiscovery(c.req.headers.accept);
    c.reply.header('Vary', 'Accept');
    return send(c.reply, 200, output === 'legacy' ? apiGroupList() : aggregatedDiscovery(false, output), contentType);
  }
  if (parts.length === 2 && servesGroup(parts[1]!)) return send(c.reply, 200, apiGroupDocument(parts[1]!));
  if (parts.length === 3 && servesGroupVersion(parts[1]!, parts[2]!)) return send(c.reply, 200, apiResourceList(parts[1]!, parts[2]!));
  throw kubeErrors.pathNotFound();
}

/**
 * OpenAPI: kubectl fetches /openapi/v3 (explain, client-side apply's patch, whether PATCH takes fieldValidation)
 * and /openapi/v2 (protobuf) when v3 lacks a document. v3 is served in full (openapi-v3.ts, SPEC W-26); v2 is an
 * empty document, which kubectl reads as "no schema" rather than an error.
 */
export function openapi(c: RequestContext, parts: string[]): FastifyReply {
  if (parts[1] === 'v2' && parts.length === 2) return c.reply.code(200).type('application/octet-stream').send(Buffer.alloc(0));
  if (parts[1] === 'v3') return openapiV3(c, parts);
  throw kubeErrors.pathNotFound();
}
