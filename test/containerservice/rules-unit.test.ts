/** The rules that real dates make hard to reach through the API, checked as the pure functions they are. */
import { describe, expect, it } from 'vitest';
import { ArmError } from '../../src/arm/errors.js';
import { normalizePool, planPool } from '../../src/providers/containerservice/pool-spec.js';
import { retirementRule } from '../../src/providers/containerservice/rules/retirement.js';
import type { PoolRuleContext } from '../../src/providers/containerservice/rules/types.js';

function ctx(props: Record<string, unknown>, k8s: string, now: string): PoolRuleContext {
  const pool = normalizePool('np', props, 'User');
  return {
    phase: 'create',
    apiVersion: '2026-04-01',
    now: new Date(now),
    cluster: { name: 'c', resourceGroup: 'rg', subscriptionId: 's', location: 'eastus', kubernetesVersion: k8s },
    pool,
    kubernetesVersion: k8s,
    plan: planPool(pool, k8s, new Date(now)),
    isFeatureRegistered: async () => false,
  };
}

describe('SPEC C-7 on create', () => {
  it('refuses a new Ubuntu 20.04 FIPS pool from 2027-03-17 and accepts it the day before', () => {
    expect(() => retirementRule(ctx({ enableFIPS: true }, '1.33.5', '2027-03-16T23:59:59Z'))).not.toThrow();
    try {
      retirementRule(ctx({ enableFIPS: true }, '1.33.5', '2027-03-17T00:00:00Z'));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ArmError);
      expect((e as ArmError).code).toBe('OSVersionRetired');
      expect((e as ArmError).message).toMatch(/Kubernetes 1\.34 or later/);
    }
  });
  it('refuses a new Azure Linux 2.0 pool from 2026-03-31 and accepts it during the no-updates period', () => {
    expect(() => retirementRule(ctx({ osSKU: 'AzureLinux' }, '1.31.11', '2026-01-15T00:00:00Z'))).not.toThrow();
    expect(() => retirementRule(ctx({ osSKU: 'AzureLinux' }, '1.31.11', '2026-03-31T00:00:00Z'))).toThrow(/osSku AzureLinux3/);
  });
});
