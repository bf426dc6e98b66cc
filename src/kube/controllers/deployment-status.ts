/**
 * A Deployment's status from its ReplicaSets (SPEC W-6, upstream's calculateStatus and progress.go): replica
 * counts, observedGeneration, and the conditions `kubectl rollout status` and `describe` read, with upstream's
 * reasons and messages (Available: MinimumReplicasAvailable / MinimumReplicasUnavailable; Progressing:
 * NewReplicaSetCreated, ReplicaSetUpdated, NewReplicaSetAvailable, ProgressDeadlineExceeded, DeploymentPaused,
 * DeploymentResumed).
 */
import type { Deployment, ReplicaSet } from '../api/machinery/types.js';
import { kubeTime } from '../util/age.js';
import { fenceposts } from './deployment-rollout.js';

type Status = NonNullable<Deployment['status']>;
type Condition = NonNullable<Status['conditions']>[number];

const sum = (rss: ReplicaSet[], f: (rs: ReplicaSet) => number | undefined) => rss.reduce((n, rs) => n + (f(rs) ?? 0), 0);

function setCondition(conds: Condition[], c: Omit<Condition, 'lastTransitionTime' | 'lastUpdateTime'>, now: string, touch: boolean): Condition[] {
  const old = conds.find((x) => x.type === c.type);
  if (old && old.status === c.status && old.reason === c.reason && old.message === c.message && !touch) return conds;
  const next: Condition = {
    ...c,
    lastUpdateTime: now,
    lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : now,
  };
  return [...conds.filter((x) => x.type !== c.type), next].sort((a, b) => (a.type === 'Available' ? -1 : b.type === 'Available' ? 1 : 0));
}

/** The status to write and, while a rollout is in progress, when its progress deadline falls due. */
export function deploymentStatus(d: Deployment, owned: ReplicaSet[], newRS: ReplicaSet | undefined, created: boolean, nowDate: Date): { status: Status; due?: number } {
  const now = kubeTime(nowDate);
  const replicas = d.spec?.replicas ?? 1;
  const old = d.status ?? {};
  const counts = {
    replicas: sum(owned, (rs) => rs.status?.replicas),
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: sum(owned, (rs) => rs.status?.readyReplicas),
    availableReplicas: sum(owned, (rs) => rs.status?.availableReplicas),
    unavailableReplicas: Math.max(0, replicas - sum(owned, (rs) => rs.status?.availableReplicas)),
  };
  const progressed = (['updatedReplicas', 'readyReplicas', 'availableReplicas'] as const).some((k) => counts[k] > (old[k] ?? 0)) || counts.replicas < (old.replicas ?? 0);
  let conditions = old.conditions ?? [];
  const maxUnavailable = d.spec?.strategy?.type === 'Recreate' ? 0 : fenceposts(d).maxUnavailable;
  conditions = setCondition(
    conditions,
    counts.availableReplicas >= replicas - maxUnavailable
      ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
      : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
    now,
    false,
  );
  const rsName = newRS?.metadata.name ?? '';
  const progressing = conditions.find((c) => c.type === 'Progressing');
  const complete = newRS !== undefined && counts.updatedReplicas === replicas && counts.replicas === replicas && counts.availableReplicas === replicas;
  const deadline = d.spec?.progressDeadlineSeconds ?? 600;
  let due: number | undefined;
  if (d.spec?.paused) {
    conditions = setCondition(conditions, { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' }, now, false);
  } else if (progressing?.reason === 'DeploymentPaused') {
    conditions = setCondition(conditions, { type: 'Progressing', status: 'Unknown', reason: 'DeploymentResumed', message: 'Deployment is resumed' }, now, false);
  } else if (complete) {
    conditions = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` }, now, false);
  } else if (created) {
    conditions = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${rsName}"` }, now, false);
  } else if (newRS && (progressed || !progressing || progressing.reason === 'NewReplicaSetAvailable' || progressing.reason === 'DeploymentResumed')) {
    conditions = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` }, now, true);
  } else if (newRS && progressing?.status === 'True') {
    const at = Date.parse(progressing.lastUpdateTime ?? now) + deadline * 1000;
    if (at <= nowDate.getTime()) {
      conditions = setCondition(conditions, { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.` }, now, false);
    } else due = at;
  }
  const status: Status = { ...(d.metadata.generation !== undefined ? { observedGeneration: d.metadata.generation } : {}), ...(old.collisionCount !== undefined ? { collisionCount: old.collisionCount } : {}) };
  for (const [k, v] of Object.entries(counts)) if (v > 0) (status as Record<string, number>)[k] = v;
  status.conditions = conditions;
  return { status, ...(due !== undefined ? { due } : {}) };
}
