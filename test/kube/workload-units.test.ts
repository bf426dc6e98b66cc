/**
 * The Deployment controller's arithmetic (SPEC W-6): maxSurge/maxUnavailable resolved as upstream resolves them
 * (surge rounds up, unavailability down, never both 0) and the RollingUpdate steps that stay within them.
 */
import { describe, expect, it } from 'vitest';
import type { Deployment, ReplicaSet } from '../../src/kube/api/machinery/types.js';
import { byRevision, fenceposts, revisionOf, rollingNewReplicas, rollingOldReplicas, sameTemplate, templateHash } from '../../src/kube/controllers/deployment-rollout.js';

const deploy = (replicas: number, maxSurge: number | string, maxUnavailable: number | string): Deployment =>
  ({ metadata: { name: 'd' }, spec: { replicas, selector: {}, template: {}, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } } } }) as Deployment;
const rs = (uid: string, replicas: number, available: number, revision: number): ReplicaSet =>
  ({ metadata: { uid, name: uid, annotations: { 'deployment.kubernetes.io/revision': String(revision) } }, spec: { replicas, selector: {} }, status: { replicas, availableReplicas: available } }) as ReplicaSet;

describe('RollingUpdate arithmetic', () => {
  it('resolves percentages: maxSurge rounds up, maxUnavailable down, and both 0 becomes maxUnavailable 1', () => {
    expect(fenceposts(deploy(10, '25%', '25%'))).toEqual({ maxSurge: 3, maxUnavailable: 2 });
    expect(fenceposts(deploy(3, '25%', '25%'))).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(fenceposts(deploy(1, 0, '10%'))).toEqual({ maxSurge: 0, maxUnavailable: 1 });
  });

  it('scales the new ReplicaSet up only within replicas + maxSurge', () => {
    const d = deploy(4, 1, 0);
    const newRS = rs('new', 0, 0, 2);
    expect(rollingNewReplicas(d, newRS, [newRS, rs('old', 4, 4, 1)])).toBe(1);
    expect(rollingNewReplicas(d, rs('new', 1, 0, 2), [rs('new', 1, 0, 2), rs('old', 4, 4, 1)])).toBe(1);
    expect(rollingNewReplicas(deploy(4, 2, 0), newRS, [newRS, rs('old', 4, 4, 1)])).toBe(2);
  });

  it('scales old ReplicaSets down only while replicas - maxUnavailable pods stay available, unavailable ones first', () => {
    // maxUnavailable 0: nothing goes until the new pod is available.
    expect(rollingOldReplicas(deploy(4, 1, 0), rs('new', 1, 0, 2), [rs('old', 4, 4, 1)]).size).toBe(0);
    expect(rollingOldReplicas(deploy(4, 1, 0), rs('new', 1, 1, 2), [rs('old', 4, 4, 1)]).get('old')).toBe(3);
    // maxUnavailable 2 of 4 with no surge: two old pods may go at once.
    expect(rollingOldReplicas(deploy(4, 0, 2), rs('new', 0, 0, 2), [rs('old', 4, 4, 1)]).get('old')).toBe(2);
    // Unavailable old pods are removed before available ones, oldest revision first.
    const cut = rollingOldReplicas(deploy(4, 1, 1), rs('new', 1, 1, 3), [rs('older', 2, 0, 1), rs('old', 2, 2, 2)]);
    expect(cut.get('older')).toBe(0);
  });

  it('names ReplicaSets by a stable template hash that ignores the pod-template-hash label', () => {
    const t = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'a' }] } };
    expect(templateHash(t)).toBe(templateHash(structuredClone(t)));
    expect(templateHash(t)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{10}$/);
    expect(templateHash(t)).not.toBe(templateHash({ ...t, spec: { containers: [{ name: 'c', image: 'b' }] } }));
    expect(sameTemplate(t, { ...t, metadata: { labels: { app: 'web', 'pod-template-hash': 'x' } } })).toBe(true);
    expect(sameTemplate(t, { ...t, metadata: { labels: { app: 'other' } } })).toBe(false);
  });
});

describe('Deployment revisions', () => {
  const withRevision = (revision?: string) => ({ metadata: { name: 'r', annotations: revision === undefined ? {} : { 'deployment.kubernetes.io/revision': revision } } }) as ReplicaSet;

  it('reads the revision annotation as the int64 it is upstream: exact beyond 2^53, 0 when absent or not a number', () => {
    // Kubernetes' e2e RollingUpdateDeployment spec adopts a ReplicaSet at revision 3546343826724306000 and expects
    // the next one to be 3546343826724306001; as a JavaScript number both are 3546343826724306000.
    expect(revisionOf(withRevision('3546343826724306000')) + 1n).toBe(3546343826724306001n);
    expect(revisionOf(withRevision())).toBe(0n);
    expect(revisionOf(withRevision('two'))).toBe(0n);
    expect([withRevision('10'), withRevision('9'), withRevision('3546343826724306000')].sort(byRevision).map((r) => r.metadata.annotations!['deployment.kubernetes.io/revision'])).toEqual(['9', '10', '3546343826724306000']);
  });
});

