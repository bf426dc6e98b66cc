/** The parts of a Microsoft.Authorization request: its scope, its `$filter`, and a role assignment's PUT body. */
import { ArmError, armErrors } from '../../arm/errors.js';
import type { ArmRequest } from '../../arm/router.js';
import { isGuid } from '../../util/ids.js';
import { shown } from '../../util/shown.js';
import { roleGuidFromId, type RoleDefinition } from '../../authorization/role-definitions.js';
import type { AssignmentPrincipalType } from '../../authorization/role-assignments.js';

export const PRINCIPAL_TYPES: AssignmentPrincipalType[] = ['User', 'ServicePrincipal', 'Group', 'ForeignGroup', 'Device'];

/** The scope part of a request path: everything before `/providers/Microsoft.Authorization/...`. */
export function scopeOf(path: string): string {
  const i = path.toLowerCase().lastIndexOf('/providers/microsoft.authorization/');
  const scope = i <= 0 ? '/' : path.slice(0, i);
  return scope.replace(/\/+$/, '') || '/';
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

/** The roles a role definitions `$filter` (`roleName eq '...'` or `type eq 'BuiltInRole|CustomRole'`) selects. */
export function filterDefinitions<R extends RoleDefinition>(roles: R[], filter: string | null, typeOf: (r: R) => string): R[] {
  if (!filter) return roles;
  const m = /^\s*(roleName|type)\s+eq\s+'([^']*)'\s*$/i.exec(filter);
  if (!m) throw new ArmError(400, 'UnsupportedQuery', `The filter '${filter}' is not supported. Supported filters are 'roleName eq '{value}'' and 'type eq 'BuiltInRole|CustomRole''.`);
  const value = m[2]!.toLowerCase();
  return m[1]!.toLowerCase() === 'rolename' ? roles.filter((r) => r.roleName.toLowerCase() === value) : roles.filter((r) => typeOf(r).toLowerCase() === value);
}

export interface AssignmentRequest {
  /** The assignment's name (a GUID) as given in the path. */
  name: string;
  scope: string;
  properties: Record<string, unknown>;
  /** The role definition id as given (a full id or a bare GUID). */
  roleDefinitionIdGiven: string;
  /** The role's GUID, in lower case. */
  roleGuid: string;
  principalId: string;
  /** The principalType given, checked to be one ARM knows (undefined: not given). */
  givenType: unknown;
}

/** Checks a role assignment's PUT request, in the order Azure does, up to what needs the directory. */
export function parseAssignmentRequest(req: ArmRequest, roleOf: (guid: string) => RoleDefinition | undefined): AssignmentRequest {
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
  if (!guid || !roleOf(guid)) {
    throw new ArmError(400, 'RoleDefinitionDoesNotExist', `The specified role definition with ID '${roleDefinitionIdGiven.split('/').pop()}' does not exist.`);
  }
  const givenType = props.principalType;
  if (givenType !== undefined && (typeof givenType !== 'string' || !PRINCIPAL_TYPES.includes(givenType as AssignmentPrincipalType))) {
    throw new ArmError(400, 'InvalidPrincipalType', `The principal type '${shown(givenType)}' is invalid. Valid values are ${PRINCIPAL_TYPES.join(', ')}.`);
  }
  return { name, scope, properties: props, roleDefinitionIdGiven, roleGuid: guid, principalId, givenType };
}
