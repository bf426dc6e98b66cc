/**
 * A StatefulSet's PersistentVolumeClaims (SPEC W-17): each ordinal's claims are created from the
 * volumeClaimTemplates before its pod, and never deleted by the StatefulSet controller itself. Their owner
 * references carry the persistentVolumeClaimRetentionPolicy, and the garbage collector does the rest: whenDeleted
 * Delete makes the set an owner (the claims go with the set), whenScaled Delete makes the pod of an ordinal beyond
 * the replicas the only owner (the claim goes with its pod); Retain leaves a claim without either.
 */
import type { Registry } from '../api/registry/registry.js';
import type { PersistentVolumeClaim, Pod, StatefulSet } from '../api/machinery/types.js';
import { persistentvolumeclaims as pvcDef } from '../resources/index.js';
import { deepEqual } from '../util/deep.js';
import { recordEvent } from './events.js';
import { claimsForOrdinal } from './statefulset-identity.js';
import { tolerant, type OwnerReference } from './workload-common.js';

function ownerRef(obj: { metadata: { name?: string; uid?: string } }, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: obj.metadata.name!, uid: obj.metadata.uid!, blockOwnerDeletion: true };
}

/** The owner references a claim should have under the set's retention policy (updateClaimOwnerRefForSetAndPod). */
export function claimOwners(sts: StatefulSet, claim: PersistentVolumeClaim, pod: Pod | undefined, condemned: boolean): OwnerReference[] {
  const policy = sts.spec?.persistentVolumeClaimRetentionPolicy ?? {};
  const refs = ((claim.metadata.ownerReferences as OwnerReference[] | undefined) ?? []).filter((r) => r.uid !== sts.metadata.uid && !(pod && r.uid === pod.metadata.uid));
  if (condemned && policy.whenScaled === 'Delete' && pod) return [...refs, ownerRef(pod, 'v1', 'Pod')];
  if (policy.whenDeleted === 'Delete') return [...refs, ownerRef(sts, 'apps/v1', 'StatefulSet')];
  return refs;
}

export type ClaimIndex = Map<string, PersistentVolumeClaim>;

export function indexClaims(claims: PersistentVolumeClaim[]): ClaimIndex {
  return new Map(claims.map((c) => [`${c.metadata.namespace}/${c.metadata.name}`, c]));
}

/** Creates the missing claims of an ordinal; false while one of them is still being deleted (the pod must wait). */
export async function ensureClaims(registry: Registry, sts: StatefulSet, ordinal: number, claims: ClaimIndex): Promise<boolean> {
  let ready = true;
  for (const want of claimsForOrdinal(sts, ordinal)) {
    const have = claims.get(`${want.metadata.namespace}/${want.metadata.name}`);
    if (have) {
      if (have.metadata.deletionTimestamp) ready = false;
      continue;
    }
    const owners = claimOwners(sts, want, undefined, false);
    if (owners.length > 0) want.metadata.ownerReferences = owners;
    const created = await tolerant(registry.create<PersistentVolumeClaim>(pvcDef, want.metadata.namespace, want));
    if (!created) {
      ready = false;
      continue;
    }
    claims.set(`${want.metadata.namespace}/${want.metadata.name}`, created);
    await tolerant(
      recordEvent(registry, {
        involved: { ...sts, apiVersion: 'apps/v1', kind: 'StatefulSet' },
        type: 'Normal',
        reason: 'SuccessfulCreate',
        message: `create Claim ${want.metadata.name} Pod ${sts.metadata.name}-${ordinal} in StatefulSet ${sts.metadata.name} success`,
        component: 'statefulset-controller',
      }),
    );
  }
  return ready;
}

/** Brings the owner references of an existing pod's claims in line with the retention policy. */
export async function syncClaimOwners(registry: Registry, sts: StatefulSet, ordinal: number, pod: Pod, condemned: boolean, claims: ClaimIndex): Promise<void> {
  for (const want of claimsForOrdinal(sts, ordinal)) {
    const have = claims.get(`${want.metadata.namespace}/${want.metadata.name}`);
    if (!have || have.metadata.deletionTimestamp) continue;
    const owners = claimOwners(sts, have, pod, condemned);
    if (deepEqual(owners, have.metadata.ownerReferences ?? [])) continue;
    const metadata = { ...have.metadata, ownerReferences: owners };
    if (owners.length === 0) delete (metadata as { ownerReferences?: unknown }).ownerReferences;
    const stored = await tolerant(registry.update<PersistentVolumeClaim>(pvcDef, have.metadata.namespace, have.metadata.name!, { ...have, metadata }));
    if (stored) claims.set(`${have.metadata.namespace}/${have.metadata.name}`, stored.obj);
  }
}
