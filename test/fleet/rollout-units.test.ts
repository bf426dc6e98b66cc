/**
 * The sizes of a surge rollout (SPEC C-16) and the upgradeSettings rule, as the pure functions they are: counts and
 * percentages of the pool (fractions rounded up, capped at the pool), batches of maxSurge + maxUnavailable, and the
 * values AKS refuses; and what a rollout does with nodes its drain cannot empty (SPEC W-14), through the context the
 * fleet's controller lends it, recorded here.
 */
import { describe, expect, it } from 'vitest';
import { ArmError } from '../../src/arm/errors.js';
import { advanceBatch, batchSize, surgeSize, type RolloutContext } from '../../src/fleet/rollout.js';
import type { InstanceRecord, NodeModel, PoolFailure, VmssSpec } from '../../src/fleet/model.js';
import { normalizePool, planPool } from '../../src/providers/containerservice/pool-spec.js';
import { upgradeSettingsRule } from '../../src/providers/containerservice/rules/upgrade-settings.js';
import type { PoolRuleContext } from '../../src/providers/containerservice/rules/types.js';

function ctx(upgradeSettings: Record<string, unknown>): PoolRuleContext {
  const pool = normalizePool('np', { count: 3, upgradeSettings }, 'User');
  return {
    phase: 'update',
    apiVersion: '2026-04-01',
    now: new Date('2026-05-01T00:00:00Z'),
    cluster: { name: 'c', resourceGroup: 'rg', subscriptionId: 's', location: 'eastus', kubernetesVersion: '1.33.5' },
    pool,
    kubernetesVersion: '1.33.5',
    plan: planPool(pool, '1.33.5', new Date('2026-05-01T00:00:00Z')),
    isFeatureRegistered: async () => false,
  };
}

const refusal = (settings: Record<string, unknown>): ArmError | undefined => {
  try {
    void upgradeSettingsRule(ctx(settings));
    return undefined;
  } catch (e) {
    return e as ArmError;
  }
};

describe('surge rollout sizes (SPEC C-16)', () => {
  it('reads counts and percentages of the pool, rounding fractions up and capping at the pool', () => {
    expect(surgeSize({ maxSurge: '2' }, 4)).toBe(2);
    expect(surgeSize({ maxSurge: '33%' }, 10)).toBe(4);
    expect(surgeSize({ maxSurge: '1%' }, 3)).toBe(1);
    expect(surgeSize({ maxSurge: '5' }, 3)).toBe(3);
    expect(surgeSize({ maxSurge: '0' }, 3)).toBe(0);
    // AKS's default for a pool that names none: 10%, so one surge node up to 10 nodes and two for 11.
    expect(surgeSize({}, 10)).toBe(1);
    expect(surgeSize({}, 11)).toBe(2);
  });

  it('rebuilds maxSurge + maxUnavailable nodes at a time, at least one', () => {
    expect(batchSize({ maxSurge: '2' }, 4)).toBe(2);
    expect(batchSize({ maxSurge: '0', maxUnavailable: '1' }, 4)).toBe(1);
    expect(batchSize({ maxSurge: '1', maxUnavailable: '50%' }, 4)).toBe(3);
    expect(batchSize({ maxSurge: '0', maxUnavailable: '0' }, 4)).toBe(1);
  });
});

describe('upgradeSettings rule (SPEC C-16)', () => {
  it('accepts counts, percentages up to 100% and maxSurge 0 with a maxUnavailable', () => {
    for (const s of [
      {},
      { maxSurge: '10%' },
      { maxSurge: '5' },
      { maxSurge: '100%' },
      { maxSurge: '0', maxUnavailable: '1' },
      { maxSurge: '1', nodeSoakDurationInMinutes: 30 },
      { undrainableNodeBehavior: 'Cordon' },
      { undrainableNodeBehavior: 'schedule' },
    ]) {
      expect(refusal(s), JSON.stringify(s)).toBeUndefined();
    }
  });

  it('refuses maxSurge 0 without a maxUnavailable above 0, malformed values and soaks beyond 30 minutes', () => {
    for (const [s, target] of [
      [{ maxSurge: '0' }, 'maxSurge'],
      [{ maxSurge: '0%', maxUnavailable: '0' }, 'maxSurge'],
      [{ maxSurge: 'two' }, 'maxSurge'],
      [{ maxSurge: 2 }, 'maxSurge'],
      [{ maxSurge: '150%' }, 'maxSurge'],
      [{ maxSurge: '-1' }, 'maxSurge'],
      [{ maxUnavailable: '1.5' }, 'maxUnavailable'],
      [{ nodeSoakDurationInMinutes: 31 }, 'nodeSoakDurationInMinutes'],
      [{ undrainableNodeBehavior: 'Drain' }, 'undrainableNodeBehavior'],
      [{ undrainableNodeBehavior: 1 }, 'undrainableNodeBehavior'],
    ] as const) {
      const e = refusal(s);
      expect(e, JSON.stringify(s)).toBeInstanceOf(ArmError);
      expect(e!.status).toBe(400);
      expect(e!.code).toBe('InvalidParameter');
      expect(e!.target).toBe(`agentPoolProfile.upgradeSettings.${target}`);
    }
  });
});

describe('nodes a drain cannot empty (SPEC W-14)', () => {
  const MINUTE = 60_000;
  const model = { image: 'new' } as unknown as NodeModel;
  const spec = (extra: Partial<VmssSpec> = {}): VmssSpec =>
    ({ uid: 'u', pool: 'apps', vmssName: 'v', generation: 2, capacity: 2, powerState: 'Running', deleting: false, ordinal: 1, model, ...extra }) as VmssSpec;
  const node = (id: number, extra: Partial<InstanceRecord> = {}): InstanceRecord => ({
    pool: 'apps',
    instanceId: id,
    name: `aks-apps-${id}`,
    state: 'Running',
    model,
    createdAt: '2026-05-01T00:00:00Z',
    bootCount: 1,
    privateIp: `10.0.0.${id}`,
    ...extra,
  });
  const draining = { generation: 2, sinceMs: 0 };

  /** A rollout context that records what the rollout asks of the controller; `full` nodes cannot be emptied. */
  function recorder(full: string[], nowMs: number) {
    const marked: InstanceRecord[] = [];
    const removed: string[] = [];
    const reimaged: string[] = [];
    let failure: PoolFailure | undefined;
    const ctx: RolloutContext = {
      nowMs,
      retryMs: 5_000,
      drainHooks: [async (_uid, name) => (full.includes(name) ? { empty: false, blocked: `Drain node ${name} failed when evicting pod web` } : { empty: true })],
      mark: async (rec) => void marked.push(rec),
      reimage: async (rec) => void reimaged.push(rec.name),
      remove: async (recs) => void removed.push(...recs.map((r) => r.name)),
      addSurge: async () => undefined,
      fail: async (f) => {
        failure = f;
        return 'settled';
      },
    };
    return { ctx, marked, removed, reimaged, failure: () => failure };
  }

  it('waits while the drain timeout has not passed, and touches nothing', async () => {
    const r = recorder(['aks-apps-0'], 10 * MINUTE);
    const step = await advanceBatch(spec(), [node(0, { draining }), node(1), node(2, { surge: true })], r.ctx);
    expect(step).toEqual({ waitMs: 5_000 });
    expect([r.marked, r.removed, r.reimaged, r.failure()]).toEqual([[], [], [], undefined]);
  });

  it("Schedule (AKS's default): the blocked node is schedulable again, not reimaged, and the surge nodes are deleted", async () => {
    const r = recorder(['aks-apps-0'], 31 * MINUTE);
    // Node 1 drained fine in the same batch: it is not reimaged behind a failed operation either.
    const step = await advanceBatch(spec({ maxUnavailable: '1' }), [node(0, { draining }), node(1, { draining }), node(2, { surge: true })], r.ctx);
    expect(step).toBe('settled');
    expect(r.failure()).toEqual({ code: 'UpgradeFailed', message: 'Drain node aks-apps-0 failed when evicting pod web' });
    expect(r.reimaged).toEqual([]);
    expect(r.marked.map((m) => [m.name, m.draining, m.quarantined])).toEqual([
      ['aks-apps-0', undefined, undefined],
      ['aks-apps-1', undefined, undefined],
    ]);
    expect(r.removed).toEqual(['aks-apps-2']);
  });

  it('Cordon: the blocked node stays cordoned and quarantined, one surge node stays for it, the others go', async () => {
    const r = recorder(['aks-apps-0'], 31 * MINUTE);
    const step = await advanceBatch(spec({ undrainableNodeBehavior: 'Cordon' }), [node(0, { draining }), node(1), node(2, { surge: true }), node(3, { surge: true })], r.ctx);
    expect(step).toBe('settled');
    expect(r.failure()).toEqual({ code: 'UpgradeFailed', message: 'Drain node aks-apps-0 failed when evicting pod web' });
    expect(r.marked.map((m) => [m.name, m.draining, m.quarantined])).toEqual([['aks-apps-0', draining, true]]);
    expect(r.removed).toEqual(['aks-apps-3']);
  });

  it('Cordon with fewer surge nodes than blocked nodes ends the operation Canceled', async () => {
    const r = recorder(['aks-apps-0', 'aks-apps-1'], 31 * MINUTE);
    await advanceBatch(spec({ undrainableNodeBehavior: 'Cordon', maxUnavailable: '1' }), [node(0, { draining }), node(1, { draining }), node(2, { surge: true })], r.ctx);
    expect(r.failure()?.canceled).toBe(true);
    expect(r.marked.filter((m) => m.quarantined).map((m) => m.name)).toEqual(['aks-apps-0', 'aks-apps-1']);
    expect(r.removed).toEqual([]);
  });
});
