/**
 * Kubernetes RBAC (SPEC Z-3): the rules a user holds through the cluster's ClusterRoleBindings (everywhere) and
 * a namespace's RoleBindings (there), read from the cluster's registry on each question, as upstream's rbac
 * authorizer resolves them from its informers. Subjects: User (by username), Group, ServiceAccount (the
 * `system:serviceaccount:<ns>:<name>` user). A binding whose role is missing grants nothing.
 */
import type { Registry } from '../api/registry/registry.js';
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from '../api/machinery/types.js';
import type { UserInfo } from '../auth.js';
import { clusterrolebindings, clusterroles, rolebindings, roles } from '../resources/rbac.js';
import type { Attributes, Decision } from './attributes.js';
import { ruleAllows, type PolicyRule } from './rules.js';

type Subject = NonNullable<RoleBinding['subjects']>[number];
type Binding = RoleBinding | ClusterRoleBinding;

function appliesTo(user: UserInfo, s: Subject, bindingNamespace: string): boolean {
  switch (s.kind) {
    case 'User':
      return s.name === user.username;
    case 'Group':
      return user.groups.includes(s.name);
    case 'ServiceAccount':
      return user.username === `system:serviceaccount:${s.namespace || bindingNamespace}:${s.name}`;
    default:
      return false;
  }
}

/** A binding's rules and how upstream describes it in an "allowed" reason. */
interface Grant {
  describe: string;
  rules: PolicyRule[];
}

export class RbacRules {
  constructor(private readonly registry: Registry) {}

  private async roleRules(b: Binding, namespace: string): Promise<PolicyRule[]> {
    const ref = b.roleRef;
    if (!ref) return [];
    const role =
      ref.kind === 'ClusterRole'
        ? await this.registry.tryGet<ClusterRole>(clusterroles, undefined, ref.name)
        : ref.kind === 'Role' && namespace
          ? await this.registry.tryGet<Role>(roles, namespace, ref.name)
          : undefined;
    return (role?.rules ?? []) as PolicyRule[];
  }

  /** Every grant of `user` that applies in `namespace` ('' : cluster-wide ones only). */
  async *grants(user: UserInfo, namespace: string): AsyncGenerator<Grant> {
    for (const b of (await this.registry.list<ClusterRoleBinding>(clusterrolebindings, undefined)).items) {
      if (!(b.subjects ?? []).some((s) => appliesTo(user, s, ''))) continue;
      yield { describe: `ClusterRoleBinding "${b.metadata.name}" of ClusterRole "${b.roleRef?.name}"`, rules: await this.roleRules(b, '') };
    }
    if (!namespace) return;
    for (const b of (await this.registry.list<RoleBinding>(rolebindings, namespace)).items) {
      if (!(b.subjects ?? []).some((s) => appliesTo(user, s, namespace))) continue;
      yield { describe: `RoleBinding "${b.metadata.name}/${namespace}" of ${b.roleRef?.kind} "${b.roleRef?.name}"`, rules: await this.roleRules(b, namespace) };
    }
  }

  /** All the rules `user` holds in `namespace` (SelfSubjectRulesReview, escalation checks). */
  async rulesFor(user: UserInfo, namespace: string): Promise<PolicyRule[]> {
    const out: PolicyRule[] = [];
    for await (const g of this.grants(user, namespace)) out.push(...g.rules);
    return out;
  }

  async authorize(user: UserInfo, a: Attributes): Promise<Decision> {
    const namespace = a.resourceRequest ? a.namespace : '';
    for await (const g of this.grants(user, namespace)) {
      if (g.rules.some((r) => ruleAllows(r, a))) return { allowed: true, reason: `RBAC: allowed by ${g.describe} to User "${user.username}"` };
    }
    return { allowed: false, reason: '' };
  }
}
