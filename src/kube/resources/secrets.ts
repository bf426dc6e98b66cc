/**
 * v1 Secrets: the resource the seeds' storage migration rewrites (SPEC K-2, A-2, A-3). Server-side behaviour as
 * kube-apiserver's: `type` defaults to Opaque, `stringData` is merged into base64 `data` (and never stored),
 * keys and sizes are validated, typed secrets need their keys, `immutable` secrets refuse data changes.
 */
import type { FieldError } from '../api/machinery/errors.js';
import type { ResourceDef } from '../api/machinery/resource.js';
import { READ_WRITE } from '../api/machinery/resource.js';
import type { Secret } from '../api/machinery/types.js';
import { configKey } from '../api/machinery/validation.js';
import { age } from '../util/age.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './common.js';

export const MAX_SECRET_SIZE = 1024 * 1024;

/** Keys a typed secret must carry (ValidateSecret). */
const REQUIRED_KEYS = new Map<string, string[][]>([
  ['kubernetes.io/dockercfg', [['.dockercfg']]],
  ['kubernetes.io/dockerconfigjson', [['.dockerconfigjson']]],
  ['kubernetes.io/ssh-auth', [['ssh-privatekey']]],
  ['kubernetes.io/tls', [['tls.crt'], ['tls.key']]],
  ['kubernetes.io/basic-auth', [['username', 'password']]],
]);

function mergeStringData(s: Secret): void {
  if (s.stringData && typeof s.stringData === 'object') {
    s.data = { ...(s.data ?? {}) };
    for (const [k, v] of Object.entries(s.stringData)) s.data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  }
  delete s.stringData;
}

export const secrets: ResourceDef<Secret> = {
  group: '',
  version: 'v1',
  resource: 'secrets',
  singular: 'secret',
  kind: 'Secret',
  namespaced: true,
  verbs: READ_WRITE,
  subresources: [],
  model: 'V1Secret',
  nameFormat: 'subdomain',
  allowCreateOnUpdate: false,
  returnDeletedObject: false,
  hasStatus: false,
  generation: false,
  fieldSelectors: { type: (s) => s.type ?? '' },
  columns: [
    NAME_COLUMN,
    column('Type', 'string', 'Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types'),
    column('Data', 'integer', 'Data contains the secret data. Each key must consist of alphanumeric characters, \'-\', \'_\' or \'.\'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4'),
    AGE_COLUMN,
  ],
  cells: (s, ctx) => [s.metadata.name, s.type ?? 'Opaque', Object.keys(s.data ?? {}).length, age(s.metadata.creationTimestamp, ctx.now)],
  prepareForCreate: (s) => mergeStringData(s),
  prepareForUpdate: (s) => mergeStringData(s),
  defaults: (s) => {
    if (!s.type) s.type = 'Opaque';
  },
  validate: (s) => {
    const errs: FieldError[] = [];
    let total = 0;
    for (const [k, v] of Object.entries(s.data ?? {})) {
      for (const m of configKey(k)) errs.push({ type: 'FieldValueInvalid', field: `data[${k}]`, value: k, detail: m });
      total += Buffer.from(v ?? '', 'base64').length;
    }
    if (total > MAX_SECRET_SIZE) errs.push({ type: 'FieldValueTooLong', field: 'data', detail: `must have at most ${MAX_SECRET_SIZE} bytes` });
    const type = s.type ?? 'Opaque';
    if (type === 'kubernetes.io/service-account-token' && !s.metadata.annotations?.['kubernetes.io/service-account.name']) {
      errs.push({ type: 'FieldValueRequired', field: 'metadata.annotations[kubernetes.io/service-account.name]' });
    }
    // A Map, not an object: a type named like an Object.prototype member ("hasOwnProperty") is just an unknown type.
    for (const alternatives of REQUIRED_KEYS.get(type) ?? []) {
      if (!alternatives.some((k) => s.data && Object.hasOwn(s.data, k))) errs.push({ type: 'FieldValueRequired', field: `data[${alternatives[0]}]` });
    }
    if (type === 'kubernetes.io/dockerconfigjson' && s.data?.['.dockerconfigjson'] !== undefined) {
      try {
        JSON.parse(Buffer.from(s.data['.dockerconfigjson'], 'base64').toString('utf8'));
      } catch (err) {
        errs.push({ type: 'FieldValueInvalid', field: 'data[.dockerconfigjson]', value: '<secret contents redacted>', detail: (err as Error).message });
      }
    }
    return errs;
  },
  validateUpdate: (s, old) => {
    const errs: FieldError[] = [];
    if ((s.type ?? 'Opaque') !== (old.type ?? 'Opaque')) errs.push({ type: 'FieldValueInvalid', field: 'type', value: s.type, detail: 'field is immutable' });
    if (old.immutable) {
      if (!s.immutable) errs.push({ type: 'FieldValueForbidden', field: 'immutable', detail: 'field is immutable when `immutable` is set' });
      if (JSON.stringify(s.data ?? {}) !== JSON.stringify(old.data ?? {})) {
        errs.push({ type: 'FieldValueForbidden', field: 'data', detail: 'field is immutable when `immutable` is set' });
      }
    }
    return errs;
  },
};
