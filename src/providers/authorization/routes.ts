/**
 * `Microsoft.Authorization/roleAssignments` and `roleDefinitions` over ARM (SPEC I-2): create/get/delete/list role
 * assignments at any scope (subscription, resource group, resource, child resource such as a vault's key), and the
 * built-in and custom role definitions (get by GUID, list with `$filter=roleName eq '...'`, custom ones created, updated and
 * deleted: ./definition-handlers.ts), and the caller's own permissions at a scope (./permissions.ts).
 *
 * Errors are the ones Azure answers: InvalidRoleAssignmentId, RoleDefinitionDoesNotExist, PrincipalNotFound,
 * UnmatchedPrincipalType, RoleAssignmentExists, RoleAssignmentUpdateNotPermitted, AuthorizationFailed.
 */
import type { Arm } from '../../arm/arm.js';
import type { RouteAuthorization } from '../../arm/route-authorization.js';
import type { Directory } from '../../identity/directory.js';
import type { Clock } from '../../runtime/clock.js';
import { scopeCovers } from '../../authorization/access-check.js';
import { deleteDefinition, getDefinition, listDefinitions, putDefinition } from './definition-handlers.js';
import { deleteAssignment, getAssignment, listAssignments, putAssignment, type AuthorizationDeps, type AuthorizationHandler } from './handlers.js';
import type { RoleAssignments } from '../../authorization/role-assignments.js';
import { listPermissions, OWN_PERMISSIONS, PERMISSION_SCOPES } from './permissions.js';

export { parseAssignmentFilter } from './request-parsing.js';

export const NS = 'Microsoft.Authorization';
export const AUTHORIZATION_API_VERSIONS = [
  '2022-05-01-preview', '2022-04-01', '2022-01-01-preview', '2021-04-01-preview', '2020-10-01-preview',
  '2020-10-01', '2020-08-01-preview', '2020-04-01-preview', '2020-03-01-preview', '2019-08-01-preview',
  '2019-04-01-preview', '2018-09-01-preview', '2018-07-01', '2018-01-01-preview', '2017-10-01-preview',
  '2017-09-01', '2017-05-01', '2016-09-01', '2015-07-01', '2015-06-01', '2015-01-01',
];

/** Scope templates the router can match (ARM paths have a fixed number of segments per template). */
const SCOPES = [
  '/subscriptions/{subscriptionId}',
  '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}',
  '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/{ns}/{t1}/{n1}',
  '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/{ns}/{t1}/{n1}/{t2}/{n2}',
];

interface AuthorizationRoute {
  methods: string[];
  /** Below a scope (`scoped`: one route per template of SCOPES) or, for the tenant-wide ones, the whole path. */
  path: string;
  scoped: boolean;
  resourceType: 'roleAssignments' | 'roleDefinitions';
  authorization: RouteAuthorization;
  handler: AuthorizationHandler;
}

const ASSIGNMENTS = `/providers/${NS}/roleAssignments`;
/** The built-in role definitions at the tenant root are readable by every account, as `az role definition list` shows. */
const TENANT_DEFINITIONS: RouteAuthorization = { anyCaller: 'the built-in role definitions, readable by every account of the tenant' };
const DEFINITIONS = `/providers/${NS}/roleDefinitions`;

/** Per scope template, in this order; then the tenant-wide role definitions. */
const ROUTES: AuthorizationRoute[] = [
  { methods: ['GET'], path: ASSIGNMENTS, scoped: true, resourceType: 'roleAssignments', authorization: { action: 'Microsoft.Authorization/roleAssignments/read' }, handler: listAssignments },
  { methods: ['GET'], path: `${ASSIGNMENTS}/{assignmentName}`, scoped: true, resourceType: 'roleAssignments', authorization: { action: 'Microsoft.Authorization/roleAssignments/read' }, handler: getAssignment },
  { methods: ['PUT'], path: `${ASSIGNMENTS}/{assignmentName}`, scoped: true, resourceType: 'roleAssignments', authorization: { action: 'Microsoft.Authorization/roleAssignments/write' }, handler: putAssignment },
  { methods: ['DELETE'], path: `${ASSIGNMENTS}/{assignmentName}`, scoped: true, resourceType: 'roleAssignments', authorization: { action: 'Microsoft.Authorization/roleAssignments/delete' }, handler: deleteAssignment },
  { methods: ['GET'], path: DEFINITIONS, scoped: true, resourceType: 'roleDefinitions', authorization: { action: 'Microsoft.Authorization/roleDefinitions/read' }, handler: listDefinitions },
  { methods: ['GET'], path: `${DEFINITIONS}/{roleDefinitionName}`, scoped: true, resourceType: 'roleDefinitions', authorization: { action: 'Microsoft.Authorization/roleDefinitions/read' }, handler: getDefinition },
  { methods: ['PUT'], path: `${DEFINITIONS}/{roleDefinitionName}`, scoped: true, resourceType: 'roleDefinitions', authorization: { action: 'Microsoft.Authorization/roleDefinitions/write' }, handler: putDefinition },
  { methods: ['DELETE'], path: `${DEFINITIONS}/{roleDefinitionName}`, scoped: true, resourceType: 'roleDefinitions', authorization: { action: 'Microsoft.Authorization/roleDefinitions/delete' }, handler: deleteDefinition },
  { methods: ['GET'], path: `${DEFINITIONS}/{roleDefinitionName}`, scoped: false, resourceType: 'roleDefinitions', authorization: TENANT_DEFINITIONS, handler: getDefinition },
  { methods: ['GET'], path: DEFINITIONS, scoped: false, resourceType: 'roleDefinitions', authorization: TENANT_DEFINITIONS, handler: listDefinitions },
];

export function registerAuthorizationRoutes(arm: Arm, assignments: RoleAssignments, directory: Directory, clock: Clock): void {
  arm.types.register({ namespace: NS, resourceType: 'roleAssignments', apiVersions: AUTHORIZATION_API_VERSIONS });
  arm.types.register({ namespace: NS, resourceType: 'roleDefinitions', apiVersions: AUTHORIZATION_API_VERSIONS });
  const versions = {
    roleAssignments: arm.types.versionPolicy(NS, 'roleAssignments'),
    roleDefinitions: arm.types.versionPolicy(NS, 'roleDefinitions'),
  };
  const deps: AuthorizationDeps = { assignments, directory, clock };
  const add = (route: AuthorizationRoute, path: string) =>
    arm.router.add({ methods: route.methods, path, apiVersions: versions[route.resourceType], authorization: route.authorization, handler: (req) => route.handler(deps, req) });
  for (const scope of SCOPES) {
    for (const route of ROUTES) if (route.scoped) add(route, `${scope}${route.path}`);
  }
  for (const route of ROUTES) if (!route.scoped) add(route, route.path);
  arm.types.register({ namespace: NS, resourceType: 'permissions', apiVersions: AUTHORIZATION_API_VERSIONS });
  for (const path of PERMISSION_SCOPES) {
    arm.router.add({ methods: ['GET'], path, apiVersions: arm.types.versionPolicy(NS, 'permissions'), authorization: OWN_PERMISSIONS, handler: (req) => listPermissions(arm, assignments, req) });
  }
}

export { scopeCovers };
