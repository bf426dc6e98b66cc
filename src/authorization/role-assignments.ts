/**
 * Role assignments in the store and the authorization decisions built on them (SPEC I-2, V-4).
 *
 *   /authorization/assignments/<guid>   one record per assignment (scope, role definition, principal)
 *
 * Every write goes through this class, which keeps an in-process copy of the (small) assignment set so that the
 * data plane can authorize each request without a store read; the store stays the truth (the copy is reloaded
 * whenever this process writes, and on start).
 */
import { createHash } from 'node:crypto';
import { ArmError } from '../arm/errors.js';
import type { Caller } from '../identity/authenticate.js';
import { listJson, putJson } from '../store/json.js';
import type { Store } from '../store/store.js';
import { findGrant, normalizeScope, roleGrantsByName, scopeCovers, type OperationKind } from './access-check.js';
import type { CustomRoles } from './custom-roles.js';
import { OWNER_ROLE_ID, type Permission, type RoleDefinition } from './role-definitions.js';

export type AssignmentPrincipalType = 'User' | 'ServicePrincipal' | 'Group' | 'ForeignGroup' | 'Device';

export interface RoleAssignmentRecord {
  name: string;
  /** The scope as it was given (display casing). */
  scope: string;
  roleDefinitionGuid: string;
  /** The role definition id as the client gave it. */
  roleDefinitionId: string;
  principalId: string;
  principalType: AssignmentPrincipalType;
  description?: string;
  condition?: string;
  conditionVersion?: string;
  createdOn: string;
  updatedOn: string;
  createdBy: string;
  updatedBy: string;
}

const PREFIX = '/authorization/assignments/';
const key = (name: string) => `${PREFIX}${name.toLowerCase()}`;

/** A GUID derived from its inputs, for assignments the emulator makes itself (idempotent across restarts). */
export function derivedGuid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\n').toLowerCase()).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class RoleAssignments {
  private cache: RoleAssignmentRecord[] | undefined;

  constructor(
    private readonly store: Store,
    /** The tenant's custom role definitions, resolved beside the built-in ones. */
    readonly customRoles: CustomRoles,
  ) {}

  /** A built-in or custom role (custom ones are loaded by `all()`, which every decision goes through). */
  roleOf(guid: string): RoleDefinition | undefined {
    return this.customRoles.role(guid);
  }

  async all(): Promise<RoleAssignmentRecord[]> {
    await this.customRoles.load();
    if (!this.cache) this.cache = (await listJson<RoleAssignmentRecord>(this.store, PREFIX)).map((d) => d.value);
    return this.cache;
  }

  async get(name: string): Promise<RoleAssignmentRecord | undefined> {
    return (await this.all()).find((a) => a.name.toLowerCase() === name.toLowerCase());
  }

  /** Creates `record` unless its name exists; returns false if it does. */
  async create(record: RoleAssignmentRecord): Promise<boolean> {
    const res = await putJson(this.store, key(record.name), record, { ifModRevision: 0 });
    this.cache = undefined;
    return res.succeeded;
  }

  async delete(name: string): Promise<RoleAssignmentRecord | undefined> {
    const existing = await this.get(name);
    if (!existing) return undefined;
    await this.store.delete(key(name));
    this.cache = undefined;
    return existing;
  }

  /** Assignments that apply at `scope` (at or above it), and optionally those below it too. */
  async atScope(scope: string, opts: { includeBelow?: boolean } = {}): Promise<RoleAssignmentRecord[]> {
    return (await this.all()).filter((a) => scopeCovers(a.scope, scope) || (opts.includeBelow === true && scopeCovers(scope, a.scope)));
  }

  /**
   * The permissions of the roles `principalId` holds at `scope` (assigned at or above it), one entry per role
   * permission of each assignment: what ARM's `Microsoft.Authorization/permissions` list answers (SPEC I-2).
   */
  async permissionsAt(principalId: string, scope: string): Promise<Permission[]> {
    const id = principalId.toLowerCase();
    const out: Permission[] = [];
    for (const a of await this.atScope(scope)) {
      if (a.principalId.toLowerCase() !== id) continue;
      const role = this.roleOf(a.roleDefinitionGuid);
      if (role) out.push(...role.permissions);
    }
    return out;
  }

  /** The assignment that grants `principalId` the operation on `resource`, if any. */
  async grant(principalId: string, resource: string, action: string, kind: OperationKind): Promise<RoleAssignmentRecord | undefined> {
    return findGrant(await this.all(), [principalId], resource, action, kind, (g) => this.roleOf(g));
  }

  async allows(caller: Caller, scope: string, action: string): Promise<boolean> {
    return (await this.grant(caller.objectId, scope, action, 'action')) !== undefined;
  }

  /** ARM's AuthorizationFailed (403) unless the caller may perform `action` on `scope` (management plane); a user is named by its sign-in name, an application by its id. */
  async requireAction(caller: Caller, scope: string, action: string): Promise<void> {
    if (await this.grant(caller.objectId, scope, action, 'action')) return;
    throw new ArmError(
      403,
      'AuthorizationFailed',
      `The client '${caller.upn ?? caller.appId}' with object id '${caller.objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
  }

  /** Whether `caller` holds any assignment at, above or below `scope` (a subscription is listed to such callers). */
  async hasAnyAccess(caller: Caller, scope: string): Promise<boolean> {
    const id = caller.objectId.toLowerCase();
    return (await this.atScope(scope, { includeBelow: true })).some((a) => a.principalId.toLowerCase() === id);
  }

  /**
   * aksemu's administration API (`Aksemu.Emulator/...` actions): allowed to an Owner of the subscription the scope
   * is in, or through a role that names the namespace (the "aksemu Emulator Operator" role, or a custom one), at or
   * above `scope`. Contributor's and Reader's wildcards do not reach these actions (SPEC Z-1).
   */
  async requireEmulatorRight(caller: Caller, scope: string, action: string): Promise<void> {
    const subscription = /^\/subscriptions\/[^/]+/i.exec(scope)?.[0] ?? scope;
    const id = caller.objectId.toLowerCase();
    const granted = (await this.all()).some((a) => {
      if (a.principalId.toLowerCase() !== id) return false;
      if (a.roleDefinitionGuid === OWNER_ROLE_ID && scopeCovers(a.scope, subscription)) return true;
      const role = this.roleOf(a.roleDefinitionGuid);
      return role !== undefined && scopeCovers(a.scope, scope) && roleGrantsByName(role, action);
    });
    if (granted) return;
    throw new ArmError(
      403,
      'AuthorizationFailed',
      `The client '${caller.upn ?? caller.appId}' with object id '${caller.objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. aksemu's administration API needs Owner on the subscription or the 'aksemu Emulator Operator' role.`,
    );
  }

  /** Ensures an assignment the emulator itself makes (e.g. Owner for the default principal and user at bootstrap). */
  async ensure(scope: string, roleGuid: string, principalId: string, principalType: AssignmentPrincipalType, now: string): Promise<void> {
    const name = derivedGuid(normalizeScope(scope), roleGuid, principalId);
    if (await this.get(name)) return;
    await this.create({
      name,
      scope,
      roleDefinitionGuid: roleGuid,
      roleDefinitionId: `${scope === '/' ? '' : scope}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`,
      principalId,
      principalType,
      createdOn: now,
      updatedOn: now,
      createdBy: 'aksemu',
      updatedBy: 'aksemu',
    });
  }
}
