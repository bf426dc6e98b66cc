/**
 * `Microsoft.Authorization/roleAssignments` and `roleDefinitions` over ARM (SPEC I-2): create/get/delete/list role
 * assignments at any scope (subscription, resource group, resource, child resource such as a vault's key), and the
 * built-in role definitions (get by GUID, list with `$filter=roleName eq '...'`).
 *
 * Errors are the ones Azure answers: InvalidRoleAssignmentId, RoleDefinitionDoesNotExist, PrincipalNotFound,
 * UnmatchedPrincipalType, RoleAssignmentExists, RoleAssignmentUpdateNotPermitted, AuthorizationFailed.
 */
import type { Arm } from '../../arm/arm.js';
import { ArmError, armErrors } from '../../arm/errors.js';
import type { ArmRequest, ArmResponse } from '../../arm/router.js';
import type { Directory } from '../../identity/directory.js';
import type { Clock } from '../../runtime/clock.js';
import { isGuid } from '../../util/ids.js';
import { normalizeScope, scopeCovers } from '../../authorization/access-check.js';
import { BUILT_IN_ROLES, builtInRole, roleDefinitionId, roleGuidFromId, type RoleDefinition } from '../../authorization/role-definitions.js';
import type { AssignmentPrincipalType, RoleAssignmentRecord, RoleAssignments } from '../../authorization/role-assignments.js';

export const NS = 'Microsoft.Authorization';
export const AUTHORIZATION_API_VERSIONS = [
  '2022-05-01-preview', '2022-04-01', '2022-01-01-preview', '2021-04-01-preview', '2020-10-01-preview',
  '2020-10-01', '2020-08-01-preview', '2020-04-01-preview', '2020-03-01-preview', '2019-08-01-preview',
  '2019-04-01-preview', '2018-09-01-preview', '2018-07-01', '2018-01-01-preview', '2017-10-01-preview',
  '2017-09-01', '2017-05-01', '2016-09-01', '2015-07-01', '2015-06-01', '2015-01-01',
];

const PRINCIPAL_TYPES: AssignmentPrincipalType[] = ['User', 'ServicePrincipal', 'Group', 'ForeignGroup', 'Device'];

/** Scope templates the router can match (ARM paths have a fixed number of segments per template). */
const SCOPES = [
  '/subscriptions/{subscriptionId}',
  '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}',
  '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/{ns}/{t1}/{n1}',
  '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/{ns}/{t1}/{n1}/{t2}/{n2}',
];

/** The scope part of a request path: everything before `/providers/Microsoft.Authorization/...`. */
function scopeOf(path: string): string {
  const i = path.toLowerCase().lastIndexOf('/providers/microsoft.authorization/');
  const scope = i <= 0 ? '/' : path.slice(0, i);
  return scope.replace(/\/+$/, '') || '/';
}

function assignmentBody(a: RoleAssignmentRecord, apiVersion: string) {
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

function definitionBody(role: RoleDefinition, scope: string) {
  return {
    id: roleDefinitionId(scope, role.name),
    type: 'Microsoft.Authorization/roleDefinitions',
    name: role.name,
    properties: {
      roleName: role.roleName,
      type: 'BuiltInRole',
      description: role.description,
      assignableScopes: ['/'],
      permissions: role.permissions.map((p) => ({ ...p })),
      createdOn: '2015-02-02T21:55:09.8806423Z',
      updatedOn: '2024-01-01T00:00:00.0000000Z',
      createdBy: null,
      updatedBy: null,
    },
  };
}

/** Parses the $filter forms az and the SDKs send for role assignments. */
export function parseAssignmentFilter(filter: string | null): { atScope: boolean; principalId?: string } {
  if (!filter || filter.trim() === '') return { atScope: false };
  const out: { atScope: boolean; principalId?: string } = { atScope: false };
  for (const clause of filter.split(/\s+and\s+/i)) {
    const c = clause.trim();
    let m: RegExpExecArray | null;
    if (/^atScope\(\)$/i.test(c)) out.atScope = true;
    else if ((m = /^(?:principalId\s+eq\s+'([^']+)'|assignedTo\('([^']+)'\))$/i.exec(c))) out.principalId = (m[1] ?? m[2])!;
    else throw new ArmError(400, 'UnsupportedQuery', `The filter '${filter}' is not supported. Supported filters are either 'atScope()', 'principalId eq '{value}'' or 'assignedTo('{value}')'.`);
  }
  return out;
}

export function registerAuthorizationRoutes(arm: Arm, assignments: RoleAssignments, directory: Directory, clock: Clock): void {
  arm.types.register({ namespace: NS, resourceType: 'roleAssignments', apiVersions: AUTHORIZATION_API_VERSIONS });
  arm.types.register({ namespace: NS, resourceType: 'roleDefinitions', apiVersions: AUTHORIZATION_API_VERSIONS });
  const assignmentVersions = arm.types.versionPolicy(NS, 'roleAssignments');
  const definitionVersions = arm.types.versionPolicy(NS, 'roleDefinitions');

  const getAssignment = async (req: ArmRequest): Promise<ArmResponse> => {
    const a = await assignments.get(req.params.assignmentName!);
    if (!a || normalizeScope(a.scope) !== normalizeScope(scopeOf(req.path))) {
      throw new ArmError(404, 'RoleAssignmentNotFound', `The role assignment '${req.params.assignmentName}' is not found.`);
    }
    return { status: 200, body: assignmentBody(a, req.apiVersion) };
  };

  const putAssignment = async (req: ArmRequest): Promise<ArmResponse> => {
    const name = req.params.assignmentName!;
    const scope = scopeOf(req.path);
    if (!isGuid(name)) throw new ArmError(400, 'InvalidRoleAssignmentId', `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`);
    const body = req.json<{ properties?: Record<string, unknown> }>();
    const props = body?.properties;
    if (!props || typeof props !== 'object') throw armErrors.missingProperty('properties');
    const roleDefinitionIdGiven = props.roleDefinitionId;
    const principalId = props.principalId;
    if (typeof roleDefinitionIdGiven !== 'string' || roleDefinitionIdGiven === '') throw armErrors.missingProperty('roleDefinitionId');
    if (typeof principalId !== 'string' || principalId === '') throw armErrors.missingProperty('principalId');
    const guid = roleGuidFromId(roleDefinitionIdGiven) ?? (isGuid(roleDefinitionIdGiven) ? roleDefinitionIdGiven.toLowerCase() : undefined);
    if (!guid || !builtInRole(guid)) {
      throw new ArmError(400, 'RoleDefinitionDoesNotExist', `The specified role definition with ID '${roleDefinitionIdGiven.split('/').pop()}' does not exist.`);
    }
    const givenType = props.principalType;
    if (givenType !== undefined && (typeof givenType !== 'string' || !PRINCIPAL_TYPES.includes(givenType as AssignmentPrincipalType))) {
      throw new ArmError(400, 'InvalidPrincipalType', `The principal type '${String(givenType)}' is invalid. Valid values are ${PRINCIPAL_TYPES.join(', ')}.`);
    }
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
    await assignments.requireAction(req.caller, scope, 'Microsoft.Authorization/roleAssignments/write');
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
      ...(typeof props.condition === 'string' ? { condition: props.condition, conditionVersion: String(props.conditionVersion ?? '2.0') } : {}),
      createdOn: now,
      updatedOn: now,
      createdBy: req.caller.objectId,
      updatedBy: req.caller.objectId,
    };
    if (!(await assignments.create(record))) throw new ArmError(409, 'RoleAssignmentExists', 'The role assignment already exists.');
    return { status: 201, body: assignmentBody(record, req.apiVersion) };
  };

  const deleteAssignment = async (req: ArmRequest): Promise<ArmResponse> => {
    const scope = scopeOf(req.path);
    const existing = await assignments.get(req.params.assignmentName!);
    if (!existing || normalizeScope(existing.scope) !== normalizeScope(scope)) return { status: 204 };
    await assignments.requireAction(req.caller, scope, 'Microsoft.Authorization/roleAssignments/delete');
    await assignments.delete(existing.name);
    return { status: 200, body: assignmentBody(existing, req.apiVersion) };
  };

  const listAssignments = async (req: ArmRequest): Promise<ArmResponse> => {
    const scope = scopeOf(req.path);
    const filter = parseAssignmentFilter(req.query.get('$filter'));
    let items = await assignments.atScope(scope, { includeBelow: !filter.atScope });
    if (filter.principalId) items = items.filter((a) => a.principalId.toLowerCase() === filter.principalId!.toLowerCase());
    return { status: 200, body: { value: items.map((a) => assignmentBody(a, req.apiVersion)) } };
  };

  const getDefinition = async (req: ArmRequest): Promise<ArmResponse> => {
    const role = builtInRole(req.params.roleDefinitionName ?? '');
    if (!role) throw new ArmError(404, 'RoleDefinitionDoesNotExist', `The specified role definition with ID '${req.params.roleDefinitionName}' does not exist.`);
    return { status: 200, body: definitionBody(role, scopeOf(req.path)) };
  };

  const listDefinitions = async (req: ArmRequest): Promise<ArmResponse> => {
    const scope = scopeOf(req.path);
    const filter = req.query.get('$filter');
    let roles = BUILT_IN_ROLES;
    if (filter) {
      const m = /^\s*(roleName|type)\s+eq\s+'([^']*)'\s*$/i.exec(filter);
      if (!m) throw new ArmError(400, 'UnsupportedQuery', `The filter '${filter}' is not supported. Supported filters are 'roleName eq '{value}'' and 'type eq 'BuiltInRole|CustomRole''.`);
      roles = m[1]!.toLowerCase() === 'rolename' ? roles.filter((r) => r.roleName.toLowerCase() === m[2]!.toLowerCase()) : m[2]!.toLowerCase() === 'builtinrole' ? roles : [];
    }
    return { status: 200, body: { value: roles.map((r) => definitionBody(r, scope)) } };
  };

  for (const scope of SCOPES) {
    const assignmentsPath = `${scope}/providers/Microsoft.Authorization/roleAssignments`;
    arm.router.add({ methods: ['GET'], path: assignmentsPath, apiVersions: assignmentVersions, handler: listAssignments });
    arm.router.add({ methods: ['GET'], path: `${assignmentsPath}/{assignmentName}`, apiVersions: assignmentVersions, handler: getAssignment });
    arm.router.add({ methods: ['PUT'], path: `${assignmentsPath}/{assignmentName}`, apiVersions: assignmentVersions, handler: putAssignment });
    arm.router.add({ methods: ['DELETE'], path: `${assignmentsPath}/{assignmentName}`, apiVersions: assignmentVersions, handler: deleteAssignment });
    const definitionsPath = `${scope}/providers/Microsoft.Authorization/roleDefinitions`;
    arm.router.add({ methods: ['GET'], path: definitionsPath, apiVersions: definitionVersions, handler: listDefinitions });
    arm.router.add({ methods: ['GET'], path: `${definitionsPath}/{roleDefinitionName}`, apiVersions: definitionVersions, handler: getDefinition });
  }
  arm.router.add({ methods: ['GET'], path: '/providers/Microsoft.Authorization/roleDefinitions/{roleDefinitionName}', apiVersions: definitionVersions, handler: getDefinition });
  arm.router.add({ methods: ['GET'], path: '/providers/Microsoft.Authorization/roleDefinitions', apiVersions: definitionVersions, handler: listDefinitions });
}

export { scopeCovers };
