/** coordination.k8s.io/v1 Leases (node heartbeats in kube-node-lease, leader election in kube-system). */
import type { FieldError } from '../api/machinery/errors.js';
import type { ResourceDef } from '../api/machinery/resource.js';
import { READ_WRITE } from '../api/machinery/resource.js';
import type { Lease } from '../api/machinery/types.js';
import { age } from '../util/age.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './common.js';

export const leases: ResourceDef<Lease> = {
  group: 'coordination.k8s.io',
  version: 'v1',
  resource: 'leases',
  singular: 'lease',
  kind: 'Lease',
  namespaced: true,
  verbs: READ_WRITE,
  subresources: [],
  model: 'V1Lease',
  nameFormat: 'subdomain',
  allowCreateOnUpdate: true,
  returnDeletedObject: false,
  hasStatus: false,
  generation: false,
  fieldSelectors: {},
  columns: [NAME_COLUMN, column('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'), AGE_COLUMN],
  cells: (l, ctx) => [l.metadata.name, l.spec?.holderIdentity ?? '', age(l.metadata.creationTimestamp, ctx.now)],
  validate: (l) => {
    const errs: FieldError[] = [];
    const spec = l.spec ?? {};
    if (spec.leaseDurationSeconds !== undefined && spec.leaseDurationSeconds <= 0) {
      errs.push({ type: 'FieldValueInvalid', field: 'spec.leaseDurationSeconds', value: spec.leaseDurationSeconds, detail: 'must be greater than 0' });
    }
    if (spec.leaseTransitions !== undefined && spec.leaseTransitions < 0) {
      errs.push({ type: 'FieldValueInvalid', field: 'spec.leaseTransitions', value: spec.leaseTransitions, detail: 'must be greater than or equal to 0' });
    }
    return errs;
  },
};
