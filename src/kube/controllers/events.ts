/** Events as the control plane's components record them (core/v1 Event, `kubectl get events`, `describe`). */
import { randomBytes } from 'node:crypto';
import type { Registry } from '../api/registry/registry.js';
import type { Event } from '../api/machinery/types.js';
import { events as eventDef } from '../resources/events.js';
import { kubeMicroTime, kubeTime } from '../util/age.js';
import { apiVersionOf } from '../api/machinery/resource.js';
import { findResource } from '../resources/index.js';
import type { KubeObject } from '../../clusters/stored-object.js';

export interface EventInput {
  involved: KubeObject;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  component: string;
  host?: string;
  fieldPath?: string;
}

/** Creates an event about `involved` (in its namespace, or `default` for cluster-scoped objects). */
export async function recordEvent(registry: Registry, e: EventInput): Promise<Event> {
  const event = newEvent(registry.now(), e);
  return registry.create(eventDef, event.metadata.namespace, event);
}

/**
 * Events a controller step records, written together when it ends (`flush`): one store transaction for many events
 * instead of one each, as upstream's event broadcaster writes events apart from the controller's own work (and drops
 * one it cannot write rather than fail the controller). Each event is stamped when recorded.
 */
export class EventBatch {
  private readonly events: Event[] = [];

  constructor(private readonly registry: Registry) {}

  record(e: EventInput): void {
    this.events.push(newEvent(this.registry.now(), e));
  }

  async flush(): Promise<void> {
    const events = this.events.splice(0);
    if (events.length > 0) await this.registry.createMany(eventDef, events);
  }
}

function newEvent(now: Date, e: EventInput): Event {
  const ns = e.involved.metadata.namespace || 'default';
  const kind = e.involved.kind ?? '';
  const def = findResourceByKind(kind);
  const name = `${e.involved.metadata.name}.${(BigInt(now.getTime()) * 1_000_000n + BigInt(randomBytes(2).readUInt16BE(0))).toString(16)}`;
  const event: Event = {
    metadata: { name, namespace: ns },
    involvedObject: {
      kind,
      ...(e.involved.metadata.namespace ? { namespace: e.involved.metadata.namespace } : {}),
      name: e.involved.metadata.name,
      uid: e.involved.metadata.uid,
      apiVersion: e.involved.apiVersion ?? (def ? apiVersionOf(def) : 'v1'),
      resourceVersion: e.involved.metadata.resourceVersion,
      ...(e.fieldPath ? { fieldPath: e.fieldPath } : {}),
    },
    reason: e.reason,
    message: e.message,
    source: { component: e.component, ...(e.host ? { host: e.host } : {}) },
    firstTimestamp: kubeTime(now),
    lastTimestamp: kubeTime(now),
    count: 1,
    type: e.type,
    eventTime: null as unknown as string,
    reportingComponent: e.component,
    reportingInstance: e.host ?? '',
  };
  void kubeMicroTime;
  return event;
}

function findResourceByKind(kind: string) {
  for (const r of ['pods', 'nodes', 'namespaces', 'secrets', 'configmaps', 'serviceaccounts']) {
    const def = findResource('', 'v1', r);
    if (def?.kind === kind) return def;
  }
  return undefined;
}
