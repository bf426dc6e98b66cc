/**
 * SPEC K-10: a cluster on KMS v1 (Kubernetes below 1.27) supports at most 2,000 secrets. The cluster's API
 * refuses to create one more while KMS v1 encrypts new secrets, as a 403 naming the limit and the way out
 * (Kubernetes 1.27+ uses KMS v2, which has no such limit); updates of existing secrets are not affected.
 */
import { KubeError } from '../../../kube/api/machinery/errors.js';
import type { EncryptionProvider, StorageTransformer, TransformOptions } from '../../../encryption/types.js';
import type { Store } from '../../../store/store.js';
import { KMS_V1_SECRET_LIMIT } from '../rules/kms.js';

export class SecretLimitTransformer implements StorageTransformer {
  readonly name: string;

  constructor(
    private readonly inner: StorageTransformer & { readonly writer: EncryptionProvider },
    private readonly store: Store,
    /** The cluster's store prefix (`/clusters/<uid>`). */
    private readonly prefix: string,
  ) {
    this.name = inner.name;
  }

  async toStorage(plain: Buffer, etcdKey: string, opts?: TransformOptions): Promise<Buffer> {
    if (this.inner.writer.kind === 'kms-v1' && !(await this.store.get(`${this.prefix}${etcdKey}`))) {
      const count = await this.store.count(`${this.prefix}/registry/secrets/`);
      if (count >= KMS_V1_SECRET_LIMIT) {
        const name = etcdKey.split('/').pop()!;
        throw new KubeError(
          403,
          'Forbidden',
          `secrets "${name}" is forbidden: the cluster has ${count} secrets, the most KMS etcd encryption supports on Kubernetes below 1.27 (KMS v1); delete unused secrets, or upgrade to 1.27 or later (KMS v2 has no such limit: disable KMS, migrate, upgrade, enable KMS, migrate)`,
          { name, kind: 'secrets' },
        );
      }
    }
    return this.inner.toStorage(plain, etcdKey, opts);
  }

  fromStorage(stored: Buffer, etcdKey: string, opts?: TransformOptions): Promise<{ plain: Buffer; stale: boolean }> {
    return this.inner.fromStorage(stored, etcdKey, opts);
  }
}
