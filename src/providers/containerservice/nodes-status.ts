/**
 * `virtualMachineNodesStatus` of VirtualMachines pools (SPEC C-14): the nodes the pool runs, counted per VM size
 * from the fleet's instances (deallocated ones do not count), in the order of the pool's sizes.
 */
import type { Fleet } from '../../fleet/fleet.js';
import type { AgentPoolDoc } from './models.js';

/** The pool as clients see it: a VirtualMachines pool with its nodes' status per size. */
export async function withNodesStatus(fleet: Fleet, uid: string, doc: AgentPoolDoc): Promise<AgentPoolDoc> {
  if (doc.properties.type !== 'VirtualMachines') return doc;
  const counts = new Map<string, number>();
  for (const inst of await fleet.instances(uid, doc.name)) {
    if (inst.state === 'Deallocated') continue;
    counts.set(inst.model.vmSize, (counts.get(inst.model.vmSize) ?? 0) + 1);
  }
  const spec = (await fleet.pool(uid, doc.name))?.spec;
  const order = [...(spec?.sizes ?? []).map((s) => s.size), ...counts.keys()];
  const sizes = [...new Set(order)].filter((s) => counts.has(s));
  return { ...doc, properties: { ...doc.properties, virtualMachineNodesStatus: sizes.map((size) => ({ size, count: counts.get(size)! })) } };
}
