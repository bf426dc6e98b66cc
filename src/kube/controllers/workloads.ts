/**
 * The workload controllers of one pass, in upstream's order of dependence (SPEC W-5..W-8): the garbage collector, the
 * Deployment controller (ReplicaSets), the ReplicaSet controller (pods) and the DaemonSet controller (a pod per node),
 * each on what the store holds now.
 */
import type { Registry } from '../api/registry/registry.js';
import type { DaemonSet, Deployment, Node, Pod, ReplicaSet } from '../api/machinery/types.js';
import { daemonsets as dsDef, deployments as deployDef, nodes as nodeDef, pods as podDef, replicasets as rsDef } from '../resources/index.js';
import { reconcileDaemonSets } from './daemonsets.js';
import { collectGarbage } from './garbage-collector.js';
import { reconcileDeployments } from './deployments.js';
import { reconcileReplicaSets } from './replicasets.js';
import { earliest } from './workload-common.js';

/** Runs them; answers the emulated time at which one of them is due again (availability, deadlines). */
export async function reconcileWorkloads(registry: Registry, clusterUid: string): Promise<number | undefined> {
  const deployments = (await registry.list<Deployment>(deployDef, undefined)).items;
  let replicaSets = (await registry.list<ReplicaSet>(rsDef, undefined)).items;
  let pods = (await registry.list<Pod>(podDef, undefined)).items;
  const daemonSets = (await registry.list<DaemonSet>(dsDef, undefined)).items;
  await collectGarbage(registry, clusterUid, deployments, daemonSets, replicaSets, pods);
  const deploymentsDue = await reconcileDeployments(registry, deployments, replicaSets);
  replicaSets = (await registry.list<ReplicaSet>(rsDef, undefined)).items;
  pods = (await registry.list<Pod>(podDef, undefined)).items;
  const replicaSetsDue = await reconcileReplicaSets(registry, replicaSets, pods);
  pods = (await registry.list<Pod>(podDef, undefined)).items;
  const nodes = (await registry.list<Node>(nodeDef, undefined)).items;
  return earliest(earliest(deploymentsDue, replicaSetsDue), await reconcileDaemonSets(registry, daemonSets, nodes, pods));
}
