/**
 * The workload controllers of one pass, in upstream's order of dependence (SPEC W-5..W-7): the garbage collector, the
 * Deployment controller (ReplicaSets) and the ReplicaSet controller (pods), each on what the store holds now.
 */
import type { Registry } from '../api/registry/registry.js';
import type { Deployment, Pod, ReplicaSet } from '../api/machinery/types.js';
import { deployments as deployDef, pods as podDef, replicasets as rsDef } from '../resources/index.js';
import { collectGarbage } from './garbage-collector.js';
import { reconcileDeployments } from './deployments.js';
import { reconcileReplicaSets } from './replicasets.js';
import { earliest } from './workload-common.js';

/** Runs the three; answers the emulated time at which one of them is due again (availability, deadlines). */
export async function reconcileWorkloads(registry: Registry, clusterUid: string): Promise<number | undefined> {
  const deployments = (await registry.list<Deployment>(deployDef, undefined)).items;
  let replicaSets = (await registry.list<ReplicaSet>(rsDef, undefined)).items;
  let pods = (await registry.list<Pod>(podDef, undefined)).items;
  await collectGarbage(registry, clusterUid, deployments, replicaSets, pods);
  const deploymentsDue = await reconcileDeployments(registry, deployments, replicaSets);
  replicaSets = (await registry.list<ReplicaSet>(rsDef, undefined)).items;
  pods = (await registry.list<Pod>(podDef, undefined)).items;
  return earliest(deploymentsDue, await reconcileReplicaSets(registry, replicaSets, pods));
}
