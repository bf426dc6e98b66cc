/**
 * The clusters' Kubernetes APIs (SPEC A-1..A-3): the API under `/_k8s/<fqdn>` (and `<fqdn>` through the proxy),
 * pods/attach and pods/exec over WebSockets, and the per-cluster controllers (namespaces, kube-system pods,
 * scheduler, kubelets). Wired by the composition root, which hands it the cluster configuration source (the
 * container service) and receives the seams other features plug into (`KubeExtensions`: KMS registers its
 * storage transformer, health checks and "down" reason there).
 */
import type { Logger } from 'pino';
import { clusterRecordKey, type ClusterRecord } from '../clusters/cluster-registry.js';
import { getJson } from '../store/json.js';
import type { DrainOutcome } from '../fleet/drain.js';
import { drainNode } from './controllers/node-drain.js';
import { StorageTransformers } from '../encryption/transformers.js';
import type { FrontDoor } from '../frontdoor/server.js';
import type { TokenService } from '../identity/tokens.js';
import type { Clock, Speed } from '../runtime/clock.js';
import type { Lifecycle } from '../runtime/lifecycle.js';
import type { TaskRunner } from '../runtime/tasks.js';
import type { Store } from '../store/store.js';
import { kubeFrameworkError, registerKubeApi, type ExtraHealthCheck } from './api/endpoints/server.js';
import { Registry } from './api/registry/registry.js';
import { clusterByFqdn, type ClusterConfigSource, type ClusterView } from './clusters.js';
import { KubeControllers } from './controllers/runtime.js';
import { ObjectStorage } from './storage/object-storage.js';
import { LocalWrites } from './storage/local-writes.js';
import { PodStreams } from './streams/endpoint.js';

export interface KubeDeps {
  store: Store;
  clock: Clock;
  speed: Speed;
  log: Logger;
  tokens: TokenService;
  tasks: Pick<TaskRunner, 'addActivity'>;
  frontDoor: Pick<FrontDoor, 'app' | 'onUpgrade' | 'setFrameworkErrorFormatter'>;
  lifecycle: Lifecycle;
  /** The instance's CA certificate (the kube-root-ca.crt config maps). */
  caPem: string;
  /** What the cluster's owner says about each cluster (its version, VNet Integration, Entra ID integration). */
  clusterConfig: ClusterConfigSource;
  /**
   * Azure RBAC for Kubernetes authorization (SPEC Z-3): whether `principalId` holds `dataAction` at `scope` (a
   * cluster's resource id, or `<cluster id>/namespaces/<ns>`) through its role assignments.
   */
  dataActionGranted(principalId: string, scope: string, dataAction: string): Promise<boolean>;
}

/** The seams through which other features extend every cluster's API server. */
export interface KubeExtensions {
  /** Storage transformers per resource (KMS encrypts secrets). */
  transformers: StorageTransformers;
  /** Health checks added to every cluster's API server (KMS: kms-providers). */
  healthChecks: Array<(cluster: ClusterRecord) => Promise<ExtraHealthCheck[]>>;
  /** Reasons a cluster's API server is down (every request answers 503), e.g. SPEC K-11. */
  availability: Array<(cluster: ClusterRecord) => Promise<string | undefined>>;
}

export interface Kube extends KubeExtensions {
  /** The API registry of one cluster (validation, conflicts, transformer on every read and write). */
  registry(cluster: ClusterRecord): Registry;
  controllers: KubeControllers;
  /** One eviction pass over a node the fleet is about to reimage (SPEC W-14); a cluster that is gone has nothing to drain. */
  drainNode(uid: string, node: string): Promise<DrainOutcome>;
}

export async function startKube(deps: KubeDeps): Promise<Kube> {
  const transformers = new StorageTransformers();
  // Every registry tells its writes to the controllers' informers (SPEC W-20: passes read caches, not the store).
  const localWrites = new LocalWrites();
  const registry = (cluster: ClusterRecord) => new Registry(new ObjectStorage(deps.store, cluster, transformers, localWrites), deps.clock);
  const healthChecks: KubeExtensions['healthChecks'] = [];
  const availability: KubeExtensions['availability'] = [];
  const unavailable = async (cluster: ClusterView): Promise<string | undefined> => {
    for (const a of availability) {
      const reason = await a(cluster.record);
      if (reason) return reason;
    }
    return undefined;
  };
  const cluster = (fqdn: string) => clusterByFqdn(deps.store, deps.clusterConfig, fqdn);
  deps.frontDoor.setFrameworkErrorFormatter('/_k8s/', kubeFrameworkError);
  registerKubeApi(deps.frontDoor.app, {
    tokens: deps.tokens,
    cluster,
    registry: (c) => registry(c.record),
    now: () => deps.clock.now(),
    extraHealthChecks: async (c) => (await Promise.all(healthChecks.map((h) => h(c.record)))).flat(),
    unavailable,
    dataActionGranted: deps.dataActionGranted,
  });
  // pods/attach and pods/exec: WebSocket upgrades, which reach the front door's upgrade hook, not fastify.
  const streams = new PodStreams({
    tokens: deps.tokens,
    store: deps.store,
    cluster,
    registry: (c) => registry(c.record),
    unavailable,
    log: deps.log.child({ component: 'kube-streams' }),
    dataActionGranted: deps.dataActionGranted,
  });
  deps.frontDoor.onUpgrade(streams.onUpgrade);
  const controllers = new KubeControllers({
    store: deps.store,
    clusterConfig: deps.clusterConfig,
    clock: deps.clock,
    speed: deps.speed,
    log: deps.log.child({ component: 'kube-controllers' }),
    caPem: deps.caPem,
    registry,
    localWrites,
  });
  deps.tasks.addActivity(() => controllers.busy());
  // Stopped before the store closes: the front door (fastify) closes first on shutdown.
  deps.lifecycle.onClose(async () => controllers.stop());
  await controllers.start();
  const drain = async (uid: string, node: string): Promise<DrainOutcome> => {
    const record = (await getJson<ClusterRecord>(deps.store, clusterRecordKey(uid)))?.value;
    return record ? drainNode(registry(record), node) : { empty: true };
  };
  return { transformers, healthChecks, availability, registry, controllers, drainNode: drain };
}
