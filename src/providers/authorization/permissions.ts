/**
 * `GET <resource group or resource>/providers/Microsoft.Authorization/permissions` (SPEC I-2): the caller's own
 * effective permissions at that scope, one entry per permission block of each role assigned to it there or above,
 * as ARM answers `az`'s and the portal's "what may I do here". Every caller may ask about itself; api-versions
 * before 2018 know only actions and notActions.
 */
import type { Arm } from '../../arm/arm.js';
import { ArmError } from '../../arm/errors.js';
import type { RouteAuthorization } from '../../arm/route-authorization.js';
import type { ArmRequest, ArmResponse } from '../../arm/router.js';
import type { RoleAssignments } from '../../authorization/role-assignments.js';

const SUFFIX = '/providers/Microsoft.Authorization/permissions';

/** Where the permissions route is served: a resource group, a resource, a child resource. */
export const PERMISSION_SCOPES = [
  '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}',
  '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/{ns}/{t1}/{n1}',
  '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/{ns}/{t1}/{n1}/{t2}/{n2}',
].map((scope) => `${scope}${SUFFIX}`);

export const OWN_PERMISSIONS: RouteAuthorization = { anyCaller: "the caller's own permissions, which every caller may read" };

export async function listPermissions(arm: Arm, assignments: RoleAssignments, req: ArmRequest): Promise<ArmResponse> {
  const { subscriptionId, resourceGroupName } = req.params as Record<string, string>;
  await arm.requireResourceGroup(subscriptionId, resourceGroupName);
  const scope = req.path.slice(0, req.path.length - SUFFIX.length);
  if (!req.path.toLowerCase().endsWith(SUFFIX.toLowerCase())) throw new ArmError(400, 'InvalidRequestUri', `The request URI '${req.path}' is not valid.`);
  const withData = req.apiVersion >= '2018';
  const value = (await assignments.permissionsAt(req.caller.objectId, scope)).map((p) => ({
    actions: p.actions,
    notActions: p.notActions,
    ...(withData ? { dataActions: p.dataActions, notDataActions: p.notDataActions } : {}),
  }));
  return { status: 200, body: { value } };
}
