/**
 * The storage-transformer seam (SPEC A-3): every object the clusters' Kubernetes API writes goes through
 * `toStorage` on its way into the store and through `fromStorage` on its way out, exactly where kube-apiserver
 * applies its EncryptionConfiguration (k8s.io/apiserver/pkg/storage/value). `etcdKey` is the object's real etcd key
 * (`/registry/secrets/<ns>/<name>`, without the cluster prefix): KMS v2 binds ciphertexts to it as authenticated
 * data, as kube-apiserver does.
 *
 * `stale` on read means "these bytes are not in the form the current configuration would write" (plaintext while
 * KMS is on, an old key after a rotation). Every update path re-encodes through `toStorage`, so a read-then-write
 * of a stale object (`kubectl get secrets -A -o json | kubectl replace -f -`) migrates it.
 */
export interface StorageTransformer {
  readonly name: string;
  toStorage(plain: Buffer, etcdKey: string, opts?: TransformOptions): Promise<Buffer>;
  /** `stale`: the bytes are not in the form the current configuration writes (a no-op update rewrites them). */
  fromStorage(stored: Buffer, etcdKey: string, opts?: TransformOptions): Promise<{ plain: Buffer; stale: boolean }>;
}

/**
 * `bulk` marks one of many objects a caller walks through (a list, a watch, a migration) rather than the object of
 * a single request: KMS v2 then does its cryptography on the calling thread instead of its worker thread.
 */
export interface TransformOptions {
  bulk?: boolean;
}

/** The result of one provider's health check (kube-apiserver's `/healthz/kms-provider-<i>`). */
export interface ProviderHealth {
  ok: boolean;
  /** Why not, in kube-apiserver's words. */
  message?: string;
}

/**
 * One entry of an EncryptionConfiguration's provider list (identity, kms v1 or kms v2), as kube-apiserver's
 * prefix transformer sees it: values it writes start with `prefix`; `read` gets what follows the prefix.
 */
export interface EncryptionProvider {
  readonly kind: 'identity' | 'kms-v1' | 'kms-v2';
  /** The provider's name in the configuration ('' for identity). */
  readonly name: string;
  /** `k8s:enc:kms:v1:<name>:` / `k8s:enc:kms:v2:<name>:`; empty for identity. */
  readonly prefix: Buffer;
  write(plain: Buffer, etcdKey: string, opts?: TransformOptions): Promise<Buffer>;
  read(payload: Buffer, etcdKey: string, opts?: TransformOptions): Promise<{ plain: Buffer; stale: boolean }>;
  health(): Promise<ProviderHealth>;
  /** Drops cached DEKs/seeds (an API server restart). */
  dropCaches(): void;
  close(): void;
}

/** Every encrypted value kube-apiserver writes starts with this; the identity provider refuses to read them. */
export const ENCRYPTED_PREFIX = Buffer.from('k8s:enc:');
