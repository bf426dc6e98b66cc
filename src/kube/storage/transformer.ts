/**
 * The storage-transformer seam (SPEC A-3, issue 5 item 4): every object the Kubernetes API writes goes through
 * `toStorage` on its way into the store and through `fromStorage` on its way out, exactly where kube-apiserver
 * applies its EncryptionConfiguration (k8s.io/apiserver/pkg/storage/value). The identity transformer is the
 * default; the KMS issue registers a provider that returns KMS v1/v2 transformers for a cluster's secrets.
 *
 * `etcdKey` is the object's real etcd key (`/registry/secrets/<ns>/<name>`, without the cluster prefix): KMS v2
 * binds ciphertexts to it as authenticated data, as kube-apiserver does.
 *
 * `stale` on read means "these bytes are not in the form the current configuration would write" (plaintext while
 * KMS is on, an old key after a rotation). Every update path re-encodes through `toStorage`, so a read-then-write
 * of a stale object (`kubectl get secrets -A -o json | kubectl replace -f -`) migrates it.
 *
 * `bulk` marks one of many objects a caller walks through (a list, a watch, a migration) rather than the object of
 * a single request: KMS v2 then does its cryptography on the calling thread instead of its worker thread.
 */
import type { ClusterRecord } from '../cluster-registry.js';

export interface StorageTransformer {
  /** A short name for diagnostics ("identity", "kms:v2:<plugin>"). */
  readonly name: string;
  toStorage(plain: Buffer, etcdKey: string, opts?: TransformOptions): Promise<Buffer>;
  fromStorage(stored: Buffer, etcdKey: string, opts?: TransformOptions): Promise<{ plain: Buffer; stale: boolean }>;
}

export interface TransformOptions {
  bulk?: boolean;
}

export const identityTransformer: StorageTransformer = {
  name: 'identity',
  toStorage: async (plain) => plain,
  fromStorage: async (stored) => ({ plain: stored, stale: false }),
};

/**
 * Chooses the transformer for one resource of one cluster, or undefined to leave the choice to the next
 * provider (and finally to identity). Called once per request or controller pass, so it may read the cluster's
 * configuration from the store.
 */
export type TransformerProvider = (cluster: ClusterRecord, resource: string) => StorageTransformer | undefined | Promise<StorageTransformer | undefined>;

export class StorageTransformers {
  private readonly providers: TransformerProvider[] = [];

  /** Adds a provider; the most recently registered one is asked first. */
  register(provider: TransformerProvider): void {
    this.providers.unshift(provider);
  }

  async forResource(cluster: ClusterRecord, resource: string): Promise<StorageTransformer> {
    for (const provider of this.providers) {
      const t = await provider(cluster, resource);
      if (t) return t;
    }
    return identityTransformer;
  }
}
