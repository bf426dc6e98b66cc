/**
 * The clusters' Kubernetes API over HTTP: a fastify plugin under `/_k8s/<fqdn>`, which is
 * also where the front door maps requests for `<fqdn>` (any `*.azmk8s.io` host) through the proxy.
 *
 *   /version /healthz /livez /readyz            anonymous (as kube-apiserver's public-info-viewer allows)
 *   /api /apis /api/v1 /apis/<g>[/<v>]           discovery, legacy or aggregated (by Accept)
 *   /openapi/v2 /openapi/v3                     what kubectl needs (see openapi in non-resource.ts)
 *   /api/v1/[namespaces/<ns>/]<resource>[/<name>[/<subresource>]]   and the same under /apis/<g>/<v>
 *
 * Every answer that is not a success is a Kubernetes `Status`. This layer turns HTTP into registry calls:
 * request parsing, media types, query parameters, and the response forms (objects, lists, tables, watch).
 * This file routes a request; request.ts holds its context and response forms, non-resource.ts the endpoints
 * that are not stored resources, resource-requests.ts the verbs on resources and pod-subresources.ts the pods'
 * log/attach/exec/eviction/binding.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ContentionError, StoreUnavailableError } from '../../../store/store.js';
import type { TokenService } from '../../../identity/tokens.js';
import { ClusterAuthorizer, type DataActionCheck } from '../../authorization/authorizer.js';
import type { ClusterView } from '../../clusters.js';
import { ClusterGoneError, TransformError } from '../../storage/object-storage.js';
import { servesGroupVersion } from './discovery.js';
import { KubeError, kubeErrors } from '../machinery/errors.js';
import type { Registry } from '../registry/registry.js';
import { SelectorError } from '../machinery/selectors.js';
import { loadSchema } from '../machinery/schema.js';
import { resourceRequest } from './resource-requests.js';
import { type RequestContext, parseResourcePath, send, sendStatus } from './request.js';
import { type ExtraHealthCheck, discovery, health, openapi, versionInfo } from './non-resource.js';
import { admitRequest } from './access.js';

/** kube-apiserver's limit on request bodies (MaxRequestBodyBytes, 3 MiB). */
export const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;

/** Status bodies for errors fastify raises before routing (a URL it cannot decode, ...). */
export function kubeFrameworkError(status: number, message: string): { body: unknown; contentType: string } {
  const reason = status === 413 ? 'RequestEntityTooLarge' : status === 404 ? 'NotFound' : status === 408 ? 'Timeout' : 'BadRequest';
  const text = status === 413 ? `Request entity too large: limit is ${MAX_REQUEST_BODY_BYTES}` : message;
  return { body: new KubeError(status, reason, text).toStatus(), contentType: 'application/json' };
}

export type { ExtraHealthCheck } from './non-resource.js';

export interface KubeApiDeps {
  tokens: TokenService;
  /** The cluster serving `fqdn`, or undefined. */
  cluster(fqdn: string): Promise<ClusterView | undefined>;
  registry(cluster: ClusterView): Registry;
  now(): Date;
  /** Checks of /healthz, /livez and /readyz beyond the built-in ones. */
  extraHealthChecks?(cluster: ClusterView): Promise<ExtraHealthCheck[]>;
  /** Why the cluster's API server is down (every request answers 503), or undefined when it is up. */
  unavailable?(cluster: ClusterView): Promise<string | undefined>;
  /** Azure RBAC for Kubernetes: whether a principal holds a data action at a scope (SPEC Z-3). */
  dataActionGranted: DataActionCheck;
}

async function dispatch(deps: KubeApiDeps, req: FastifyRequest<{ Params: { fqdn: string } }>, reply: FastifyReply): Promise<FastifyReply | void> {
  const fqdn = req.params.fqdn.toLowerCase();
  const cluster = await deps.cluster(fqdn);
  if (!cluster) throw kubeErrors.pathNotFound();
  const url = new URL(req.url, 'https://kube.invalid');
  const prefix = `/_k8s/${req.params.fqdn}`;
  const rest = url.pathname.slice(url.pathname.toLowerCase().startsWith(prefix.toLowerCase()) ? prefix.length : 0);
  let parts: string[];
  try {
    parts = rest.split('/').filter((p) => p.length > 0).map((p) => decodeURIComponent(p));
  } catch {
    throw kubeErrors.badRequest(`the request path contains an invalid escape sequence`);
  }
  const registry = deps.registry(cluster);
  const authorizer = new ClusterAuthorizer(registry, cluster.config, deps.dataActionGranted);
  // Authenticated and authorized before anything else (SPEC Z-3); anonymous only for the public information.
  const user = await admitRequest(deps.tokens, authorizer, cluster, req, parts, url);
  const c: RequestContext = { cluster, user, registry, authorizer, url, req, reply };
  const head = parts[0] ?? '';

  if (req.method === 'GET' && parts.length === 1 && head === 'version') return send(reply, 200, versionInfo(cluster));
  const down = deps.unavailable ? await deps.unavailable(cluster) : undefined;
  if (down) throw new KubeError(503, 'ServiceUnavailable', down);
  if (req.method === 'GET' && (head === 'healthz' || head === 'livez' || head === 'readyz')) return health(c, deps.extraHealthChecks ? await deps.extraHealthChecks(cluster) : [], head, parts.slice(1));
  if (!user) throw kubeErrors.unauthorized();

  await loadSchema();
  if (parts.length === 0) {
    return send(reply, 200, { paths: ['/api', '/api/v1', '/apis', ...new Set(['/healthz', '/livez', '/readyz', '/openapi/v2', '/openapi/v3', '/openapi/v3/', '/version'])] });
  }
  if (head === 'openapi') return openapi(c, parts);
  if (head === 'api') {
    if (parts.length <= 2) return discovery(c, parts);
    if (parts[1] !== 'v1') throw kubeErrors.pathNotFound();
    const path = parseResourcePath('', 'v1', parts.slice(2));
    if (!path) throw kubeErrors.pathNotFound();
    return resourceRequest(c, path);
  }
  if (head === 'apis') {
    if (parts.length <= 3) return discovery(c, parts);
    if (!servesGroupVersion(parts[1]!, parts[2]!)) throw kubeErrors.pathNotFound();
    const path = parseResourcePath(parts[1]!, parts[2]!, parts.slice(3));
    if (!path) throw kubeErrors.pathNotFound();
    return resourceRequest(c, path);
  }
  throw kubeErrors.pathNotFound();
}

export function registerKubeApi(app: FastifyInstance, deps: KubeApiDeps): void {
  app.register(
    async (scope) => {
      // A declared body over kube-apiserver's limit is refused before it is read (the rest is drained, so the
      // client sees the 413 rather than a reset connection).
      scope.addHook('onRequest', async (req, reply) => {
        const declared = Number(req.headers['content-length'] ?? 0);
        if (!(declared > MAX_REQUEST_BODY_BYTES)) return;
        req.raw.resume();
        return sendStatus(reply, kubeErrors.tooLarge(MAX_REQUEST_BODY_BYTES));
      });
      scope.setErrorHandler((err, req, reply) => {
        if (reply.sent || reply.raw.headersSent) {
          req.log.warn({ err }, 'error after a Kubernetes response had started');
          reply.raw.destroy();
          return;
        }
        if (err instanceof KubeError) return sendStatus(reply, err);
        if (err instanceof SelectorError) return sendStatus(reply, kubeErrors.badRequest(err.message));
        if (err instanceof TransformError) return sendStatus(reply, kubeErrors.internal(err.message));
        if (err instanceof ClusterGoneError) return sendStatus(reply, kubeErrors.pathNotFound());
        if (err instanceof StoreUnavailableError) return sendStatus(reply, kubeErrors.storeUnavailable());
        if (err instanceof ContentionError) return sendStatus(reply, new KubeError(409, 'Conflict', `Operation cannot be fulfilled: ${err.message}`));
        const e = err as { statusCode?: number; code?: string; message: string };
        if (e.statusCode === 413 || e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendStatus(reply, kubeErrors.tooLarge(MAX_REQUEST_BODY_BYTES));
        if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return sendStatus(reply, new KubeError(e.statusCode, 'BadRequest', e.message));
        req.log.error({ err }, 'unhandled error in the Kubernetes API');
        return sendStatus(reply, kubeErrors.internal(`aksemu: ${e.message}`));
      });
      const handler = (req: FastifyRequest, reply: FastifyReply) => dispatch(deps, req as FastifyRequest<{ Params: { fqdn: string } }>, reply);
      // Every method, so that one the API does not serve gets a Status rather than ARM's answer (SPEC R-4).
      scope.route({ method: scope.supportedMethods, url: '/*', bodyLimit: MAX_REQUEST_BODY_BYTES, handler });
      scope.route({ method: scope.supportedMethods, url: '/', bodyLimit: MAX_REQUEST_BODY_BYTES, handler });
    },
    { prefix: '/_k8s/:fqdn' },
  );
}
