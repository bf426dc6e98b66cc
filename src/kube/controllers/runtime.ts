/**
 * Runs every cluster's controllers (namespaces, system pods, workloads, scheduler, kubelets) as level-triggered reconcile
 * passes over the store (docs/architecture.md, "controllers are level-triggered reconcile loops"):
 *
 * - the set of clusters is the `/aks/clusters/` records (a watch starts and stops cluster runtimes);
 * - a cluster's pass runs when its nodes, pods, namespaces, Deployments, ReplicaSets, DaemonSets, StatefulSets,
 *   ControllerRevisions, Jobs, CronJobs, PersistentVolumeClaims, PersistentVolumes, StorageClasses or
 *   PodDisruptionBudgets change (the watches of the cluster's informers, informers.ts, which the pass reads those
 *   kinds from instead of listing the store), when
 *   its configuration changes (version, VNet Integration), when the emulated clock jumps, and at
 *   the due time of the next delayed step (a pod start, a graceful deletion);
 * - passes of one cluster never overlap; a change during a pass makes it run again right after.
 *
 * Nothing here is state: after a restart the informers list everything again and the first pass carries on.
 */
import type { Logger } from 'pino';
import type { Clock, Speed } from '../../runtime/clock.js';
import { decodeJson } from '../../store/json.js';
import type { Store, Watch } from '../../store/store.js';
import type { Registry } from '../api/registry/registry.js';
import type { ConfigMap, Namespace, Node, Pod, ServiceAccount } from '../api/machinery/types.js';
import type { ClusterRecord } from '../../clusters/cluster-registry.js';
import type { ClusterConfigSource, ClusterView } from '../clusters.js';
import {
  configmaps,
  controllerrevisions,
  cronjobs,
  daemonsets,
  deployments,
  jobs,
  namespaces as nsDef,
  nodes as nodeDef,
  persistentvolumeclaims,
  persistentvolumes,
  poddisruptionbudgets,
  pods as podDef,
  replicasets,
  serviceaccounts,
  statefulsets,
  storageclasses,
} from '../resources/index.js';
import type { LocalWrites } from '../storage/local-writes.js';
import { ClusterInformers } from './informers.js';
import { ClusterGoneError } from '../storage/object-storage.js';
import { EVENT_TTL_MS, expireEvents } from './event-ttl.js';
import { runKubelets } from './kubelet.js';
import { reconcileNamespaces } from './namespaces.js';
import { reconcileNodeLeases } from './node-leases.js';
import { reconcileAadAdminBinding, reconcileRbacBootstrap } from './rbac-bootstrap.js';
import { schedulePods } from './scheduler.js';
import { reconcileSystemPods } from './system-pods.js';
import { reconcileWorkloads } from './workloads.js';
import { reconcileDisruptionBudgets } from './disruption.js';
import { ensureStorageClasses } from './storage-classes.js';
import { ensureSystemServices } from './system-services.js';
import { reconcileVolumes } from './volumes.js';
import { earliest } from './workload-common.js';

export interface ControllerDeps {
  store: Store;
  /** The cluster's configuration (version, VNet Integration) as its owner states it. */
  clusterConfig: ClusterConfigSource;
  clock: Clock;
  speed: Speed;
  log: Logger;
  caPem: string;
  registry(cluster: ClusterRecord): Registry;
  /** This process's writes to the registries as they commit (the informers read their own writes through it). */
  localWrites: LocalWrites;
}

/** The kinds the controllers read, each through an informer whose changes also start a pass. */
const INFORMED = [nodeDef, podDef, nsDef, serviceaccounts, configmaps, deployments, replicasets, daemonsets, statefulsets, jobs, cronjobs, controllerrevisions, persistentvolumeclaims, persistentvolumes, storageclasses, poddisruptionbudgets];

const RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;
/** A terminating namespace is re-checked this often while its content is being deleted. */
const NAMESPACE_RECHECK_MS = 200;
/** How often (emulated time) expired events are looked for. */
const EVENT_SWEEP_MS = 60_000;

class ClusterRuntime {
  private watches: Watch[] = [];
  /** What passes read; undefined until listed, and while being restarted after a watch failed. */
  private informers: ClusterInformers | undefined;
  private running = false;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  /** When expired events were last swept (emulated ms); in memory only: a restart sweeps again. */
  private lastEventSweep = 0;
  /** The RBAC bootstrap configuration last reconciled (in memory: a restart reconciles it again). */
  private rbacReconciled: string | undefined;
  /** Whether AKS's built-in StorageClasses were ensured since this runtime started (EnsureExists, once a start). */
  private storageClassesEnsured = false;
  /** Whether the system Services (kubernetes, kube-dns, metrics-server) were ensured since this runtime started. */
  private systemServicesEnsured = false;
  /** Resolves when no pass is running or pending (tests and benchmarks wait for quiescence). */
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly deps: ControllerDeps,
    readonly record: ClusterRecord,
  ) {}

  async start(): Promise<void> {
    const trigger = () => this.trigger();
    const onError = (err: Error) => {
      this.deps.log.warn({ err, cluster: this.record.uid }, 'controller watch failed; restarting the cluster runtime watches');
      void this.rewatch();
    };
    const informers = new ClusterInformers(
      { store: this.deps.store, localWrites: this.deps.localWrites, storage: () => this.deps.registry(this.record).storage },
      this.record.uid,
      INFORMED,
      trigger,
      onError,
    );
    try {
      await informers.start();
      this.watches.push(await this.deps.store.watch(this.deps.clusterConfig.watchKey(this.record), {}, trigger, onError));
    } catch (err) {
      informers.stop();
      throw err;
    }
    if (this.stopped) {
      informers.stop();
      return;
    }
    this.informers = informers;
    this.trigger();
  }

  private stopWatches(): void {
    for (const w of this.watches) w.cancel();
    this.watches = [];
    this.informers?.stop();
    this.informers = undefined;
  }

  /** Set while the watches are being restarted: the failure of several watches at once restarts them once. */
  private rewatching = false;

  private async rewatch(): Promise<void> {
    if (this.rewatching) return;
    this.rewatching = true;
    try {
      this.stopWatches();
      await new Promise((r) => setTimeout(r, RETRY_MS));
      await this.startRetrying();
    } finally {
      this.rewatching = false;
    }
  }

  /**
   * Starts the watches, trying again after a growing pause while the store fails, until they run or the cluster's
   * runtime is stopped (SPEC R-1: a store outage must not leave a cluster without controllers). Never rejects.
   */
  async startRetrying(): Promise<void> {
    for (let pause = RETRY_MS; !this.stopped; pause = Math.min(pause * 2, MAX_RETRY_MS)) {
      try {
        await this.start();
        return;
      } catch (err) {
        this.stopWatches();
        this.deps.log.warn({ err, cluster: this.record.uid }, 'could not start the controller watches; trying again');
        await new Promise((r) => setTimeout(r, pause));
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.stopWatches();
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.idleWaiters.splice(0)) w();
  }

  trigger(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    setImmediate(() => void this.loop());
  }

  get busy(): boolean {
    return this.running && !this.stopped;
  }

  whenIdle(): Promise<void> {
    if (!this.running || this.stopped) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      let wakeAt: number | undefined;
      try {
        wakeAt = await this.pass();
        this.failures = 0;
      } catch (err) {
        if (this.stopped) break;
        if (err instanceof ClusterGoneError) {
          // Deleted under our feet: the /aks/clusters/ watch stops this runtime; nothing more to write.
          this.stop();
          break;
        }
        this.failures++;
        this.deps.log.warn({ err, cluster: this.record.uid }, 'controller pass failed; retrying');
        wakeAt = this.deps.clock.nowMs() + Math.min(30_000, RETRY_MS * 2 ** Math.min(this.failures, 6));
      }
      if (this.stopped) break;
      if (wakeAt !== undefined) this.schedule(wakeAt);
      // The watch events of this pass's own writes arrive just after it: wait for them before calling it idle.
      if (!this.again) await new Promise((r) => setTimeout(r, 10));
    } while (this.again && !this.stopped);
    this.running = false;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private schedule(wakeAt: number): void {
    if (this.timer) clearTimeout(this.timer);
    // Capped: setTimeout fires at once beyond 2^31-1 ms (a clock moved years back); a later pass reschedules.
    const ms = Math.min(2 ** 31 - 1, Math.max(0, wakeAt - this.deps.clock.nowMs()));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.trigger();
    }, ms);
    this.timer.unref?.();
  }

  /**
   * One reconcile pass; answers the emulated time at which something is due. Each step reads the informers, which
   * already hold the writes of the steps before it (local writes), as the store lists did.
   */
  private async pass(): Promise<number | undefined> {
    const informers = this.informers;
    // Not listed yet, or restarting after a failed watch: the restart triggers a pass when the caches are current.
    if (!informers) return undefined;
    const registry = this.deps.registry(this.record);
    // Each writer under the name its upstream counterpart has in managed fields (SPEC W-18).
    const controllers = registry.as('kube-controller-manager');
    const kubelet = registry.as('kubelet');
    const cluster: ClusterView = { record: this.record, config: await this.deps.clusterConfig.config(this.record) };
    const namespaces = await informers.list<Namespace>(nsDef);
    const busy = await reconcileNamespaces(controllers, this.deps.caPem, namespaces, {
      serviceAccounts: await informers.list<ServiceAccount>(serviceaccounts),
      configMaps: await informers.list<ConfigMap>(configmaps),
    });
    const rbacKey = JSON.stringify(cluster.config.aad?.adminGroupObjectIDs ?? []);
    if (this.rbacReconciled !== rbacKey) {
      await reconcileRbacBootstrap(registry.as('kube-apiserver'));
      await reconcileAadAdminBinding(registry.as('kube-apiserver'), cluster.config);
      this.rbacReconciled = rbacKey;
    }
    if (!this.storageClassesEnsured) {
      this.storageClassesEnsured = await ensureStorageClasses(registry);
    }
    if (!this.systemServicesEnsured) {
      this.systemServicesEnsured = await ensureSystemServices(registry.as('kube-apiserver'), cluster.config);
    }
    let nodes = await informers.list<Node>(nodeDef);
    await reconcileNodeLeases(kubelet, nodes);
    let pods = await informers.list<Pod>(podDef);
    await reconcileSystemPods(kubelet, cluster, nodes, pods);
    const workloadsDue = await reconcileWorkloads(controllers, informers, this.record.uid, this.deps.speed);
    pods = await informers.list<Pod>(podDef);
    await schedulePods(registry.as('kube-scheduler'), nodes, pods, namespaces);
    nodes = await informers.list<Node>(nodeDef);
    pods = await informers.list<Pod>(podDef);
    await reconcileVolumes(controllers, informers, this.record, pods);
    let due = earliest(await runKubelets(kubelet, this.deps.speed, nodes, pods), workloadsDue);
    pods = await informers.list<Pod>(podDef);
    due = earliest(due, await reconcileDisruptionBudgets(controllers, informers, pods));
    const now = this.deps.clock.nowMs();
    if (now - this.lastEventSweep >= EVENT_SWEEP_MS || now < this.lastEventSweep) {
      this.lastEventSweep = now;
      await expireEvents(controllers);
    }
    const sweep = this.lastEventSweep + Math.max(EVENT_SWEEP_MS, EVENT_TTL_MS / 4);
    due = due === undefined ? sweep : Math.min(due, sweep);
    if (busy) {
      const recheck = this.deps.clock.nowMs() + NAMESPACE_RECHECK_MS;
      due = due === undefined ? recheck : Math.min(due, recheck);
    }
    return due;
  }
}

/** Starts and stops the per-cluster runtimes as clusters appear and disappear. */
export class KubeControllers {
  private readonly clusters = new Map<string, ClusterRuntime>();
  private watch: Watch | undefined;
  private unsubscribeClock: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly deps: ControllerDeps) {}

  async start(): Promise<void> {
    await this.watchClusters();
    this.unsubscribeClock = this.deps.clock.onJump(() => {
      for (const c of this.clusters.values()) c.trigger();
    });
  }

  /** Lists the clusters, starts the runtimes of new ones, stops those of clusters gone, and follows the changes. */
  private async watchClusters(): Promise<void> {
    const page = await this.deps.store.range('/aks/clusters/');
    const onError = (err: Error) => {
      this.deps.log.warn({ err }, 'the watch of the cluster list failed; listing and watching again');
      void this.rewatchClusters();
    };
    this.watch = await this.deps.store.watch(
      '/aks/clusters/',
      { fromRevision: page.revision + 1 },
      (events) => {
        for (const ev of events) {
          const uid = ev.kv.key.slice('/aks/clusters/'.length);
          if (ev.type === 'delete') this.remove(uid);
          else void this.add(decodeJson<ClusterRecord>(ev.kv));
        }
      },
      onError,
    );
    const listed = new Set(page.items.map((kv) => kv.key.slice('/aks/clusters/'.length)));
    for (const uid of [...this.clusters.keys()]) if (!listed.has(uid)) this.remove(uid);
    for (const kv of page.items) await this.add(decodeJson<ClusterRecord>(kv));
  }

  /** After the cluster-list watch failed (a long store outage, history compacted): again until it runs (SPEC R-1). */
  private async rewatchClusters(): Promise<void> {
    this.dropClusterWatch();
    for (let pause = RETRY_MS; !this.stopped; pause = Math.min(pause * 2, MAX_RETRY_MS)) {
      await new Promise((r) => setTimeout(r, pause));
      if (this.stopped) return;
      try {
        await this.watchClusters();
        return;
      } catch (err) {
        this.dropClusterWatch();
        this.deps.log.warn({ err }, 'could not list and watch the clusters; trying again');
      }
    }
  }

  private dropClusterWatch(): void {
    this.watch?.cancel();
    this.watch = undefined;
  }

  private async add(record: ClusterRecord): Promise<void> {
    if (this.stopped || this.clusters.has(record.uid)) return;
    const runtime = new ClusterRuntime(this.deps, record);
    this.clusters.set(record.uid, runtime);
    await runtime.startRetrying();
  }

  private remove(uid: string): void {
    this.clusters.get(uid)?.stop();
    this.clusters.delete(uid);
  }

  /** Whether any cluster's controllers are working right now (TaskRunner.idle() waits for them). */
  busy(): boolean {
    for (const c of this.clusters.values()) if (c.busy) return true;
    return false;
  }

  /** Runs a pass of a cluster now and waits until its controllers are idle. */
  async settle(uid: string): Promise<void> {
    const c = this.clusters.get(uid);
    if (!c) return;
    c.trigger();
    await c.whenIdle();
  }

  stop(): void {
    this.stopped = true;
    this.watch?.cancel();
    this.unsubscribeClock?.();
    for (const c of this.clusters.values()) c.stop();
    this.clusters.clear();
  }
}
