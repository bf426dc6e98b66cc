/**
 * A StatefulSet's ControllerRevisions (SPEC W-16), as upstream's controller keeps them: one per template, named
 * `<set>-<hash>`, labelled with the template's labels and `controller.kubernetes.io/hash`, numbered in order; a
 * template that returns (a `rollout undo`) makes its old revision the newest again; a name taken by another
 * template raises status.collisionCount; revisions beyond revisionHistoryLimit that no pod and neither the
 * current nor the update revision uses are deleted, oldest first.
 */
import type { Registry } from '../api/registry/registry.js';
import type { ControllerRevision, Pod, StatefulSet } from '../api/machinery/types.js';
import { controllerrevisions as crDef } from '../resources/index.js';
import { deepEqual } from '../util/deep.js';
import { REVISION_HASH_LABEL, REVISION_LABEL, revisionData, revisionName, templateOfRevision } from './statefulset-identity.js';
import { controllerRef, controllerUid, tolerant } from './workload-common.js';

export interface SetRevisions {
  current: ControllerRevision;
  update: ControllerRevision;
  collisionCount: number;
}

/** Finds or writes the update revision and reads the current one; undefined while a write must be retried. */
export async function syncRevisions(registry: Registry, sts: StatefulSet, all: ControllerRevision[]): Promise<SetRevisions | undefined> {
  const ns = sts.metadata.namespace;
  const owned = all.filter((cr) => cr.metadata.namespace === ns && controllerUid(cr) === sts.metadata.uid);
  const maxRevision = owned.reduce((m, cr) => Math.max(m, cr.revision ?? 0), 0);
  let collisionCount = sts.status?.collisionCount ?? 0;
  const equal = owned.filter((cr) => deepEqual(templateOfRevision(cr.data), sts.spec?.template)).sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
  let update = equal[equal.length - 1];
  if (update && (update.revision ?? 0) < maxRevision) {
    const stored = await tolerant(registry.update(crDef, ns, update.metadata.name!, { ...update, revision: maxRevision + 1 }));
    if (!stored) return undefined;
    update = stored.obj as ControllerRevision;
  }
  if (!update) {
    let next = revisionName(sts, collisionCount);
    while (all.some((cr) => cr.metadata.namespace === ns && cr.metadata.name === next.name)) next = revisionName(sts, ++collisionCount);
    const { name, hash } = next;
    const cr: ControllerRevision = {
      metadata: {
        name,
        namespace: ns,
        labels: { ...(sts.spec?.template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash },
        ownerReferences: [controllerRef(sts, 'apps/v1', 'StatefulSet')],
      },
      data: revisionData(sts.spec?.template) as unknown as object,
      revision: maxRevision + 1,
    };
    const created = await tolerant(registry.create<ControllerRevision>(crDef, ns, cr));
    if (!created) return undefined;
    update = created;
    owned.push(created);
  }
  const current = owned.find((cr) => cr.metadata.name === sts.status?.currentRevision) ?? update;
  return { current, update, collisionCount };
}

/** Deletes the revisions beyond revisionHistoryLimit that nothing uses, lowest revision first. */
export async function truncateHistory(registry: Registry, sts: StatefulSet, all: ControllerRevision[], pods: Pod[], revisions: SetRevisions): Promise<void> {
  const live = new Set([revisions.current.metadata.name, revisions.update.metadata.name, ...pods.map((p) => p.metadata.labels?.[REVISION_LABEL])]);
  const idle = all
    .filter((cr) => cr.metadata.namespace === sts.metadata.namespace && controllerUid(cr) === sts.metadata.uid && !live.has(cr.metadata.name) && !cr.metadata.deletionTimestamp)
    .sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
  const extra = idle.length - (sts.spec?.revisionHistoryLimit ?? 10);
  for (const cr of idle.slice(0, Math.max(0, extra))) {
    await tolerant(registry.delete(crDef, cr.metadata.namespace, cr.metadata.name!, { preconditions: { uid: cr.metadata.uid! } }));
  }
}
