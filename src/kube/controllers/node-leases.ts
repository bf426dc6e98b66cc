/**
 * Node heartbeats as leases (kube-node-lease/<node>, what `kubectl describe node` shows as Lease): the fleet's
 * kubelets report their heartbeat in the Node's Ready condition; this mirrors it into the node's Lease
 * (holderIdentity, renewTime, leaseDurationSeconds 40, owned by the Node), and removes the leases of nodes that
 * are gone.
 */
import type { Registry } from '../api/registry/registry.js';
import type { Lease, Node } from '../api/machinery/types.js';
import { KubeError } from '../api/machinery/errors.js';
import { leases as leaseDef } from '../resources/index.js';

const NS = 'kube-node-lease';

function heartbeat(n: Node): string | undefined {
  const ready = (n.status?.conditions ?? []).find((c) => c.type === 'Ready');
  const t = ready?.lastHeartbeatTime ?? n.metadata.creationTimestamp;
  return t ? new Date(t).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') : undefined;
}

export async function reconcileNodeLeases(registry: Registry, nodes: Node[]): Promise<void> {
  const existing = new Map((await registry.list<Lease>(leaseDef, NS)).items.map((l) => [l.metadata.name!, l]));
  try {
    for (const n of nodes) {
      const name = n.metadata.name!;
      const renewTime = heartbeat(n);
      const current = existing.get(name);
      existing.delete(name);
      if (current && current.spec?.renewTime === renewTime) continue;
      const lease: Lease = {
        metadata: {
          name,
          namespace: NS,
          ...(current ? { resourceVersion: current.metadata.resourceVersion } : {}),
          ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: n.metadata.uid! }],
        },
        spec: { holderIdentity: name, leaseDurationSeconds: 40, ...(renewTime ? { renewTime } : {}) },
      };
      if (current) await registry.update(leaseDef, NS, name, lease);
      else await registry.create(leaseDef, NS, lease);
    }
    for (const stale of existing.values()) {
      if ((stale.metadata.ownerReferences ?? []).some((o) => o.kind === 'Node')) await registry.delete(leaseDef, NS, stale.metadata.name!, {});
    }
  } catch (err) {
    // A conflicting writer or a namespace not there yet: the next pass sees the new state.
    if (!(err instanceof KubeError && [403, 404, 409].includes(err.code))) throw err;
  }
}
