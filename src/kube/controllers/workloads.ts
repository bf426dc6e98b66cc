/**
 * The workload controllers of one pass, in upstream's order of dependence (SPEC W-5..W-11, W-15..W-17): the garbage
 * collector, the Deployment controller (ReplicaSets), the ReplicaSet controller (pods), the DaemonSet controller (a
 * pod per node), the CronJob controller (Jobs), the Job controller (pods) and the StatefulSet controller (revisions,
 * claims and pods), each on what the store holds now.
 */
import type { Registry } from '../api/registry/registry.js';
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
export async function reconcileWorkloads(registry: Registry, clusterUid: string, speed: Speed): Promise<number | undefined> {
  const deployments = (await registry.list<Deployment>(deployDef, undefined)).items;
  let replicaSets = (await registry.list<ReplicaSet>(rsDef, undefined)).items;
  let pods = (await registry.list<Pod>(podDef, undefined)).items;
  const daemonSets = (await registry.list<DaemonSet>(dsDef, undefined)).items;
  const cronJobs = (await registry.list<CronJob>(cronDef, undefined)).items;
  let jobs = (await registry.list<Job>(jobDef, undefined)).items;
  const statefulSets = (await registry.list<StatefulSet>(stsDef, undefined)).items;
  let revisions = (await registry.list<ControllerRevision>(crDef, undefined)).items;
  let claims = (await registry.list<PersistentVolumeClaim>(pvcDef, undefined)).items;
  await collectGarbage(registry, clusterUid, { deployments, daemonSets, replicaSets, jobs, cronJobs, statefulSets, pods, revisions, claims });
  const deploymentsDue = await reconcileDeployments(registry, deployments, replicaSets);
  replicaSets = (await registry.list<ReplicaSet>(rsDef, undefined)).items;
  pods = (await registry.list<Pod>(podDef, undefined)).items;
  const replicaSetsDue = await reconcileReplicaSets(registry, replicaSets, pods);
  pods = (await registry.list<Pod>(podDef, undefined)).items;
  const nodes = (await registry.list<Node>(nodeDef, undefined)).items;
  let due = earliest(earliest(deploymentsDue, replicaSetsDue), await reconcileDaemonSets(registry, daemonSets, nodes, pods));
  jobs = (await registry.list<Job>(jobDef, undefined)).items;
  due = earliest(due, await reconcileCronJobs(registry, cronJobs, jobs));
  jobs = (await registry.list<Job>(jobDef, undefined)).items;
  pods = (await registry.list<Pod>(podDef, undefined)).items;
  due = earliest(due, await reconcileJobs(registry, jobs, pods, (ms) => speed.delay(ms)));
  if (statefulSets.length === 0) return due;
  pods = (await registry.list<Pod>(podDef, undefined)).items;
  revisions = (await registry.list<ControllerRevision>(crDef, undefined)).items;
  claims = (await registry.list<PersistentVolumeClaim>(pvcDef, undefined)).items;
  return earliest(due, await reconcileStatefulSets(registry, statefulSets, pods, revisions, claims));
}
