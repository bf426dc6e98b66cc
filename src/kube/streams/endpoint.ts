/**
 * pods/attach and pods/exec (SPEC C-9): the HTTP upgrades kubectl makes for `kubectl debug node/... -it`,
 * `kubectl attach` and `kubectl exec`, on `/_k8s/<fqdn>/api/v1/namespaces/<ns>/pods/<name>/{attach,exec}` (the
 * front door routes `https://<fqdn>` and the kubeconfig's SNI there, as for every cluster request).
 *
 * The request is checked as every cluster request is (the cluster exists, its API is up, a bearer token valid for
 * it: 401 otherwise), then as kube-apiserver and the kubelet check a stream (target.ts), and answered with a
 * Kubernetes Status on any failure. Then:
 *
 * - WebSocket (`Upgrade: websocket`, GET; kubectl ≥ 1.30 by default, 1.29 with KUBECTL_REMOTE_COMMAND_WEBSOCKETS=
 *   true) with subprotocol v5.channel.k8s.io or v4.channel.k8s.io: served (channel.ts, session.ts);
 * - SPDY/3.1 (kubectl ≤ 1.28, and 1.29 by default; kubectl ≥ 1.30 falls back to it only when the WebSocket
 *   upgrade fails): not served; a 400 Status says which kubectl builds work.
 *
 * A GET or POST without an upgrade is answered as kube-apiserver does: 400 "Upgrade request required".
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import type { TokenService } from '../../identity/tokens.js';
import type { Store } from '../../store/store.js';
import { StoreUnavailableError } from '../../store/store.js';
import { KubeError, kubeErrors } from '../api/machinery/errors.js';
import type { Registry } from '../api/registry/registry.js';
import { authenticate } from '../auth.js';
import { forbidden, type ResourceAttributes } from '../authorization/attributes.js';
import { ClusterAuthorizer, type DataActionCheck } from '../authorization/authorizer.js';
import { impersonate } from '../authorization/impersonation.js';
import type { ClusterView } from '../clusters.js';
import { ClusterGoneError, TransformError } from '../storage/object-storage.js';
import { ChannelConnection, CHANNEL_PROTOCOLS, selectProtocol } from './channel.js';
import { reportContainerExit } from './container-exit.js';
import { NodeDebugShell, type DebugTarget } from './node-debug-shell.js';
import { runAttach, runExec, type ContainerProcess } from './session.js';
import { debuggingContainer, nodeFacts, noProcess, parseStreamOptions, resolveStreamTarget, type StreamKind, type StreamOptions, type StreamTarget } from './target.js';

export interface PodStreamDeps {
  tokens: TokenService;
  store: Store;
  cluster(fqdn: string): Promise<ClusterView | undefined>;
  registry(cluster: ClusterView): Registry;
  /** Why the cluster's API server is down, or undefined. */
  unavailable?(cluster: ClusterView): Promise<string | undefined>;
  log?: { warn(obj: object, msg: string): void };
  /** Azure RBAC for Kubernetes (SPEC Z-3). */
  dataActionGranted: DataActionCheck;
}

const STREAM_PATH = /^\/_k8s\/([^/?]+)\/api\/v1\/namespaces\/([^/?]+)\/pods\/([^/?]+)\/(attach|exec)$/;

/** What kubectl builds can do here, for the SPDY refusal. */
export const SPDY_REFUSAL =
  'aksemu serves pods/attach and pods/exec over WebSockets (v5.channel.k8s.io, v4.channel.k8s.io) and not over SPDY/3.1: ' +
  'use kubectl 1.30 or later (WebSockets by default), or kubectl 1.29 with KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true';

function writeStatus(socket: Duplex, err: KubeError): void {
  const body = JSON.stringify(err.toStatus());
  const head = [`HTTP/1.1 ${err.code} ${STATUS_CODES[err.code] ?? 'Error'}`, 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close'];
  for (const [k, v] of Object.entries(err.headers ?? {})) head.push(`${k}: ${v}`);
  if (!socket.destroyed) socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

function asKubeError(err: unknown): KubeError | undefined {
  if (err instanceof KubeError) return err;
  if (err instanceof TransformError) return kubeErrors.internal(err.message);
  if (err instanceof ClusterGoneError) return kubeErrors.pathNotFound();
  if (err instanceof StoreUnavailableError) return kubeErrors.storeUnavailable();
  return undefined;
}

export interface StreamRequest {
  kind: StreamKind;
  cluster: ClusterView;
  registry: Registry;
  opts: StreamOptions;
  target: StreamTarget;
  debug: DebugTarget;
}

/**
 * Checks a stream request up to the container's process (target.ts); throws KubeErrors. The upgrade (a GET) is
 * authorized as kube-apiserver 1.32 authorizes it: `get` on `pods/attach` or `pods/exec` (SPEC Z-3).
 */
export async function checkStreamRequest(deps: PodStreamDeps, fqdn: string, kind: StreamKind, namespace: string, name: string, query: URLSearchParams, headers: IncomingHttpHeaders): Promise<StreamRequest> {
  const cluster = await deps.cluster(fqdn.toLowerCase());
  if (!cluster) throw kubeErrors.pathNotFound();
  const authenticated = await authenticate(deps.tokens, { headers: { authorization: headers.authorization } }, cluster);
  const down = deps.unavailable ? await deps.unavailable(cluster) : undefined;
  if (down) throw new KubeError(503, 'ServiceUnavailable', down);
  if (!authenticated) throw kubeErrors.unauthorized();
  const registry = deps.registry(cluster);
  const authz = new ClusterAuthorizer(registry, cluster.config, deps.dataActionGranted);
  const user = await impersonate(authz, authenticated, headers);
  const attributes: ResourceAttributes = { resourceRequest: true, verb: 'get', apiGroup: '', apiVersion: 'v1', resource: 'pods', subresource: kind, namespace, name };
  const decision = await authz.authorize(user, attributes);
  if (!decision.allowed) throw forbidden(user.username, attributes, decision.reason);
  const opts = parseStreamOptions(kind, query);
  const target = await resolveStreamTarget(registry, kind, namespace, name, opts);
  const debugging = debuggingContainer(target.pod, target.container);
  if (!debugging) throw noProcess(kind, target);
  const { facts, instance } = await nodeFacts(deps.store, cluster.record.uid, target.node);
  if (!facts) {
    // The kubelet does not answer: kube-apiserver's proxy error.
    const ip = instance?.privateIp ?? target.pod.status?.hostIP ?? target.node;
    throw new KubeError(500, 'InternalError', `error dialing backend: dial tcp ${ip}:10250: connect: connection refused`);
  }
  const debug: DebugTarget = {
    facts,
    hostRoot: debugging.hostRoot,
    image: target.container.image ?? '',
    hostname: target.pod.spec?.hostNetwork ? facts.hostname : target.pod.metadata.name!,
  };
  return { kind, cluster, registry, opts, target, debug };
}

export class PodStreams {
  /** Made on the first stream: most instances never open one, and `ws` is a noticeable part of a start-up. */
  private wss: Promise<WebSocketServer> | undefined;
  /** Container processes (attach), by cluster, pod and container id: the shell lives as long as the container. */
  private readonly processes = new Map<string, ContainerProcess>();

  constructor(private readonly deps: PodStreamDeps) {}

  /** The front door's upgrade hook: true when the request is a pod stream (answered here, asynchronously). */
  readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    const url = new URL(req.url ?? '/', 'https://kube.invalid');
    const m = STREAM_PATH.exec(url.pathname);
    if (!m) {
      if (!url.pathname.startsWith('/_k8s/')) return false;
      writeStatus(socket, kubeErrors.pathNotFound());
      return true;
    }
    socket.on('error', () => socket.destroy());
    let parts: string[];
    try {
      parts = m.slice(1, 4).map((p) => decodeURIComponent(p));
    } catch {
      writeStatus(socket, kubeErrors.badRequest('the request path contains an invalid escape sequence'));
      return true;
    }
    const [fqdn, namespace, name] = parts as [string, string, string];
    this.serve(req, socket, head, fqdn, m[4] as StreamKind, namespace, name, url.searchParams).catch((err: unknown) => {
      const kerr = asKubeError(err);
      if (!kerr) this.deps.log?.warn({ err }, 'pod stream failed');
      writeStatus(socket, kerr ?? kubeErrors.internal(`aksemu: ${(err as Error).message}`));
    });
    return true;
  };

  private async serve(req: IncomingMessage, socket: Duplex, head: Buffer, fqdn: string, kind: StreamKind, namespace: string, name: string, query: URLSearchParams): Promise<void> {
    const s = await checkStreamRequest(this.deps, fqdn, kind, namespace, name, query, req.headers);
    const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
    if (upgrade.startsWith('spdy/')) throw kubeErrors.badRequest(SPDY_REFUSAL);
    if (upgrade !== 'websocket') throw kubeErrors.badRequest(`unable to upgrade: the upgrade ${JSON.stringify(req.headers.upgrade ?? '')} is not supported; ${SPDY_REFUSAL}`);
    if (req.method !== 'GET') throw kubeErrors.badRequest(`a WebSocket upgrade is a GET request, not ${req.method}`);
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').filter((p) => p.trim() !== '');
    const protocol = selectProtocol(offered);
    if (!protocol) {
      throw kubeErrors.badRequest(`unable to upgrade: unable to negotiate protocol: client supports [${offered.map((p) => p.trim()).join(' ')}], server supports [${CHANNEL_PROTOCOLS.join(' ')}]`);
    }
    const wss = await (this.wss ??= import('ws').then(({ WebSocketServer }) => new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false })));
    if (socket.destroyed) return;
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new ChannelConnection(ws, protocol);
      if (kind === 'exec') return runExec(conn, s.opts, new NodeDebugShell(s.debug), s.target.containerId);
      this.attach(conn, s);
    });
  }

  private attach(conn: ChannelConnection, s: StreamRequest): void {
    const { pod, container, containerId } = s.target;
    const key = `${s.cluster.record.uid}/${pod.metadata.uid}/${container.name}/${containerId}`;
    let proc = this.processes.get(key);
    if (!proc) {
      proc = { shell: new NodeDebugShell(s.debug), started: false };
      this.processes.set(key, proc);
    }
    runAttach(conn, s.opts, proc, { tty: container.tty === true, stdinOnce: container.stdinOnce === true }, (code) => {
      this.processes.delete(key);
      reportContainerExit(s.registry, pod.metadata.namespace!, pod.metadata.name!, container.name, containerId, code).catch((err: unknown) =>
        this.deps.log?.warn({ err }, 'could not report the container exit'),
      );
    });
  }
}
