/**
 * `POST .../managedClusters/{name}/listClusterUserCredential` and `.../listClusterAdminCredential` (SPEC A-1, Z-2):
 * a kubeconfig for the cluster's API with the local CA and a bearer token, as AKS hands them out:
 *
 * - the admin credential is the cluster's local account (`masterclient`, cluster-admin), refused when the cluster
 *   disables local accounts;
 * - the user credential of a cluster without Microsoft Entra integration is that same local account (AKS gives its
 *   clusterUser the same cluster-admin certificate);
 * - the user credential of an Entra-integrated cluster holds no token: its user is an exec entry that fetches the
 *   caller's own Entra token for the AKS server application each time kubectl runs (what AKS's kubelogin entry
 *   does), authorized in the cluster by Kubernetes RBAC or Azure RBAC.
 *
 * They are the same on every call for the same cluster (until a rotation) (the local account's token is deterministic, see
 * TokenService.issueLocalAccount), so `az aks get-credentials` twice merges without --overwrite-existing (SPEC A-4).
 *
 * - the monitoring user's credential (listClusterMonitoringUserCredential) is a local account of its own,
 *   `clusterMonitoringUser`, with no role of its own (the cluster's RBAC decides what it may do);
 * - the deprecated access profiles (`accessProfiles/{clusterAdmin|clusterUser}/listCredential`) are the same
 *   kubeconfigs as an access profile resource.
 *
 * A rotation of the cluster's certificates (rotateClusterCertificates) retires every local-account credential
 * handed out before it: its tokens name the certificate epoch they were issued in (SPEC C-13).
 *
 * src/kube/auth.ts explains how the cluster's API reads them. `az aks get-credentials` and `aksemu aks
 * get-credentials` call these.
 */
import type { Arm } from '../../arm/arm.js';
import { ArmError, armErrors } from '../../arm/errors.js';
import type { ArmResource } from '../../arm/repository.js';
import type { ArmRequest, ArmResponse } from '../../arm/router.js';
import { findClusterByFqdn, type ClusterRecord } from '../../clusters/cluster-registry.js';
import type { TokenService } from '../../identity/tokens.js';
import { AKS_AAD_SERVER_APP_ID, localAudience } from '../../kube/auth.js';
import { azCliExecUser, buildKubeconfig, kubeconfigYaml } from '../../kube/kubeconfig.js';
import { listJson } from '../../store/json.js';
import type { Store } from '../../store/store.js';

const CLUSTER_PATH = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerService/managedClusters/{resourceName}';

export interface CredentialDeps {
  arm: Arm;
  store: Store;
  tokens: TokenService;
  tenantId: string;
  /** The instance's CA certificate (the kubeconfig's certificate-authority-data). */
  caPem: string;
  /** The instance's direct HTTPS address once it listens (the kubeconfig's server). */
  url(): string | undefined;
}

async function clusterRecordFor(ctx: CredentialDeps, armId: string, fqdn: string | undefined): Promise<ClusterRecord | undefined> {
  if (fqdn) {
    const byFqdn = await findClusterByFqdn(ctx.store, fqdn);
    if (byFqdn) return byFqdn;
  }
  const all = await listJson<ClusterRecord>(ctx.store, '/aks/clusters/');
  return all.map((d) => d.value).find((r) => r.armId.toLowerCase() === armId.toLowerCase());
}

type Role = 'clusterAdmin' | 'clusterUser' | 'clusterMonitoringUser';

/** The kubeconfig of one role of a cluster, base64 as AKS returns it, and the cluster's document. */
async function credentialOf(ctx: CredentialDeps, req: ArmRequest, role: Role): Promise<{ doc: ArmResource; value: string }> {
  const { subscriptionId, resourceGroupName, resourceName } = req.params as Record<string, string>;
  await ctx.arm.requireResourceGroup(subscriptionId!, resourceGroupName!);
  const armId = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroupName}/providers/Microsoft.ContainerService/managedClusters/${resourceName}`;
  const doc = await ctx.arm.resources.get(armId);
  if (!doc) throw armErrors.resourceNotFound('Microsoft.ContainerService/managedClusters', resourceName!, resourceGroupName!);
  const props = (doc.value.properties ?? {}) as { fqdn?: string; disableLocalAccounts?: boolean; aadProfile?: { managed?: boolean } };
  if (role !== 'clusterUser' && props.disableLocalAccounts === true) {
    throw new ArmError(400, 'BadRequest', 'Getting static credential is not allowed because this cluster is set to disable local accounts.');
  }
  const record = await clusterRecordFor(ctx, doc.value.id, props.fqdn);
  const server = ctx.url();
  if (!record || !server) {
    throw new ArmError(409, 'OperationNotAllowed', `The API server of managed cluster '${resourceName}' is not available yet; retry once its provisioningState is Succeeded.`);
  }
  const entra = role === 'clusterUser' && props.aadProfile?.managed === true;
  // SPEC C-13: local-account tokens name the cluster's certificate epoch, so a rotation retires them.
  const audience = localAudience(record, role === 'clusterMonitoringUser' ? 'monitoring' : 'admin');
  const user = entra ? azCliExecUser(AKS_AAD_SERVER_APP_ID) : { token: await ctx.tokens.issueLocalAccount(ctx.tenantId, audience) };
  const kubeconfig = buildKubeconfig({ clusterName: doc.value.name, resourceGroup: resourceGroupName!, role, server, tlsServerName: record.fqdn.toLowerCase(), caPem: ctx.caPem, user });
  return { doc: doc.value, value: Buffer.from(kubeconfigYaml(kubeconfig), 'utf8').toString('base64') };
}

/** `POST .../accessProfiles/{roleName}/listCredential` (deprecated in AKS, still served): one role's kubeconfig as an access profile. */
async function accessProfile(ctx: CredentialDeps, req: ArmRequest): Promise<ArmResponse> {
  const roleName = req.params.roleName!;
  const role = (['clusterAdmin', 'clusterUser'] as const).find((r) => r.toLowerCase() === roleName.toLowerCase());
  if (!role) throw new ArmError(400, 'InvalidParameter', `The role name '${roleName}' is not valid: use clusterAdmin or clusterUser.`, 'roleName');
  const { doc, value } = await credentialOf(ctx, req, role);
  return {
    status: 200,
    body: { id: `${doc.id}/accessProfiles/${role}`, name: role, type: 'Microsoft.ContainerService/managedClusters/accessProfiles', location: doc.location, properties: { kubeConfig: value } },
  };
}

export function registerCredentialRoutes(ctx: CredentialDeps): void {
  const list = (role: Role) => async (req: ArmRequest): Promise<ArmResponse> => {
    const { value } = await credentialOf(ctx, req, role);
    return { status: 200, body: { kubeconfigs: [{ name: role, value }] } };
  };
  const apiVersions = ctx.arm.types.versionPolicy('Microsoft.ContainerService', 'managedClusters');
  const action = (name: string) => ({ action: `Microsoft.ContainerService/managedClusters/${name}/action` });
  ctx.arm.router.add({ methods: ['POST'], path: `${CLUSTER_PATH}/listClusterUserCredential`, apiVersions, authorization: action('listClusterUserCredential'), handler: list('clusterUser') });
  ctx.arm.router.add({ methods: ['POST'], path: `${CLUSTER_PATH}/listClusterAdminCredential`, apiVersions, authorization: action('listClusterAdminCredential'), handler: list('clusterAdmin') });
  ctx.arm.router.add({ methods: ['POST'], path: `${CLUSTER_PATH}/listClusterMonitoringUserCredential`, apiVersions, authorization: action('listClusterMonitoringUserCredential'), handler: list('clusterMonitoringUser') });
  ctx.arm.router.add({ methods: ['POST'], path: `${CLUSTER_PATH}/accessProfiles/{roleName}/listCredential`, apiVersions, authorization: action('accessProfiles/listCredential'), handler: (req) => accessProfile(ctx, req) });
}
