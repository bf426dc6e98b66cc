/**
 * `aksemu aks create|update|show|list|delete|upgrade|get-credentials`: managed clusters
 * (Microsoft.ContainerService/managedClusters, SPEC C-1, F-1, T-1, K-1, A-1) with the request bodies current az
 * builds, its client-side validation, long-running operations polled as az polls them, and az's output
 * (properties flattened, `enableFIPS` printed as `enableFips`, table columns of its aks table transformer).
 */
import { API } from '../../api-versions.js';
import { AzCliError, ValidationError } from '../../framework/errors.js';
import type { CommandContext, Session } from '../../framework/context.js';
import type { ArgSpec, CommandSpec } from '../../framework/spec.js';
import { locationArg, parseTags, resourceGroupArg, tagsArg } from '../common-args.js';
import { resourceGroupLocation } from '../resolve.js';
import { azFlattened, withoutNulls } from '../shape.js';
import { aadProfileForCreate, aadProfileForUpdate, ENTRA_UPDATE_FLAGS, entraCreateArgs, entraUpdateArgs } from './entra-id.js';
import { kmsForCreate, kmsForUpdate, validateKmsArgs } from './kms.js';
import { newPoolProperties, poolArgs } from './pool-body.js';
import { resolveSshKey } from './ssh-keys.js';
import { normalizeKubernetesVersion, parseLabels, readMessageOfTheDay, requireResourceId, validateClusterName, validateNodepoolName } from './validators.js';
import { join } from 'node:path';

const NS = 'Microsoft.ContainerService';
export const clusterPath = (sub: string, rg: string, name: string) =>
  `/subscriptions/${sub}/resourceGroups/${encodeURIComponent(rg)}/providers/${NS}/managedClusters/${encodeURIComponent(name)}`;

/** What az prints for a managed cluster. */
export const clusterOutput = (mc: unknown) => withoutNulls(azFlattened(mc));

/** az's _aks_table_format. */
export const AKS_TABLE = '{name: name, location: location, resourceGroup: resourceGroup, kubernetesVersion: kubernetesVersion, currentKubernetesVersion: currentKubernetesVersion, provisioningState: provisioningState, fqdn: fqdn || privateFqdn}';

const clusterNameArg: ArgSpec = { dest: 'name', options: ['--name', '-n'], required: true, help: 'Name of the managed cluster.' };

/** az's _get_default_dns_prefix. */
export function defaultDnsPrefix(name: string, resourceGroup: string, subscriptionId: string): string {
  let namePart = name.replace(/[^A-Za-z0-9-]/g, '').slice(0, 10);
  if (!/^[A-Za-z]/.test(namePart)) namePart = `a${namePart}`.slice(0, 10);
  const rgPart = resourceGroup.replace(/[^A-Za-z0-9-]/g, '').slice(0, 16);
  return `${namePart}-${rgPart}-${subscriptionId.slice(0, 6)}`;
}

const kmsArgs: ArgSpec[] = [
  { dest: 'enableAzureKeyvaultKms', options: ['--enable-azure-keyvault-kms'], kind: 'flag', help: 'Enable Azure KeyVault Key Management Service.' },
  { dest: 'azureKeyvaultKmsKeyId', options: ['--azure-keyvault-kms-key-id'], help: 'Identifier of Azure Key Vault key.' },
  { dest: 'azureKeyvaultKmsKeyVaultNetworkAccess', options: ['--azure-keyvault-kms-key-vault-network-access'], choices: ['Public', 'Private'], help: 'Network Access of Azure Key Vault.' },
  { dest: 'azureKeyvaultKmsKeyVaultResourceId', options: ['--azure-keyvault-kms-key-vault-resource-id'], help: 'Resource ID of Azure Key Vault.' },
];

const networkArgs: ArgSpec[] = [
  { dest: 'networkPlugin', options: ['--network-plugin'], choices: ['kubenet', 'azure', 'none'], help: 'The Kubernetes network plugin to use.', group: 'Network' },
  { dest: 'networkPluginMode', options: ['--network-plugin-mode'], choices: ['overlay'], help: 'The network plugin mode to use.', group: 'Network' },
  { dest: 'networkPolicy', options: ['--network-policy'], help: 'The Kubernetes network policy to use.', group: 'Network' },
  { dest: 'networkDataplane', options: ['--network-dataplane'], choices: ['azure', 'cilium'], help: 'The network dataplane to use.', group: 'Network' },
  { dest: 'podCidr', options: ['--pod-cidr'], help: 'A CIDR notation IP range from which to assign pod IPs when kubenet is used.', group: 'Network' },
  { dest: 'serviceCidr', options: ['--service-cidr'], help: 'A CIDR notation IP range from which to assign service cluster IPs.', group: 'Network' },
  { dest: 'dnsServiceIp', options: ['--dns-service-ip'], help: 'An IP address assigned to the Kubernetes DNS service.', group: 'Network' },
  { dest: 'loadBalancerSku', options: ['--load-balancer-sku'], choices: ['basic', 'standard'], help: 'Azure Load Balancer SKU selection for your cluster. basic or standard. Defaults to \'standard\'.', group: 'Network' },
  { dest: 'outboundType', options: ['--outbound-type'], choices: ['loadBalancer', 'userDefinedRouting', 'managedNATGateway', 'userAssignedNATGateway', 'none'], help: 'How outbound traffic will be configured for a cluster.', group: 'Network' },
  { dest: 'vnetSubnetId', options: ['--vnet-subnet-id'], help: 'The ID of a subnet in an existing VNet into which to deploy the cluster.', group: 'Network' },
];

const apiServerArgs: ArgSpec[] = [
  { dest: 'enableApiserverVnetIntegration', options: ['--enable-apiserver-vnet-integration'], kind: 'flag', help: 'Enable integration of user vnet with control plane apiserver pods.' },
  { dest: 'apiserverSubnetId', options: ['--apiserver-subnet-id'], help: 'The ID of a subnet in an existing VNet into which to assign control plane apiserver pods(requires --enable-apiserver-vnet-integration).' },
  { dest: 'enablePrivateCluster', options: ['--enable-private-cluster'], kind: 'flag', help: 'Enable private cluster.' },
];

function networkProfile(a: Record<string, any>): Record<string, unknown> {
  if ((a.podCidr || a.serviceCidr || a.dnsServiceIp || a.networkPolicy) && !a.networkPlugin) throw new AzCliError('Please explicitly specify the network plugin type');
  if (a.networkPolicy !== undefined && a.networkPolicy !== String(a.networkPolicy).toLowerCase()) throw new ValidationError('--network-policy should be provided in lowercase');
  return {
    ...(a.networkPlugin ? { networkPlugin: a.networkPlugin } : {}),
    ...(a.networkPluginMode ? { networkPluginMode: a.networkPluginMode } : {}),
    ...(a.networkPolicy ? { networkPolicy: a.networkPolicy } : {}),
    ...(a.networkDataplane ? { networkDataplane: a.networkDataplane } : {}),
    ...(a.podCidr ? { podCidr: a.podCidr } : {}),
    ...(a.serviceCidr ? { serviceCidr: a.serviceCidr } : {}),
    ...(a.dnsServiceIp ? { dnsServiceIP: a.dnsServiceIp } : {}),
    outboundType: a.outboundType ?? 'loadBalancer',
    loadBalancerSku: a.loadBalancerSku ?? 'standard',
  };
}

async function identityFor(s: Session, a: Record<string, any>): Promise<{ identity: Record<string, unknown>; identityProfile?: Record<string, unknown> }> {
  requireResourceId(a.assignIdentity, '--assign-identity');
  requireResourceId(a.assignKubeletIdentity, '--assign-kubelet-identity');
  if (a.assignKubeletIdentity && !a.assignIdentity) {
    throw new AzCliError('--assign-kubelet-identity can only be specified when --assign-identity is specified');
  }
  const identity = a.assignIdentity ? { type: 'UserAssigned', userAssignedIdentities: { [a.assignIdentity]: {} } } : { type: 'SystemAssigned' };
  if (!a.assignKubeletIdentity) return { identity };
  const kubelet = await s.arm.get(a.assignKubeletIdentity, API.managedIdentities);
  return {
    identity,
    identityProfile: { kubeletidentity: { resourceId: a.assignKubeletIdentity, clientId: kubelet.properties?.clientId, objectId: kubelet.properties?.principalId } },
  };
}

function lro(ctx: CommandContext) {
  return { noWait: ctx.noWait, progress: ctx.progress() };
}

async function putCluster(ctx: CommandContext, s: Session, rg: string, name: string, body: unknown): Promise<unknown> {
  const result = await s.arm.lro('PUT', clusterPath(s.subscriptionId, rg, name), { apiVersion: API.managedClusters, body, ...lro(ctx) });
  return result === undefined ? undefined : clusterOutput(result);
}

/** Flags of `aks update` that change something (az refuses an update that asks for nothing). */
const UPDATE_FLAGS = [
  'tags', 'enableAzureKeyvaultKms', 'disableAzureKeyvaultKms', 'enableApiserverVnetIntegration', 'apiserverSubnetId', 'tier', 'enableOidcIssuer',
  'enableWorkloadIdentity', 'disableWorkloadIdentity', 'assignIdentity', 'nodepoolLabels', 'enableClusterAutoscaler', 'disableClusterAutoscaler',
  'updateClusterAutoscaler', 'minCount', 'maxCount', 'enableLocalAccounts', 'disableLocalAccounts', 'enablePrivateCluster', 'disablePrivateCluster',
  ...ENTRA_UPDATE_FLAGS,
];

export const aksCommands: CommandSpec[] = [
  {
    path: 'aks create',
    summary: 'Create a new managed Kubernetes cluster.',
    args: [
      { ...clusterNameArg },
      // The FIPS article (seed 000) writes `az aks create --cluster-name myAKSCluster ...`; az has no such option
      // for create, but the seeds win (SPEC preamble): accepted as a synonym of --name, not shown in help.
      { dest: 'name', options: ['--cluster-name'], hidden: true, help: 'Synonym of --name.' },
      resourceGroupArg(),
      locationArg(),
      { dest: 'kubernetesVersion', options: ['--kubernetes-version', '-k'], help: 'Version of Kubernetes to use for creating the cluster, such as "1.7.12" or "1.8.7".' },
      { dest: 'dnsNamePrefix', options: ['--dns-name-prefix', '-p'], help: 'Prefix for hostnames that are created. If not specified, generate a hostname using the managed cluster and resource group names.' },
      { dest: 'nodepoolName', options: ['--nodepool-name'], default: 'nodepool1', help: 'Node pool name, up to 12 alphanumeric characters.' },
      ...poolArgs('nodepool'),
      { dest: 'adminUsername', options: ['--admin-username', '-u'], default: 'azureuser', help: 'User account to create on node VMs for SSH access.' },
      { dest: 'generateSshKeys', options: ['--generate-ssh-keys'], kind: 'flag', help: 'Generate SSH public and private key files if missing. The keys will be stored in the ~/.ssh directory.' },
      { dest: 'sshKeyValue', options: ['--ssh-key-value'], help: 'Public key path or key contents to install on node VMs for SSH access. For example, \'ssh-rsa AAAAB...snip...UcyupgH azureuser@linuxvm\'.' },
      { dest: 'noSshKey', options: ['--no-ssh-key', '-x'], kind: 'flag', help: 'Do not use or create a local SSH key.' },
      { dest: 'assignIdentity', options: ['--assign-identity'], help: 'Specify an existing user assigned identity for control plane\'s usage in order to manage cluster resource group.' },
      { dest: 'assignKubeletIdentity', options: ['--assign-kubelet-identity'], help: 'Specify an existing user assigned identity for kubelet\'s usage, which is typically used to pull image from ACR.' },
      { dest: 'enableManagedIdentity', options: ['--enable-managed-identity'], kind: 'flag', help: 'Using a system assigned managed identity to manage cluster resource group. You can explicitly specify "--service-principal" and "--client-secret" to disable managed identity, otherwise it will be enabled.' },
      ...kmsArgs,
      ...apiServerArgs,
      ...networkArgs,
      { dest: 'tier', options: ['--tier'], choices: ['free', 'standard', 'premium'], help: 'Specify SKU tier for managed clusters. \'--tier standard\' enables a standard managed cluster service with a financially backed SLA.' },
      { dest: 'nodeResourceGroup', options: ['--node-resource-group'], help: 'The node resource group is the resource group where all customer\'s resources will be created in, such as virtual machines.' },
      { dest: 'enableOidcIssuer', options: ['--enable-oidc-issuer'], kind: 'flag', help: 'Enable OIDC issuer.' },
      { dest: 'enableWorkloadIdentity', options: ['--enable-workload-identity'], kind: 'flag', help: 'Enable workload identity addon.' },
      { dest: 'disableRbac', options: ['--disable-rbac'], kind: 'flag', help: 'Disable Kubernetes Role-Based Access Control.' },
      { dest: 'disableLocalAccounts', options: ['--disable-local-accounts'], kind: 'flag', help: 'If set to true, getting static credential will be disabled for this cluster.' },
      ...entraCreateArgs,
      { dest: 'windowsAdminUsername', options: ['--windows-admin-username'], help: 'Username to create on Windows node VMs.' },
      { dest: 'windowsAdminPassword', options: ['--windows-admin-password'], help: 'Password to create on Windows node VMs.' },
      tagsArg(),
      { dest: 'yes', options: ['--yes', '-y'], kind: 'flag', help: 'Do not prompt for confirmation.' },
    ],
    noWait: true,
    examples: [
      { name: 'Create a Kubernetes cluster with an existing SSH public key.', text: 'az aks create -g MyResourceGroup -n MyManagedCluster --ssh-key-value /path/to/publickey' },
      { name: 'Create a Kubernetes cluster with a specific version.', text: 'az aks create -g MyResourceGroup -n MyManagedCluster --kubernetes-version 1.16.9' },
      { name: 'Create a Kubernetes cluster with a larger node pool.', text: 'az aks create -g MyResourceGroup -n MyManagedCluster --node-count 7' },
    ],
    async run(ctx, a) {
      validateClusterName(a.name);
      validateNodepoolName(a.nodepoolName);
      const k8s = normalizeKubernetesVersion(a.kubernetesVersion);
      validateKmsArgs(a, 'create');
      requireResourceId(a.apiserverSubnetId, '--apiserver-subnet-id');
      requireResourceId(a.assignIdentity, '--assign-identity');
      requireResourceId(a.assignKubeletIdentity, '--assign-kubelet-identity');
      if (a.dnsNamePrefix !== undefined && a.dnsNamePrefix === '') throw new AzCliError('--dns-prefix has no value');
      const pool = newPoolProperties(a, { cluster: true, mode: 'System', osType: 'Linux', kubernetesVersion: k8s });
      const ssh = resolveSshKey({ home: ctx.home, sshKeyValue: a.sshKeyValue, generate: Boolean(a.generateSshKeys), noSshKey: Boolean(a.noSshKey) });
      if (ssh.generated) {
        ctx.warn(
          `SSH key files '${ssh.generated.privateKey}' and '${ssh.generated.publicKey}' have been generated under ~/.ssh to allow SSH access to the VM. If using machines without permanent storage like Azure Cloud Shell without an attached file share, back up your keys to a safe location`,
        );
      }
      const s = await ctx.session();
      const location = a.location ?? (await resourceGroupLocation(s, a.resourceGroup));
      const { identity, identityProfile } = await identityFor(s, a);
      const kms = kmsForCreate(a);
      const aadProfile = aadProfileForCreate(a);
      const body = {
        location,
        ...(a.tags !== undefined ? { tags: parseTags(a.tags) } : {}),
        identity,
        sku: { name: 'Base', tier: a.tier ? a.tier[0].toUpperCase() + a.tier.slice(1) : 'Free' },
        properties: {
          kubernetesVersion: k8s ?? '',
          dnsPrefix: a.dnsNamePrefix ?? defaultDnsPrefix(a.name, a.resourceGroup, s.subscriptionId),
          agentPoolProfiles: [{ ...pool, name: a.nodepoolName }],
          ...(ssh.publicKey ? { linuxProfile: { adminUsername: a.adminUsername, ssh: { publicKeys: [{ keyData: ssh.publicKey }] } } } : {}),
          ...(a.windowsAdminUsername ? { windowsProfile: { adminUsername: a.windowsAdminUsername, ...(a.windowsAdminPassword ? { adminPassword: a.windowsAdminPassword } : {}) } } : {}),
          addonProfiles: {},
          enableRBAC: !a.disableRbac,
          networkProfile: networkProfile(a),
          disableLocalAccounts: Boolean(a.disableLocalAccounts),
          ...(aadProfile ? { aadProfile } : {}),
          storageProfile: {},
          // The current az asks for node images pulled straight from Microsoft's registry unless told otherwise.
          bootstrapProfile: { artifactSource: 'Direct' },
          ...(identityProfile ? { identityProfile } : {}),
          ...(a.nodeResourceGroup ? { nodeResourceGroup: a.nodeResourceGroup } : {}),
          ...(a.enableOidcIssuer || a.enableWorkloadIdentity ? { oidcIssuerProfile: { enabled: true } } : {}),
          ...(kms || a.enableWorkloadIdentity ? { securityProfile: { ...(kms ? { azureKeyVaultKms: kms } : {}), ...(a.enableWorkloadIdentity ? { workloadIdentity: { enabled: true } } : {}) } } : {}),
          ...(a.enableApiserverVnetIntegration || a.enablePrivateCluster
            ? {
                apiServerAccessProfile: {
                  ...(a.enablePrivateCluster ? { enablePrivateCluster: true } : {}),
                  ...(a.enableApiserverVnetIntegration ? { enableVnetIntegration: true } : {}),
                  ...(a.apiserverSubnetId ? { subnetId: a.apiserverSubnetId } : {}),
                },
              }
            : {}),
        },
      };
      return putCluster(ctx, s, a.resourceGroup, a.name, body);
    },
  },
  {
    path: 'aks update',
    summary: 'Update a managed Kubernetes cluster. When called with no optional arguments this attempts to move the cluster to its goal state without changing the current cluster configuration. This can be used to move out of a non succeeded state.',
    args: [
      { ...clusterNameArg },
      resourceGroupArg(),
      ...kmsArgs,
      { dest: 'disableAzureKeyvaultKms', options: ['--disable-azure-keyvault-kms'], kind: 'flag', help: 'Disable Azure KeyVault Key Management Service.' },
      ...apiServerArgs,
      { dest: 'disablePrivateCluster', options: ['--disable-private-cluster'], kind: 'flag', help: 'Disable private cluster for apiserver vnet integration cluster.' },
      { dest: 'tier', options: ['--tier'], choices: ['free', 'standard', 'premium'], help: 'Specify SKU tier for managed clusters.' },
      { dest: 'assignIdentity', options: ['--assign-identity'], help: 'Specify an existing user assigned identity to manage cluster resource group.' },
      { dest: 'enableOidcIssuer', options: ['--enable-oidc-issuer'], kind: 'flag', help: 'Enable OIDC issuer.' },
      { dest: 'enableWorkloadIdentity', options: ['--enable-workload-identity'], kind: 'flag', help: 'Enable workload identity addon.' },
      { dest: 'disableWorkloadIdentity', options: ['--disable-workload-identity'], kind: 'flag', help: 'Disable workload identity addon.' },
      { dest: 'enableLocalAccounts', options: ['--enable-local-accounts'], kind: 'flag', help: 'If set to true, will enable getting static credential for this cluster.' },
      { dest: 'disableLocalAccounts', options: ['--disable-local-accounts'], kind: 'flag', help: 'If set to true, getting static credential will be disabled for this cluster.' },
      { dest: 'nodepoolLabels', options: ['--nodepool-labels'], kind: 'list', allowEmpty: true, help: 'The node labels for all node pools in this cluster.' },
      ...entraUpdateArgs,
      tagsArg(),
      { dest: 'yes', options: ['--yes', '-y'], kind: 'flag', help: 'Do not prompt for confirmation.' },
    ],
    noWait: true,
    examples: [{ name: 'Enable Azure KeyVault KMS.', text: 'az aks update -g MyResourceGroup -n MyManagedCluster --enable-azure-keyvault-kms --azure-keyvault-kms-key-id https://MyKeyVault.vault.azure.net/keys/MyKey/ --azure-keyvault-kms-key-vault-network-access "Public"' }],
    async run(ctx, a) {
      validateKmsArgs(a, 'update');
      requireResourceId(a.apiserverSubnetId, '--apiserver-subnet-id');
      // az: an existing cluster moves its API server into a subnet the user names (only create makes one).
      if (a.enableApiserverVnetIntegration && !a.apiserverSubnetId) throw new ValidationError('--apiserver-subnet-id is required for update with --enable-apiserver-vnet-integration.');
      requireResourceId(a.assignIdentity, '--assign-identity');
      if (a.enableLocalAccounts && a.disableLocalAccounts) throw new ValidationError('Cannot specify --enable-local-accounts and --disable-local-accounts at the same time.');
      if (a.enableWorkloadIdentity && a.disableWorkloadIdentity) throw new ValidationError('Cannot specify --enable-workload-identity and --disable-workload-identity at the same time.');
      const labels = parseLabels(a.nodepoolLabels);
      const s = await ctx.session();
      const path = clusterPath(s.subscriptionId, a.resourceGroup, a.name);
      const mc = await s.arm.get<Record<string, any>>(path, API.managedClusters);
      if (!UPDATE_FLAGS.some((f) => ctx.given(f))) {
        // az: an update without options re-applies the current configuration (moves the cluster to its goal state).
        ctx.info('No update option given: re-applying the cluster\'s current configuration.');
      }
      const p = { ...(mc.properties ?? {}) };
      const kms = kmsForUpdate(p.securityProfile?.azureKeyVaultKms, a);
      if (kms) p.securityProfile = { ...(p.securityProfile ?? {}), azureKeyVaultKms: kms };
      if (a.enableWorkloadIdentity || a.disableWorkloadIdentity) {
        p.securityProfile = { ...(p.securityProfile ?? {}), workloadIdentity: { enabled: Boolean(a.enableWorkloadIdentity) } };
      }
      if (a.enableOidcIssuer || a.enableWorkloadIdentity) p.oidcIssuerProfile = { ...(p.oidcIssuerProfile ?? {}), enabled: true };
      if (a.enableApiserverVnetIntegration) {
        p.apiServerAccessProfile = { ...(p.apiServerAccessProfile ?? {}), enableVnetIntegration: true, ...(a.apiserverSubnetId ? { subnetId: a.apiserverSubnetId } : {}) };
      } else if (a.apiserverSubnetId) {
        p.apiServerAccessProfile = { ...(p.apiServerAccessProfile ?? {}), subnetId: a.apiserverSubnetId };
      }
      if (a.enablePrivateCluster || a.disablePrivateCluster) p.apiServerAccessProfile = { ...(p.apiServerAccessProfile ?? {}), enablePrivateCluster: Boolean(a.enablePrivateCluster) };
      if (a.enableLocalAccounts || a.disableLocalAccounts) p.disableLocalAccounts = Boolean(a.disableLocalAccounts);
      const aadProfile = aadProfileForUpdate(p.aadProfile, a);
      if (aadProfile) p.aadProfile = aadProfile;
      if (labels !== undefined) p.agentPoolProfiles = (p.agentPoolProfiles ?? []).map((ap: Record<string, unknown>) => ({ ...ap, nodeLabels: labels }));
      // az nulls the service principal profile's secret-bearing part; the service keeps the rest.
      const body: Record<string, unknown> = { ...mc, properties: p };
      if (a.tags !== undefined) body.tags = parseTags(a.tags);
      if (a.tier) body.sku = { name: mc.sku?.name ?? 'Base', tier: a.tier[0].toUpperCase() + a.tier.slice(1) };
      if (a.assignIdentity) body.identity = { type: 'UserAssigned', userAssignedIdentities: { [a.assignIdentity]: {} } };
      return putCluster(ctx, s, a.resourceGroup, a.name, body);
    },
  },
  {
    path: 'aks show',
    summary: 'Show the details for a managed Kubernetes cluster.',
    args: [{ ...clusterNameArg }, resourceGroupArg()],
    tableTransformer: AKS_TABLE,
    examples: [{ name: 'Show the details for a managed Kubernetes cluster', text: 'az aks show -g MyResourceGroup -n MyManagedCluster' }],
    async run(ctx, a) {
      const s = await ctx.session();
      return clusterOutput(await s.arm.get(clusterPath(s.subscriptionId, a.resourceGroup, a.name), API.managedClusters));
    },
  },
  {
    path: 'aks list',
    summary: 'List managed Kubernetes clusters.',
    args: [resourceGroupArg(false)],
    tableTransformer: `[].${AKS_TABLE}`,
    async run(ctx, a) {
      const s = await ctx.session();
      const path = a.resourceGroup !== undefined
        ? `/subscriptions/${s.subscriptionId}/resourceGroups/${encodeURIComponent(a.resourceGroup)}/providers/${NS}/managedClusters`
        : `/subscriptions/${s.subscriptionId}/providers/${NS}/managedClusters`;
      return (await s.arm.list(path, API.managedClusters)).map(clusterOutput);
    },
  },
  {
    path: 'aks delete',
    summary: 'Delete a managed Kubernetes cluster.',
    args: [{ ...clusterNameArg }, resourceGroupArg()],
    noWait: true,
    confirm: 'Are you sure you want to perform this operation?',
    examples: [{ name: 'Delete a managed Kubernetes cluster. (autogenerated)', text: 'az aks delete --name MyManagedCluster --resource-group MyResourceGroup' }],
    async run(ctx, a) {
      const s = await ctx.session();
      await s.arm.lro('DELETE', clusterPath(s.subscriptionId, a.resourceGroup, a.name), { apiVersion: API.managedClusters, ...lro(ctx) });
      return undefined;
    },
  },
  {
    path: 'aks upgrade',
    summary: 'Upgrade a managed Kubernetes cluster to a newer version.',
    args: [
      { ...clusterNameArg },
      resourceGroupArg(),
      { dest: 'kubernetesVersion', options: ['--kubernetes-version', '-k'], help: 'Version of Kubernetes to upgrade the cluster to, such as "1.16.9".' },
      { dest: 'controlPlaneOnly', options: ['--control-plane-only'], kind: 'flag', help: 'Upgrade the cluster control plane only. If not specified, control plane AND all node pools will be upgraded.' },
      { dest: 'nodeImageOnly', options: ['--node-image-only'], kind: 'flag', help: 'Only upgrade node image for agent pools.' },
      { dest: 'yes', options: ['--yes', '-y'], kind: 'flag', help: 'Do not prompt for confirmation.' },
    ],
    noWait: true,
    examples: [{ name: 'Upgrade a managed Kubernetes cluster to a newer version. (autogenerated)', text: 'az aks upgrade --kubernetes-version 1.12.6 --name MyManagedCluster --resource-group MyResourceGroup' }],
    async run(ctx, a) {
      const k8s = normalizeKubernetesVersion(a.kubernetesVersion) ?? '';
      if (k8s !== '' && a.nodeImageOnly) {
        throw new AzCliError('Conflicting flags. Upgrading the Kubernetes version will also upgrade node image version. If you only want to upgrade the node version please use the "--node-image-only" option only.');
      }
      if (!a.yes) await ctx.confirm('Kubernetes may be unavailable during cluster upgrades.\n Are you sure you want to perform this operation?', 'n');
      const s = await ctx.session();
      const path = clusterPath(s.subscriptionId, a.resourceGroup, a.name);
      const mc = await s.arm.get<Record<string, any>>(path, API.managedClusters);
      const pools: Array<Record<string, any>> = mc.properties?.agentPoolProfiles ?? [];
      const vmas = pools.some((p) => String(p.type).toLowerCase() === 'availabilityset');
      if (a.nodeImageOnly) {
        if (!a.yes) await ctx.confirm('This node image upgrade operation will run across every node pool in the cluster and might take a while, do you wish to continue?', 'n');
        if (vmas) throw new AzCliError('This cluster is not using VirtualMachineScaleSets. Node image upgrade only operation can only be applied on VirtualMachineScaleSets cluster.');
        for (const p of pools) {
          await s.arm.lro('POST', `${path}/agentPools/${encodeURIComponent(p.name)}/upgradeNodeImageVersion`, { apiVersion: API.managedClusters, noWait: true });
        }
        return clusterOutput(await s.arm.get(path, API.managedClusters));
      }
      if (mc.properties?.kubernetesVersion === k8s || k8s === '') {
        const state = mc.properties?.provisioningState;
        if (state === 'Succeeded') {
          ctx.warn(`The cluster is already on version ${mc.properties?.kubernetesVersion} and is not in a failed state. No operations will occur when upgrading to the same version if the cluster is not in a failed state.`);
        } else if (state === 'Failed') {
          ctx.warn(`Cluster currently in failed state. Proceeding with upgrade to existing version ${mc.properties?.kubernetesVersion} to attempt resolution of failed cluster state.`);
        }
      }
      let upgradeAll = false;
      if ((mc.properties?.maxAgentPools ?? 100) < 8 || vmas) {
        if (a.controlPlaneOnly && !a.yes) await ctx.confirm(`Legacy clusters do not support control plane only upgrade. All node pools will be upgraded to ${k8s} as well. Continue?`, 'n');
        upgradeAll = true;
      } else if (!a.controlPlaneOnly) {
        if (!a.yes) await ctx.confirm(`Since control-plane-only argument is not specified, this will upgrade the control plane AND all nodepools to version ${k8s}. Continue?`, 'n');
        upgradeAll = true;
      } else if (!a.yes) {
        await ctx.confirm(`Since control-plane-only argument is specified, this will upgrade only the control plane to ${k8s}. Node pool will not change. Continue?`, 'n');
      }
      const props: Record<string, any> = { ...mc.properties, kubernetesVersion: k8s };
      if (upgradeAll) props.agentPoolProfiles = pools.map((p) => ({ ...p, orchestratorVersion: k8s, creationData: undefined }));
      delete props.servicePrincipalProfile;
      return putCluster(ctx, s, a.resourceGroup, a.name, { ...mc, properties: props });
    },
  },
  {
    path: 'aks get-credentials',
    summary: 'Get access credentials for a managed Kubernetes cluster.',
    args: [
      { ...clusterNameArg },
      resourceGroupArg(),
      { dest: 'admin', options: ['--admin', '-a'], kind: 'flag', help: 'Get cluster administrator credentials. Default: cluster user credentials.' },
      { dest: 'file', options: ['--file', '-f'], help: 'Kubernetes configuration file to update. Use "-" to print YAML to stdout instead.' },
      { dest: 'overwriteExisting', options: ['--overwrite-existing'], kind: 'flag', help: 'Overwrite any existing cluster entry with the same name.' },
      { dest: 'context', options: ['--context'], help: 'If specified, overwrite the default context name. The `--admin` parameter takes precedence over `--context`.' },
      { dest: 'publicFqdn', options: ['--public-fqdn'], kind: 'flag', help: 'Get private cluster credential with server address to be public fqdn.' },
      { dest: 'format', options: ['--format'], help: 'Specify the format of the returned credential. Available values are ["exec", "azure"]. Only take effect when requesting clusterUser credential of AAD clusters.' },
    ],
    examples: [{ name: 'Get access credentials for a managed Kubernetes cluster. (autogenerated)', text: 'az aks get-credentials --name MyManagedCluster --resource-group MyResourceGroup' }],
    async run(ctx, a) {
      if (a.format !== undefined) {
        const f = String(a.format).toLowerCase();
        if (f !== 'azure' && f !== 'exec') throw new ValidationError('--format can only be azure or exec.');
        if (a.admin) throw new ValidationError('--format can only be specified when requesting clusterUser credential.');
      }
      const s = await ctx.session();
      const query = [a.publicFqdn ? 'server-fqdn=public' : '', a.format && !a.admin ? `format=${encodeURIComponent(String(a.format).toLowerCase())}` : ''].filter(Boolean).join('&');
      const action = a.admin ? 'listClusterAdminCredential' : 'listClusterUserCredential';
      const res = await s.arm.call('POST', `${clusterPath(s.subscriptionId, a.resourceGroup, a.name)}/${action}${query ? `?${query}` : ''}`, { apiVersion: API.managedClusters });
      const value = res.json<{ kubeconfigs?: Array<{ value?: string }> }>()?.kubeconfigs?.[0]?.value;
      if (!value) throw new AzCliError('No Kubernetes credentials found.');
      const { execWithCli, writeKubeconfig } = await import('./kubeconfig.js');
      const kubeconfig = execWithCli(Buffer.from(value, 'base64').toString('utf8'), { command: process.execPath, prefix: [process.argv[1]!], suffix: ['--data-dir', s.instance.dataDir] });
      let path = a.file ?? join(ctx.home, '.kube', 'config');
      if (path === '-') {
        ctx.opts.io.stdout.write(kubeconfig);
        return undefined;
      }
      if (a.file === undefined && ctx.env.KUBECONFIG) {
        const first = ctx.env.KUBECONFIG.split(':')[0];
        if (first) path = first;
        else ctx.warn(`Invalid path '${first}' defined in KUBECONFIG.`);
      }
      const merged = writeKubeconfig(path, kubeconfig, { overwrite: Boolean(a.overwriteExisting), ...(a.context !== undefined ? { contextName: a.context } : {}) });
      for (const w of merged.warnings) ctx.warn(w);
      return undefined;
    },
  },
];

/** Reads --message-of-the-day for a given pool OS (validate_message_of_the_day). */
export function motdFor(path: string | undefined, osType: string | undefined): string | undefined {
  if (path !== undefined && path !== '' && osType !== undefined && osType !== 'Linux') {
    throw new ValidationError('--message-of-the-day can only be set for linux nodepools');
  }
  return readMessageOfTheDay(path);
}
