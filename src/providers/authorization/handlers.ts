/**
 * The handlers of role assignments (create/get/delete/list at any scope); role definitions are in
 * ./definition-handlers.ts. Errors are the ones Azure answers.
 */
import { ArmError } from '../../arm/errors.js';
import type { ArmRequest, ArmResponse } from '../../arm/router.js';
import type { Directory } from '../../identity/directory.js';
import type { Clock } from '../../runtime/clock.js';
import { isGuid } from '../../util/ids.js';
import { normalizeScope, scopeCovers } from '../../authorization/access-check.js';
import { assignmentBody } from './arm-bodies.js';
import { parseAssignmentFilter, parseAssignmentRequest, scopeOf } from './request-parsing.js';
import { roleDefinitionId, roleGuidFromId } from '../../authorization/role-definitions.js';
import type { AssignmentPrincipalType, RoleAssignmentRecord, RoleAssignments } from '../../authorization/role-assignments.js';

export interface AuthorizationDeps {
  assignments: RoleAssignments;
  directory: Directory;
  clock: Clock;
}

export type AuthorizationHandler = (deps: AuthorizationDeps, req: ArmRequest) => Promise<ArmResponse>;

export const getAssignment: AuthorizationHandler = async ({ assignments }, req) => {
  const a = await assignments.get(req.params.assignmentName!);
  if (!a || normalizeScope(a.scope) !== normalizeScope(scopeOf(req.path))) {
    throw new ArmError(404, 'RoleAssignmentNotFound', `The role assignment '${req.params.assignmentName}' is not found.`);
  }
  return { status: 200, body: assignmentBody(a, req.apiVersion) };
};

/** The principal type an assignment records: the directory object's, or a group's as given (SPEC I-2). */
async function principalTypeOf(directory: Directory, principalId: string, givenType: unknown): Promise<AssignmentPrincipalType> {
  const tenant = await directory.tenant();
  const principal = isGuid(principalId) ? await directory.getObject(principalId) : undefined;
  let principalType: AssignmentPrincipalType;
  if (principal) {
    // SPEC I-2: the type given must be the directory object's (users are User; applications and managed identities ServicePrincipal).
    principalType = principal.type === 'User' ? 'User' : 'ServicePrincipal';
    if (givenType !== undefined && givenType !== principalType) {
      throw new ArmError(400, 'UnmatchedPrincipalType', `The PrincipalId '${principalId}' has type '${principalType}' , which is different from specified PrincipalType '${givenType}'.`);
    }
  } else if (givenType === 'Group' || givenType === 'ForeignGroup') {
    // aksemu's directory has no groups: a group assignment is recorded but no member can inherit it.
    principalType = givenType;
  } else {
    throw new ArmError(
      400,
      'PrincipalNotFound',
      `Principal ${principalId.replace(/-/g, '')} does not exist in the directory ${tenant.tenantId}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype`,
    );
  }
  return principalType;
}

export const putAssignment: AuthorizationHandler = async ({ assignments, directory, clock }, req) => {
  await assignments.customRoles.load();
  const { name, scope, properties: props, roleDefinitionIdGiven, roleGuid: guid, principalId, givenType } = parseAssignmentRequest(req, (g) => assignments.roleOf(g));
  // A custom role is assignable only within its assignable scopes.
  const custom = assignments.customRoles.custom(guid);
  if (custom && !custom.assignableScopes.some((s) => scopeCovers(s, scope))) {
    throw new ArmError(403, 'AuthorizationFailed', `The role definition '${guid}' ('${custom.roleName}') is not assignable at scope '${scope}': its assignable scopes are ${custom.assignableScopes.map((s) => `'${s}'`).join(', ')}.`);
  }
  const principalType = await principalTypeOf(directory, principalId, givenType);
  const existing = await assignments.get(name);
  if (existing) {
    const same =
      normalizeScope(existing.scope) === normalizeScope(scope) &&
      existing.principalId.toLowerCase() === principalId.toLowerCase() &&
      existing.roleDefinitionGuid === guid;
    if (!same) throw new ArmError(400, 'RoleAssignmentUpdateNotPermitted', 'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.');
    return { status: 201, body: assignmentBody(existing, req.apiVersion) };
  }
  const duplicate = (await assignments.all()).find(
    (a) => normalizeScope(a.scope) === normalizeScope(scope) && a.principalId.toLowerCase() === principalId.toLowerCase() && a.roleDefinitionGuid === guid,
  );
  if (duplicate) throw new ArmError(409, 'RoleAssignmentExists', 'The role assignment already exists.');
  const now = clock.iso();
  const record: RoleAssignmentRecord = {
    name: name.toLowerCase(),
    scope,
    roleDefinitionGuid: guid,
    roleDefinitionId: roleGuidFromId(roleDefinitionIdGiven) ? roleDefinitionIdGiven : roleDefinitionId(`/subscriptions/${req.params.subscriptionId}`, guid),
    principalId: principalId.toLowerCase(),
    principalType,
    ...(typeof props.description === 'string' ? { description: props.description } : {}),
    ...(typeof props.condition === 'string' ? { condition: props.condition, conditionVersion: typeof props.conditionVersion === 'string' ? props.conditionVersion : '2.0' } : {}),
    createdOn: now,
    updatedOn: now,
    createdBy: req.caller.objectId,
    updatedBy: req.caller.objectId,
  };
  if (!(await assignments.create(record))) throw new ArmError(409, 'RoleAssignmentExists', 'The role assignment already exists.');
  return { status: 201, body: assignmentBody(record, req.apiVersion) };
};

export const deleteAssignment: AuthorizationHandler = async ({ assignments }, req) => {
  const scope = scopeOf(req.path);
  const existing = await assignments.get(req.params.assignmentName!);
  if (!existing || normalizeScope(existing.scope) !== normalizeScope(scope)) return { status: 204 };
  await assignments.delete(existing.name);
  return { status: 200, body: assignmentBody(existing, req.apiVersion) };
};

export const listAssignments: AuthorizationHandler = async ({ assignments }, req) => {
  const scope = scopeOf(req.path);
  const filter = parseAssignmentFilter(req.query.get('$filter'));
  let items = await assignments.atScope(scope, { includeBelow: !filter.atScope });
  if (filter.principalId) items = items.filter((a) => a.principalId.toLowerCase() === filter.principalId!.toLowerCase());
  return { status: 200, body: { value: items.map((a) => assignmentBody(a, req.apiVersion)) } };
};
