/**
 * Draining a node before its reimage (SPEC W-3, W-14), as AKS's upgrade settings say: the node is cordoned, its pods
 * are evicted respecting their disruption budgets (the Kubernetes API does that: a `DrainHook` registered from the
 * composition root), retried every few seconds, and when the node is still not empty after
 * upgradeSettings.drainTimeoutInMinutes (30 by default) the pool's operation fails with AKS's UpgradeFailed.
 */
import type { InstanceRecord, VmssSpec } from './model.js';

/** What one eviction pass over a node found: empty, or pods left (and the budget refusal that keeps one there). */
export type DrainOutcome = { empty: true } | { empty: false; blocked?: string };
export type DrainHook = (uid: string, node: string) => Promise<DrainOutcome>;

/** AKS's default upgradeSettings.drainTimeoutInMinutes. */
export const DEFAULT_DRAIN_TIMEOUT_MINUTES = 30;
/** How often a drain evicts again while pods are left, as kubectl drain retries (at --speed realistic). */
export const DRAIN_RETRY_MS = 5_000;

export type DrainStep = { kind: 'cordon' } | { kind: 'reimage' } | { kind: 'wait'; waitMs: number } | { kind: 'fail'; code: string; message: string };

/** The next step of a stale instance's drain, given the last eviction pass (undefined: not drained yet); `retryMs` apart. */
export function drainStep(spec: VmssSpec, rec: InstanceRecord, nowMs: number, outcome: DrainOutcome | undefined, retryMs: number): DrainStep {
  if (!rec.draining || rec.draining.generation !== spec.generation) return { kind: 'cordon' };
  if (!outcome || outcome.empty) return { kind: 'reimage' };
  const timeoutMs = (spec.drainTimeoutMinutes ?? DEFAULT_DRAIN_TIMEOUT_MINUTES) * 60_000;
  const deadline = rec.draining.sinceMs + timeoutMs;
  if (nowMs < deadline) return { kind: 'wait', waitMs: Math.min(retryMs, deadline - nowMs) };
  return {
    kind: 'fail',
    code: 'UpgradeFailed',
    message: outcome.blocked ?? `Drain node ${rec.name} failed: pods were not evicted within the drain timeout of ${timeoutMs / 60_000} minutes.`,
  };
}
