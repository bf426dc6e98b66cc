/**
 * A request that took a cluster's provider chain just before a rotation closed it is served by the new chain, not
 * failed with a closed gRPC channel (which surfaced as a 500 under a rotation racing writes); a failure of a chain
 * that is still open is the request's own and is not retried.
 */
import { describe, expect, it } from 'vitest';
import { ProviderChain } from '../../src/encryption/chain.js';
import { IdentityProvider } from '../../src/encryption/identity.js';
import { KmsV1Client } from '../../src/encryption/kms-api/client.js';
import { KmsV1Provider } from '../../src/encryption/kms-v1.js';
import { RestartSafeTransformer } from '../../src/providers/containerservice/kms/restart-safe.js';

const KEY = '/registry/secrets/default/s';

describe('transformers across an API server restart (SPEC K-3)', () => {
  it('a chain closed under a request hands it to the current chain', async () => {
    const old = new ProviderChain([new KmsV1Provider('azurekmsprovider', new KmsV1Client('unix:///nonexistent/kms.sock', 200))]);
    old.close();
    // The closed chain itself fails, as the request that held it did.
    await expect(old.toStorage(Buffer.from('v'), KEY)).rejects.toThrow();
    const next = new ProviderChain([new IdentityProvider()]);
    let asked = 0;
    const t = new RestartSafeTransformer(old, async () => {
      asked++;
      return next;
    });
    expect(await t.toStorage(Buffer.from('plain'), KEY)).toEqual(Buffer.from('plain'));
    expect((await t.fromStorage(Buffer.from('plain'), KEY)).plain).toEqual(Buffer.from('plain'));
    expect(asked).toBe(1);
    expect(t.writer.kind).toBe('identity');
  });

  it("an open chain's failure is the request's own: no retry", async () => {
    const open = new ProviderChain([new IdentityProvider()]);
    let asked = 0;
    const t = new RestartSafeTransformer(open, async () => {
      asked++;
      return new ProviderChain([new IdentityProvider()]);
    });
    await expect(t.fromStorage(Buffer.from('k8s:enc:kms:v1:azurekmsprovider:xyz'), KEY)).rejects.toThrow();
    expect(asked).toBe(0);
  });
});
