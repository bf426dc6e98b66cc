/**
 * The storage-transformer contract of the clusters' Kubernetes API (src/kube/storage/transformer.ts): every object
 * goes through `toStorage` on its way into the store and through `fromStorage` on its way out, with its real etcd
 * key (`/registry/secrets/<ns>/<name>`, no cluster prefix). Declared here structurally so the encryption layer
 * does not depend on the API layer above it.
 */
export interface StorageTransformer {
  readonly name: string;
  toStorage(plain: Buffer, etcdKey: string, opts?: TransformOptions): Promise<Buffer>;
  /** `stale`: the bytes are not in the form the current configuration writes (a no-op update rewrites them). */
  fromStorage(stored: Buffer, etcdKey: string, opts?: TransformOptions): Promise<{ plain: Buffer; stale: boolean }>;
}

/** `bulk`: one of many values a caller walks through (see src/kube/storage/transformer.ts). */
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
