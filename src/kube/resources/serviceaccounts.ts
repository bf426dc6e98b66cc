/** v1 ServiceAccounts (every namespace gets `default`, kube-system the system components' accounts). */
import type { ResourceDef } from '../api/machinery/resource.js';
import { READ_WRITE } from '../api/machinery/resource.js';
import type { ServiceAccount } from '../api/machinery/types.js';
import { age } from '../util/age.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './common.js';

export const serviceaccounts: ResourceDef<ServiceAccount> = {
  group: '',
  version: 'v1',
  resource: 'serviceaccounts',
  singular: 'serviceaccount',
  kind: 'ServiceAccount',
  namespaced: true,
  shortNames: ['sa'],
  verbs: READ_WRITE,
  subresources: [],
  model: 'V1ServiceAccount',
  nameFormat: 'subdomain',
  allowCreateOnUpdate: false,
  returnDeletedObject: false,
  hasStatus: false,
  generation: false,
  fieldSelectors: {},
  columns: [NAME_COLUMN, column('Secrets', 'string', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'), AGE_COLUMN],
  cells: (sa, ctx) => [sa.metadata.name, (sa.secrets ?? []).length, age(sa.metadata.creationTimestamp, ctx.now)],
};
