/**
 * An EncryptionConfiguration's provider list as kube-apiserver applies it (its prefix transformer): the first
 * provider writes; on read, the first provider whose prefix the value starts with reads it (identity has no
 * prefix and refuses encrypted values, so it is tried in its place and skipped on failure). A value read by any
 * provider other than the first is stale, so a no-op update (`kubectl get | replace`) rewrites it with the first.
 *
 * Disabling encryption puts identity first and keeps the KMS providers after it for reading (SPEC K-8, K-10).
 */
import type { EncryptionProvider, ProviderHealth, StorageTransformer, TransformOptions } from './types.js';

export class NoProviderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoProviderError';
  }
}

export class ProviderChain implements StorageTransformer {
  readonly name: string;
  /** Set once the chain's providers are closed (their API server "restarted" with another configuration). */
  private closedAt = false;

  constructor(readonly providers: EncryptionProvider[]) {
    if (providers.length === 0) throw new Error('an encryption configuration needs at least one provider');
    this.name = providers.map((p) => (p.kind === 'identity' ? 'identity' : `${p.kind}:${p.name}`)).join(',');
  }

  get writer(): EncryptionProvider {
    return this.providers[0]!;
  }

  toStorage(plain: Buffer, etcdKey: string, opts?: TransformOptions): Promise<Buffer> {
    return this.writer.write(plain, etcdKey, opts);
  }

  /** Which provider would read `stored` (by prefix), or undefined. */
  providerFor(stored: Buffer): { provider: EncryptionProvider; index: number } | undefined {
    for (let i = 0; i < this.providers.length; i++) {
      const p = this.providers[i]!;
      if (p.prefix.length > 0 && stored.subarray(0, p.prefix.length).equals(p.prefix)) return { provider: p, index: i };
    }
    return undefined;
  }

  async fromStorage(stored: Buffer, etcdKey: string, opts?: TransformOptions): Promise<{ plain: Buffer; stale: boolean }> {
    let identityError: Error | undefined;
    for (let i = 0; i < this.providers.length; i++) {
      const p = this.providers[i]!;
      if (p.prefix.length === 0) {
        try {
          const r = await p.read(stored, etcdKey);
          return { plain: r.plain, stale: r.stale || i !== 0 };
        } catch (err) {
          identityError = err as Error;
          continue;
        }
      }
      if (stored.subarray(0, p.prefix.length).equals(p.prefix)) {
        const r = await p.read(stored.subarray(p.prefix.length), etcdKey, opts);
        return { plain: r.plain, stale: r.stale || i !== 0 };
      }
    }
    throw new NoProviderError(identityError ? identityError.message : 'no matching prefix found');
  }

  /** Every KMS provider's health, in order (kube-apiserver: kms-provider-0, kms-provider-1, ...). */
  async health(): Promise<Array<{ provider: EncryptionProvider; health: ProviderHealth }>> {
    const kms = this.providers.filter((p) => p.kind !== 'identity');
    return Promise.all(kms.map(async (provider) => ({ provider, health: await provider.health() })));
  }

  dropCaches(): void {
    for (const p of this.providers) p.dropCaches();
  }

  get closed(): boolean {
    return this.closedAt;
  }

  close(): void {
    this.closedAt = true;
    for (const p of this.providers) p.close();
  }
}
