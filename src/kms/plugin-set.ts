/**
 * The plugins running in one place (the plugins' thread, or the main thread), by the number their host gave them.
 * Starts and stops run one at a time, and a plugin started on a socket that another one serves replaces it: the
 * old one is stopped first. Two servers cannot share a path anyway (binding unlinks the other's file, and closing a
 * unix socket server unlinks the path whoever holds it now), and an API server restarted with the same key starts
 * its plugin on the same socket while the old one is still being stopped.
 */
import { KeyedQueue } from '../util/keyed-queue.js';
import { createPlugin } from './plugin-factory.js';
import type { KmsPlugin } from './plugin.js';
import type { PluginSpec } from './plugin-spec.js';

export class PluginSet {
  private readonly running = new Map<number, { plugin: KmsPlugin; listenAddr: string }>();
  /** One queue for every start and stop of this set (a single key). */
  private readonly queue = new KeyedQueue();

  start(id: number, spec: PluginSpec): Promise<void> {
    return this.serially(async () => {
      for (const [other, entry] of this.running) {
        if (entry.listenAddr !== spec.listenAddr) continue;
        this.running.delete(other);
        await entry.plugin.stop();
      }
      const plugin = createPlugin(spec);
      await plugin.start();
      this.running.set(id, { plugin, listenAddr: spec.listenAddr });
    });
  }

  /** Stops plugin `id`; nothing when it was replaced or stopped already. */
  stop(id: number): Promise<void> {
    return this.serially(async () => {
      const entry = this.running.get(id);
      this.running.delete(id);
      await entry?.plugin.stop();
    });
  }

  stopAll(): Promise<void> {
    return this.serially(async () => {
      const all = [...this.running.values()];
      this.running.clear();
      await Promise.all(all.map((e) => e.plugin.stop()));
    });
  }

  private serially(step: () => Promise<void>): Promise<void> {
    return this.queue.run('plugins', step);
  }
}
