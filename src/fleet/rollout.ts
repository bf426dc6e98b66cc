/**
 * Rolling a pool onto a new node model in batches, as AKS's upgrade settings say (SPEC C-5, W-14, C-16): before the
 * first old node goes, `maxSurge` surge nodes of the new model join the pool (the next free instance names); then up
 * to maxSurge + maxUnavailable old nodes at a time are cordoned, drained within their disruption budgets (drain.ts),
 * left to soak for `nodeSoakDurationInMinutes` and reimaged; when no old node is left the surge nodes are drained
 * and deleted, so the pool ends with its own count. The fleet's controller (fleet.ts) runs these steps; every write
 * goes through its one-transaction instance-and-Node writes, so a restart resumes a batch where it stopped.
 */
import { drainStep, type DrainHook, type DrainOutcome, type DrainStep } from './drain.js';
import type { InstanceRecord, PoolFailure, VmssSpec } from './model.js';

/** A node the rollout must rebuild, and whether its OS disk is rebuilt because it was modified (SPEC T-7). */
export interface RolloutCandidate {
  rec: InstanceRecord;
  refreshOsDisk?: boolean;
}

/** What the controller lends the rollout: its writes and the pool's drain hooks. */
export interface RolloutContext {
  nowMs: number;
  /** How long to wait before evicting again from a node that is not empty. */
  retryMs: number;
  drainHooks: DrainHook[];
  /** Writes the instance (its Node cordoned while `draining` is set). */
  mark(rec: InstanceRecord): Promise<void>;
  /** Takes the node down for a new OS disk of the pool's model. */
  reimage(rec: InstanceRecord): Promise<void>;
  /** Deletes instances and their Nodes. */
  remove(recs: InstanceRecord[]): Promise<void>;
  /** Creates surge instances of the pool's model with the next free instance ids. */
  addSurge(count: number): Promise<void>;
  fail(failure: PoolFailure): Promise<'settled'>;
}

export type RolloutStep = 'progress' | 'settled' | 'idle' | { waitMs: number };

/**
 * A count of nodes from an upgrade setting: an integer ("5") or a percentage of the pool ("33%", fractional nodes
 * rounded up). Undefined when the value is neither.
 */
export function nodesFrom(value: unknown, poolCount: number): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(\d+)\s*(%?)\s*$/.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] ? Math.ceil((n * poolCount) / 100) : n;
}

/** The surge nodes a rollout of a pool of `poolCount` nodes adds: at most the pool's count (AKS's documented cap). */
export function surgeSize(spec: Pick<VmssSpec, 'maxSurge'>, poolCount: number): number {
  return Math.min(poolCount, nodesFrom(spec.maxSurge ?? '10%', poolCount) ?? 1);
}

/** How many old nodes are rebuilt at a time: the surge nodes plus the nodes allowed to be unavailable, at least 1. */
export function batchSize(spec: Pick<VmssSpec, 'maxSurge' | 'maxUnavailable'>, poolCount: number): number {
  const unavailable = spec.maxUnavailable === undefined ? 0 : (nodesFrom(spec.maxUnavailable, poolCount) ?? 0);
  return Math.max(1, surgeSize(spec, poolCount) + unavailable);
}

/**
 * The batch in progress: the nodes cordoned for this generation that are still running. Each is evicted from
 * again; an empty one is reimaged (after its soak) or, a surge node, deleted. A drain past the timeout stops the
 * rollout as the pool's undrainableNodeBehavior says (stopOnUndrainable). 'idle' when no batch is in progress.
 */
export async function advanceBatch(spec: VmssSpec, live: InstanceRecord[], ctx: RolloutContext): Promise<RolloutStep> {
  const batch = live.filter((r) => r.state === 'Running' && r.draining?.generation === spec.generation);
  if (batch.length === 0) return 'idle';
  // Every node of the batch is evicted from first: one that cannot be emptied stops the rollout before any other
  // node of the batch is taken down, so no reimage is left half done behind a failed operation.
  const steps: Array<{ rec: InstanceRecord; step: DrainStep }> = [];
  for (const rec of batch) {
    let outcome: DrainOutcome = { empty: true };
    for (const hook of ctx.drainHooks) {
      outcome = await hook(spec.uid, rec.name);
      if (!outcome.empty) break;
    }
    steps.push({ rec, step: drainStep(spec, rec, ctx.nowMs, outcome, ctx.retryMs) });
  }
  const blocked = steps.filter((s): s is { rec: InstanceRecord; step: Extract<DrainStep, { kind: 'fail' }> } => s.step.kind === 'fail');
  if (blocked.length > 0) return stopOnUndrainable(spec, live, batch, blocked, ctx);

  let progressed = false;
  let waitMs = Number.POSITIVE_INFINITY;
  for (const { rec, step } of steps) {
    if (step.kind === 'wait') {
      waitMs = Math.min(waitMs, step.waitMs);
      continue;
    }
    if (rec.surge) {
      await ctx.remove([rec]);
      progressed = true;
      continue;
    }
    // SPEC C-16: an empty node soaks (still cordoned) before its reimage.
    const soakMs = (spec.nodeSoakMinutes ?? 0) * 60_000;
    if (soakMs > 0) {
      const emptyAt = rec.draining!.emptyAtMs;
      if (emptyAt === undefined) {
        await ctx.mark({ ...rec, draining: { ...rec.draining!, emptyAtMs: ctx.nowMs } });
        progressed = true;
        continue;
      }
      if (ctx.nowMs < emptyAt + soakMs) {
        waitMs = Math.min(waitMs, emptyAt + soakMs - ctx.nowMs);
        continue;
      }
    }
    await ctx.reimage(rec.draining!.refreshOsDisk ? { ...rec, osDiskRefreshedFor: spec.generation } : rec);
    progressed = true;
  }
  return progressed ? 'progress' : { waitMs };
}

/**
 * The end of a rollout whose drain timed out on some nodes (SPEC W-14), as AKS's undrainableNodeBehavior says:
 * - 'Schedule' (AKS's default): the blocked nodes are made schedulable again, not upgraded; every surge node that
 *   could be drained is deleted; the operation fails.
 * - 'Cordon': the blocked nodes stay cordoned, labelled `kubernetes.azure.com/upgrade-status: Quarantined`, and one
 *   surge node is kept for each of them; the others are deleted. The operation fails when there were enough surge
 *   nodes to stand in for every blocked node, and ends Canceled when there were not.
 * The other nodes of the batch, drained or still draining, are made schedulable again without their reimage.
 */
async function stopOnUndrainable(
  spec: VmssSpec,
  live: InstanceRecord[],
  batch: InstanceRecord[],
  blocked: Array<{ rec: InstanceRecord; step: { code: string; message: string } }>,
  ctx: RolloutContext,
): Promise<'settled'> {
  const cordon = spec.undrainableNodeBehavior === 'Cordon';
  const stuck = new Set(blocked.map((b) => b.rec.name));
  for (const rec of batch) {
    if (rec.surge && !stuck.has(rec.name)) continue;
    const { draining: _d, ...rest } = rec;
    await ctx.mark(cordon && stuck.has(rec.name) ? { ...rec, quarantined: true } : rest);
  }
  const spare = live.filter((r) => r.surge && !stuck.has(r.name));
  const kept = cordon ? spare.slice(0, blocked.length) : [];
  const gone = spare.filter((r) => !kept.includes(r));
  if (gone.length > 0) await ctx.remove(gone);
  const first = blocked[0]!.step;
  return ctx.fail({ code: first.code, message: first.message, ...(cordon && kept.length < blocked.length ? { canceled: true } : {}) });
}

/**
 * The next batch, once none is in progress and no node is booting or being reimaged: surge nodes of an old model
 * go first; then the pool gets its surge nodes; then the next `batchSize` old nodes are cordoned; with no old node
 * left the surge nodes are drained and deleted. 'idle' when the rollout is complete.
 */
export async function startBatch(spec: VmssSpec, live: InstanceRecord[], candidates: RolloutCandidate[], isCurrent: (r: InstanceRecord) => boolean, ctx: RolloutContext): Promise<RolloutStep> {
  const regular = live.filter((r) => !r.surge);
  const surge = live.filter((r) => r.surge);
  const outdatedSurge = surge.filter((r) => r.state === 'Failed' || !isCurrent(r));
  if (outdatedSurge.length > 0) return drainAway(spec, outdatedSurge, ctx);
  if (candidates.length > 0) {
    const wanted = surgeSize(spec, regular.length);
    if (surge.length < wanted) {
      await ctx.addSurge(wanted - surge.length);
      return 'progress';
    }
    for (const { rec, refreshOsDisk } of candidates.slice(0, batchSize(spec, regular.length))) {
      if (ctx.drainHooks.length > 0 && rec.state === 'Running') {
        await ctx.mark({ ...rec, draining: { generation: spec.generation, sinceMs: ctx.nowMs, ...(refreshOsDisk ? { refreshOsDisk } : {}) } });
      } else {
        await ctx.reimage(refreshOsDisk ? { ...rec, osDiskRefreshedFor: spec.generation } : rec);
      }
    }
    return 'progress';
  }
  if (surge.length > 0) return drainAway(spec, surge, ctx);
  return 'idle';
}

/** Surge nodes leave as AKS removes them: running ones are cordoned and drained first, others deleted at once. */
async function drainAway(spec: VmssSpec, recs: InstanceRecord[], ctx: RolloutContext): Promise<RolloutStep> {
  const down = recs.filter((r) => ctx.drainHooks.length === 0 || r.state !== 'Running');
  if (down.length > 0) await ctx.remove(down);
  for (const rec of recs.filter((r) => !down.includes(r))) {
    await ctx.mark({ ...rec, draining: { generation: spec.generation, sinceMs: ctx.nowMs } });
  }
  return 'progress';
}
