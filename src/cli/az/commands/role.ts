/**
 * `aksemu role assignment create|list|delete` (Microsoft.Authorization, SPEC I-2, K-5) and
 * `aksemu role definition list`: role names are resolved to definition ids at the scope, assignees to object ids
 * through Graph, as az does.
 */
import { randomUUID } from 'node:crypto';
import { API } from '../api-versions.js';
import { AzCliError, ValidationError } from '../framework/errors.js';
import type { Session } from '../framework/context.js';
import type { ArgSpec, CommandSpec } from '../framework/spec.js';
import { azFlattened } from './shape.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PRINCIPAL_TYPES = ['User', 'Group', 'ServicePrincipal', 'ForeignGroup'];

interface RoleDefinition {
  id: string;
  name: string;
  properties: { roleName: string };
}

function assignmentScope(s: Session, a: Record<string, any>): string {
  if (a.scope !== undefined) {
    if (a.resourceGroup !== undefined) throw new ValidationError('Resource group "{}" is redundant because scope is supplied'.replace('{}', a.resourceGroup));
    return String(a.scope).replace(/\/+$/, '');
  }
  if (a.resourceGroup !== undefined) return `/subscriptions/${s.subscriptionId}/resourceGroups/${a.resourceGroup}`;
  return `/subscriptions/${s.subscriptionId}`;
}

/** az's _resolve_role_id: a GUID, a full definition id, or a role name looked up at the scope. */
async function resolveRoleId(s: Session, role: string, scope: string): Promise<string> {
  if (role.startsWith('/')) return role;
  if (GUID.test(role)) return `/subscriptions/${s.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${role}`;
  const filter = encodeURIComponent(`roleName eq '${role}'`);
  const defs = await s.arm.list<RoleDefinition>(`${scope}/providers/Microsoft.Authorization/roleDefinitions?$filter=${filter}`, API.roleDefinitions);
  if (defs.length === 0) throw new AzCliError(`Role '${role}' doesn't exist.`);
  if (defs.length > 1) throw new AzCliError(`Multiple roles match the name '${role}'. Please use the role's ID instead: ${defs.map((d) => d.id).join(', ')}`);
  return defs[0]!.id;
}

/** az's assignee lookup: an object id, a service principal name (appId) or a user principal name. */
async function resolveAssignee(s: Session, assignee: string): Promise<string> {
  if (GUID.test(assignee)) {
    const byId = await s.graph.get<{ id?: string }>(`/v1.0/directoryObjects/${assignee}`, [404]);
    if (byId.status === 200 && byId.body?.id) return byId.body.id;
    const filter = encodeURIComponent(`servicePrincipalNames/any(c:c eq '${assignee}')`);
    const sp = await s.graph.get<{ value?: Array<{ id: string }> }>(`/v1.0/servicePrincipals?$filter=${filter}`);
    if (sp.body?.value?.[0]) return sp.body.value[0].id;
  } else {
    const user = await s.graph.get<{ id?: string }>(`/v1.0/users/${encodeURIComponent(assignee)}`, [404]);
    if (user.body?.id) return user.body.id;
    const filter = encodeURIComponent(`servicePrincipalNames/any(c:c eq '${assignee}')`);
    const sp = await s.graph.get<{ value?: Array<{ id: string }> }>(`/v1.0/servicePrincipals?$filter=${filter}`, [400]);
    if (sp.body?.value?.[0]) return sp.body.value[0].id;
  }
  throw new AzCliError(`Cannot find user or service principal in graph database for '${assignee}'. If the assignee is an appId, make sure the corresponding service principal is created with 'az ad sp create --id ${assignee}'.`);
}

/** The RoleAssignment model as az prints it: properties flattened, every model attribute present. */
function assignmentOutput(r: unknown): Record<string, unknown> {
  const flat = azFlattened<Record<string, unknown>>(r);
  const out: Record<string, unknown> = {};
  for (const k of ['condition', 'conditionVersion', 'createdBy', 'createdOn', 'delegatedManagedIdentityResourceId', 'description', 'id', 'name', 'principalId', 'principalType', 'roleDefinitionId', 'scope', 'type', 'updatedBy', 'updatedOn']) {
    out[k] = flat[k] ?? null;
  }
  for (const [k, v] of Object.entries(flat)) if (!(k in out)) out[k] = v;
  return out;
}

const roleArg: ArgSpec = { dest: 'role', options: ['--role'], help: 'Role name or id.' };
const scopeArgs: ArgSpec[] = [
  { dest: 'scope', options: ['--scope'], help: 'Scope at which the role assignment or definition applies to, e.g., /subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333, /subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/myGroup, or /subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/myGroup/providers/Microsoft.Compute/virtualMachines/myVM' },
  { dest: 'resourceGroup', options: ['--resource-group', '-g'], help: 'Use it only if the role or assignment was added at the level of a resource group.' },
];

async function listAssignments(s: Session, a: Record<string, any>): Promise<any[]> {
  let scope = a.all ? `/subscriptions/${s.subscriptionId}` : assignmentScope(s, a);
  let items = await s.arm.list<any>(`${scope}/providers/Microsoft.Authorization/roleAssignments`, API.roleAssignments);
  if (!a.all && !a.includeInherited) {
    // Without --all, only assignments at the scope itself (and below it for a subscription or group scope).
    scope = scope.toLowerCase();
    items = items.filter((x) => String(x.properties?.scope ?? '').toLowerCase().startsWith(scope));
  }
  if (a.assignee !== undefined) {
    const oid = (await resolveAssignee(s, a.assignee)).toLowerCase();
    items = items.filter((x) => String(x.properties?.principalId).toLowerCase() === oid);
  }
  if (a.role !== undefined) {
    const rid = (await resolveRoleId(s, a.role, `/subscriptions/${s.subscriptionId}`)).split('/').pop()!.toLowerCase();
    items = items.filter((x) => String(x.properties?.roleDefinitionId).split('/').pop()!.toLowerCase() === rid);
  }
  return items;
}

export const roleCommands: CommandSpec[] = [
  {
    path: 'role assignment create',
    summary: 'Create a new role assignment for a user, group, or service principal.',
    args: [
      { ...roleArg, required: true },
      { dest: 'assignee', options: ['--assignee'], help: 'Represent a user, group, or service principal. supported format: object id, user sign-in name, or service principal name.' },
      { dest: 'assigneeObjectId', options: ['--assignee-object-id'], help: "Use this parameter instead of '--assignee' to bypass Graph API invocation in case of insufficient privileges. This parameter only works with object ids for users, groups, service principals, and managed identities." },
      { dest: 'assigneePrincipalType', options: ['--assignee-principal-type'], choices: PRINCIPAL_TYPES, help: 'Use with --assignee-object-id to avoid errors caused by propagation latency in Microsoft Graph.' },
      ...scopeArgs,
      { dest: 'description', options: ['--description'], help: 'Description of role assignment.' },
      { dest: 'condition', options: ['--condition'], help: 'Condition under which the user can be granted permission.' },
      { dest: 'conditionVersion', options: ['--condition-version'], help: 'Version of the condition syntax. If --condition is specified without --condition-version, default to 2.0.' },
      { dest: 'name', options: ['--name', '-n'], help: 'A GUID for the role assignment. It must be unique and different for each role assignment. If omitted, a new GUID is generated.' },
    ],
    examples: [
      { name: 'Create role assignment for an assignee.', text: 'az role assignment create --assignee sp_name --role a_role --scope /subscriptions/00000000-0000-0000-0000-000000000000' },
      { name: 'Create role assignment for an assignee with description and condition.', text: 'az role assignment create --role "Owner" --assignee "Jhon.Doe@Contoso.com" --scope /subscriptions/00000000-0000-0000-0000-000000000000' },
    ],
    async run(ctx, a) {
      if ((a.assignee === undefined) === (a.assigneeObjectId === undefined)) {
        throw new ValidationError('usage error: --assignee STRING | --assignee-object-id GUID');
      }
      if (a.assigneePrincipalType !== undefined && a.assigneeObjectId === undefined) {
        throw new ValidationError('usage error: --assignee-object-id GUID --assignee-principal-type TYPE');
      }
      const s = await ctx.session();
      const scope = assignmentScope(s, a);
      const roleDefinitionId = await resolveRoleId(s, a.role, scope);
      const principalId = a.assigneeObjectId ?? (await resolveAssignee(s, a.assignee));
      const name = a.name ?? randomUUID();
      const body = {
        properties: {
          roleDefinitionId,
          principalId,
          ...(a.assigneePrincipalType !== undefined ? { principalType: a.assigneePrincipalType } : {}),
          ...(a.description !== undefined ? { description: a.description } : {}),
          ...(a.condition !== undefined ? { condition: a.condition, conditionVersion: a.conditionVersion ?? '2.0' } : {}),
        },
      };
      const res = await s.arm.call('PUT', `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`, { apiVersion: API.roleAssignments, body });
      return assignmentOutput(res.json());
    },
  },
  {
    path: 'role assignment list',
    summary: 'List role assignments.',
    args: [
      { dest: 'assignee', options: ['--assignee'], help: 'Represent a user, group, or service principal. supported format: object id, user sign-in name, or service principal name.' },
      roleArg,
      ...scopeArgs,
      { dest: 'all', options: ['--all'], kind: 'flag', help: 'Show all assignments under the current subscription.' },
      { dest: 'includeInherited', options: ['--include-inherited'], kind: 'flag', help: 'Include assignments applied on parent scopes.' },
      { dest: 'includeGroups', options: ['--include-groups'], kind: 'flag', help: "Include extra assignments to the groups of which the user is a member(transitively)." },
      { dest: 'fillPrincipalName', options: ['--fill-principal-name'], kind: 'three-state', help: 'Fill principalName property with value from Microsoft Graph. Default: true.' },
      { dest: 'fillRoleDefinitionName', options: ['--fill-role-definition-name'], kind: 'three-state', help: 'Fill roleDefinitionName property with role definition name. Default: true.' },
    ],
    tableTransformer: (r: any[]) => r.map((x) => ({ Principal: x.principalName ?? '', Role: x.roleDefinitionName ?? '', Scope: x.scope })),
    async run(ctx, a) {
      const s = await ctx.session();
      const items = (await listAssignments(s, a)).map(assignmentOutput);
      if (a.fillRoleDefinitionName !== false && items.length > 0) {
        const defs = await s.arm.list<RoleDefinition>(`/subscriptions/${s.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions`, API.roleDefinitions);
        const names = new Map(defs.map((d) => [d.name.toLowerCase(), d.properties.roleName]));
        for (const x of items) x.roleDefinitionName = names.get(String(x.roleDefinitionId).split('/').pop()!.toLowerCase()) ?? null;
      }
      if (a.fillPrincipalName !== false) {
        for (const x of items) {
          const obj = await s.graph.get<Record<string, any>>(`/v1.0/directoryObjects/${x.principalId}`, [404]);
          x.principalName = obj.body?.userPrincipalName ?? obj.body?.appId ?? obj.body?.displayName ?? '';
        }
      }
      return items;
    },
  },
  {
    path: 'role assignment delete',
    summary: 'Delete role assignments.',
    args: [
      { dest: 'assignee', options: ['--assignee'], help: 'Represent a user, group, or service principal. supported format: object id, user sign-in name, or service principal name.' },
      roleArg,
      ...scopeArgs,
      { dest: 'ids', options: ['--ids'], kind: 'list', help: 'Space-separated role assignment ids.' },
      { dest: 'includeInherited', options: ['--include-inherited'], kind: 'flag', help: 'Include assignments applied on parent scopes.' },
      { dest: 'yes', options: ['--yes', '-y'], kind: 'flag', help: 'Currently no-op.' },
    ],
    async run(ctx, a) {
      const s = await ctx.session();
      let ids: string[];
      if (a.ids !== undefined) {
        if (a.assignee !== undefined || a.role !== undefined || a.scope !== undefined || a.resourceGroup !== undefined) {
          throw new ValidationError('When assignment ids are used, other parameter values are not required');
        }
        ids = a.ids;
      } else {
        if (a.assignee === undefined && a.role === undefined && a.scope === undefined && a.resourceGroup === undefined) {
          throw new ValidationError('Please provide at least one of these parameters: --ids, --assignee, --role, --resource-group, --scope');
        }
        ids = (await listAssignments(s, a)).map((x) => x.id);
        if (ids.length === 0) {
          ctx.warn('No matched assignments were found to delete');
          return undefined;
        }
      }
      for (const id of ids) await s.arm.call('DELETE', id, { apiVersion: API.roleAssignments });
      return undefined;
    },
  },
  {
    path: 'role definition list',
    summary: 'List role definitions.',
    args: [{ dest: 'name', options: ['--name', '-n'], help: "A role's name or id." }, ...scopeArgs, { dest: 'custom', options: ['--custom-role-only'], kind: 'three-state', help: 'Custom roles only (vs. build-in ones).' }],
    tableTransformer: (r: any[]) => r.map((x) => ({ Name: x.roleName, Type: x.roleType, Description: x.description })),
    async run(ctx, a) {
      const s = await ctx.session();
      const scope = assignmentScope(s, a);
      const filter = a.name !== undefined && !GUID.test(a.name) ? `?$filter=${encodeURIComponent(`roleName eq '${a.name}'`)}` : '';
      let defs = await s.arm.list<RoleDefinition>(`${scope}/providers/Microsoft.Authorization/roleDefinitions${filter}`, API.roleDefinitions);
      if (a.name !== undefined && GUID.test(a.name)) defs = defs.filter((d) => d.name.toLowerCase() === String(a.name).toLowerCase());
      if (a.custom) defs = [];
      return defs.map((d) => azFlattened(d, { type: 'roleType' }));
    },
  },
];
