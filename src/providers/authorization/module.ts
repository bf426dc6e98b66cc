/**
 * The authorization module (issue 3): built-in role definitions, role assignments over ARM, and the shared
 * RoleAssignments service other modules use for per-request decisions (`authorizationOf(ctx)`).
 *
 * Bootstrap: the default principal and the default user get Owner on the subscription (management plane only:
 * Owner carries no data actions, so an RBAC vault's keys still need a Key Vault data role, as in Azure).
 */
import type { EmulatorContext, EmulatorModule } from '../../emulator.js';
import { OWNER_ROLE_ID } from '../../authorization/role-definitions.js';
import { RoleAssignments } from '../../authorization/role-assignments.js';
import { registerAuthorizationRoutes } from './routes.js';

const services = new WeakMap<EmulatorContext, RoleAssignments>();

/** The role assignment service of an emulator (created on first use, so module order does not matter). */
export function authorizationOf(ctx: EmulatorContext): RoleAssignments {
  let s = services.get(ctx);
  if (!s) {
    s = new RoleAssignments(ctx.store);
    services.set(ctx, s);
  }
  return s;
}

export const authorizationModule: EmulatorModule = async (ctx) => {
  const assignments = authorizationOf(ctx);
  registerAuthorizationRoutes(ctx.arm, assignments, ctx.directory, ctx.clock);
  const { defaultPrincipal, defaultUser } = await ctx.directory.bootstrap();
  const subscription = `/subscriptions/${ctx.subscriptionId}`;
  await assignments.ensure(subscription, OWNER_ROLE_ID, defaultPrincipal.objectId, 'ServicePrincipal', ctx.clock.iso());
  await assignments.ensure(subscription, OWNER_ROLE_ID, defaultUser.objectId, 'User', ctx.clock.iso());
};
