/**
 * Where the KMS plugins aksemu runs for its clusters live: on the main thread (the default), or on one worker thread
 * of their own shared by every KMS cluster of the instance (`AKSEMU_KMS_PLUGIN_THREAD=1`). On a thread, a fault
 * in a plugin (an exception nothing catches in gRPC or the Azure SDK) ends that thread, not the emulator, which is
 * closer to AKS, where the plugin is a process beside kube-apiserver; its sockets and its HTTPS are the same.
 *
 * Why it is not the default: measured on a 2-core machine (BENCHMARKS.md, "KMS plugin calls"), the thread gained
 * little in plugin calls per second (a plugin call's gRPC, Azure SDK and TLS work competes with the main thread and
 * the vault's RSA worker for the same two cores), and the Kubernetes API ran slower after a plugin load than with
 * the plugins on the main thread, which cost the KMS v2 overhead target.
 *
 * The thread's script is plugin-thread-worker.js beside this module (in dist/ and in the CLI bundle); running from
 * TypeScript sources there is none, and the tests bundle one (testkit/global-setup.ts). If the thread dies, the
 * plugins on it are gone: the owner is told (`onLost`), and the next start begins a new thread.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PluginSpec } from './plugin-spec.js';
import type { PluginThreadAnswer, PluginThreadRequest } from './plugin-thread-messages.js';

/** A running plugin, as its owner holds it. */
export interface PluginHandle {
  stop(): Promise<void>;
}

export interface PluginHost {
  /** Starts the plugin `spec` describes; resolves once its socket answers. */
  start(spec: PluginSpec): Promise<PluginHandle>;
  /** Stops every plugin and the thread. */
  close(): Promise<void>;
}

/** The worker script built beside this module when `AKSEMU_KMS_PLUGIN_THREAD=1` asks for the thread, else undefined. */
export function defaultPluginWorker(env: NodeJS.ProcessEnv = process.env): URL | undefined {
  if (env.AKSEMU_KMS_PLUGIN_THREAD !== '1') return undefined;
  const url = new URL('./plugin-thread-worker.js', import.meta.url);
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : undefined;
}

/** Plugins on the main thread. */
export class InProcessPluginHost implements PluginHost {
  private set: Promise<import('./plugin-set.js').PluginSet> | undefined;
  private nextPlugin = 1;

  // gRPC and the Azure SDK are loaded with the first plugin, not with the emulator.
  private plugins() {
    return (this.set ??= import('./plugin-set.js').then((m) => new m.PluginSet()));
  }

  async start(spec: PluginSpec): Promise<PluginHandle> {
    const set = await this.plugins();
    const plugin = this.nextPlugin++;
    await set.start(plugin, spec);
    return { stop: () => set.stop(plugin) };
  }

  async close(): Promise<void> {
    if (this.set) await (await this.set).stopAll();
  }
}

type Pending = { resolve(): void; reject(err: Error): void };
/** A request before it is numbered (Omit of each member of the union). */
type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never;

/** Plugins on one worker thread (plugin-thread-worker.ts), started with the first plugin. */
export class ThreadPluginHost implements PluginHost {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private nextPlugin = 1;
  private closing = false;

  constructor(
    private readonly script: URL,
    /** The thread ended while plugins ran on it (they are gone). */
    private readonly onLost: (err: Error) => void = () => undefined,
  ) {}

  async start(spec: PluginSpec): Promise<PluginHandle> {
    if (this.closing) throw new Error('the KMS plugins are shutting down');
    const worker = this.ensureThread();
    const plugin = this.nextPlugin++;
    await this.send(worker, { op: 'start', plugin, spec });
    return {
      stop: async () => {
        // A plugin of a thread that has since died is gone already.
        if (this.worker === worker) await this.send(worker, { op: 'stop', plugin }).catch(() => undefined);
      },
    };
  }

  /** The thread, while it runs (its threadId tells it from the main thread's). */
  get thread(): Worker | undefined {
    return this.worker;
  }

  async close(): Promise<void> {
    this.closing = true;
    const worker = this.worker;
    if (!worker) return;
    await this.send(worker, { op: 'stopAll' }).catch(() => undefined);
    this.worker = undefined;
    await worker.terminate();
  }

  private ensureThread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.script);
    // The emulator's servers keep the process alive, not this thread (it is stopped by close()).
    worker.unref();
    worker.on('message', (answer: PluginThreadAnswer) => {
      const p = this.pending.get(answer.id);
      if (!p) return;
      this.pending.delete(answer.id);
      if (answer.ok) p.resolve();
      else p.reject(new Error(answer.error));
    });
    worker.on('error', (err) => this.lost(worker, err));
    worker.on('exit', (code) => this.lost(worker, new Error(`the KMS plugins' thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private send(worker: Worker, req: Unnumbered<PluginThreadRequest>): Promise<void> {
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        worker.postMessage({ ...req, id } as PluginThreadRequest);
      } catch (err) {
        this.pending.delete(id);
        reject(err as Error);
      }
    });
  }

  private lost(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    if (!this.closing) this.onLost(err);
  }
}
