/**
 * v1 Nodes, registered by the fleet's "kubelets" (src/kube/stored-object.ts contract). The API serves them with
 * the seed's `kubectl get nodes` columns (SPEC C-3: NAME STATUS ROLES AGE VERSION) and lets users label, cordon
 * and delete them.
 */
import type { ResourceDef } from '../api/machinery/resource.js';
import type { Node } from '../api/machinery/types.js';
import { age } from '../util/age.js';
import { AGE_COLUMN, NAME_COLUMN, column, orNone } from './common.js';

const ROLE_LABEL_PREFIX = 'node-role.kubernetes.io/';

/** Roles as kubectl derives them: `node-role.kubernetes.io/<role>` keys and the `kubernetes.io/role` value. */
export function nodeRoles(n: Node): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(n.metadata.labels ?? {})) {
    if (k.startsWith(ROLE_LABEL_PREFIX) && k.length > ROLE_LABEL_PREFIX.length) roles.add(k.slice(ROLE_LABEL_PREFIX.length));
    else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return [...roles].sort();
}

export function nodeReady(n: Node): boolean {
  return (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function nodeStatusText(n: Node): string {
  const status: string[] = [];
  const ready = (n.status?.conditions ?? []).find((c) => c.type === 'Ready');
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  if (status.length === 0) status.push('Unknown');
  if (n.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

function address(n: Node, type: string): string {
  return orNone((n.status?.addresses ?? []).find((a) => a.type === type)?.address);
}

export const nodes: ResourceDef<Node> = {
  group: '',
  version: 'v1',
  resource: 'nodes',
  singular: 'node',
  kind: 'Node',
  namespaced: false,
  shortNames: ['no'],
  verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: [{ name: 'status', kind: 'Node', verbs: ['get', 'patch', 'update'] }],
  model: 'V1Node',
  nameFormat: 'subdomain',
  allowCreateOnUpdate: false,
  returnDeletedObject: false,
  hasStatus: true,
  generation: false,
  fieldSelectors: { 'spec.unschedulable': (n) => String(n.spec?.unschedulable ?? false) },
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    AGE_COLUMN,
    column('Version', 'string', 'Kubelet Version reported by the node.'),
    column('Internal-IP', 'string', 'List of addresses reachable to the node. Queried from cloud provider, if available.', 1),
    column('External-IP', 'string', 'List of addresses reachable to the node. Queried from cloud provider, if available.', 1),
    column('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
    column('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
    column('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
  ],
  cells: (n, ctx) => {
    const info = n.status?.nodeInfo;
    return [
      n.metadata.name,
      nodeStatusText(n),
      nodeRoles(n).join(',') || '<none>',
      age(n.metadata.creationTimestamp, ctx.now),
      info?.kubeletVersion ?? '',
      address(n, 'InternalIP'),
      address(n, 'ExternalIP'),
      info?.osImage || '<unknown>',
      info?.kernelVersion || '<unknown>',
      info?.containerRuntimeVersion || '<unknown>',
    ];
  },
  prepareForUpdate: (n, old, subresource) => {
    if (subresource === 'status') n.spec = old.spec;
    else n.status = old.status;
  },
};
