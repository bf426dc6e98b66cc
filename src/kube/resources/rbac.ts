/**
 * rbac.authorization.k8s.io/v1 Roles, RoleBindings, ClusterRoles and ClusterRoleBindings (SPEC Z-3): served like
 * every other resource, with upstream's defaulting (a subject's and a roleRef's apiGroup), validation messages,
 * an immutable roleRef, and kubectl's columns. What they grant is evaluated by src/kube/authorization/.
 */
import type { FieldError } from '../api/machinery/errors.js';
import type { ResourceDef, TableColumn } from '../api/machinery/resource.js';
import { READ_WRITE } from '../api/machinery/resource.js';
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from '../api/machinery/types.js';
import { nameProblems, notSupported } from '../api/machinery/validation.js';
import { age } from '../util/age.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './common.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

type PolicyRuleWire = NonNullable<Role['rules']>[number];
type SubjectWire = NonNullable<RoleBinding['subjects']>[number];
type Binding = RoleBinding | ClusterRoleBinding;

function validateRule(rule: PolicyRuleWire, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if ((rule.verbs ?? []).length === 0) errs.push({ type: 'FieldValueRequired', field: `${path}.verbs`, detail: 'verbs must contain at least one value' });
  const urls = rule.nonResourceURLs ?? [];
  if (urls.length > 0) {
    if (namespaced) errs.push({ type: 'FieldValueInvalid', field: `${path}.nonResourceURLs`, value: urls, detail: 'namespaced rules cannot apply to non-resource URLs' });
    if ((rule.apiGroups ?? []).length > 0 || (rule.resources ?? []).length > 0 || (rule.resourceNames ?? []).length > 0) {
      errs.push({ type: 'FieldValueInvalid', field: `${path}.nonResourceURLs`, value: urls, detail: 'rules cannot apply to both regular resources and non-resource URLs' });
    }
    return errs;
  }
  if ((rule.apiGroups ?? []).length === 0) errs.push({ type: 'FieldValueRequired', field: `${path}.apiGroups`, detail: 'resource rules must supply at least one api group' });
  if ((rule.resources ?? []).length === 0) errs.push({ type: 'FieldValueRequired', field: `${path}.resources`, detail: 'resource rules must supply at least one resource' });
  return errs;
}

const validateRules = (namespaced: boolean) => (role: Role | ClusterRole) => (role.rules ?? []).flatMap((r, i) => validateRule(r, namespaced, `rules[${i}]`));

function defaultBinding(b: Binding): void {
  if (b.roleRef && !b.roleRef.apiGroup) b.roleRef.apiGroup = RBAC_GROUP;
  for (const s of b.subjects ?? []) {
    if (s.apiGroup === undefined || s.apiGroup === '') {
      if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = RBAC_GROUP;
    }
  }
}

function validateSubject(s: SubjectWire, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.name) errs.push({ type: 'FieldValueRequired', field: `${path}.name` });
  switch (s.kind) {
    case 'ServiceAccount':
      if (s.name) for (const m of nameProblems('subdomain', s.name)) errs.push({ type: 'FieldValueInvalid', field: `${path}.name`, value: s.name, detail: m });
      if (s.apiGroup) errs.push({ type: 'FieldValueNotSupported', field: `${path}.apiGroup`, value: s.apiGroup, detail: 'supported values: ""' });
      if (!namespaced && !s.namespace) errs.push({ type: 'FieldValueRequired', field: `${path}.namespace` });
      break;
    case 'User':
    case 'Group':
      if (s.apiGroup !== RBAC_GROUP) errs.push({ type: 'FieldValueNotSupported', field: `${path}.apiGroup`, value: s.apiGroup ?? '', detail: `supported values: "${RBAC_GROUP}"` });
      break;
    default:
      errs.push({ type: 'FieldValueNotSupported', field: `${path}.kind`, value: s.kind ?? '', detail: 'supported values: "ServiceAccount", "User", "Group"' });
  }
  return errs;
}

const validateBinding = (namespaced: boolean) => (b: Binding): FieldError[] => {
  const errs: FieldError[] = [];
  const ref = b.roleRef ?? ({} as Binding['roleRef']);
  if (ref.apiGroup !== RBAC_GROUP) errs.push({ type: 'FieldValueNotSupported', field: 'roleRef.apiGroup', value: ref.apiGroup ?? '', detail: `supported values: "${RBAC_GROUP}"` });
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind ?? '')) errs.push(notSupported('roleRef.kind', ref.kind ?? '', kinds));
  if (!ref.name) errs.push({ type: 'FieldValueRequired', field: 'roleRef.name' });
  else for (const m of nameProblems('path-segment', ref.name)) errs.push({ type: 'FieldValueInvalid', field: 'roleRef.name', value: ref.name, detail: m });
  (b.subjects ?? []).forEach((s, i) => errs.push(...validateSubject(s, namespaced, `subjects[${i}]`)));
  return errs;
};

function validateRoleRefUnchanged(b: Binding, old: Binding): FieldError[] {
  if (JSON.stringify(b.roleRef) === JSON.stringify(old.roleRef)) return [];
  return [{ type: 'FieldValueInvalid', field: 'roleRef', value: b.roleRef, detail: 'cannot change roleRef' }];
}

const CREATED_AT: TableColumn = { name: 'Created At', type: 'date', format: '', description: 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.', priority: 0 };

const BINDING_COLUMNS: TableColumn[] = [
  NAME_COLUMN,
  column('Role', 'string', 'RoleRef can only reference the current namespace. It can reference a Role in the current namespace or a ClusterRole in the global namespace.'),
  AGE_COLUMN,
  column('Users', 'string', 'Users in the roleBinding', 1),
  column('Groups', 'string', 'Groups in the roleBinding', 1),
  column('ServiceAccounts', 'string', 'ServiceAccounts in the roleBinding', 1),
];

function bindingCells(b: Binding, now: Date): unknown[] {
  const of = (kind: string) => (b.subjects ?? []).filter((s) => s.kind === kind);
  const accounts = of('ServiceAccount').map((s) => `${s.namespace ?? ''}/${s.name}`);
  return [b.metadata.name, `${b.roleRef?.kind ?? ''}/${b.roleRef?.name ?? ''}`, age(b.metadata.creationTimestamp, now), of('User').map((s) => s.name).join(', '), of('Group').map((s) => s.name).join(', '), accounts.join(', ')];
}

function base(resource: string, singular: string, kind: string, namespaced: boolean) {
  return {
    group: RBAC_GROUP,
    version: 'v1',
    resource,
    singular,
    kind,
    namespaced,
    verbs: READ_WRITE,
    subresources: [],
    model: `V1${kind}`,
    nameFormat: 'path-segment' as const,
    allowCreateOnUpdate: false,
    returnDeletedObject: false,
    hasStatus: false,
    generation: false,
    fieldSelectors: {},
  };
}

export const roles: ResourceDef<Role> = {
  ...base('roles', 'role', 'Role', true),
  columns: [NAME_COLUMN, CREATED_AT],
  cells: (r) => [r.metadata.name, r.metadata.creationTimestamp],
  validate: validateRules(true),
};

export const clusterroles: ResourceDef<ClusterRole> = {
  ...base('clusterroles', 'clusterrole', 'ClusterRole', false),
  columns: [NAME_COLUMN, CREATED_AT],
  cells: (r) => [r.metadata.name, r.metadata.creationTimestamp],
  validate: validateRules(false),
};

export const rolebindings: ResourceDef<RoleBinding> = {
  ...base('rolebindings', 'rolebinding', 'RoleBinding', true),
  columns: BINDING_COLUMNS,
  cells: (b, ctx) => bindingCells(b, ctx.now),
  defaults: defaultBinding,
  validate: validateBinding(true),
  validateUpdate: validateRoleRefUnchanged,
};

export const clusterrolebindings: ResourceDef<ClusterRoleBinding> = {
  ...base('clusterrolebindings', 'clusterrolebinding', 'ClusterRoleBinding', false),
  columns: BINDING_COLUMNS,
  cells: (b, ctx) => bindingCells(b, ctx.now),
  defaults: defaultBinding,
  validate: validateBinding(false),
  validateUpdate: validateRoleRefUnchanged,
};
