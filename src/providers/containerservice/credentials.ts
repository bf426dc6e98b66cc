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
 * Both are the same on every call for the same cluster (the local account's token is deterministic, see
 * TokenService.issueLocalAccount), so `az aks get-credentials` twice merges without --overwrite-existing (SPEC A-4).
 *
 * src/kube/auth.ts explains how the cluster's API reads them. `az aks get-credentials` and `aksemu aks
 * get-credentials` call these.
 */
import type { Arm } from '../../arm/arm.js';
import { ArmError, armErrors } from '../../arm/errors.js';
import type { ArmRequest, ArmResponse } from '../../arm/router.js';
import { findClusterByFqdn, type ClusterRecord } from '../../clusters/cluster-registry.js';
import type { TokenService } from '../../identity/tokens.js';
import { AKS_AAD_SERVER_APP_ID, adminAudience } from '../../kube/auth.js';
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

export function registerCredentialRoutes(ctx: CredentialDeps): void {
  const handler = (admin: boolean) => async (req: ArmRequest): Promise<ArmResponse> => {
    const { subscriptionId, resourceGroupName, resourceName } = req.params as Record<string, string>;
    await ctx.arm.requireResourceGroup(subscriptionId!, resourceGroupName!);
    const armId = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroupName}/providers/Microsoft.ContainerService/managedClusters/${resourceName}`;
    const doc = await ctx.arm.resources.get(armId);
    if (!doc) throw armErrors.resourceNotFound('Microsoft.ContainerService/managedClusters', resourceName!, resourceGroupName!);
    const props = (doc.value.properties ?? {}) as { fqdn?: string; disableLocalAccounts?: boolean; aadProfile?: { managed?: boolean } };
    if (admin && props.disableLocalAccounts === true) {
      throw new ArmError(400, 'BadRequest', 'Getting static credential is not allowed because this cluster is set to disable local accounts.');
    }
    const record = await clusterRecordFor(ctx, doc.value.id, props.fqdn);
    const server = ctx.url();
    if (!record || !server) {
      throw new ArmError(409, 'OperationNotAllowed', `The API server of managed cluster '${resourceName}' is not available yet; retry once its provisioningState is Succeeded.`);
    }
    const entra = !admin && props.aadProfile?.managed === true;
    const user = entra ? azCliExecUser(AKS_AAD_SERVER_APP_ID) : { token: await ctx.tokens.issueLocalAccount(ctx.tenantId, adminAudience(record.uid)) };
    const kubeconfig = buildKubeconfig({
      clusterName: doc.value.name,
      resourceGroup: resourceGroupName!,
      admin,
      server,
      tlsServerName: record.fqdn.toLowerCase(),
      caPem: ctx.caPem,
      user,
    });
    return {
      status: 200,
      body: { kubeconfigs: [{ name: admin ? 'clusterAdmin' : 'clusterUser', value: Buffer.from(kubeconfigYaml(kubeconfig), 'utf8').toString('base64') }] },
    };
  };
  const apiVersions = ctx.arm.types.versionPolicy('Microsoft.ContainerService', 'managedClusters');
  ctx.arm.router.add({ methods: ['POST'], path: `${CLUSTER_PATH}/listClusterUserCredential`, apiVersions, authorization: { action: 'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action' }, handler: handler(false) });
  ctx.arm.router.add({ methods: ['POST'], path: `${CLUSTER_PATH}/listClusterAdminCredential`, apiVersions, authorization: { action: 'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action' }, handler: handler(true) });
}
