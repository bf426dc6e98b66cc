/**
 * The Deployment controller (SPEC W-6), one level-triggered pass per Deployment: a ReplicaSet per pod-template
 * hash (named `<deployment>-<hash>`, labelled and selected by pod-template-hash), the revision annotation on the
 * new ReplicaSet and the Deployment, RollingUpdate within maxSurge/maxUnavailable or Recreate, no rollout while
 * paused (scaling only), old ReplicaSets beyond revisionHistoryLimit deleted, and the status kubectl's
 * `rollout status` reads: counts, observedGeneration and the Available/Progressing conditions with upstream's
 * reasons. The step arithmetic is in deployment-rollout.ts.
 */
import type { Registry } from '../api/registry/registry.js';
import type { Deployment, ReplicaSet } from '../api/machinery/types.js';
import { deployments as deployDef, replicasets as rsDef } from '../resources/index.js';
import { clone, deepEqual } from '../util/deep.js';
import { recordEvent } from './events.js';
import { HASH_LABEL, REVISION, byRevision, fenceposts, revisionOf, rollingNewReplicas, rollingOldReplicas, sameTemplate, templateHash } from './deployment-rollout.js';
import { adoptOrphans, controllerRef, controllerUid, earliest, tolerant } from './workload-common.js';
import { deploymentStatus } from './deployment-status.js';

/** Annotations of a Deployment that are not copied to its ReplicaSets (skipCopyAnnotation). */
const NOT_COPIED = new Set(['kubectl.kubernetes.io/last-applied-configuration', REVISION, 'deployment.kubernetes.io/revision-history', 'deployment.kubernetes.io/desired-replicas', 'deployment.kubernetes.io/max-replicas']);

function rsAnnotations(d: Deployment, revision: bigint): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) if (!NOT_COPIED.has(k)) out[k] = v;
  out['deployment.kubernetes.io/desired-replicas'] = String(d.spec?.replicas ?? 1);
  out['deployment.kubernetes.io/max-replicas'] = String((d.spec?.replicas ?? 1) + (d.spec?.strategy?.type === 'Recreate' ? 0 : fenceposts(d).maxSurge));
  out[REVISION] = String(revision);
  return out;
}

function newReplicaSet(d: Deployment, revision: bigint, replicas: number): ReplicaSet {
  const hash = templateHash(d.spec?.template, d.status?.collisionCount ?? 0);
  const template = clone(d.spec!.template!);
  template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [HASH_LABEL]: hash } };
  return {
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace,
      labels: { ...(d.spec?.template?.metadata?.labels ?? {}), [HASH_LABEL]: hash },
      annotations: rsAnnotations(d, revision),
      ownerReferences: [controllerRef(d, 'apps/v1', 'Deployment')],
    },
    spec: {
      replicas,
      minReadySeconds: d.spec?.minReadySeconds ?? 0,
      selector: { ...clone(d.spec!.selector), matchLabels: { ...(d.spec!.selector.matchLabels ?? {}), [HASH_LABEL]: hash } },
      template,
    },
  } as ReplicaSet;
}

async function scale(registry: Registry, d: Deployment, rs: ReplicaSet, replicas: number): Promise<boolean> {
  const from = rs.spec?.replicas ?? 0;
  if (from === replicas) return false;
  const next: ReplicaSet = { ...rs, metadata: { ...rs.metadata, annotations: rsAnnotations(d, revisionOf(rs)) }, spec: { ...rs.spec!, replicas } };
  if (!(await tolerant(registry.update(rsDef, rs.metadata.namespace, rs.metadata.name!, next)))) return false;
  rs.spec = next.spec;
  await tolerant(
    recordEvent(registry, {
      involved: { ...d, apiVersion: 'apps/v1', kind: 'Deployment' },
      type: 'Normal',
      reason: 'ScalingReplicaSet',
      message: `Scaled ${replicas > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${replicas}`,
      component: 'deployment-controller',
    }),
  );
  return true;
}

/** Rolls one Deployment a step forward; answers whether its new ReplicaSet was created in this pass. */
async function rollout(registry: Registry, d: Deployment, owned: ReplicaSet[]): Promise<{ newRS: ReplicaSet | undefined; created: boolean }> {
  let newRS = owned.find((rs) => sameTemplate(rs.spec?.template, d.spec?.template));
  const old = owned.filter((rs) => rs !== newRS);
  const maxOld = old.reduce((m, rs) => (revisionOf(rs) > m ? revisionOf(rs) : m), 0n);
  const replicas = d.spec?.replicas ?? 1;
  const recreate = d.spec?.strategy?.type === 'Recreate';
  if (d.spec?.paused) {
    // Paused: no rollout, but a scale of the Deployment reaches its only active ReplicaSet.
    const active = owned.filter((rs) => (rs.spec?.replicas ?? 0) > 0);
    const target = active.length === 1 ? active[0] : active.length === 0 ? newRS : undefined;
    if (target) await scale(registry, d, target, replicas);
    return { newRS, created: false };
  }
  if (!newRS) {
    const initial = recreate ? 0 : rollingNewReplicas(d, { metadata: {}, spec: { replicas: 0, selector: {} } } as ReplicaSet, owned);
    const created = await tolerant(registry.create(rsDef, d.metadata.namespace, newReplicaSet(d, maxOld + 1n, initial)));
    if (!created) return { newRS: undefined, created: false };
    if (initial > 0) {
      await tolerant(recordEvent(registry, { involved: { ...d, apiVersion: 'apps/v1', kind: 'Deployment' }, type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled up replica set ${created.metadata.name} from 0 to ${initial}`, component: 'deployment-controller' }));
    }
    return { newRS: created, created: true };
  }
  if (revisionOf(newRS) <= maxOld) {
    // A rollback to an old template: its ReplicaSet becomes the newest revision.
    const next = { ...newRS, metadata: { ...newRS.metadata, annotations: rsAnnotations(d, maxOld + 1n) } };
    const stored = await tolerant(registry.update(rsDef, newRS.metadata.namespace, newRS.metadata.name!, next));
    if (!stored) return { newRS, created: false };
    newRS = stored.obj;
  }
  if (recreate) {
    for (const rs of old) await scale(registry, d, rs, 0);
    const oldPods = old.reduce((n, rs) => n + (rs.status?.replicas ?? 0), 0);
    if (oldPods === 0) await scale(registry, d, newRS, replicas);
    return { newRS, created: false };
  }
  if (await scale(registry, d, newRS, rollingNewReplicas(d, newRS, owned))) return { newRS, created: false };
  const downs = rollingOldReplicas(d, newRS, old);
  for (const rs of old) if (downs.has(rs.metadata.uid!)) await scale(registry, d, rs, downs.get(rs.metadata.uid!)!);
  return { newRS, created: false };
}

/** Deletes old ReplicaSets with no pods beyond revisionHistoryLimit, oldest revision first. */
async function cleanup(registry: Registry, d: Deployment, owned: ReplicaSet[], newRS: ReplicaSet | undefined): Promise<void> {
  const limit = d.spec?.revisionHistoryLimit ?? 10;
  const idle = owned.filter((rs) => rs !== newRS && rs.metadata.uid !== newRS?.metadata.uid && (rs.spec?.replicas ?? 0) === 0 && (rs.status?.replicas ?? 0) === 0 && !rs.metadata.deletionTimestamp);
  const old = owned.filter((rs) => rs.metadata.uid !== newRS?.metadata.uid).length;
  let extra = old - limit;
  for (const rs of idle.sort(byRevision)) {
    if (extra <= 0) break;
    await tolerant(registry.delete(rsDef, rs.metadata.namespace, rs.metadata.name!, { preconditions: { uid: rs.metadata.uid! } }));
    extra--;
  }
}

/** One pass over every Deployment; answers when a progress deadline falls due. */
export async function reconcileDeployments(registry: Registry, deployments: Deployment[], replicaSets: ReplicaSet[]): Promise<number | undefined> {
  let due: number | undefined;
  for (let d of deployments) {
    if (d.metadata.deletionTimestamp) continue;
    // Shallow copies: `scale` replaces an owned ReplicaSet's spec so that this pass's status sees it, and the
    // listed objects are the informers' shared snapshots.
    const owned = replicaSets.filter((rs) => controllerUid(rs) === d.metadata.uid && rs.metadata.namespace === d.metadata.namespace).map((rs) => ({ ...rs }));
    // ReplicaSets left by an orphaning delete are adopted back by a Deployment whose selector matches them.
    owned.push(...(await adoptOrphans(registry, rsDef, replicaSets, d, 'Deployment', d.spec?.selector)));
    const { newRS, created } = await rollout(registry, d, owned);
    if (!owned.some((rs) => rs.metadata.uid === newRS?.metadata.uid) && newRS) owned.push(newRS);
    await cleanup(registry, d, owned, newRS);
    const revision = newRS ? String(revisionOf(newRS)) : undefined;
    if (revision && d.metadata.annotations?.[REVISION] !== revision) {
      const next = { ...d, metadata: { ...d.metadata, annotations: { ...(d.metadata.annotations ?? {}), [REVISION]: revision } } };
      const stored = await tolerant(registry.update(deployDef, d.metadata.namespace, d.metadata.name!, next));
      if (!stored) continue;
      d = stored.obj;
    }
    const { status, due: at } = deploymentStatus(d, owned, newRS, created, registry.now());
    due = earliest(due, at);
    if (!deepEqual(status, d.status)) await tolerant(registry.update(deployDef, d.metadata.namespace, d.metadata.name!, { ...d, status }, { subresource: 'status' }));
  }
  return due;
}

