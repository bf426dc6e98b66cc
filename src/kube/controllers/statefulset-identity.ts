/**
 * The StatefulSet controller's pure parts (SPEC W-15, W-16, W-17): a pod's stable identity (`<set>-<ordinal>`, its
 * labels, hostname and subdomain, its claims `<template>-<set>-<ordinal>`), the ControllerRevision data that
 * records a template (upstream's patch form, so that `kubectl rollout undo` can apply it), the revision a new pod
 * gets under a partition, and the rolling update's choice of pods to replace within maxUnavailable.
 */
import type { PersistentVolumeClaim, Pod, PodTemplateSpec, StatefulSet } from '../api/machinery/types.js';
import { clone } from '../util/deep.js';
import { templateHash } from './deployment-rollout.js';
import { controllerRef } from './workload-common.js';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
export const REVISION_LABEL = 'controller-revision-hash';
/** The label a ControllerRevision carries with its hash (ControllerRevisionHashLabel). */
export const REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';

/** What a ControllerRevision of a StatefulSet holds: a strategic merge patch that puts its template back. */
export interface RevisionData {
  spec: { template: PodTemplateSpec & { $patch: 'replace' } };
}

export function startOrdinal(sts: StatefulSet): number {
  return sts.spec?.ordinals?.start ?? 0;
}

/** The ordinal of a pod named `<set>-<n>`, or undefined when the name is not one of the set's. */
export function ordinalOf(setName: string, podName: string): number | undefined {
  if (!podName.startsWith(`${setName}-`)) return undefined;
  const rest = podName.slice(setName.length + 1);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

export function revisionData(template: PodTemplateSpec | undefined): RevisionData {
  return { spec: { template: { ...clone(template ?? {}), $patch: 'replace' } } };
}

/** The template a revision's data records (the patch directive taken off). */
export function templateOfRevision(data: unknown): PodTemplateSpec | undefined {
  const t = (data as Partial<RevisionData> | undefined)?.spec?.template;
  if (!t) return undefined;
  const { $patch: _directive, ...template } = clone(t);
  return template;
}

/** The revision's name `<set>-<hash>`, its hash from the template and the collision count. */
export function revisionName(sts: StatefulSet, collisionCount: number): { name: string; hash: string } {
  const hash = templateHash(sts.spec?.template, collisionCount);
  return { name: `${sts.metadata.name}-${hash}`, hash };
}

export function claimName(templateName: string, setName: string, ordinal: number): string {
  return `${templateName}-${setName}-${ordinal}`;
}

/** The pod of one ordinal from a template (newStatefulSetPod): identity labels, hostname, subdomain, claims. */
export function podForOrdinal(sts: StatefulSet, template: PodTemplateSpec | undefined, revision: string, ordinal: number): Pod {
  const t = clone(template ?? {});
  const name = `${sts.metadata.name}-${ordinal}`;
  const spec = t.spec ?? { containers: [] };
  const claims = (sts.spec?.volumeClaimTemplates ?? []).map((c) => c.metadata?.name ?? '');
  const volumes = (spec.volumes ?? []).filter((v) => !claims.includes(v.name));
  for (const c of claims) volumes.push({ name: c, persistentVolumeClaim: { claimName: claimName(c, sts.metadata.name!, ordinal) } });
  if (volumes.length > 0) spec.volumes = volumes;
  spec.hostname = name;
  if (sts.spec?.serviceName) spec.subdomain = sts.spec.serviceName;
  return {
    metadata: {
      name,
      namespace: sts.metadata.namespace,
      labels: { ...(t.metadata?.labels ?? {}), [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [REVISION_LABEL]: revision },
      ...(t.metadata?.annotations ? { annotations: t.metadata.annotations } : {}),
      ownerReferences: [controllerRef(sts, 'apps/v1', 'StatefulSet')],
    },
    spec,
  } as Pod;
}

/** The claims of one ordinal from the volumeClaimTemplates, labelled with the set's selector (getPersistentVolumeClaims). */
export function claimsForOrdinal(sts: StatefulSet, ordinal: number): PersistentVolumeClaim[] {
  return (sts.spec?.volumeClaimTemplates ?? []).map((t) => {
    const c = clone(t);
    return {
      metadata: {
        name: claimName(c.metadata?.name ?? '', sts.metadata.name!, ordinal),
        namespace: sts.metadata.namespace,
        labels: { ...(c.metadata?.labels ?? {}), ...(sts.spec?.selector?.matchLabels ?? {}) },
        ...(c.metadata?.annotations ? { annotations: c.metadata.annotations } : {}),
      },
      spec: c.spec,
    } as PersistentVolumeClaim;
  });
}

/**
 * Whether a new pod of this ordinal is made at the current revision rather than the update revision
 * (newVersionedStatefulSetPod): under RollingUpdate, the ordinals below the partition stay at the current one.
 */
export function staysAtCurrentRevision(sts: StatefulSet, ordinal: number): boolean {
  const u = sts.spec?.updateStrategy;
  if (u?.type !== 'RollingUpdate') return false;
  return ordinal < startOrdinal(sts) + (u.rollingUpdate?.partition ?? 0);
}

/** maxUnavailable resolved against the replica count (percentages round down, never below 1); 1 when unset. */
export function maxUnavailable(sts: StatefulSet): number {
  const v = sts.spec?.updateStrategy?.rollingUpdate?.maxUnavailable as number | string | undefined;
  const replicas = sts.spec?.replicas ?? 1;
  if (v === undefined) return 1;
  const n = typeof v === 'number' ? v : Math.floor((Number(v.replace('%', '')) * replicas) / 100);
  return Math.max(1, n);
}

/** A pod slot of the rolling update: the pod of one ordinal at or above the partition, if it exists. */
export interface UpdateSlot {
  ordinal: number;
  revision: string | undefined;
  terminating: boolean;
  healthy: boolean;
}

/**
 * The ordinals a RollingUpdate replaces now, highest first: pods not at the update revision and not already
 * terminating, as long as no more than maxUnavailable pods of the updated range (missing, terminating or not
 * healthy ones included) are unavailable at once.
 */
export function rollingUpdateVictims(slots: UpdateSlot[], expected: number[], updateRevision: string, budget: number): number[] {
  const present = new Map(slots.map((s) => [s.ordinal, s]));
  let unavailable = expected.filter((o) => !present.get(o) || present.get(o)!.terminating || !present.get(o)!.healthy).length;
  const victims: number[] = [];
  for (const o of [...expected].sort((a, b) => b - a)) {
    const s = present.get(o);
    if (!s || s.terminating || s.revision === updateRevision) continue;
    if (!s.healthy) {
      // An unhealthy pod is already unavailable: replacing it costs nothing.
      victims.push(o);
      continue;
    }
    if (unavailable >= budget) break;
    victims.push(o);
    unavailable++;
  }
  return victims;
}
