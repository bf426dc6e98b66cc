/**
 * Examples of features aksemu deliberately does not emulate, by example file, with the reason. For each of them
 * the suite asserts that aksemu refuses the request with a 4xx in the service's error format (never a 500, never a
 * 2xx that pretends). Everything aksemu serves is in scope: this list names whole features, not failures.
 */
const SNAPSHOTS = 'node pool snapshots (Microsoft.ContainerService/snapshots)';
const MAINTENANCE = 'planned maintenance configurations';
const RUN_COMMAND = 'run command (aksemu offers its node shell and kubectl debug instead)';
const NAMESPACES = 'managed namespaces';
const MESH = 'the Istio service mesh add-on profiles';
const TRUSTED_ACCESS = 'trusted access role bindings';
const MACHINES = 'the machines API of agent pools';
const IDENTITY_BINDINGS = 'identity bindings';
const SYSTEM_IDENTITY = 'system-assigned identities as Microsoft.ManagedIdentity resources (a cluster shows its own under identity)';
const MANAGED_HSM = 'Managed HSM and its attestation (aksemu emulates vaults, not HSM pools)';
const KEY_RELEASE = 'secure key release (it needs an attestation service)';
const PROVIDER_APPS = "resource providers' own applications and their permissions in the tenant";
const TEMPLATE_EXPORT = 'exporting resource groups as ARM or Bicep templates';
const POLICY_ALIASES = "Azure Policy's aliases of resource types ($expand=resourceTypes/aliases; aksemu emulates no Azure Policy)";
const PRIVATE_LINK = 'Private Link connections as ARM resources (aksemu sets up the KMS private endpoint itself)';

export const OUT_OF_SCOPE: Record<string, string> = {
  'SnapshotsCreate.json': SNAPSHOTS,
  'SnapshotsDelete.json': SNAPSHOTS,
  'SnapshotsGet.json': SNAPSHOTS,
  'SnapshotsList.json': SNAPSHOTS,
  'SnapshotsListByResourceGroup.json': SNAPSHOTS,
  'SnapshotsUpdateTags.json': SNAPSHOTS,
  'ManagedClustersCreate_Snapshot.json': SNAPSHOTS,
  'AgentPoolsCreate_Snapshot.json': SNAPSHOTS,
  'MaintenanceConfigurationsCreate_Update_MaintenanceWindow.json': MAINTENANCE,
  'MaintenanceConfigurationsDelete_MaintenanceWindow.json': MAINTENANCE,
  'MaintenanceConfigurationsGet_MaintenanceWindow.json': MAINTENANCE,
  'MaintenanceConfigurationsList_MaintenanceWindow.json': MAINTENANCE,
  'RunCommandRequest.json': RUN_COMMAND,
  'RunCommandResultFailed.json': RUN_COMMAND,
  'RunCommandResultSucceed.json': RUN_COMMAND,
  'ManagedNamespacesCreate_Update.json': NAMESPACES,
  'ManagedNamespacesDelete.json': NAMESPACES,
  'ManagedNamespacesGet.json': NAMESPACES,
  'ManagedNamespacesList.json': NAMESPACES,
  'ManagedNamespacesUpdateTags.json': NAMESPACES,
  'ManagedNamespacesListCredentialResult.json': NAMESPACES,
  'ManagedClustersList_MeshRevisionProfiles.json': MESH,
  'ManagedClustersGet_MeshRevisionProfile.json': MESH,
  'ManagedClustersList_MeshUpgradeProfiles.json': MESH,
  'ManagedClustersGet_MeshUpgradeProfile.json': MESH,
  'TrustedAccessRoles_List.json': TRUSTED_ACCESS,
  'TrustedAccessRoleBindings_CreateOrUpdate.json': TRUSTED_ACCESS,
  'TrustedAccessRoleBindings_Delete.json': TRUSTED_ACCESS,
  'TrustedAccessRoleBindings_Get.json': TRUSTED_ACCESS,
  'TrustedAccessRoleBindings_List.json': TRUSTED_ACCESS,
  'MachineList.json': MACHINES,
  'MachineGet.json': MACHINES,
  'AgentPoolsDeleteMachines.json': MACHINES,
  'IdentityBindings_Create_Or_Update.json': IDENTITY_BINDINGS,
  'IdentityBindings_Delete.json': IDENTITY_BINDINGS,
  'IdentityBindings_Get.json': IDENTITY_BINDINGS,
  'IdentityBindings_List.json': IDENTITY_BINDINGS,
  'PrivateEndpointConnectionsDelete.json': PRIVATE_LINK,
  'PrivateEndpointConnectionsGet.json': PRIVATE_LINK,
  'PrivateEndpointConnectionsList.json': PRIVATE_LINK,
  'PrivateEndpointConnectionsUpdate.json': PRIVATE_LINK,
  'PrivateLinkResourcesList.json': PRIVATE_LINK,
  'ResolvePrivateLinkServiceId.json': PRIVATE_LINK,
  'SystemAssignedIdentityGet.json': SYSTEM_IDENTITY,
  'GetRandomBytes-example.json': MANAGED_HSM,
  'GetKeyAttestation-example.json': MANAGED_HSM,
  'release-example.json': KEY_RELEASE,
  'GetProviderPermissions.json': PROVIDER_APPS,
  'GetNamedProviderAtTenant.json': POLICY_ALIASES,
  'ExportResourceGroup.json': TEMPLATE_EXPORT,
  'ExportResourceGroupAsBicep.json': TEMPLATE_EXPORT,
  'ExportResourceGroupWithFiltering.json': TEMPLATE_EXPORT,
  'putPrivateEndpointConnection.json': PRIVATE_LINK,
  'getPrivateEndpointConnection.json': PRIVATE_LINK,
  'deletePrivateEndpointConnection.json': PRIVATE_LINK,
  'listPrivateEndpointConnection.json': PRIVATE_LINK,
  'listPrivateLinkResources.json': PRIVATE_LINK,
};
