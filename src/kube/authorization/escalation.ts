/**
 * RBAC escalation prevention (SPEC Z-3), as upstream's rbac registries enforce it on create and update:
 *
 * - a Role or ClusterRole may only grant what the requester holds (in the Role's namespace; cluster-wide for a
 *   ClusterRole), unless the requester may `escalate` that role;
 * - a RoleBinding or ClusterRoleBinding may only bind a role whose permissions the requester holds (where the
 *   binding applies), unless the requester may `bind` that role.
 *
 * The refusal is upstream's Forbidden: `... is attempting to grant RBAC permissions not currently held:` and the
 * missing rules.
 */
import { KubeError } from '../api/machinery/errors.js';
import type { Registry } from '../api/registry/registry.js';
import type { ClusterRole, Role, RoleBinding } from '../api/machinery/types.js';
import type { UserInfo } from '../auth.js';
import { clusterroles, RBAC_GROUP, roles } from '../resources/rbac.js';
import type { ClusterAuthorizer } from './authorizer.js';
import { compactRule, uncoveredRules, type PolicyRule } from './rules.js';
import type { KubeObject } from '../../clusters/stored-object.js';

const ROLE_KINDS: Record<string, { resource: string; namespaced: boolean }> = {
  roles: { resource: 'roles', namespaced: true },
  clusterroles: { resource: 'clusterroles', namespaced: false },
};
const BINDING_KINDS: Record<string, boolean> = { rolebindings: true, clusterrolebindings: false };

function refusal(resource: string, name: string, why: string): KubeError {
  return new KubeError(403, 'Forbidden', `${resource}.${RBAC_GROUP} ${JSON.stringify(name)} is forbidden: ${why}`, { name, group: RBAC_GROUP, kind: resource });
}

function notHeld(user: UserInfo, missing: PolicyRule[]): string {
  const groups = `[${user.groups.map((g) => JSON.stringify(g)).join(' ')}]`;
  return `user ${JSON.stringify(user.username)} (groups=${groups}) is attempting to grant RBAC permissions not currently held:\n${missing.map(compactRule).join('\n')}`;
}

/** Whether `resource` is one of the four RBAC resources whose writes are checked here. */
export function isRbacResource(group: string, resource: string): boolean {
  return group === RBAC_GROUP && (resource in ROLE_KINDS || resource in BINDING_KINDS);
}

/**
 * Checks the object a create or update of an RBAC resource would write (after defaulting and validation);
 * throws the 403 upstream answers.
 */
export async function checkEscalation(authz: ClusterAuthorizer, registry: Registry, user: UserInfo, resource: string, obj: KubeObject): Promise<void> {
  if (user.groups.includes('system:masters')) return;
  const name = obj.metadata.name ?? '';
  const namespace = obj.metadata.namespace ?? '';
  const role = ROLE_KINDS[resource];
  if (role) {
    const escalate = await authz.authorize(user, { resourceRequest: true, verb: 'escalate', apiGroup: RBAC_GROUP, apiVersion: 'v1', resource, subresource: '', namespace: role.namespaced ? namespace : '', name });
    if (escalate.allowed) return;
    const held = await authz.rbac.rulesFor(user, role.namespaced ? namespace : '');
    const missing = uncoveredRules(held, ((obj as Role | ClusterRole).rules ?? []) as PolicyRule[]);
    if (missing.length > 0) throw refusal(resource, name, notHeld(user, missing));
    return;
  }
  const namespaced = BINDING_KINDS[resource];
  if (namespaced === undefined) return;
  const ref = (obj as RoleBinding).roleRef;
  const refResource = ref.kind === 'ClusterRole' ? 'clusterroles' : 'roles';
  const bind = await authz.authorize(user, { resourceRequest: true, verb: 'bind', apiGroup: RBAC_GROUP, apiVersion: 'v1', resource: refResource, subresource: '', namespace: namespaced ? namespace : '', name: ref.name });
  if (bind.allowed) return;
  const target = ref.kind === 'ClusterRole' ? await registry.tryGet<ClusterRole>(clusterroles, undefined, ref.name) : await registry.tryGet<Role>(roles, namespace, ref.name);
  if (!target) throw refusal(resource, name, `${refResource}.${RBAC_GROUP} ${JSON.stringify(ref.name)} not found`);
  const held = await authz.rbac.rulesFor(user, namespaced ? namespace : '');
  const missing = uncoveredRules(held, (target.rules ?? []) as PolicyRule[]);
  if (missing.length > 0) throw refusal(resource, name, notHeld(user, missing));
}
