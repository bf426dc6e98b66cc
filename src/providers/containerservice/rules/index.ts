/**
 * The ordered rule lists, per operation. Every rule runs before anything is written (SPEC "clear error": nothing
 * is half-applied). Features add their rules here: one import and one entry (Trusted Launch T-4 on pools, KMS
 * K-* on clusters).
 */
import { clusterNameRule, dnsPrefixRule, identityRule, poolsRule } from './cluster-shape.js';
import { entraIdRule } from './entra-id.js';
import { KMS_CLUSTER_RULES } from './kms.js';
import { fipsArm64Rule, fipsImageRule, fipsKubernetesVersionRule, fipsOsSkuRule, fipsToggleRule } from './fips.js';
import { motdRule } from './motd.js';
import { poolNameRule } from './pool-names.js';
import { immutablePoolPropertiesRule, osSkuOfferedRule, poolCountRule, poolModeRule, snapshotSourceRule, vmSizeRule } from './pool-shape.js';
import { retirementRule } from './retirement.js';
import { upgradeSettingsRule } from './upgrade-settings.js';
import { gpuProfileRule, trustedLaunchPoolRule, trustedLaunchVirtualNodesRule } from './trusted-launch.js';
import type { ClusterRule, ClusterRuleContext, PoolRule, PoolRuleContext } from './types.js';
import { clusterVersionRule, poolVersionRule } from './versions.js';

const POOL_COMMON: PoolRule[] = [
  snapshotSourceRule, // P-4
  poolCountRule,
  poolModeRule,
  vmSizeRule,
  fipsKubernetesVersionRule, // F-2 (before the version check, so an old version with FIPS names the FIPS rule)
  poolVersionRule,
  osSkuOfferedRule,
  fipsOsSkuRule, // F-3
  fipsArm64Rule, // F-4
  fipsImageRule, // F-3 / F-5
  gpuProfileRule,
  trustedLaunchPoolRule, // T-2, T-4
  motdRule, // C-6
  retirementRule, // C-7
  upgradeSettingsRule, // C-16
];

export const POOL_RULES: Record<'create' | 'update', PoolRule[]> = {
  create: [poolNameRule /* C-2 */, ...POOL_COMMON],
  // C-2 on updates too: a PUT naming an existing pool in another casing is refused, not applied to it.
  update: [poolNameRule, immutablePoolPropertiesRule, fipsToggleRule /* F-6 */, ...POOL_COMMON],
};

export const CLUSTER_RULES: Record<'create' | 'update', ClusterRule[]> = {
  create: [clusterNameRule, dnsPrefixRule, identityRule, entraIdRule /* Z-2, Z-3 */, poolsRule, clusterVersionRule, trustedLaunchVirtualNodesRule /* T-4 */, ...KMS_CLUSTER_RULES /* K-1..K-11 */],
  update: [dnsPrefixRule, identityRule, entraIdRule /* Z-2, Z-3 */, poolsRule, clusterVersionRule, trustedLaunchVirtualNodesRule /* T-4 */, ...KMS_CLUSTER_RULES /* K-1..K-11 */],
};

export async function runPoolRules(ctx: PoolRuleContext): Promise<void> {
  for (const rule of POOL_RULES[ctx.phase]) await rule(ctx);
}

export async function runClusterRules(ctx: ClusterRuleContext): Promise<void> {
  for (const rule of CLUSTER_RULES[ctx.phase]) await rule(ctx);
}
