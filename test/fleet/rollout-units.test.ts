/**
 * The sizes of a surge rollout (SPEC C-16) and the upgradeSettings rule, as the pure functions they are: counts and
 * percentages of the pool (fractions rounded up, capped at the pool), batches of maxSurge + maxUnavailable, and the
 * values AKS refuses.
 */
import { describe, expect, it } from 'vitest';
import { ArmError } from '../../src/arm/errors.js';
import { batchSize, surgeSize } from '../../src/fleet/rollout.js';
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
    for (const s of [{}, { maxSurge: '10%' }, { maxSurge: '5' }, { maxSurge: '100%' }, { maxSurge: '0', maxUnavailable: '1' }, { maxSurge: '1', nodeSoakDurationInMinutes: 30 }]) {
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
    ] as const) {
      const e = refusal(s);
      expect(e, JSON.stringify(s)).toBeInstanceOf(ArmError);
      expect(e!.status).toBe(400);
      expect(e!.code).toBe('InvalidParameter');
      expect(e!.target).toBe(`agentPoolProfile.upgradeSettings.${target}`);
    }
  });
});
