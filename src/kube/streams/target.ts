/**
 * What a pods/attach or pods/exec request is for, checked the way kube-apiserver checks it before it connects to
 * the kubelet (pod registry streamLocation) and the way the kubelet then checks it:
 *
 *   the pod exists (404 NotFound), the container is one of its containers (400), the pod has a node (400), the
 *   options name at least one stream and exec a command (400), the container is running (400, kubectl's words
 *   for a completed pod), and the container has a process aksemu can run: a node-debugging container (SPEC C-9).
 *
 * aksemu runs no container images. The containers that get a process (a shell on their node, node-debug-shell.ts)
 * are the debugging ones: a container mounting the node's root file system (a hostPath volume of `/`, as
 * `kubectl debug node/...` makes with its default, general and sysadmin profiles), or an interactive one (stdin
 * and tty, as `-it` makes: the baseline, restricted and netadmin profiles mount no host root, and their shell sees
 * only the node's kernel, /proc and /sys). Any other container is refused with a message that says so.
 */
import { listJson } from '../../store/json.js';
import type { Store } from '../../store/store.js';
import type { InstanceRecord, NodeFacts } from '../../fleet/model.js';
import { KubeError, kubeErrors } from '../api/machinery/errors.js';
import type { Registry } from '../api/registry/registry.js';
import type { Container, Pod } from '../api/machinery/types.js';
import { pods as podDef } from '../resources/index.js';

export type StreamKind = 'attach' | 'exec';

/** PodAttachOptions / PodExecOptions from the query (kubectl sends `stdin=true`, `command=` repeated). */
export interface StreamOptions {
  container: string | undefined;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  command: string[];
}

function flag(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null) return false;
  if (v === '' || v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw kubeErrors.badRequest(`${name}: Invalid value: ${JSON.stringify(v)}: must be a boolean`);
}

export function parseStreamOptions(kind: StreamKind, q: URLSearchParams): StreamOptions {
  const opts: StreamOptions = {
    container: q.get('container') || undefined,
    stdin: flag(q, 'stdin'),
    stdout: flag(q, 'stdout'),
    stderr: flag(q, 'stderr'),
    tty: flag(q, 'tty'),
    command: kind === 'exec' ? q.getAll('command') : [],
  };
  if (!opts.stdin && !opts.stdout && !opts.stderr) throw kubeErrors.badRequest('you must specify at least 1 of stdin, stdout, stderr');
  if (kind === 'exec' && opts.command.length === 0) throw kubeErrors.badRequest('you must specify at least 1 command');
  // The kubelet: a terminal has no separate stderr.
  if (opts.tty) opts.stderr = false;
  return opts;
}

export interface StreamTarget {
  pod: Pod;
  container: Container;
  containerId: string;
  node: string;
}

/** Resolves and checks the pod and container a stream request names (kube-apiserver's and the kubelet's checks). */
export async function resolveStreamTarget(registry: Registry, kind: StreamKind, namespace: string, name: string, opts: StreamOptions): Promise<StreamTarget> {
  const pod = await registry.get<Pod>(podDef, namespace, name);
  const containers = pod.spec?.containers ?? [];
  let containerName = opts.container;
  if (!containerName) {
    if (containers.length === 1) containerName = containers[0]!.name;
    else if (containers.length === 0) throw kubeErrors.badRequest(`a container name must be specified for pod ${name}`);
    else throw kubeErrors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.map((c) => c.name).join(' ')}]`);
  }
  const container = [...containers, ...(pod.spec?.initContainers ?? [])].find((c) => c.name === containerName);
  if (!container) throw kubeErrors.badRequest(`container ${containerName} is not valid for pod ${name}`);
  const node = pod.spec?.nodeName;
  if (!node) throw kubeErrors.badRequest(`pod ${name} does not have a host assigned`);
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') {
    throw kubeErrors.badRequest(kind === 'attach' ? `cannot attach a container in a completed pod; current phase is ${phase}` : `cannot exec into a container in a completed pod; current phase is ${phase}`);
  }
  const status = (pod.status?.containerStatuses ?? []).find((s) => s.name === containerName);
  if (!status?.state?.running || !status.containerID) {
    const waiting = status?.state?.waiting?.reason ?? 'ContainerCreating';
    throw kubeErrors.badRequest(`container ${containerName} is not running (${status?.state?.terminated ? 'terminated' : waiting}): unable to ${kind === 'attach' ? 'attach to' : 'exec in'} it`);
  }
  return { pod, container, containerId: status.containerID, node };
}

/** The node's root file system as the container mounts it (hostPath `/`), or undefined. */
export function hostRootMount(pod: Pod, container: Container): string | undefined {
  const hostRootVolumes = new Set((pod.spec?.volumes ?? []).filter((v) => v.hostPath && v.hostPath.path.replace(/\/+$/, '') === '').map((v) => v.name));
  return (container.volumeMounts ?? []).find((m) => hostRootVolumes.has(m.name))?.mountPath;
}

/** Whether the container is a debugging one with a shell (see above), and where it sees the node's root. */
export function debuggingContainer(pod: Pod, container: Container): { hostRoot: string | undefined } | undefined {
  const hostRoot = hostRootMount(pod, container);
  if (hostRoot) return { hostRoot };
  if (container.stdin && container.tty) return { hostRoot: undefined };
  return undefined;
}

/** The facts of a node of cluster `uid` (the fleet's instance record), if it is running. */
export async function nodeFacts(store: Store, uid: string, node: string): Promise<{ facts?: NodeFacts; instance?: InstanceRecord }> {
  const instance = (await listJson<InstanceRecord>(store, `/fleet/${uid}/instances/`)).map((d) => d.value).find((i) => i.name.toLowerCase() === node.toLowerCase());
  return { ...(instance ? { instance } : {}), ...(instance?.state === 'Running' && instance.facts ? { facts: instance.facts } : {}) };
}

/** The refusal for a container aksemu has no process for (it runs no images). */
export function noProcess(kind: StreamKind, target: StreamTarget): KubeError {
  const ns = target.pod.metadata.namespace;
  const verb = kind === 'attach' ? 'attach to' : 'exec in';
  return kubeErrors.badRequest(
    `aksemu does not run container images: container ${target.container.name} of pod ${ns}/${target.pod.metadata.name} (image ${target.container.image}) has no process to ${verb}. ` +
      `Only debugging containers get a shell on their node: ones that mount the node's root file system (kubectl debug node/<node> -it --image=...) or ask for an interactive terminal (stdin and tty).`,
  );
}
