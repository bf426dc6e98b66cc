/**
 * The StatefulSet controller's pure parts (SPEC W-15, W-16, W-17): ordinals from pod names, pod identity, the
 * revision data `kubectl rollout undo` applies, the partition's choice of revision, maxUnavailable and the rolling
 * update's victims, and the claims' owners under each retention policy.
 */
import { describe, expect, it } from 'vitest';
import type { PersistentVolumeClaim, Pod, StatefulSet } from '../../src/kube/api/machinery/types.js';
import { claimOwners } from '../../src/kube/controllers/statefulset-claims.js';
import {
  claimsForOrdinal,
  maxUnavailable,
  ordinalOf,
  podForOrdinal,
  revisionData,
  rollingUpdateVictims,
  staysAtCurrentRevision,
  templateOfRevision,
  type UpdateSlot,
} from '../../src/kube/controllers/statefulset-identity.js';

const sts = (spec: Partial<NonNullable<StatefulSet['spec']>> = {}): StatefulSet =>
  ({
    metadata: { name: 'web', namespace: 'default', uid: 'set-uid' },
    spec: {
      replicas: 4,
      serviceName: 'web',
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'nginx' }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data', labels: { tier: 'db' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      ...spec,
    },
  }) as StatefulSet;

const slot = (ordinal: number, revision: string, healthy = true, terminating = false): UpdateSlot => ({ ordinal, revision, healthy, terminating });

describe('StatefulSet identity', () => {
  it('reads ordinals only from names `<set>-<n>` without leading zeros', () => {
    expect(ordinalOf('web', 'web-0')).toBe(0);
    expect(ordinalOf('web', 'web-12')).toBe(12);
    expect(ordinalOf('web', 'web-01')).toBeUndefined();
    expect(ordinalOf('web', 'web-x')).toBeUndefined();
    expect(ordinalOf('web', 'webx-1')).toBeUndefined();
    expect(ordinalOf('web', 'web-api-1')).toBeUndefined();
  });

  it('gives a pod its name, identity labels, hostname, subdomain and its claims as volumes', () => {
    const pod = podForOrdinal(sts(), sts().spec!.template, 'web-abc', 2);
    expect(pod.metadata.name).toBe('web-2');
    expect(pod.metadata.labels).toEqual({ app: 'web', 'statefulset.kubernetes.io/pod-name': 'web-2', 'apps.kubernetes.io/pod-index': '2', 'controller-revision-hash': 'web-abc' });
    expect(pod.spec!.hostname).toBe('web-2');
    expect(pod.spec!.subdomain).toBe('web');
    expect(pod.spec!.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-2' } }]);
    expect(pod.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'set-uid', controller: true, blockOwnerDeletion: true }]);
  });

  it('names claims `<template>-<set>-<ordinal>` with the template labels and the selector', () => {
    const [claim] = claimsForOrdinal(sts(), 3);
    expect(claim!.metadata.name).toBe('data-web-3');
    expect(claim!.metadata.labels).toEqual({ tier: 'db', app: 'web' });
  });

  it('records a template as a replace patch and reads it back unchanged', () => {
    const t = sts().spec!.template;
    const data = revisionData(t);
    expect(data.spec.template.$patch).toBe('replace');
    expect(templateOfRevision(data)).toEqual(t);
    expect(templateOfRevision({})).toBeUndefined();
  });
});

describe('StatefulSet rolling update arithmetic', () => {
  it('keeps ordinals below the partition at the current revision, only under RollingUpdate', () => {
    const partitioned = sts({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } });
    expect([0, 1, 2, 3].map((o) => staysAtCurrentRevision(partitioned, o))).toEqual([true, true, false, false]);
    expect(staysAtCurrentRevision(sts({ updateStrategy: { type: 'OnDelete' } }), 0)).toBe(false);
    expect(staysAtCurrentRevision(sts({ ordinals: { start: 5 }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }), 5)).toBe(true);
  });

  it('resolves maxUnavailable: 1 when unset, percentages of replicas rounded down but at least 1', () => {
    expect(maxUnavailable(sts())).toBe(1);
    expect(maxUnavailable(sts({ replicas: 10, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%' } } }))).toBe(2);
    expect(maxUnavailable(sts({ replicas: 2, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } } }))).toBe(1);
    expect(maxUnavailable(sts({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 3 } } }))).toBe(3);
  });

  it('replaces the highest outdated ordinal first, one at a time, and waits while one is unavailable', () => {
    const all = [0, 1, 2, 3];
    expect(rollingUpdateVictims([slot(0, 'old'), slot(1, 'old'), slot(2, 'old'), slot(3, 'old')], all, 'new', 1)).toEqual([3]);
    // 3 is updated but not ready yet: nothing else goes.
    expect(rollingUpdateVictims([slot(0, 'old'), slot(1, 'old'), slot(2, 'old'), slot(3, 'new', false)], all, 'new', 1)).toEqual([]);
    // 3 is still missing (being recreated): nothing else goes.
    expect(rollingUpdateVictims([slot(0, 'old'), slot(1, 'old'), slot(2, 'old')], all, 'new', 1)).toEqual([]);
    expect(rollingUpdateVictims([slot(0, 'old'), slot(1, 'old'), slot(2, 'old'), slot(3, 'new')], all, 'new', 1)).toEqual([2]);
    expect(rollingUpdateVictims([slot(0, 'old'), slot(1, 'old'), slot(2, 'old'), slot(3, 'old')], all, 'new', 2)).toEqual([3, 2]);
    // Only the ordinals at or above the partition are considered.
    expect(rollingUpdateVictims([slot(2, 'new'), slot(3, 'new')], [2, 3], 'new', 1)).toEqual([]);
    // A terminating pod is already on its way.
    expect(rollingUpdateVictims([slot(0, 'old'), slot(1, 'old', false, true)], [0, 1], 'new', 1)).toEqual([]);
  });
});

describe('claim owners under persistentVolumeClaimRetentionPolicy', () => {
  const claim = { metadata: { name: 'data-web-3', ownerReferences: [{ apiVersion: 'v1', kind: 'Other', name: 'x', uid: 'other' }] } } as unknown as PersistentVolumeClaim;
  const pod = { metadata: { name: 'web-3', uid: 'pod-uid' } } as Pod;
  const policy = (whenDeleted: string, whenScaled: string) => sts({ persistentVolumeClaimRetentionPolicy: { whenDeleted, whenScaled } });
  const uids = (s: StatefulSet, condemned: boolean) => claimOwners(s, claim, pod, condemned).map((r) => r.uid);

  it('Retain/Retain: neither the set nor the pod owns the claim', () => {
    expect(uids(policy('Retain', 'Retain'), false)).toEqual(['other']);
    expect(uids(policy('Retain', 'Retain'), true)).toEqual(['other']);
  });
  it('whenDeleted Delete: the set owns the claim', () => {
    expect(uids(policy('Delete', 'Retain'), true)).toEqual(['other', 'set-uid']);
  });
  it('whenScaled Delete: the pod beyond the replicas is the only owner, so the claim goes with it', () => {
    expect(uids(policy('Retain', 'Delete'), false)).toEqual(['other']);
    expect(uids(policy('Delete', 'Delete'), false)).toEqual(['other', 'set-uid']);
    expect(uids(policy('Delete', 'Delete'), true)).toEqual(['other', 'pod-uid']);
  });
});
