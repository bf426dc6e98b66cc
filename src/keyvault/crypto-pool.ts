/**
 * RSA private-key operations off the event loop (issue 3 benchmark): a small pool of worker threads runs
 * `privateDecrypt` (RSA-OAEP-256, RSA-OAEP, raw RSA for PSS), node-forge's RSA1_5 decryption, and the PKCS#1 private operation of RS*
 * signatures, so that the main thread keeps serving HTTPS (TLS, parsing, authorization, audit) while a core does
 * RSA. An RSA-2048 private operation costs ~0.3 ms, about three times a whole request without it.
 *
 * Keys are KeyObjects (cloneable to workers); each worker caches them by kid (key material of a kid never changes).
 * The pool size is `AKSEMU_KV_CRYPTO_WORKERS` (0 = run on the main thread), default: CPU count − 1, at least 1.
 * The worker is inline JavaScript so that it runs the same from dist/ and under the test runner.
 */
import type { KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type { PrivateOpSpec } from './key-crypto.js';
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';

const FORGE_PATH = createRequire(import.meta.url).resolve('node-forge');

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const crypto = require('node:crypto');
const forge = require(${JSON.stringify(FORGE_PATH)});
const keys = new Map();
const forgeKeys = new Map();
function pkcs1v15(kid, key, data) {
  let fk = forgeKeys.get(kid);
  if (!fk) { fk = forge.pki.privateKeyFromPem(key.export({ type: 'pkcs1', format: 'pem' })); if (forgeKeys.size > 256) forgeKeys.clear(); forgeKeys.set(kid, fk); }
  return Buffer.from(fk.decrypt(data.toString('binary'), 'RSAES-PKCS1-V1_5'), 'binary');
}
parentPort.on('message', (m) => {
  try {
    let key = keys.get(m.kid);
    if (m.key) { key = m.key; if (keys.size > 4096) keys.clear(); keys.set(m.kid, key); }
    if (!key) { parentPort.postMessage({ id: m.id, missing: true }); return; }
    const data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
    const out = m.op === 'decrypt-pkcs1v15'
      ? pkcs1v15(m.kid, key, data)
      : m.op === 'decrypt'
      ? crypto.privateDecrypt({ key, padding: m.padding, ...(m.oaepHash ? { oaepHash: m.oaepHash } : {}) }, data)
      : crypto.privateEncrypt({ key, padding: m.padding }, data);
    parentPort.postMessage({ id: m.id, result: out });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String(err && err.message || err) });
  }
});
`;

interface Pending {
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
  retry: () => void;
}

export type PrivateOp = PrivateOpSpec;

export class CryptoPool {
  private readonly workers: Array<{ worker: Worker; known: Set<string>; busy: number }> = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(size = Number(process.env.AKSEMU_KV_CRYPTO_WORKERS ?? Math.max(1, cpus().length - 1))) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.unref();
      const entry = { worker, known: new Set<string>(), busy: 0 };
      worker.on('message', (m: { id: number; result?: Uint8Array; error?: string; missing?: boolean }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        entry.busy--;
        if (m.missing) {
          entry.known.clear();
          p.retry();
        } else if (m.error !== undefined) p.reject(new Error(m.error));
        else p.resolve(Buffer.from(m.result!.buffer, m.result!.byteOffset, m.result!.byteLength));
      });
      worker.on('error', () => {
        entry.known.clear();
      });
      this.workers.push(entry);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** Runs a private-key operation in the least busy worker (or inline when the pool is empty). */
  run(kid: string, key: KeyObject, op: PrivateOp, data: Buffer, inline: () => Buffer): Promise<Buffer> {
    if (this.workers.length === 0) return Promise.resolve(inline());
    return new Promise<Buffer>((resolve, reject) => {
      const send = () => {
        let entry = this.workers[0]!;
        for (const w of this.workers) if (w.busy < entry.busy) entry = w;
        const id = this.nextId++;
        const withKey = !entry.known.has(kid);
        if (withKey) entry.known.add(kid);
        entry.busy++;
        this.pending.set(id, { resolve, reject, retry: send });
        entry.worker.postMessage({ id, kid, ...(withKey ? { key } : {}), ...op, data });
      };
      send();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    this.workers.length = 0;
  }
}
