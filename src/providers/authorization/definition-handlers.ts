/**
 * Role definitions over ARM (SPEC Z-1): the built-in ones (read-only, assignable everywhere) and custom ones a
 * tenant creates, updates and deletes (`az role definition create|update|delete`).
 *
 * Custom roles follow Azure's rules: a role name unique in the tenant, permission blocks of strings, assignable
 * scopes that are subscriptions, resource groups or resources (never the root), each at or below the scope the
 * request names (so `roleDefinitions/write` over that scope covers them all), no built-in GUID reused, and no delete
 * while an assignment uses the role.
 */
import { ArmError, armErrors } from '../../arm/errors.js';
import { scopeCovers } from '../../authorization/access-check.js';
import type { CustomRoleRecord } from '../../authorization/custom-roles.js';
import { BUILT_IN_ROLES, builtInRole, type Permission, type RoleDefinition } from '../../authorization/role-definitions.js';
import { isGuid } from '../../util/ids.js';
import { definitionBody } from './arm-bodies.js';
import type { AuthorizationHandler } from './handlers.js';
import { filterDefinitions, scopeOf } from './request-parsing.js';

const typeOf = (r: RoleDefinition) => (builtInRole(r.name) ? 'BuiltInRole' : 'CustomRole');
const notFound = (name: string) => new ArmError(404, 'RoleDefinitionDoesNotExist', `The specified role definition with ID '${name}' does not exist.`);

function strings(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s.trim() === '')) {
    throw new ArmError(400, 'InvalidRoleDefinition', `The role definition's ${what} must be a list of non-empty strings.`);
  }
  return v as string[];
}

function permissionsOf(v: unknown): Permission[] {
  if (!Array.isArray(v) || v.length === 0) throw new ArmError(400, 'InvalidRoleDefinition', 'The role definition must have a permissions list with at least one block.');
  return v.map((p) => {
    if (!p || typeof p !== 'object' || Array.isArray(p)) throw new ArmError(400, 'InvalidRoleDefinition', 'Each permission block must be an object.');
    const b = p as Record<string, unknown>;
    return { actions: strings(b.actions, 'actions'), notActions: strings(b.notActions, 'notActions'), dataActions: strings(b.dataActions, 'dataActions'), notDataActions: strings(b.notDataActions, 'notDataActions') };
  });
}

export const getDefinition: AuthorizationHandler = async ({ assignments }, req) => {
  const name = req.params.roleDefinitionName ?? '';
  await assignments.customRoles.load();
  const role = assignments.roleOf(name);
  if (!role) throw notFound(name);
  return { status: 200, body: definitionBody(role, scopeOf(req.path)) };
};

export const listDefinitions: AuthorizationHandler = async ({ assignments }, req) => {
  const scope = scopeOf(req.path);
  // Custom roles show where they can be assigned: at, above or below one of their assignable scopes.
  const custom = (await assignments.customRoles.all()).filter((r) => r.assignableScopes.some((s) => scopeCovers(s, scope) || scopeCovers(scope, s)));
  const roles = filterDefinitions<RoleDefinition>([...BUILT_IN_ROLES, ...custom], req.query.get('$filter'), typeOf);
  return { status: 200, body: { value: roles.map((r) => definitionBody(r, scope)) } };
};

export const putDefinition: AuthorizationHandler = async ({ assignments, clock }, req) => {
  const name = req.params.roleDefinitionName!;
  const scope = scopeOf(req.path);
  if (!isGuid(name)) throw new ArmError(400, 'InvalidRoleDefinitionId', `The role definition ID '${name}' is not valid. The role definition ID must be a GUID.`);
  if (builtInRole(name)) throw new ArmError(400, 'RoleDefinitionUpdateNotPermitted', `The role definition '${name}' is a built-in role and cannot be changed.`);
  const body = req.json<{ properties?: Record<string, unknown> }>();
  const props = body?.properties;
  if (!props || typeof props !== 'object' || Array.isArray(props)) throw armErrors.missingProperty('properties');
  if (typeof props.roleName !== 'string' || props.roleName.trim() === '') throw armErrors.missingProperty('roleName');
  if (props.type !== undefined && props.type !== 'CustomRole') throw new ArmError(400, 'InvalidRoleDefinition', "A role definition created here is of type 'CustomRole'.");
  const assignableScopes = strings(props.assignableScopes, 'assignableScopes');
  if (assignableScopes.length === 0) throw new ArmError(400, 'InvalidRoleDefinition', 'The role definition must have at least one assignable scope.');
  for (const s of assignableScopes) {
    if (!/^\/subscriptions\/[^/]+/i.test(s)) {
      throw new ArmError(400, 'InvalidAssignableScope', `The assignable scope '${s}' is not valid: a custom role is assignable at subscriptions, resource groups or resources, not at '/'.`);
    }
    if (!scopeCovers(scope, s)) {
      throw new ArmError(400, 'InvalidAssignableScope', `The assignable scope '${s}' is not at or below the scope '${scope}' of the request.`);
    }
  }
  const others = (await assignments.customRoles.all()).filter((r) => r.name !== name.toLowerCase());
  const roleName = props.roleName.trim();
  if ([...BUILT_IN_ROLES, ...others].some((r) => r.roleName.toLowerCase() === roleName.toLowerCase())) {
    throw new ArmError(409, 'RoleDefinitionWithSameNameExists', `A custom role with the same name already exists in this directory. Use a different name.`);
  }
  const current = await assignments.customRoles.withRevision(name);
  const now = clock.iso();
  const record: CustomRoleRecord = {
    name: name.toLowerCase(),
    roleName,
    description: typeof props.description === 'string' ? props.description : '',
    permissions: permissionsOf(props.permissions),
    assignableScopes,
    createdOn: current?.value.createdOn ?? now,
    updatedOn: now,
    createdBy: current?.value.createdBy ?? req.caller.objectId,
    updatedBy: req.caller.objectId,
  };
  if (!(await assignments.customRoles.put(record, current?.modRevision ?? 'create'))) {
    throw new ArmError(409, 'Conflict', `The role definition '${name}' was changed by another request; retry.`);
  }
  return { status: 201, body: definitionBody(record, scope) };
};

export const deleteDefinition: AuthorizationHandler = async ({ assignments }, req) => {
  const name = req.params.roleDefinitionName!;
  if (builtInRole(name)) throw new ArmError(400, 'RoleDefinitionUpdateNotPermitted', `The role definition '${name}' is a built-in role and cannot be deleted.`);
  await assignments.customRoles.load();
  const role = assignments.customRoles.custom(name);
  if (!role) return { status: 204 };
  if ((await assignments.all()).some((a) => a.roleDefinitionGuid === role.name)) {
    throw new ArmError(409, 'RoleDefinitionHasAssignments', 'There are existing role assignments referencing this role definition. Delete them before deleting the role.');
  }
  await assignments.customRoles.delete(role.name);
  return { status: 200, body: definitionBody(role, scopeOf(req.path)) };
};
