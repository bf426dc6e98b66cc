/**
 * A cluster's authorizer (SPEC Z-3), the chain kube-apiserver runs on AKS:
 *
 * 1. `system:masters` is allowed everything (upstream's privileged group);
 * 2. Kubernetes RBAC (rbac.ts);
 * 3. with Azure RBAC for Kubernetes (`aadProfile.enableAzureRBAC`), for an Entra identity that RBAC did not
 *    allow: the request's data action at the cluster or namespace scope (azure.ts), through the caller's Azure
 *    role assignments. A refusal then carries AKS's reason.
 */
import type { Registry } from '../api/registry/registry.js';
import type { UserInfo } from '../auth.js';
import type { ClusterConfig } from '../clusters.js';
import type { Attributes, Authorizer, Decision } from './attributes.js';
import { AZURE_DENIED_REASON, dataActionOf, dataActionScope } from './azure.js';
import { RbacRules } from './rbac.js';

export type DataActionCheck = (principalId: string, scope: string, dataAction: string) => Promise<boolean>;

export class ClusterAuthorizer implements Authorizer {
  readonly rbac: RbacRules;

  constructor(
    registry: Registry,
    private readonly config: ClusterConfig,
    private readonly dataActionGranted: DataActionCheck,
  ) {
    this.rbac = new RbacRules(registry);
  }

  /** Whether Azure RBAC decides for this user when Kubernetes RBAC does not allow. */
  azureDecides(user: UserInfo): boolean {
    return this.config.aad?.enableAzureRBAC === true && user.objectId !== undefined;
  }

  async authorize(user: UserInfo, a: Attributes): Promise<Decision> {
    if (user.groups.includes('system:masters')) return { allowed: true, reason: '' };
    const rbac = await this.rbac.authorize(user, a);
    if (rbac.allowed || !this.azureDecides(user)) return rbac;
    const action = dataActionOf(a);
    if (action && a.resourceRequest && (await this.dataActionGranted(user.objectId!, dataActionScope(this.config.armId, a), action))) {
      return { allowed: true, reason: `Azure RBAC: ${action} granted` };
    }
    return { allowed: false, reason: AZURE_DENIED_REASON };
  }
}
