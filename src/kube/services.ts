/**
 * What the Kubernetes API module shares with other modules of the same emulator: the storage-transformer
 * registry (the KMS issue registers its provider here: `kubeServices(ctx).transformers.register(...)`), a
 * registry (the generic API storage) for any cluster, and the controllers.
 */
import type { EmulatorContext } from '../emulator.js';
import type { ExtraHealthCheck } from './api/endpoints/server.js';
import { Registry } from './api/registry/registry.js';
import type { ClusterRecord } from './cluster-registry.js';
import type { KubeControllers } from './controllers/runtime.js';
import { ObjectStorage } from './storage/object-storage.js';
import { StorageTransformers } from './storage/transformer.js';

export interface KubeServices {
  transformers: StorageTransformers;
  /** The API registry of one cluster (validation, conflicts, transformer on every read and write). */
  registry(cluster: ClusterRecord): Registry;
  /** Set once the module has started them. */
  controllers?: KubeControllers;
  /** Health checks other modules add to every cluster's API server (KMS: kms-providers). */
  healthChecks: Array<(cluster: ClusterRecord) => Promise<ExtraHealthCheck[]>>;
  /** Reasons a cluster's API server is down (every request answers 503), e.g. SPEC K-11. */
  availability: Array<(cluster: ClusterRecord) => Promise<string | undefined>>;
}

const services = new WeakMap<EmulatorContext, KubeServices>();

/** The services of an emulator; created on first use, so modules may ask in any order. */
export function kubeServices(ctx: EmulatorContext): KubeServices {
  let s = services.get(ctx);
  if (!s) {
    const transformers = new StorageTransformers();
    s = {
      transformers,
      healthChecks: [],
      availability: [],
      registry: (cluster) => new Registry(new ObjectStorage(ctx.store, cluster, transformers), ctx.clock),
    };
    services.set(ctx, s);
  }
  return s;
}
