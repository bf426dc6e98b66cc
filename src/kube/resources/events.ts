/** v1 Events: what the scheduler and the kubelets report (FailedScheduling, Scheduled, Started, ...). */
import type { FieldError } from '../api/machinery/errors.js';
import type { ResourceDef } from '../api/machinery/resource.js';
import { READ_WRITE } from '../api/machinery/resource.js';
import type { Event } from '../api/machinery/types.js';
import { age } from '../util/age.js';
import { NAME_COLUMN, column } from './common.js';

function eventSource(e: Event): string {
  const component = e.source?.component || e.reportingComponent || '';
  const host = e.source?.host || e.reportingInstance || '';
  return host ? `${component}, ${host}` : component;
}

export const events: ResourceDef<Event> = {
  group: '',
  version: 'v1',
  resource: 'events',
  singular: 'event',
  kind: 'Event',
  namespaced: true,
  shortNames: ['ev'],
  verbs: READ_WRITE,
  subresources: [],
  model: 'CoreV1Event',
  nameFormat: 'subdomain',
  allowCreateOnUpdate: true,
  returnDeletedObject: false,
  hasStatus: false,
  generation: false,
  fieldSelectors: {
    'involvedObject.kind': (e) => e.involvedObject?.kind ?? '',
    'involvedObject.namespace': (e) => e.involvedObject?.namespace ?? '',
    'involvedObject.name': (e) => e.involvedObject?.name ?? '',
    'involvedObject.uid': (e) => e.involvedObject?.uid ?? '',
    'involvedObject.apiVersion': (e) => e.involvedObject?.apiVersion ?? '',
    'involvedObject.resourceVersion': (e) => e.involvedObject?.resourceVersion ?? '',
    'involvedObject.fieldPath': (e) => e.involvedObject?.fieldPath ?? '',
    reason: (e) => e.reason ?? '',
    reportingComponent: (e) => e.reportingComponent ?? '',
    source: (e) => e.source?.component || e.reportingComponent || '',
    type: (e) => e.type ?? '',
  },
  columns: [
    column('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future.'),
    column('Reason', 'string', 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.'),
    column('Object', 'string', 'The object that this event is about.'),
    column('Subobject', 'string', 'The subobject that this event is about.', 1),
    column('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', 1),
    column('Message', 'string', 'A human-readable description of the status of this operation.'),
    column('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', 1),
    column('Count', 'string', 'The number of times this event has occurred.', 1),
    { ...NAME_COLUMN, priority: 1 },
  ],
  cells: (e, ctx) => {
    const first = e.firstTimestamp ? age(e.firstTimestamp, ctx.now) : age(e.eventTime, ctx.now);
    let last = e.lastTimestamp ? age(e.lastTimestamp, ctx.now) : first;
    let count = e.count ?? 0;
    if (e.series) {
      last = age(e.series.lastObservedTime, ctx.now);
      count = e.series.count ?? count;
    } else if (count === 0) count = 1;
    const kind = (e.involvedObject?.kind ?? '').toLowerCase();
    const target = e.involvedObject?.name ? `${kind}/${e.involvedObject.name}` : kind;
    return [last, e.type ?? '', e.reason ?? '', target, e.involvedObject?.fieldPath ?? '', eventSource(e), (e.message ?? '').trim(), first, count, e.metadata.name];
  },
  validate: (e) => {
    const errs: FieldError[] = [];
    if (e.involvedObject?.namespace && e.involvedObject.namespace !== e.metadata.namespace) {
      errs.push({ type: 'FieldValueInvalid', field: 'involvedObject.namespace', value: e.involvedObject.namespace, detail: 'does not match event.namespace' });
    }
    if (e.type && e.type !== 'Normal' && e.type !== 'Warning') {
      errs.push({ type: 'FieldValueNotSupported', field: 'type', value: e.type, detail: 'supported values: "Normal", "Warning"' });
    }
    return errs;
  },
};
