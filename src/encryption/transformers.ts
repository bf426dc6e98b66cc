/**
 * Which storage transformer applies to a resource of a cluster: the identity transformer by default, or what a
 * registered provider chooses (the KMS feature returns its KMS v1/v2 chain for a KMS cluster's `secrets`, as AKS's
 * EncryptionConfiguration lists only secrets).
 */
import type { StorageTransformer } from './types.js';

export const identityTransformer: StorageTransformer = {
  name: 'identity',
  toStorage: async (plain) => plain,
  fromStorage: async (stored) => ({ plain: stored, stale: false }),
};

/** The cluster a transformer is chosen for: its uid is its store prefix. */
export interface TransformedCluster {
  uid: string;
}

/**
 * Chooses the transformer for one resource of one cluster, or undefined to leave the choice to the next
 * provider (and finally to identity). Called once per request or controller pass, so it may read the cluster's
 * configuration from the store.
 */
export type TransformerProvider = (cluster: TransformedCluster, resource: string) => StorageTransformer | undefined | Promise<StorageTransformer | undefined>;

export class StorageTransformers {
  private readonly providers: TransformerProvider[] = [];

  /** Adds a provider; the most recently registered one is asked first. */
  register(provider: TransformerProvider): void {
    this.providers.unshift(provider);
  }

  async forResource(cluster: TransformedCluster, resource: string): Promise<StorageTransformer> {
    for (const provider of this.providers) {
      const t = await provider(cluster, resource);
      if (t) return t;
    }
    return identityTransformer;
  }
}
