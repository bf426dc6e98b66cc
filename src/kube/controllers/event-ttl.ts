/**
 * Events expire (kube-apiserver's --event-ttl, 1 hour by default, of emulated time): a cluster's events older
 * than that since their last occurrence are deleted, so a long-running emulator does not accumulate them.
 */
import type { Registry } from '../api/registry/registry.js';
import type { Event } from '../api/machinery/types.js';
import { KubeError } from '../api/machinery/errors.js';
import { events as eventDef } from '../resources/index.js';

export const EVENT_TTL_MS = 60 * 60 * 1000;

export async function expireEvents(registry: Registry): Promise<void> {
  const now = registry.now().getTime();
  const { items } = await registry.list<Event>(eventDef, undefined);
  for (const e of items) {
    const last = Date.parse(e.lastTimestamp ?? e.series?.lastObservedTime ?? e.eventTime ?? e.metadata.creationTimestamp ?? '');
    if (Number.isNaN(last) || now - last < EVENT_TTL_MS) continue;
    try {
      await registry.delete(eventDef, e.metadata.namespace, e.metadata.name!, { preconditions: { uid: e.metadata.uid! } });
    } catch (err) {
      if (!(err instanceof KubeError && (err.code === 404 || err.code === 409))) throw err;
    }
  }
}
