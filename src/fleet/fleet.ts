/**
 * The node fleet: each agent pool is a VM scale set whose instances boot into Kubernetes nodes (SPEC C-3, C-4,
 * C-5). The provider states what a pool should be (`applyPool`); a level-triggered controller, run as a persisted
 * task per pool, moves the instances there one step at a time: new instances boot and register their Node,
 * surplus ones are removed, and instances whose model changed are rebuilt in batches with surge nodes (rollout.ts:
 * a running node is first cordoned and drained through the drain hooks, drain.ts; then it is NotReady and comes back
 * Ready on the new image). Every step is one store transaction that writes the instance record and its Node object
 * together (instance-write.ts), so a restart (even kill -9) resumes exactly where it stopped and no node is ever
 * half-reimaged.
 */
import type { Logger } from 'pino';
import type { Clock, Speed } from '../runtime/clock.js';
import type { TaskOutcome, TaskRunner } from '../runtime/tasks.js';
import { getJson, listJson } from '../store/json.js';
import { ContentionError, type Store, type TxnOp } from '../store/store.js';
import { registryKey } from '../clusters/cluster-registry.js';
import { encodeObject, stampNew } from '../clusters/stored-object.js';
import {
  fleetPrefix,
  instanceKey,
  instancesPrefix,
  modelAt,
  reimageKey,
  vmssSpecKey,
  vmssStatusKey,
  type InstanceRecord,
  type NodeFacts,
  type NodeModel,
  type PoolFailure,
  type VmssSpec,
  type VmssStatus,
} from './model.js';
import { nodeName, vmssName } from './naming.js';
import { factsFor } from './node-facts.js';
import { buildNode } from './node-object.js';
import { writeInstanceAndNode } from './instance-write.js';
import { DRAIN_RETRY_MS, type DrainHook } from './drain.js';
import { advanceBatch, startBatch, type RolloutCandidate, type RolloutContext } from './rollout.js';

/** How long things take in Azure (used at --speed realistic). */
export const FLEET_TIMING = { bootMs: 90_000, reimageMs: 120_000 };

const TASK = 'fleet-pool';
/** Instances written per transaction (each instance is an instance record and a Node: 2 of etcd's 128 ops). */
const BATCH = 60;

export interface BootContext {
  uid: string;
  pool: string;
  instance: InstanceRecord;
  model: NodeModel;
  facts: NodeFacts;
}

/**
 * The seam where a boot can fail or be measured (Trusted Launch): a hook may refuse the boot (the
 * instance ends Failed, its pool's operation fails with the hook's code and message) or return adjusted facts.
 */
export type BootOutcome = { ok: true; facts?: NodeFacts } | { ok: false; code: string; message: string };
export type BootHook = (ctx: BootContext) => Promise<BootOutcome>;

/**
 * Why an instance's OS disk is no longer what its image laid down (Trusted Launch: boot components tampered with),
 * or undefined when it is the image's. A node image upgrade reimages the instances that have such a reason.
 */
export type OsDiskCheck = (uid: string, instance: InstanceRecord) => Promise<string | undefined>;

export interface PoolState {
  spec: VmssSpec;
  status: VmssStatus;
}

const enc = (v: unknown) => Buffer.from(JSON.stringify(v));

export class Fleet {
  private readonly bootHooks: BootHook[] = [];
  private readonly osDiskChecks: OsDiskCheck[] = [];
  private readonly drainHooks: DrainHook[] = [];

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly speed: Speed,
    private readonly tasks: TaskRunner,
    private readonly log: Logger,
  ) {
    tasks.register<{ uid: string; pool: string }>(TASK, async ({ payload }) => this.reconcile(payload.uid, payload.pool));
  }

  addBootHook(hook: BootHook): void {
    this.bootHooks.push(hook);
  }

  addOsDiskCheck(check: OsDiskCheck): void {
    this.osDiskChecks.push(check);
  }

  /** Who empties a node before its reimage (the Kubernetes API's evictions); without one, nodes are not drained. */
  addDrainHook(hook: DrainHook): void {
    this.drainHooks.push(hook);
  }

  /**
   * States what a pool should be; returns the generation the controller must reach. `spec` without generation:
   * it is bumped here. The caller may pass extra store ops to commit atomically with the spec. `refreshOsDisks`
   * (a node image upgrade) also rebuilds every OS disk that is not the image's any more.
   */
  async applyPool(input: Omit<VmssSpec, 'generation' | 'vmssName'>, extraOps: TxnOp[] = [], opts: { refreshOsDisks?: boolean } = {}): Promise<number> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const cur = await getJson<VmssSpec>(this.store, vmssSpecKey(input.uid, input.pool));
      const generation = (cur?.value.generation ?? 0) + 1;
      const spec: VmssSpec = { ...input, vmssName: vmssName(input.pool, input.uid), generation, ...(opts.refreshOsDisks ? { osDiskRefreshGeneration: generation } : {}) };
      const res = await this.store.txn({
        if: [{ key: vmssSpecKey(input.uid, input.pool), modRevision: cur?.modRevision ?? 0 }],
        then: [{ type: 'put', key: vmssSpecKey(input.uid, input.pool), value: enc(spec) }, ...extraOps],
      });
      if (res.succeeded) {
        await this.kick(input.uid, input.pool);
        return spec.generation;
      }
    }
    throw new ContentionError(`pool ${input.pool}`);
  }

  /** Marks a pool for deletion: the controller removes its nodes, then the pool's records. */
  async deletePool(uid: string, pool: string): Promise<number | undefined> {
    const cur = await getJson<VmssSpec>(this.store, vmssSpecKey(uid, pool));
    if (!cur) return undefined;
    const { generation: _g, vmssName: _n, ...rest } = cur.value;
    return this.applyPool({ ...rest, deleting: true });
  }

  /** Removes a whole cluster's fleet at once (the provider removes the cluster registry with its Nodes). */
  async deleteCluster(uid: string): Promise<void> {
    const pools = await this.pools(uid);
    await this.store.txn({ then: [{ type: 'deletePrefix', prefix: fleetPrefix(uid) }] });
    for (const p of pools) await this.tasks.cancel(TASK, `${uid}~${p.spec.pool}`);
  }

  async pool(uid: string, pool: string): Promise<PoolState | undefined> {
    const spec = await getJson<VmssSpec>(this.store, vmssSpecKey(uid, pool));
    if (!spec) return undefined;
    const status = (await getJson<VmssStatus>(this.store, vmssStatusKey(uid, pool)))?.value ?? this.initialStatus();
    return { spec: spec.value, status };
  }

  async pools(uid: string): Promise<PoolState[]> {
    const docs = await listJson<VmssSpec | VmssStatus>(this.store, `/fleet/${uid}/vmss/`);
    const out = new Map<string, Partial<PoolState>>();
    for (const d of docs) {
      const [pool, kind] = d.key.slice(`/fleet/${uid}/vmss/`.length).split('/');
      const entry = out.get(pool!) ?? {};
      if (kind === 'spec') entry.spec = d.value as VmssSpec;
      else entry.status = d.value as VmssStatus;
      out.set(pool!, entry);
    }
    return [...out.values()].filter((e) => e.spec).map((e) => ({ spec: e.spec!, status: e.status ?? this.initialStatus() }));
  }

  /** Whether the controller has finished generation `generation` of a pool, and how. */
  async progress(uid: string, pool: string, generation: number): Promise<{ done: boolean; failure?: PoolFailure }> {
    const state = await this.pool(uid, pool);
    // A pool whose records are gone was deleted: that generation is done.
    if (!state) return { done: true };
    const s = state.status;
    if (s.observedGeneration < generation || !s.settled) return { done: false };
    return { done: true, ...(s.failure ? { failure: s.failure } : {}) };
  }

  async instances(uid: string, pool?: string): Promise<InstanceRecord[]> {
    const prefix = pool ? instancesPrefix(uid, pool) : `/fleet/${uid}/instances/`;
    return (await listJson<InstanceRecord>(this.store, prefix)).map((d) => d.value);
  }

  async findInstance(uid: string, name: string): Promise<InstanceRecord | undefined> {
    return (await this.instances(uid)).find((i) => i.name.toLowerCase() === name.toLowerCase());
  }

  /**
   * Restarts one VM the way a reboot does: same OS disk, same model; it goes down (its Node NotReady) and boots
   * again through the boot hooks (Trusted Launch uses this to show the effect of a tampered boot component).
   * Undefined when there is no such instance; an error when it is not running or failed.
   */
  async restartInstance(uid: string, pool: string, name: string): Promise<InstanceRecord | undefined> {
    const specDoc = await getJson<VmssSpec>(this.store, vmssSpecKey(uid, pool));
    const rec = (await this.instances(uid, pool)).find((i) => i.name.toLowerCase() === name.toLowerCase());
    if (!specDoc || !rec) return undefined;
    if (rec.state !== 'Running' && rec.state !== 'Failed') throw new Error(`node ${rec.name} is ${rec.state}`);
    const next: InstanceRecord = { ...rec, state: 'Creating', target: rec.model, readyAt: this.clock.nowMs() + this.speed.delay(FLEET_TIMING.bootMs) };
    await this.writeInstanceAndNode(specDoc.value, next, false);
    await this.kick(uid, pool);
    return next;
  }

  /** Re-enqueues the controller of every pool that has not reached its generation (after a crash between steps). */
  async resync(): Promise<void> {
    let after: string | undefined;
    const pending: Array<[string, string]> = [];
    for (;;) {
      const page = await this.store.range('/fleet/', { keysOnly: true, limit: 5000, ...(after ? { after } : {}) });
      for (const kv of page.items) {
        const m = /^\/fleet\/([^/]+)\/vmss\/([^/]+)\/spec$/.exec(kv.key);
        if (m) pending.push([m[1]!, m[2]!]);
      }
      if (!page.more) break;
      after = page.items[page.items.length - 1]!.key;
    }
    for (const [uid, pool] of pending) {
      const st = await this.pool(uid, pool);
      if (st && (st.status.observedGeneration < st.spec.generation || !st.status.settled)) await this.kick(uid, pool);
    }
  }

  private kick(uid: string, pool: string): Promise<void> {
    return this.tasks.enqueue(TASK, `${uid}~${pool}`, { uid, pool }, 0);
  }

  private initialStatus(): VmssStatus {
    return { observedGeneration: 0, settled: false, nextInstanceId: 0, updatedAt: this.clock.iso() };
  }

  // ---------------------------------------------------------------------------------------------- controller

  /** One reconcile pass; at --speed instant it runs until the pool is settled. */
  async reconcile(uid: string, pool: string): Promise<TaskOutcome<{ uid: string; pool: string }>> {
    for (let pass = 0; pass < 10_000; pass++) {
      const specDoc = await getJson<VmssSpec>(this.store, vmssSpecKey(uid, pool));
      if (!specDoc) return { done: true };
      const spec = specDoc.value;
      const statusDoc = await getJson<VmssStatus>(this.store, vmssStatusKey(uid, pool));
      const status = statusDoc?.value ?? this.initialStatus();
      const instances = (await listJson<InstanceRecord>(this.store, instancesPrefix(uid, pool))).map((d) => ({ rec: d.value, rev: d.modRevision }));
      const step = await this.step(spec, status, instances);
      if (step === 'progress') continue;
      if (step === 'settled') return { done: true };
      return { done: false, retryAfterMs: Math.max(1, step.waitMs) };
    }
    return { done: false, retryAfterMs: 1 };
  }

  private async step(spec: VmssSpec, status: VmssStatus, instances: Array<{ rec: InstanceRecord; rev: number }>): Promise<'progress' | 'settled' | { waitMs: number }> {
    const { uid, pool } = spec;
    const now = this.clock.nowMs();

    if (spec.deleting) {
      await this.removeInstances(spec, instances.map((i) => i.rec));
      await this.store.txn({ then: [{ type: 'delete', key: vmssSpecKey(uid, pool) }, { type: 'delete', key: vmssStatusKey(uid, pool) }] });
      return 'settled';
    }

    // 1. Finish boots and reimages that are due.
    const due = instances.filter(({ rec }) => (rec.state === 'Creating' || rec.state === 'Reimaging') && (rec.readyAt ?? 0) <= now);
    if (due.length > 0) {
      for (const d of due) await this.finishBoot(spec, d.rec);
      return 'progress';
    }

    // 2. A stopped pool deallocates every VM (their Nodes go away) until it is started again.
    if (spec.powerState === 'Stopped') {
      const running = instances.filter(({ rec }) => rec.state !== 'Deallocated');
      if (running.length > 0) {
        const ops: TxnOp[] = [];
        for (const { rec } of running) {
          ops.push({ type: 'put', key: instanceKey(uid, pool, rec.instanceId), value: enc({ ...rec, state: 'Deallocated', target: undefined, readyAt: undefined }) });
          ops.push({ type: 'delete', key: registryKey(uid, 'nodes', undefined, rec.name) });
        }
        for (let i = 0; i < ops.length; i += 2 * BATCH) await this.store.txn({ then: ops.slice(i, i + 2 * BATCH) });
        return 'progress';
      }
      return this.settle(spec, status, undefined);
    }
    const deallocated = instances.filter(({ rec }) => rec.state === 'Deallocated');
    if (deallocated.length > 0) {
      // Starting again: deallocated VMs boot again with the current model.
      for (const { rec } of deallocated) await this.startBoot(spec, rec, FLEET_TIMING.bootMs);
      return 'progress';
    }

    // 3. Scale down: the newest instances go first. Surge nodes (SPEC C-16) are not part of the pool's count.
    const live = instances.map((i) => i.rec).sort((a, b) => a.instanceId - b.instanceId);
    const regular = live.filter((r) => !r.surge);
    if (regular.length > spec.capacity) {
      await this.removeInstances(spec, regular.slice(spec.capacity));
      return 'progress';
    }

    // 4. Scale up: new instances are created together (a VMSS creates them in parallel).
    if (regular.length < spec.capacity) {
      await this.createInstances(spec, status, spec.capacity - regular.length, regular.length);
      return 'progress';
    }

    // 5. The batch being drained (SPEC W-14, C-16) moves on while other nodes boot or are reimaged.
    const ctx = this.rolloutContext(spec, status, regular.length);
    const batch = await advanceBatch(spec, live, ctx);
    const inFlight = live.filter((r) => r.state === 'Creating' || r.state === 'Reimaging');
    const inFlightWait = inFlight.length > 0 ? Math.min(...inFlight.map((r) => (r.readyAt ?? now) - now)) : Number.POSITIVE_INFINITY;
    if (batch === 'progress' || batch === 'settled') return batch;
    if (batch !== 'idle') return { waitMs: Math.min(batch.waitMs, inFlightWait) };
    if (inFlight.length > 0) return { waitMs: inFlightWait };

    // 6. A node that failed to boot this generation's model stops the rollout: the pool's operation fails. A later
    // generation (the user retries or changes the pool) reimages it again.
    const failed = live.find((r) => r.state === 'Failed' && (r.failure?.generation ?? 0) >= spec.generation);
    if (failed) return this.settle(spec, status, { code: failed.failure!.code, message: failed.failure!.message });

    // 7. Rebuild the nodes whose OS disk is not built from the model, a batch at a time with surge nodes (SPEC C-5,
    // C-16), and the disks modified since the image laid them down (SPEC T-7: during a node image upgrade only; a
    // node tampered with after it settled keeps its disk until the next upgrade).
    const wanted = reimageKey(spec.model);
    const candidates: RolloutCandidate[] = regular.filter((r) => r.state === 'Failed' || reimageKey(r.model) !== wanted).map((rec) => ({ rec }));
    const upgrading = spec.osDiskRefreshGeneration === spec.generation && !(status.observedGeneration >= spec.generation && status.settled);
    if (upgrading) {
      for (const rec of await this.modifiedDisks(spec, regular)) if (!candidates.some((c) => c.rec === rec)) candidates.push({ rec, refreshOsDisk: true });
    }
    const next = await startBatch(spec, live, candidates, (r) => reimageKey(r.model) === wanted, ctx);
    if (next !== 'idle') return next;

    // 8. Settings that need no new disk (labels, taints, mode) are applied in place by the kubelet.
    // A pool of several sizes (SPEC C-14): each instance runs the size of its position.
    const outdated = regular.map((r, i) => ({ r, model: modelAt(spec, i) })).filter(({ r, model }) => JSON.stringify(r.model) !== JSON.stringify(model));
    if (outdated.length > 0) {
      for (const { r, model } of outdated) await this.writeInstanceAndNode(spec, { ...r, model }, true);
      return 'progress';
    }
    return this.settle(spec, status, undefined);
  }

  private async settle(spec: VmssSpec, status: VmssStatus, failure: PoolFailure | undefined): Promise<'settled'> {
    const next: VmssStatus = { ...status, observedGeneration: spec.generation, settled: true, updatedAt: this.clock.iso() };
    if (failure) next.failure = failure;
    else delete next.failure;
    await this.store.put(vmssStatusKey(spec.uid, spec.pool), enc(next));
    return 'settled';
  }

  private ipOf(spec: VmssSpec, instanceId: number): string {
    const n = spec.ordinal * 2000 + instanceId + 4;
    return `10.${224 + Math.floor(n / 65536)}.${Math.floor(n / 256) % 256}.${n % 256}`;
  }

  /**
   * Creates `count` instances after the `live` ones (their position decides their size in a pool of several), with
   * the next free instance ids; `surge`: surge nodes of the pool's model (SPEC C-16).
   */
  private async createInstances(spec: VmssSpec, status: VmssStatus, count: number, live: number, surge = false): Promise<void> {
    const delay = this.speed.delay(FLEET_TIMING.bootMs);
    let next = status.nextInstanceId;
    for (let done = 0; done < count; ) {
      const n = Math.min(BATCH, count - done);
      const ops: TxnOp[] = [];
      for (let i = 0; i < n; i++) {
        const id = next++;
        const model = surge ? spec.model : modelAt(spec, live + done + i);
        const rec: InstanceRecord = {
          ...(surge ? { surge } : {}),
          pool: spec.pool,
          instanceId: id,
          name: nodeName(spec.model.osType, spec.pool, spec.uid, id),
          state: 'Creating',
          model,
          target: model,
          readyAt: this.clock.nowMs() + delay,
          createdAt: this.clock.iso(),
          bootCount: 0,
          privateIp: this.ipOf(spec, id),
        };
        if (delay === 0) {
          // Booted at once: the instance and its Node are written together.
          const booted = await this.boot(spec, rec, model);
          ops.push({ type: 'put', key: instanceKey(spec.uid, spec.pool, id), value: enc(booted) });
          if (booted.state === 'Running') {
            const node = stampNew(buildNode(spec, booted, this.clock.iso(), true), this.clock.now());
            ops.push({ type: 'put', key: registryKey(spec.uid, 'nodes', undefined, booted.name), value: encodeObject(node) });
          }
        } else {
          ops.push({ type: 'put', key: instanceKey(spec.uid, spec.pool, id), value: enc(rec) });
        }
      }
      ops.push({ type: 'put', key: vmssStatusKey(spec.uid, spec.pool), value: enc({ ...status, nextInstanceId: next, settled: false, updatedAt: this.clock.iso() }) });
      await this.store.txn({ then: ops });
      done += n;
    }
  }

  /** Runs the boot hooks; returns the instance as it ends up (Running with facts, or Failed). */
  private async boot(spec: VmssSpec, rec: InstanceRecord, model: NodeModel): Promise<InstanceRecord> {
    let facts = factsFor(model, rec.name, this.clock.iso());
    for (const hook of this.bootHooks) {
      const out = await hook({ uid: spec.uid, pool: spec.pool, instance: rec, model, facts });
      if (!out.ok) {
        const { target: _t, readyAt: _r, ...rest } = rec;
        return { ...rest, state: 'Failed', model, target: model, failure: { code: out.code, message: out.message, generation: spec.generation } };
      }
      if (out.facts) facts = out.facts;
    }
    const { target: _t, readyAt: _r, failure: _f, ...rest } = rec;
    return { ...rest, state: 'Running', model, facts, bootCount: rec.bootCount + 1 };
  }

  private async finishBoot(spec: VmssSpec, rec: InstanceRecord): Promise<void> {
    const booted = await this.boot(spec, rec, rec.target ?? spec.model);
    await this.writeInstanceAndNode(spec, booted, booted.state === 'Running');
  }

  private async startBoot(spec: VmssSpec, rec: InstanceRecord, realisticMs: number): Promise<void> {
    const delay = this.speed.delay(realisticMs);
    await this.writeInstanceAndNode(spec, { ...rec, state: 'Creating', target: spec.model, readyAt: this.clock.nowMs() + delay }, false, true);
  }

  /** The instances whose OS disk is not what its image laid down (an OsDiskCheck gives a reason) and that this node image upgrade has not rebuilt yet. */
  private async modifiedDisks(spec: VmssSpec, live: InstanceRecord[]): Promise<InstanceRecord[]> {
    const out: InstanceRecord[] = [];
    for (const rec of live) {
      if (rec.osDiskRefreshedFor === spec.generation) continue;
      for (const check of this.osDiskChecks) {
        const reason = await check(spec.uid, rec);
        if (reason) {
          this.log.debug({ node: rec.name, reason }, 'node image upgrade rebuilds a modified OS disk');
          out.push(rec);
          break;
        }
      }
    }
    return out;
  }

  /** What the rollout (rollout.ts) may do to the pool, through this controller's one-transaction writes. */
  private rolloutContext(spec: VmssSpec, status: VmssStatus, poolCount: number): RolloutContext {
    return {
      nowMs: this.clock.nowMs(),
      // Faster speeds evict again sooner, but not in a busy loop (the controllers must run between passes to remove pods).
      retryMs: Math.max(200, this.speed.delay(DRAIN_RETRY_MS)),
      drainHooks: this.drainHooks,
      mark: (rec) => this.writeInstanceAndNode(spec, rec, true),
      reimage: (rec) => this.startReimage(spec, rec),
      remove: (recs) => this.removeInstances(spec, recs),
      addSurge: async (count) => {
        this.log.debug({ pool: spec.pool, count, poolCount }, 'adding surge nodes');
        await this.createInstances(spec, status, count, 0, true);
      },
      fail: (failure) => this.settle(spec, status, failure),
    };
  }

  /** Deletes instances with their Nodes. */
  private async removeInstances(spec: VmssSpec, recs: InstanceRecord[]): Promise<void> {
    const ops: TxnOp[] = [];
    for (const rec of recs) ops.push({ type: 'delete', key: instanceKey(spec.uid, spec.pool, rec.instanceId) }, { type: 'delete', key: registryKey(spec.uid, 'nodes', undefined, rec.name) });
    for (let i = 0; i < ops.length; i += 2 * BATCH) await this.store.txn({ then: ops.slice(i, i + 2 * BATCH) });
  }

  /** Cordons the node and takes it down for a new OS disk; it boots the new model after the reimage delay. */
  private async startReimage(spec: VmssSpec, rec: InstanceRecord): Promise<void> {
    const delay = this.speed.delay(FLEET_TIMING.reimageMs);
    this.log.debug({ pool: spec.pool, node: rec.name }, 'reimaging node');
    await this.writeInstanceAndNode(spec, { ...rec, state: 'Reimaging', target: spec.model, readyAt: this.clock.nowMs() + delay, failure: undefined, draining: undefined, quarantined: undefined }, false);
  }

  private writeInstanceAndNode(spec: VmssSpec, rec: InstanceRecord, ready: boolean, noNode = false): Promise<void> {
    return writeInstanceAndNode(this.store, this.clock, spec, rec, ready, noNode);
  }
}
