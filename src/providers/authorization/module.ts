/**
 * The authorization module: built-in role definitions and role assignments over ARM. The role assignment
 * service itself (src/authorization/) is created by the composition root and shared with every module that makes
 * per-request decisions (Key Vault, managed identities, the KMS encryption API).
 *
 * Bootstrap: the default principal and the default user get Owner on the subscription (management plane only:
 * Owner carries no data actions, so an RBAC vault's keys still need a Key Vault data role, as in Azure).
 */
import type { Arm } from '../../arm/arm.js';
import { OWNER_ROLE_ID } from '../../authorization/role-definitions.js';
import type { RoleAssignments } from '../../authorization/role-assignments.js';
import type { Directory } from '../../identity/directory.js';
import type { Clock } from '../../runtime/clock.js';
import { registerAuthorizationRoutes } from './routes.js';

export interface AuthorizationDeps {
  arm: Arm;
  directory: Directory;
  clock: Clock;
  assignments: RoleAssignments;
  subscriptionId: string;
}

export async function startAuthorization({ arm, directory, clock, assignments, subscriptionId }: AuthorizationDeps): Promise<void> {
  registerAuthorizationRoutes(arm, assignments, directory, clock);
  const { defaultPrincipal, defaultUser } = await directory.bootstrap();
  const subscription = `/subscriptions/${subscriptionId}`;
  await assignments.ensure(subscription, OWNER_ROLE_ID, defaultPrincipal.objectId, 'ServicePrincipal', clock.iso());
  await assignments.ensure(subscription, OWNER_ROLE_ID, defaultUser.objectId, 'User', clock.iso());
}
