/**
 * Every cluster's bootstrap RBAC policy (SPEC Z-3; authorization/bootstrap-policy.ts): the roles and bindings
 * are created when absent (like kube-apiserver's bootstrap, a role an administrator changed is left as it is),
 * and AKS's `aks-cluster-admin-binding-aad` follows the cluster's Entra ID admin groups.
 */
import type { Registry } from '../api/registry/registry.js';
import type { ClusterRoleBinding } from '../api/machinery/types.js';
import { KubeError } from '../api/machinery/errors.js';
import { AAD_ADMIN_BINDING, aadAdminBinding, bootstrapClusterRoleBindings, bootstrapClusterRoles } from '../authorization/bootstrap-policy.js';
import type { ClusterConfig } from '../clusters.js';
import { clusterrolebindings, clusterroles } from '../resources/rbac.js';

async function ignoring(codes: number[], p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof KubeError && codes.includes(err.code))) throw err;
  }
}

export async function reconcileRbacBootstrap(registry: Registry): Promise<void> {
  for (const role of bootstrapClusterRoles()) {
    if (!(await registry.tryGet(clusterroles, undefined, role.metadata.name!))) await ignoring([409], registry.create(clusterroles, undefined, role));
  }
  for (const b of bootstrapClusterRoleBindings()) {
    if (!(await registry.tryGet(clusterrolebindings, undefined, b.metadata.name!))) await ignoring([409], registry.create(clusterrolebindings, undefined, b));
  }
}

/** The admin groups' binding as the cluster's configuration says (absent without Entra ID admin groups). */
export async function reconcileAadAdminBinding(registry: Registry, config: ClusterConfig): Promise<void> {
  const groups = config.aad?.adminGroupObjectIDs ?? [];
  const current = await registry.tryGet<ClusterRoleBinding>(clusterrolebindings, undefined, AAD_ADMIN_BINDING);
  if (groups.length === 0) {
    if (current) await ignoring([404, 409], registry.delete(clusterrolebindings, undefined, AAD_ADMIN_BINDING, {}));
    return;
  }
  const wanted = aadAdminBinding(groups);
  if (!current) return ignoring([409], registry.create(clusterrolebindings, undefined, wanted));
  if (JSON.stringify(current.subjects) === JSON.stringify(wanted.subjects)) return;
  await ignoring([404, 409], registry.update(clusterrolebindings, undefined, AAD_ADMIN_BINDING, { ...current, subjects: wanted.subjects }));
}
