/**
 * The Azure RBAC examples' world: the instance's default user stands for the example's principal, a built-in
 * role for the example's role definition, a user-assigned identity for the resource the example scopes an
 * assignment to (aksemu does not emulate Cosmos DB), fresh assignment names per example, and the role assignment
 * or custom role an operation acts on, created first.
 */
import { randomUUID } from 'node:crypto';
import { BUILT_IN_ROLES, EMULATOR_OPERATOR_ROLE_ID, OWNER_ROLE_ID } from '../../src/authorization/role-definitions.js';
import { getUserToken } from '../../testkit/http.js';
import { objectIdOf } from './fixtures.js';
import type { Harness } from './suite.js';

const API = '2022-04-01';
/**
 * Each example assigns its own built-in role: Azure refuses a second assignment of one role to one principal at one
 * scope (RoleAssignmentExists), and the examples all assign one role to one user.
 */
const ROLES = BUILT_IN_ROLES.map((r) => r.name).filter((r) => r !== OWNER_ROLE_ID && r !== EMULATOR_OPERATOR_ROLE_ID);
const EXAMPLE_ROLE = '0b5fe924-9a61-425c-96af-cfe6e287ca2d';
const EXAMPLE_PRINCIPAL = 'ce2ce14e-85d7-4629-bdbc-454d0519d987';
const EXAMPLE_ASSIGNMENTS = ['05c5a614-a7d6-4502-b150-c2fb455033ff', 'b0f43c54-e787-4862-89b1-a653fa9cf747'];
/** Resource types of the examples that aksemu does not emulate, and the emulated type that stands in. */
const STAND_IN = { type: 'Microsoft.ManagedIdentity/userAssignedIdentities', api: '2023-01-31' };

export function authorizationHarness(): Harness {
  let user = '';
  const roles = new Map<string, string>();
  const assigned = new Map<string, string>();

  return {
    async start(ctx) {
      user = objectIdOf(await getUserToken(ctx.emulator.url, ctx.emulator.env));
    },
    parameters(c) {
      // The role definition example puts its definition beside the body parameter, flattened, and leaves the
      // body parameter empty: the definition is sent as the swagger's RoleDefinition.
      if (c.operationId !== 'RoleDefinitions_CreateOrUpdate') return undefined;
      const { id: _i, type: _t, name: _n, ...properties } = c.example.parameters.body.roleDefinition;
      return { roleDefinition: { properties } };
    },
    substitute(c, subs, ctx) {
      const sub = ctx.arm.subscriptionId;
      const builtIn = ROLES[assigned.size % ROLES.length]!;
      assigned.set(c.file, builtIn);
      subs.value(EXAMPLE_PRINCIPAL, user).text(EXAMPLE_ROLE, builtIn);
      for (const a of EXAMPLE_ASSIGNMENTS) subs.text(a, randomUUID());
      subs.text('Microsoft.DocumentDb/databaseAccounts', STAND_IN.type);
      // Role definition examples name their scope and role by placeholders.
      const role = randomUUID();
      roles.set(c.file, role);
      subs.value('scope', `subscriptions/${sub}`).value('Role name', `Role name ${role.slice(0, 8)}`);
      subs.value('roleDefinitionId', c.operationId === 'RoleDefinitions_GetById' ? `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${role}` : role);
      subs.text('/roleDefinitions/roleDefinitionId', `/roleDefinitions/${role}`);
      // The permissions example names a resource by placeholders: one of the instance's identities.
      subs.value('rpnamespace', 'Microsoft.ManagedIdentity').value('parentResourcePath', '').value('resourceType', 'userAssignedIdentities').value('resourceName', 'permissions-target');
    },
    async prepare(c, example, _subs, ctx) {
      const p = example.parameters;
      const sub = ctx.arm.subscriptionId;
      const body = example.responses['200']?.body ?? example.responses['201']?.body;
      // The resource an assignment is scoped to, where the example names one.
      const scoped = [p.scope, p.roleAssignmentId, body?.properties?.scope, body?.value?.[0]?.properties?.scope].find((s) => typeof s === 'string' && s.includes(STAND_IN.type));
      if (scoped) {
        const path = `/${String(scoped).replace(/^\/+/, '').split('/providers/Microsoft.Authorization/')[0]}`;
        await ctx.arm.ensure('PUT', path, STAND_IN.api, { location: 'eastus' });
      }
      if (c.operationId === 'Permissions_ListForResource') {
        await ctx.arm.identity(p.resourceGroupName, 'permissions-target');
      }
      const assignment = (scope: string, name: string) =>
        ctx.arm.ensure('PUT', `/${scope.replace(/^\/+/, '')}/providers/Microsoft.Authorization/roleAssignments/${name}`, API, {
          properties: { roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${assigned.get(c.file)}`, principalId: user, principalType: 'User' },
        });
      if (['RoleAssignments_Get', 'RoleAssignments_Delete'].includes(c.operationId)) await assignment(p.scope, p.roleAssignmentName);
      if (['RoleAssignments_GetById', 'RoleAssignments_DeleteById'].includes(c.operationId)) {
        const [scope, name] = String(p.roleAssignmentId).split('/providers/Microsoft.Authorization/roleAssignments/');
        await assignment(scope!, name!);
      }
      if (c.operationId === 'RoleAssignments_ListForResourceGroup' || c.operationId === 'RoleAssignments_ListForScope') {
        // The listed assignment, where the example's first item says it is (a list shows inherited ones too).
        const [scope, name] = String(body?.value?.[0]?.id).split('/providers/Microsoft.Authorization/roleAssignments/');
        await assignment(scope!, name!);
      }
      if (['RoleDefinitions_Get', 'RoleDefinitions_Delete', 'RoleDefinitions_GetById'].includes(c.operationId)) {
        const { id: _i, type: _t, name: _n, ...shown } = body ?? {};
        const properties = { roleName: shown.properties?.roleName, description: shown.properties?.description, assignableScopes: shown.properties?.assignableScopes, permissions: shown.properties?.permissions };
        await ctx.arm.ensure('PUT', `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${roles.get(c.file)}`, API, { properties });
      }
    },
  };
}

