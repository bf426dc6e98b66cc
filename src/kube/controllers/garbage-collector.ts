/**
 * Garbage collection by owner references (SPEC W-7), for the kinds whose owners aksemu serves (ReplicaSets owned
 * by Deployments, Jobs owned by CronJobs, pods owned by ReplicaSets, DaemonSets, Jobs or StatefulSets,
 * ControllerRevisions owned by StatefulSets, PersistentVolumeClaims owned by StatefulSets or pods under a claim
 * retention policy, SPEC W-17), one level-triggered pass:
 *
 * - background: a dependent whose every owner is gone (no object with that uid) is deleted;
 * - foreground: an owner held by `foregroundDeletion` has its dependents deleted (foreground again) and loses
 *   the finalizer once none is left, which completes its deletion;
 * - orphan: an owner held by `orphan` has its owner reference removed from every dependent, then loses the
 *   finalizer.
 *
 * The add-on pods of kube-system point at owners that exist only in the emulation (system-pods.ts): they are
 * never collected.
 */
import type { Registry } from '../api/registry/registry.js';
import type { ResourceDef } from '../api/machinery/resource.js';
import type { CronJob, DaemonSet, Deployment, Job, Pod, ReplicaSet } from '../api/machinery/types.js';
import type { KubeObject } from '../../clusters/stored-object.js';
import { cronjobs as cronDef, daemonsets as dsDef, deployments as deployDef, jobs as jobDef, pods as podDef, replicasets as rsDef } from '../resources/index.js';
import { controllerrevisions as crDef, persistentvolumeclaims as pvcDef, statefulsets as stsDef } from '../resources/index.js';
import { isSystemWorkloadOwner } from './system-pods.js';
import { tolerant, type OwnerReference } from './workload-common.js';

interface Tracked {
  def: ResourceDef<any>;
  obj: KubeObject;
}

const OWNER_KINDS: Record<string, string> = { Deployment: 'apps/v1', ReplicaSet: 'apps/v1', DaemonSet: 'apps/v1', Job: 'batch/v1', CronJob: 'batch/v1', StatefulSet: 'apps/v1', Pod: 'v1' };

/** The objects of one pass, as the workload controllers listed them. */
export interface Collected {
  deployments: Deployment[];
  daemonSets: DaemonSet[];
  replicaSets: ReplicaSet[];
  jobs: Job[];
  cronJobs: CronJob[];
  pods: Pod[];
  statefulSets: KubeObject[];
  revisions: KubeObject[];
  claims: KubeObject[];
}

function refsOf(obj: KubeObject): OwnerReference[] {
  return (obj.metadata.ownerReferences as OwnerReference[] | undefined) ?? [];
}

/** Whether a reference names a kind this collector resolves (others are assumed to exist). */
function resolvable(ref: OwnerReference): boolean {
  return OWNER_KINDS[ref.kind] !== undefined && ref.apiVersion === OWNER_KINDS[ref.kind];
}

async function removeFinalizer(registry: Registry, t: Tracked, finalizer: string): Promise<void> {
  const finalizers = (t.obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
  await tolerant(registry.update(t.def, t.obj.metadata.namespace, t.obj.metadata.name!, { ...t.obj, metadata: { ...t.obj.metadata, finalizers } }));
}

export async function collectGarbage(registry: Registry, clusterUid: string, { deployments, daemonSets, replicaSets, jobs, cronJobs, statefulSets, pods, revisions, claims }: Collected): Promise<void> {
  const owners = new Map<string, Tracked>();
  for (const d of deployments) owners.set(d.metadata.uid!, { def: deployDef, obj: d });
  for (const ds of daemonSets) owners.set(ds.metadata.uid!, { def: dsDef, obj: ds });
  for (const rs of replicaSets) owners.set(rs.metadata.uid!, { def: rsDef, obj: rs });
  for (const j of jobs) owners.set(j.metadata.uid!, { def: jobDef, obj: j });
  for (const cj of cronJobs) owners.set(cj.metadata.uid!, { def: cronDef, obj: cj });
  for (const sts of statefulSets) owners.set(sts.metadata.uid!, { def: stsDef, obj: sts });
  for (const p of pods) owners.set(p.metadata.uid!, { def: podDef, obj: p });
  const dependents: Tracked[] = [
    ...replicaSets.map((obj) => ({ def: rsDef, obj })),
    ...jobs.map((obj) => ({ def: jobDef, obj })),
    ...pods.map((obj) => ({ def: podDef, obj })),
    ...revisions.map((obj) => ({ def: crDef, obj })),
    ...claims.map((obj) => ({ def: pvcDef, obj })),
  ];
  const byOwner = new Map<string, Tracked[]>();
  for (const t of dependents) for (const r of refsOf(t.obj)) byOwner.set(r.uid, [...(byOwner.get(r.uid) ?? []), t]);

  for (const [uid, owner] of owners) {
    const m = owner.obj.metadata;
    if (!m.deletionTimestamp) continue;
    const deps = (byOwner.get(uid) ?? []).filter((t) => t.obj.metadata.namespace === m.namespace);
    const finalizers = m.finalizers ?? [];
    if (finalizers.includes('orphan')) {
      for (const t of deps) {
        const ownerReferences = refsOf(t.obj).filter((r) => r.uid !== uid);
        await tolerant(registry.update(t.def, t.obj.metadata.namespace, t.obj.metadata.name!, { ...t.obj, metadata: { ...t.obj.metadata, ownerReferences } }));
      }
      if (deps.length === 0) await removeFinalizer(registry, owner, 'orphan');
    } else if (finalizers.includes('foregroundDeletion')) {
      for (const t of deps) {
        if (t.obj.metadata.deletionTimestamp) continue;
        await tolerant(registry.delete(t.def, t.obj.metadata.namespace, t.obj.metadata.name!, { propagationPolicy: 'Foreground', preconditions: { uid: t.obj.metadata.uid! } }));
      }
      if (deps.length === 0) await removeFinalizer(registry, owner, 'foregroundDeletion');
    }
  }

  for (const t of dependents) {
    const refs = refsOf(t.obj);
    if (refs.length === 0 || t.obj.metadata.deletionTimestamp) continue;
    const dangling = refs.every((r) => resolvable(r) && !isSystemWorkloadOwner(clusterUid, r) && owners.get(r.uid)?.obj.metadata.namespace !== t.obj.metadata.namespace);
    if (dangling) await tolerant(registry.delete(t.def, t.obj.metadata.namespace, t.obj.metadata.name!, { preconditions: { uid: t.obj.metadata.uid! } }));
  }
}
