/**
 * The disruption controller's arithmetic (SPEC W-12) and the drain's steps before a reimage (SPEC W-14), as pure
 * functions: expected pods from the controllers' scale, percentages rounded up, pods recently evicted not counted
 * healthy, SyncFailed for pods no scalable controller owns; cordon, retry, fail after the drain timeout.
 */
import { describe, expect, it } from 'vitest';
import type { Deployment, Pod, PodDisruptionBudget, ReplicaSet } from '../../src/kube/api/machinery/types.js';
import { budgetStatus, type Workloads } from '../../src/kube/controllers/disruption.js';
import { drainStep } from '../../src/fleet/drain.js';
import type { InstanceRecord, VmssSpec } from '../../src/fleet/model.js';

const NOW = Date.parse('2026-05-01T00:10:00Z');
const deployment = { metadata: { name: 'web', uid: 'd1' }, spec: { replicas: 4 } } as Deployment;
const replicaSet = { metadata: { name: 'web-1', uid: 'rs1', ownerReferences: [{ kind: 'Deployment', uid: 'd1', name: 'web', apiVersion: 'apps/v1', controller: true }] }, spec: { replicas: 3 } } as ReplicaSet;
const workloads: Workloads = { deployments: new Map([['d1', deployment]]), replicaSets: new Map([['rs1', replicaSet]]) };
const pod = (name: string, ready: boolean, owned = true): Pod =>
  ({
    metadata: { name, namespace: 'default', labels: { app: 'web' }, ...(owned ? { ownerReferences: [{ kind: 'ReplicaSet', uid: 'rs1', name: 'web-1', apiVersion: 'apps/v1', controller: true }] } : {}) },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  }) as Pod;
const pdb = (spec: Record<string, unknown>, status?: Record<string, unknown>): PodDisruptionBudget =>
  ({ metadata: { name: 'web', namespace: 'default', generation: 2 }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec }, ...(status ? { status } : {}) }) as PodDisruptionBudget;

describe('disruption budget status', () => {
  const pods = [pod('a', true), pod('b', true), pod('c', false)];

  it('counts the matching pods for an integer minAvailable', () => {
    expect(budgetStatus(pdb({ minAvailable: 1 }), pods, workloads, NOW).status).toMatchObject({ expectedPods: 3, desiredHealthy: 1, currentHealthy: 2, disruptionsAllowed: 1, observedGeneration: 2 });
  });

  it("takes the Deployment's replicas for percentages and maxUnavailable, rounding up", () => {
    // 4 replicas: minAvailable 60% → 3 (2.4 rounded up): no disruption with 2 healthy.
    const min = budgetStatus(pdb({ minAvailable: '60%' }), pods, workloads, NOW).status;
    expect(min).toMatchObject({ expectedPods: 4, desiredHealthy: 3, disruptionsAllowed: 0 });
    expect(min.conditions?.[0]).toMatchObject({ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods' });
    // maxUnavailable 30% of 4 → 2 (1.2 rounded up): 2 desired, 0 allowed with 2 healthy.
    expect(budgetStatus(pdb({ maxUnavailable: '30%' }), pods, workloads, NOW).status).toMatchObject({ expectedPods: 4, desiredHealthy: 2, disruptionsAllowed: 0 });
    expect(budgetStatus(pdb({ maxUnavailable: 3 }), pods, workloads, NOW).status).toMatchObject({ desiredHealthy: 1, disruptionsAllowed: 1 });
  });

  it('fails to sync maxUnavailable when a pod has no scalable controller', () => {
    const st = budgetStatus(pdb({ maxUnavailable: 1 }), [...pods, pod('bare', true, false)], workloads, NOW).status;
    expect(st).toMatchObject({ disruptionsAllowed: 0, expectedPods: 0 });
    expect(st.conditions?.[0]).toMatchObject({ status: 'False', reason: 'SyncFailed', message: 'found no controllers for pod "bare"' });
  });

  it('keeps a recently evicted pod out of currentHealthy until its entry expires two minutes later', () => {
    const recent = new Date(NOW - 60_000).toISOString();
    const out = budgetStatus(pdb({ minAvailable: 1 }, { disruptedPods: { a: recent } }), pods, workloads, NOW);
    expect(out.status).toMatchObject({ currentHealthy: 1, disruptionsAllowed: 0, disruptedPods: { a: recent } });
    expect(out.recheckAt).toBe(NOW + 60_000);
    const later = budgetStatus(pdb({ minAvailable: 1 }, { disruptedPods: { a: recent } }), pods, workloads, NOW + 61_000);
    expect(later.status).toMatchObject({ currentHealthy: 2, disruptionsAllowed: 1 });
    expect(later.status.disruptedPods).toBeUndefined();
  });
});

describe('drain steps before a reimage', () => {
  const spec = { generation: 5 } as VmssSpec;
  const rec = (draining?: InstanceRecord['draining']) => ({ name: 'aks-apps-1-vmss000000', ...(draining ? { draining } : {}) }) as InstanceRecord;

  it('cordons first (again for a new generation), reimages once the node is empty', () => {
    expect(drainStep(spec, rec(), NOW, undefined, 5000)).toEqual({ kind: 'cordon' });
    expect(drainStep(spec, rec({ generation: 4, sinceMs: NOW }), NOW, { empty: false }, 5000)).toEqual({ kind: 'cordon' });
    expect(drainStep(spec, rec({ generation: 5, sinceMs: NOW }), NOW, { empty: true }, 5000)).toEqual({ kind: 'reimage' });
  });

  it('retries while pods are left, and fails with UpgradeFailed after the drain timeout (30 minutes unless set)', () => {
    const since = NOW - 29 * 60_000;
    expect(drainStep(spec, rec({ generation: 5, sinceMs: since }), NOW, { empty: false, blocked: 'Drain node x failed' }, 5000)).toEqual({ kind: 'wait', waitMs: 5000 });
    expect(drainStep(spec, rec({ generation: 5, sinceMs: since }), NOW + 60_000, { empty: false, blocked: 'Drain node x failed' }, 5000)).toEqual({ kind: 'fail', code: 'UpgradeFailed', message: 'Drain node x failed' });
    expect(drainStep({ ...spec, drainTimeoutMinutes: 60 }, rec({ generation: 5, sinceMs: since }), NOW + 60_000, { empty: false }, 5000)).toMatchObject({ kind: 'wait' });
  });
});
