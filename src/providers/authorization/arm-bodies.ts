/** The ARM bodies of role assignments and role definitions, as Azure answers them. */
import { roleDefinitionId, type RoleDefinition } from '../../authorization/role-definitions.js';
import type { CustomRoleRecord } from '../../authorization/custom-roles.js';
import type { RoleAssignmentRecord } from '../../authorization/role-assignments.js';

export function assignmentBody(a: RoleAssignmentRecord, apiVersion: string) {
  const id = `${a.scope === '/' ? '' : a.scope}/providers/Microsoft.Authorization/roleAssignments/${a.name}`;
  const modern = apiVersion >= '2018-09-01';
  return {
    id,
    type: 'Microsoft.Authorization/roleAssignments',
    name: a.name,
    properties: {
      roleDefinitionId: a.roleDefinitionId,
      principalId: a.principalId,
      ...(modern ? { principalType: a.principalType } : {}),
      scope: a.scope,
      ...(a.condition ? { condition: a.condition, conditionVersion: a.conditionVersion ?? '2.0' } : { condition: null, conditionVersion: null }),
      ...(a.description !== undefined ? { description: a.description } : {}),
      createdOn: a.createdOn,
      updatedOn: a.updatedOn,
      createdBy: a.createdBy,
      updatedBy: a.updatedBy,
      delegatedManagedIdentityResourceId: null,
    },
  };
}

/** A built-in role (assignable everywhere) or a custom one (with its own scopes and dates). */
export function definitionBody(role: RoleDefinition & Partial<Pick<CustomRoleRecord, 'assignableScopes' | 'createdOn' | 'updatedOn' | 'createdBy' | 'updatedBy'>>, scope: string) {
  const custom = role.assignableScopes !== undefined;
  return {
    id: roleDefinitionId(scope, role.name),
    type: 'Microsoft.Authorization/roleDefinitions',
    name: role.name,
    properties: {
      roleName: role.roleName,
      type: custom ? 'CustomRole' : 'BuiltInRole',
      description: role.description,
      assignableScopes: role.assignableScopes ?? ['/'],
      permissions: role.permissions.map((p) => ({ ...p })),
      createdOn: role.createdOn ?? '2015-02-02T21:55:09.8806423Z',
      updatedOn: role.updatedOn ?? '2024-01-01T00:00:00.0000000Z',
      createdBy: role.createdBy ?? null,
      updatedBy: role.updatedBy ?? null,
    },
  };
}
