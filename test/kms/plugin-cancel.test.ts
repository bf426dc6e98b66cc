/**
 * The plugin passes a call's cancellation to its Key Vault request: a caller whose deadline passes (kube-apiserver's
 * 3 s) aborts the request in flight, and a call that was answered is not aborted afterwards (grpc-js reports every
 * closed stream as cancelled).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsV2Client } from '../../src/encryption/kms-api/client.js';
import { KmsPlugin } from '../../src/kms/plugin.js';
import { LocalRsaCrypto, tempSocket } from './support.js';

/** A vault that answers at once, or, for `hang`, only when the request is aborted; it records the aborts it sees. */
class SignalWatchingCrypto extends LocalRsaCrypto {
  hang = false;
  aborted = 0;

  override async encrypt(plain: Buffer, algorithm: Parameters<LocalRsaCrypto['encrypt']>[1], signal?: AbortSignal) {
    signal?.addEventListener('abort', () => this.aborted++);
    if (this.hang) await new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve()));
    return super.encrypt(plain, algorithm);
  }
}

describe('cancellation of plugin calls', () => {
  const crypto = new SignalWatchingCrypto();
  const socket = tempSocket();
  const plugin = new KmsPlugin({ listenAddr: `unix://${socket}`, crypto });
  beforeAll(() => plugin.start());
  afterAll(() => plugin.stop());

  it('an answered call is not aborted afterwards', async () => {
    const client = new KmsV2Client(`unix://${socket}`, 5_000);
    for (let i = 0; i < 20; i++) await client.encrypt(Buffer.alloc(32, i));
    await new Promise((r) => setTimeout(r, 50));
    expect(crypto.aborted).toBe(0);
    client.close();
  });

  it('a call past its deadline aborts the Key Vault request in flight', async () => {
    crypto.hang = true;
    const client = new KmsV2Client(`unix://${socket}`, 200);
    await expect(client.encrypt(Buffer.alloc(32))).rejects.toThrow(/Deadline exceeded|DEADLINE_EXCEEDED/i);
    await expect.poll(() => crypto.aborted, { timeout: 2_000 }).toBe(1);
    crypto.hang = false;
    client.close();
  });
});
