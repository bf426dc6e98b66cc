/**
 * RSA private-key operations off the event loop (bench/keyvault.ts): a small pool of worker threads runs
 * `privateDecrypt` (RSA-OAEP-256, RSA-OAEP, raw RSA for PSS), RSA1_5 decryption (raw RSA and pkcs1v15.ts's decoding), and the PKCS#1 private operation of RS*
 * signatures, so that the main thread keeps serving HTTPS (TLS, parsing, authorization, audit) while a core does
 * RSA. An RSA-2048 private operation costs ~0.3 ms, about three times a whole request without it.
 *
 * Keys are KeyObjects (cloneable to workers); each worker caches them by kid (key material of a kid never changes).
 * The pool size is `AKSEMU_KV_CRYPTO_WORKERS` (0 = run on the main thread), default: CPU count − 1, at least 1.
 * The worker is inline JavaScript so that it runs the same from dist/ and under the test runner; the RSA1_5 decoding
 * is the source of pkcs1v15.ts's function (self-contained for this reason), so both sides run the same code.
 *
 * A worker that dies (killed, out of memory, a crash in native code) fails the operations it was given with a
 * clear error — never leaving their promises pending — and a fresh worker takes its place; one that dies before
 * it said it was ready (its set-up failed) is not replaced (the pool shrinks, and runs inline once empty), so a broken worker cannot spin.
 */
import type { KeyObject } from 'node:crypto';
import { PKCS1_REJECTED, type PrivateOpSpec } from './key-crypto.js';
import { decodePkcs1v15 } from './pkcs1v15.js';
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const crypto = require('node:crypto');
const keys = new Map();
const decodePkcs1v15 = ${decodePkcs1v15.toString()};
function pkcs1v15(key, data, dHash) {
  const em = crypto.privateDecrypt({ key, padding: crypto.constants.RSA_NO_PADDING }, data);
  const { message, rejected } = decodePkcs1v15(em, data, Buffer.from(dHash.buffer, dHash.byteOffset, dHash.byteLength), crypto.createHmac);
  em.fill(0);
  if (rejected) throw new Error(${JSON.stringify(PKCS1_REJECTED)});
  return message;
}
parentPort.on('message', (m) => {
  try {
    let key = keys.get(m.kid);
    if (m.key) { key = m.key; if (keys.size > 4096) keys.clear(); keys.set(m.kid, key); }
    if (!key) { parentPort.postMessage({ id: m.id, missing: true }); return; }
    const data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
    const out = m.op === 'decrypt-pkcs1v15'
      ? pkcs1v15(key, data, m.dHash)
      : m.op === 'decrypt'
      ? crypto.privateDecrypt({ key, padding: m.padding, ...(m.oaepHash ? { oaepHash: m.oaepHash } : {}) }, data)
      : crypto.privateEncrypt({ key, padding: m.padding }, data);
    parentPort.postMessage({ id: m.id, result: out });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String(err && err.message || err) });
  }
});
parentPort.postMessage({ ready: true });
`;

interface WorkerSlot {
  worker: Worker;
  /** Kids whose key this worker holds. */
  known: Set<string>;
  busy: number;
  /** Ids of the operations this worker was given and has not answered. */
  inFlight: Set<number>;
  /** Whether it said it was ready (its set-up ran). */
  ready: boolean;
  /** Why it died, when it reported an error before exiting. */
  lastError?: Error;
}

interface Pending {
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
  retry: () => void;
}

export type PrivateOp = PrivateOpSpec;

export interface CryptoPoolOptions {
  /** Starts a worker from its source (tests keep a handle on the workers this way). */
  startWorker?: (source: string) => Worker;
}

const startEvalWorker = (source: string) => new Worker(source, { eval: true });

export class CryptoPool {
  private readonly workers: WorkerSlot[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private readonly startWorker: (source: string) => Worker;

  constructor(size = Number(process.env.AKSEMU_KV_CRYPTO_WORKERS ?? Math.max(1, cpus().length - 1)), options: CryptoPoolOptions = {}) {
    this.startWorker = options.startWorker ?? startEvalWorker;
    for (let i = 0; i < size; i++) this.workers.push(this.spawn());
  }

  get size(): number {
    return this.workers.length;
  }

  private spawn(): WorkerSlot {
    const worker = this.startWorker(WORKER_SOURCE);
    worker.unref();
    const slot: WorkerSlot = { worker, known: new Set<string>(), busy: 0, inFlight: new Set<number>(), ready: false };
    worker.on('message', (m: { id: number; result?: Uint8Array; error?: string; missing?: boolean; ready?: boolean }) => {
      if (m.ready) {
        slot.ready = true;
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      slot.inFlight.delete(m.id);
      slot.busy--;
      if (m.missing) {
        slot.known.clear();
        p.retry();
      } else if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(Buffer.from(m.result!.buffer, m.result!.byteOffset, m.result!.byteLength));
    });
    worker.on('error', (err) => {
      slot.known.clear();
      slot.lastError = err;
    });
    worker.on('exit', (code) => this.died(slot, code));
    return slot;
  }

  /** Fails what a dead worker was given, and puts a fresh worker in its place (unless the pool is closing). */
  private died(slot: WorkerSlot, code: number): void {
    const reason = this.closed
      ? new Error('the Key Vault crypto pool was closed before the operation finished')
      : new Error(`the Key Vault crypto worker stopped (exit code ${code}${slot.lastError ? `: ${slot.lastError.message}` : ''}) before the operation finished`);
    for (const id of slot.inFlight) {
      const p = this.pending.get(id);
      this.pending.delete(id);
      p?.reject(reason);
    }
    slot.inFlight.clear();
    const at = this.workers.indexOf(slot);
    if (at < 0 || this.closed) return;
    if (slot.ready) this.workers[at] = this.spawn();
    else this.workers.splice(at, 1);
  }

  /** Runs a private-key operation in the least busy worker (or inline when the pool is empty). */
  run(kid: string, key: KeyObject, op: PrivateOp, data: Buffer, inline: () => Buffer): Promise<Buffer> {
    if (this.workers.length === 0) return Promise.resolve(inline());
    return new Promise<Buffer>((resolve, reject) => {
      const send = () => {
        if (this.workers.length === 0) {
          // Every worker died before it came up (see died()): the operation runs here.
          try {
            resolve(inline());
          } catch (err) {
            reject(err as Error);
          }
          return;
        }
        let entry = this.workers[0]!;
        for (const w of this.workers) if (w.busy < entry.busy) entry = w;
        const id = this.nextId++;
        const withKey = !entry.known.has(kid);
        if (withKey) entry.known.add(kid);
        entry.busy++;
        entry.inFlight.add(id);
        this.pending.set(id, { resolve, reject, retry: send });
        entry.worker.postMessage({ id, kid, ...(withKey ? { key } : {}), ...op, data });
      };
      send();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    this.workers.length = 0;
  }
}
