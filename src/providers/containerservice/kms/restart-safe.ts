/**
 * The transformer a request holds while the cluster's encryption configuration changes under it. A rotation,
 * enable or disable "restarts" the API server with a new provider chain (runtime.ts) and closes the old one's
 * plugin connections at once; a request that took the old chain just before would then fail on a closed channel,
 * a 500 for a write that a real API server, draining its requests before it restarts, would have served. Here such
 * a request is served by the new chain instead, as the retry of a client whose API server restarted would be.
 */
import type { ProviderChain } from '../../../encryption/chain.js';
import type { EncryptionProvider, StorageTransformer, TransformOptions } from '../../../encryption/types.js';

/** Configuration changes one request may see; more in a row means something else is wrong. */
const MAX_RESTARTS = 3;

export class RestartSafeTransformer implements StorageTransformer {
  readonly name: string;

  constructor(
    private chain: ProviderChain,
    /** The cluster's chain as it is now (the runtime builds a new one after a configuration change). */
    private readonly current: () => Promise<ProviderChain | undefined>,
  ) {
    this.name = chain.name;
  }

  get writer(): EncryptionProvider {
    return this.chain.writer;
  }

  toStorage(plain: Buffer, etcdKey: string, opts?: TransformOptions): Promise<Buffer> {
    return this.run((c) => c.toStorage(plain, etcdKey, opts));
  }

  fromStorage(stored: Buffer, etcdKey: string, opts?: TransformOptions): Promise<{ plain: Buffer; stale: boolean }> {
    return this.run((c) => c.fromStorage(stored, etcdKey, opts));
  }

  private async run<R>(op: (chain: ProviderChain) => Promise<R>): Promise<R> {
    for (let restarts = 0; ; restarts++) {
      const chain = this.chain;
      try {
        return await op(chain);
      } catch (err) {
        // Only a failure of a chain that has been closed meanwhile is the restart's; any other is the request's.
        if (!chain.closed || restarts >= MAX_RESTARTS) throw err;
        const next = await this.current();
        if (!next || next === chain) throw err;
        this.chain = next;
      }
    }
  }
}
