/**
 * The Key Vault crypto worker pool (keyvault/crypto-pool.ts) when a worker dies: the operations it was given are
 * rejected with a clear error instead of hanging, and a fresh worker serves the next ones.
 */
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { CryptoPool } from '../../src/keyvault/crypto-pool.js';
import { privateExponentHash, type PrivateOpSpec } from '../../src/keyvault/key-crypto.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 4096 });
const OAEP: PrivateOpSpec = { op: 'decrypt', padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
const plain = Buffer.from('a data encryption key');
const ciphertext = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, plain);
// RSA1_5 decryption with a 4096-bit key (~5 ms each): a queue of them is still running when the worker is killed.
const PKCS1: PrivateOpSpec = { op: 'decrypt-pkcs1v15', dHash: privateExponentHash(privateKey) };
const slowCiphertext = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, plain);
const inline = () => privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, ciphertext);

describe('Key Vault crypto pool', () => {
  let pool: CryptoPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it('rejects the operations of a worker that dies and serves the next ones on a fresh worker', async () => {
    const started: Worker[] = [];
    pool = new CryptoPool(1, { startWorker: (source) => { const w = new Worker(source, { eval: true }); started.push(w); return w; } });
    expect(await pool.run('kid-1', privateKey, OAEP, ciphertext, inline)).toEqual(plain);

    const queued = Array.from({ length: 40 }, () => pool!.run('kid-1', privateKey, PKCS1, slowCiphertext, inline));
    await started[0]!.terminate();
    const settled = await Promise.allSettled(queued);
    // whatever the worker had not answered is rejected, never left pending (the last ones at least)
    const last = settled[settled.length - 1]!;
    expect(last.status).toBe('rejected');
    expect(String((last as PromiseRejectedResult).reason)).toMatch(/the Key Vault crypto worker stopped \(exit code 1\) before the operation finished/);

    // a fresh worker took its place (it has to be sent the key again)
    expect(await pool.run('kid-1', privateKey, PKCS1, slowCiphertext, inline)).toEqual(plain);
    expect(started).toHaveLength(2);
    expect(pool.size).toBe(1);
  });

  it('rejects what is still running when the pool is closed, and runs inline afterwards', async () => {
    pool = new CryptoPool(1);
    expect(await pool.run('kid-2', privateKey, OAEP, ciphertext, inline)).toEqual(plain);
    const queued = Array.from({ length: 40 }, () => pool!.run('kid-2', privateKey, PKCS1, slowCiphertext, inline));
    await pool.close();
    await expect(queued[queued.length - 1]).rejects.toThrow('the Key Vault crypto pool was closed before the operation finished');
    await Promise.allSettled(queued);
    expect(pool.size).toBe(0);
    expect(await pool.run('kid-2', privateKey, OAEP, ciphertext, inline)).toEqual(plain);
  });

  it('does not replace a worker that dies before it comes up: the pool shrinks and runs inline once empty', async () => {
    pool = new CryptoPool(1, { startWorker: () => new Worker('throw new Error("broken worker")', { eval: true }) });
    const first = pool.run('kid-3', privateKey, OAEP, ciphertext, inline);
    await expect(first).rejects.toThrow(/crypto worker stopped \(exit code 1: broken worker\)/);
    expect(pool.size).toBe(0);
    expect(await pool.run('kid-3', privateKey, OAEP, ciphertext, inline)).toEqual(plain);
  });
});
