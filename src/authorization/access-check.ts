/**
 * Azure RBAC evaluation as pure functions (SPEC I-2, V-4): does a set of role assignments grant an action (or a
 * data action) at a scope?
 *
 * - Scopes are inherited downward: an assignment at `/subscriptions/S` applies to `/subscriptions/S/resourceGroups/R/
 *   providers/Microsoft.KeyVault/vaults/V/keys/K`; scopes compare case-insensitively, segment by segment.
 * - A permission block grants an operation when one of its (data)actions matches and none of its not(Data)Actions
 *   does; `*` matches any run of characters (`Microsoft.KeyVault/*`, `* /read`), case-insensitively.
 * - `actions` never grant data actions and vice versa, as in Azure.
 */
import type { RoleDefinition } from './role-definitions.js';

export interface AssignmentLike {
  scope: string;
  roleDefinitionGuid: string;
  principalId: string;
}

export type OperationKind = 'action' | 'dataAction';

export function normalizeScope(scope: string): string {
  const s = scope.trim().toLowerCase().replace(/\/+$/, '');
  return s === '' ? '/' : s;
}

/** True when `resource` is `scope` itself or below it. */
export function scopeCovers(scope: string, resource: string): boolean {
  const s = normalizeScope(scope);
  const r = normalizeScope(resource);
  if (s === '/') return true;
  return r === s || r.startsWith(`${s}/`);
}

const patternCache = new Map<string, RegExp>();

export function actionMatches(pattern: string, action: string): boolean {
  let re = patternCache.get(pattern);
  if (!re) {
    // `/*/` also matches a single `/` (Azure's `userAssignedIdentities/*/assign/action` grants `.../assign/action`).
    const body = pattern
      .split('/*/')
      .map((chunk) =>
        chunk
          .split('*')
          .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*'),
      )
      .join('/(?:.*/)?');
    re = new RegExp(`^${body}$`, 'i');
    patternCache.set(pattern, re);
  }
  return re.test(action);
}

export function roleGrants(role: RoleDefinition, action: string, kind: OperationKind): boolean {
  return role.permissions.some((p) => {
    const allow = kind === 'action' ? p.actions : p.dataActions;
    const deny = kind === 'action' ? p.notActions : p.notDataActions;
    return allow.some((a) => actionMatches(a, action)) && !deny.some((a) => actionMatches(a, action));
  });
}

/**
 * The first assignment (of `principalIds`) that grants `action` on `resource`, or undefined. `roleOf` resolves a
 * role definition GUID (built-in or custom).
 */
export function findGrant<A extends AssignmentLike>(
  assignments: A[],
  principalIds: string[],
  resource: string,
  action: string,
  kind: OperationKind,
  roleOf: (guid: string) => RoleDefinition | undefined,
): A | undefined {
  const principals = new Set(principalIds.map((p) => p.toLowerCase()));
  return assignments.find((a) => {
    if (!principals.has(a.principalId.toLowerCase()) || !scopeCovers(a.scope, resource)) return false;
    const role = roleOf(a.roleDefinitionGuid);
    return role !== undefined && roleGrants(role, action, kind);
  });
}

/**
 * Whether `role` grants `action` through a pattern that names the action's namespace (`Aksemu.Emulator/*`), not
 * through a global wildcard (Contributor's star, Reader's star-slash-read): aksemu's own actions are not Azure resources that Contributor or Reader
 * were made to manage, so their wildcards do not reach them.
 */
export function roleGrantsByName(role: RoleDefinition, action: string): boolean {
  const ns = action.slice(0, action.indexOf('/') + 1).toLowerCase();
  return role.permissions.some(
    (p) => p.actions.some((a) => a.toLowerCase().startsWith(ns) && actionMatches(a, action)) && !p.notActions.some((a) => actionMatches(a, action)),
  );
}
