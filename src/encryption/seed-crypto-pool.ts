/**
 * KMS v2's per-object cryptography off the event loop: a worker thread runs the HKDF-Expand and AES-256-GCM of
 * seed mode (seed-transformer.ts) for the clusters' API servers, so that the main thread keeps serving HTTPS while
 * another core encrypts, as kube-apiserver's requests spread over cores. Through node:crypto each object costs
 * an HMAC and a cipher, native-backed objects with OpenSSL's algorithm lookup, ~30 µs on the request thread; a
 * request's share of a batch message costs a few.
 *
 * The operations of one event-loop turn go to the worker as one message, answered by one message (callers walking
 * many values one by one mark them `bulk` and do not come here, see seed-transformer.ts). The worker is stateless:
 * each operation carries the seed (or the DEK the transformer already derived), and every answer carries the DEK,
 * so the transformer's derived-key cache stays in one place. The worker is inline JavaScript so
 * that it runs the same from dist/, the CLI bundle and under the test runner. `AKSEMU_KMS_CRYPTO_WORKERS=0` runs
 * everything on the main thread, and so does a transformer whose pool's worker has died.
 */
import { Worker } from 'node:worker_threads';

// Batches travel as one ArrayBuffer each way (transferred, not copied), with a small descriptor per operation.
// To the worker, per operation: key(32: the seed, or the DEK when `derive` is false) || info(32, when deriving) ||
// nonce(12, when sealing) || data. Back, per operation: DEK(32) || output (empty after an error).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHmac, createCipheriv, createDecipheriv } = require('node:crypto');
const ONE = Buffer.from([1]);
parentPort.on('message', ({ ops, bytes }) => {
  const input = Buffer.from(bytes);
  const outs = [];
  const answers = [];
  let total = 0;
  for (const op of ops) {
    let at = op.offset;
    const key = input.subarray(at, (at += 32));
    let dek = key;
    let out = Buffer.alloc(0);
    let error;
    try {
      if (op.derive) dek = createHmac('sha256', key).update(input.subarray(at, (at += 32))).update(ONE).digest();
      const aad = Buffer.from(op.aad, 'utf8');
      if (op.seal) {
        const nonce = input.subarray(at, (at += 12));
        const c = createCipheriv('aes-256-gcm', dek, nonce, { authTagLength: 16 });
        c.setAAD(aad);
        const body = c.update(input.subarray(at, at + op.length));
        c.final();
        out = Buffer.concat([nonce, body, c.getAuthTag()]);
      } else {
        const data = input.subarray(at, at + op.length);
        const d = createDecipheriv('aes-256-gcm', dek, data.subarray(0, 12), { authTagLength: 16 });
        d.setAAD(aad);
        d.setAuthTag(data.subarray(data.length - 16));
        out = d.update(data.subarray(12, data.length - 16));
        try { d.final(); } catch { throw new Error('cipher: message authentication failed'); }
      }
    } catch (err) {
      error = String((err && err.message) || err);
      out = Buffer.alloc(0);
    }
    answers.push({ id: op.id, offset: total, length: out.length, error });
    outs.push(dek, out);
    total += 32 + out.length;
  }
  const result = Buffer.concat(outs, total);
  const owned = result.byteLength === result.buffer.byteLength ? result.buffer : result.buffer.slice(result.byteOffset, result.byteOffset + total);
  parentPort.postMessage({ answers, bytes: owned }, [owned]);
});
`;

interface Operation {
  id: number;
  seal: boolean;
  /** The seed when the DEK is to be derived from it and `info`, else the DEK. */
  key: Buffer;
  info?: Buffer;
  nonce?: Buffer;
  data: Buffer;
  aad: string;
}

interface Answer {
  id: number;
  offset: number;
  length: number;
  error?: string;
}

/** What a seal or open gives back: the output, and the DEK (derived or as given) for the transformer's cache. */
export interface SeedCryptoResult {
  out: Buffer;
  dek: Buffer;
}

export class SeedCryptoError extends Error {
  constructor(
    message: string,
    /** The DEK derived before the failure (kube-apiserver caches it even when the value does not decrypt). */
    readonly dek: Buffer | undefined,
  ) {
    super(message);
    this.name = 'SeedCryptoError';
  }
}

export class SeedCryptoPool {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: SeedCryptoResult) => void; reject: (e: Error) => void }>();
  private queue: Operation[] = [];
  private flushScheduled = false;
  private nextId = 1;
  private failure: Error | undefined;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.unref();
    this.worker.on('message', ({ answers, bytes }: { answers: Answer[]; bytes: ArrayBuffer }) => {
      const output = Buffer.from(bytes);
      for (const a of answers) {
        const p = this.pending.get(a.id);
        if (!p) continue;
        this.pending.delete(a.id);
        const dek = output.subarray(a.offset, a.offset + 32);
        if (a.error !== undefined) p.reject(new SeedCryptoError(a.error, dek));
        else p.resolve({ out: output.subarray(a.offset + 32, a.offset + 32 + a.length), dek });
      }
    });
    // A worker that dies fails what it was given; later calls find the pool unavailable and run on the main thread.
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the KMS crypto worker exited (code ${code})`)));
  }

  /** False once the worker has died or the pool was closed (callers then do the work themselves). */
  get available(): boolean {
    return this.failure === undefined;
  }

  /** AES-256-GCM seal under HKDF-Expand(seed, info): nonce || ciphertext || tag. */
  seal(seed: Buffer, info: Buffer, nonce: Buffer, plain: Buffer, aad: string): Promise<SeedCryptoResult> {
    return this.submit({ seal: true, key: seed, info, nonce, data: plain, aad });
  }

  /** AES-256-GCM open of nonce || ciphertext || tag, with `dek` or else HKDF-Expand(seed, info). */
  open(key: { dek: Buffer } | { seed: Buffer; info: Buffer }, data: Buffer, aad: string): Promise<SeedCryptoResult> {
    return this.submit('dek' in key ? { seal: false, key: key.dek, data, aad } : { seal: false, key: key.seed, info: key.info, data, aad });
  }

  async close(): Promise<void> {
    this.failure ??= new Error('the KMS crypto worker is closed');
    await this.worker.terminate();
  }

  private submit(op: Omit<Operation, 'id'>): Promise<SeedCryptoResult> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.queue.push({ ...op, id });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // Everything queued in this turn of the event loop travels in one message.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (this.failure) return;
    let total = 0;
    for (const op of batch) total += 32 + (op.info ? 32 : 0) + (op.nonce ? 12 : 0) + op.data.length;
    // Memory of its own, handed over to the worker: the operations' Buffers are often views of larger pooled ones.
    const bytes = Buffer.allocUnsafeSlow(total);
    let at = 0;
    const ops = batch.map((op) => {
      const offset = at;
      at += op.key.copy(bytes, at);
      if (op.info) at += op.info.copy(bytes, at);
      if (op.nonce) at += op.nonce.copy(bytes, at);
      at += op.data.copy(bytes, at);
      return { id: op.id, seal: op.seal, derive: op.info !== undefined, aad: op.aad, offset, length: op.data.length };
    });
    this.worker.postMessage({ ops, bytes: bytes.buffer }, [bytes.buffer]);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }
}
