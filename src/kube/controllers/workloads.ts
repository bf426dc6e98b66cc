/**
 * The workload controllers of one pass, in upstream's order of dependence (SPEC W-5..W-11, W-15..W-17): the garbage
 * collector, the Deployment controller (ReplicaSets), the ReplicaSet controller (pods), the DaemonSet controller (a
 * pod per node), the CronJob controller (Jobs), the Job controller (pods) and the StatefulSet controller (revisions,
 * claims and pods), each on what the cluster's informers hold now (the writes of the controllers before it included).
 */
import type { Registry } from '../api/registry/registry.js';
import type { Lister } from './informers.js';
import type { ControllerRevision, CronJob, DaemonSet, Deployment, Job, Node, PersistentVolumeClaim, Pod, ReplicaSet, StatefulSet } from '../api/machinery/types.js';
import type { Speed } from '../../runtime/clock.js';
import {
  controllerrevisions as crDef,
  cronjobs as cronDef,
  daemonsets as dsDef,
  deployments as deployDef,
  jobs as jobDef,
  nodes as nodeDef,
  persistentvolumeclaims as pvcDef,
  pods as podDef,
  replicasets as rsDef,
  statefulsets as stsDef,
} from '../resources/index.js';
import { reconcileCronJobs } from './cronjobs.js';
import { reconcileDaemonSets } from './daemonsets.js';
import { collectGarbage } from './garbage-collector.js';
import { reconcileDeployments } from './deployments.js';
import { reconcileJobs } from './jobs.js';
import { reconcileReplicaSets } from './replicasets.js';
import { reconcileStatefulSets } from './statefulsets.js';
import { earliest } from './workload-common.js';

/** Runs them; answers the emulated time at which one of them is due again (availability, deadlines, schedules). */
export async function reconcileWorkloads(registry: Registry, lister: Lister, clusterUid: string, speed: Speed): Promise<number | undefined> {
  const deployments = await lister.list<Deployment>(deployDef);
  let replicaSets = await lister.list<ReplicaSet>(rsDef);
  let pods = await lister.list<Pod>(podDef);
  const daemonSets = await lister.list<DaemonSet>(dsDef);
  const cronJobs = await lister.list<CronJob>(cronDef);
  let jobs = await lister.list<Job>(jobDef);
  const statefulSets = await lister.list<StatefulSet>(stsDef);
  let revisions = await lister.list<ControllerRevision>(crDef);
  let claims = await lister.list<PersistentVolumeClaim>(pvcDef);
  await collectGarbage(registry, clusterUid, { deployments, daemonSets, replicaSets, jobs, cronJobs, statefulSets, pods, revisions, claims });
  const deploymentsDue = await reconcileDeployments(registry, deployments, replicaSets);
  replicaSets = await lister.list<ReplicaSet>(rsDef);
  pods = await lister.list<Pod>(podDef);
  const replicaSetsDue = await reconcileReplicaSets(registry, replicaSets, pods);
  pods = await lister.list<Pod>(podDef);
  const nodes = await lister.list<Node>(nodeDef);
  let due = earliest(earliest(deploymentsDue, replicaSetsDue), await reconcileDaemonSets(registry, daemonSets, nodes, pods));
  jobs = await lister.list<Job>(jobDef);
  due = earliest(due, await reconcileCronJobs(registry, cronJobs, jobs));
  jobs = await lister.list<Job>(jobDef);
  pods = await lister.list<Pod>(podDef);
  due = earliest(due, await reconcileJobs(registry, jobs, pods, (ms) => speed.delay(ms)));
  if (statefulSets.length === 0) return due;
  pods = await lister.list<Pod>(podDef);
  revisions = await lister.list<ControllerRevision>(crDef);
  claims = await lister.list<PersistentVolumeClaim>(pvcDef);
  return earliest(due, await reconcileStatefulSets(registry, statefulSets, pods, revisions, claims));
}
