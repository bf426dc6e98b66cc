/** v1 ConfigMaps (kube-root-ca.crt lives in every namespace): key and size validation, `immutable`. */
import type { FieldError } from '../api/machinery/errors.js';
import type { ResourceDef } from '../api/machinery/resource.js';
import { READ_WRITE } from '../api/machinery/resource.js';
import type { ConfigMap } from '../api/machinery/types.js';
import { configKey } from '../api/machinery/validation.js';
import { age } from '../util/age.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './common.js';

const MAX_CONFIGMAP_SIZE = 1024 * 1024;

export const configmaps: ResourceDef<ConfigMap> = {
  group: '',
  version: 'v1',
  resource: 'configmaps',
  singular: 'configmap',
  kind: 'ConfigMap',
  namespaced: true,
  shortNames: ['cm'],
  verbs: READ_WRITE,
  subresources: [],
  model: 'V1ConfigMap',
  nameFormat: 'subdomain',
  allowCreateOnUpdate: false,
  returnDeletedObject: false,
  hasStatus: false,
  generation: false,
  fieldSelectors: {},
  columns: [NAME_COLUMN, column('Data', 'integer', 'Data contains the configuration data.'), AGE_COLUMN],
  cells: (c, ctx) => [c.metadata.name, Object.keys(c.data ?? {}).length + Object.keys(c.binaryData ?? {}).length, age(c.metadata.creationTimestamp, ctx.now)],
  validate: (c) => {
    const errs: FieldError[] = [];
    let total = 0;
    for (const [k, v] of Object.entries(c.data ?? {})) {
      for (const m of configKey(k)) errs.push({ type: 'FieldValueInvalid', field: `data[${k}]`, value: k, detail: m });
      total += k.length + Buffer.byteLength(v ?? '', 'utf8');
    }
    for (const [k, v] of Object.entries(c.binaryData ?? {})) {
      for (const m of configKey(k)) errs.push({ type: 'FieldValueInvalid', field: `binaryData[${k}]`, value: k, detail: m });
      if (c.data && k in c.data) errs.push({ type: 'FieldValueInvalid', field: `binaryData[${k}]`, value: k, detail: 'duplicate of key present in data' });
      total += k.length + Buffer.from(v ?? '', 'base64').length;
    }
    if (total > MAX_CONFIGMAP_SIZE) errs.push({ type: 'FieldValueTooLong', field: '', detail: `must have at most ${MAX_CONFIGMAP_SIZE} bytes` });
    return errs;
  },
  validateUpdate: (c, old) => {
    const errs: FieldError[] = [];
    if (old.immutable) {
      if (!c.immutable) errs.push({ type: 'FieldValueForbidden', field: 'immutable', detail: 'field is immutable when `immutable` is set' });
      if (JSON.stringify(c.data ?? {}) !== JSON.stringify(old.data ?? {})) errs.push({ type: 'FieldValueForbidden', field: 'data', detail: 'field is immutable when `immutable` is set' });
      if (JSON.stringify(c.binaryData ?? {}) !== JSON.stringify(old.binaryData ?? {})) {
        errs.push({ type: 'FieldValueForbidden', field: 'binaryData', detail: 'field is immutable when `immutable` is set' });
      }
    }
    return errs;
  },
};
