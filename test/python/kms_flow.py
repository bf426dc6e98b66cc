"""
The KMS article with the Azure SDKs for Python: a user-assigned identity and an access-policy vault, an RSA key made
with azure-keyvault-keys, a managed cluster created with KMS etcd encryption on that key
(securityProfile.azureKeyVaultKms, public key vault network access), read back, the key rotated (a new version, the
cluster updated to it), KMS disabled and the cluster deleted; a cluster with an unversioned key id is refused, and one
on a private link the identity may not create fails in its long-running operation. Every result is checked (SPEC P-1, X-2). Usage: kms_flow.py RESOURCE_GROUP PREFIX
"""
import os
import sys

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.keyvault.keys import KeyClient
from azure.mgmt.containerservice import ContainerServiceClient
from azure.mgmt.containerservice.models import (
    AzureKeyVaultKms,
    ManagedCluster,
    ManagedClusterAgentPoolProfile,
    ManagedClusterAPIServerAccessProfile,
    ManagedClusterIdentity,
    ManagedClusterSecurityProfile,
    UserAssignedIdentity,
)
from azure.mgmt.keyvault import KeyVaultManagementClient
from azure.mgmt.keyvault.models import AccessPolicyEntry, Permissions, Sku, VaultCreateOrUpdateParameters, VaultProperties
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.resource.resources import ResourceManagementClient

from sdkcheck import caller_object_id, credential, expect, expect_refused, location, step, subscription_id

rg, prefix = sys.argv[1], sys.argv[2]
vault_name, identity_name, cluster_name = f"{prefix}-kv", f"{prefix}-id", f"{prefix}-aks"
tenant_id = os.environ["AZURE_TENANT_ID"]

ResourceManagementClient(credential, subscription_id).resource_groups.create_or_update(rg, {"location": location})
identity = ManagedServiceIdentityClient(credential, subscription_id).user_assigned_identities.create_or_update(
    rg, identity_name, {"location": location}
)
expect("identity principal id", bool(identity.principal_id), True)
step("identity", id=identity.id)

# az keyvault create, then az keyvault set-policy --key-permissions decrypt encrypt for the cluster's identity.
vaults = KeyVaultManagementClient(credential, subscription_id).vaults
vault = vaults.begin_create_or_update(
    rg,
    vault_name,
    VaultCreateOrUpdateParameters(
        location=location,
        properties=VaultProperties(
            tenant_id=tenant_id,
            sku=Sku(family="A", name="standard"),
            access_policies=[
                AccessPolicyEntry(tenant_id=tenant_id, object_id=caller_object_id(), permissions=Permissions(keys_property=["all"])),
                AccessPolicyEntry(tenant_id=tenant_id, object_id=identity.principal_id, permissions=Permissions(keys_property=["decrypt", "encrypt"])),
            ],
        ),
    ),
).result()
vault_uri = vault.properties.vault_uri
expect("vault uri", vault_uri, f"https://{vault_name}.vault.azure.net/")
step("vault", uri=vault_uri)

keys = KeyClient(vault_uri, credential)
first = keys.create_rsa_key(f"{prefix}-etcd", size=2048)
expect("key type", first.key_type, "RSA")
expect("key id", first.id, f"{vault_uri}keys/{prefix}-etcd/{first.properties.version}")
step("key", kid=first.id)

clusters = ContainerServiceClient(credential, subscription_id).managed_clusters


def kms_cluster(key_id: str, private_vault_id=None) -> ManagedCluster:
    """A one-node cluster of the identity with KMS on `key_id`; with a vault id, over a private link to that vault."""
    kms = AzureKeyVaultKms(enabled=True, key_id=key_id, key_vault_network_access="Public")
    api_server = None
    if private_vault_id:
        kms = AzureKeyVaultKms(enabled=True, key_id=key_id, key_vault_network_access="Private", key_vault_resource_id=private_vault_id)
        # A private vault needs API Server VNet Integration (the API server reaches the vault from the cluster's VNet).
        api_server = ManagedClusterAPIServerAccessProfile(
            enable_vnet_integration=True,
            subnet_id=f"/subscriptions/{subscription_id}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{prefix}-vnet/subnets/apiserver",
        )
    return ManagedCluster(
        location=location,
        dns_prefix=prefix,
        identity=ManagedClusterIdentity(type="UserAssigned", user_assigned_identities={identity.id: UserAssignedIdentity()}),
        agent_pool_profiles=[
            ManagedClusterAgentPoolProfile(name="nodepool1", count=1, vm_size="Standard_DS2_v2", os_type="Linux", mode="System")
        ],
        api_server_access_profile=api_server,
        security_profile=ManagedClusterSecurityProfile(azure_key_vault_kms=kms),
    )


# KMS wants the versioned key id: the key's id without its version is refused before anything is created.
unversioned = first.id.rsplit("/", 1)[0]
refused = expect_refused("unversioned key id", lambda: clusters.begin_create_or_update(rg, cluster_name, kms_cluster(unversioned)), 400, "InvalidParameter")
try:
    clusters.get(rg, cluster_name)
    expect("refused create left no cluster", "cluster exists", "no cluster")
except ResourceNotFoundError:
    pass
step("refused", code=refused.error.code)

created = clusters.begin_create_or_update(rg, cluster_name, kms_cluster(first.id)).result()


def check_kms(what: str, cluster: ManagedCluster, enabled: bool, key_id) -> None:
    kms = cluster.security_profile.azure_key_vault_kms
    expect(f"{what}: provisioning state", cluster.provisioning_state, "Succeeded")
    expect(f"{what}: kms enabled", kms.enabled, enabled)
    expect(f"{what}: kms key id", kms.key_id, key_id)
    expect(f"{what}: kms network access", kms.key_vault_network_access, "Public")


check_kms("create", created, True, first.id)
expect("create: identity", list(created.identity.user_assigned_identities), [identity.id])
step("create", id=created.id, kid=created.security_profile.azure_key_vault_kms.key_id)

shown = clusters.get(rg, cluster_name)
check_kms("show", shown, True, first.id)
expect("show: id", shown.id, created.id)
step("show", kid=shown.security_profile.azure_key_vault_kms.key_id)

# Rotation: a new version of the key, then the cluster moved to it (az aks update --azure-keyvault-kms-key-id).
second = keys.create_rsa_key(f"{prefix}-etcd", size=2048)
expect("rotated key is a new version", second.properties.version != first.properties.version, True)
expect("rotated key name", second.name, first.name)
shown.security_profile.azure_key_vault_kms = AzureKeyVaultKms(enabled=True, key_id=second.id, key_vault_network_access="Public")
rotated = clusters.begin_create_or_update(rg, cluster_name, shown).result()
check_kms("rotate", rotated, True, second.id)
check_kms("rotate, read back", clusters.get(rg, cluster_name), True, second.id)
step("rotate", kid=rotated.security_profile.azure_key_vault_kms.key_id)

# az aks update --disable-azure-keyvault-kms
current = clusters.get(rg, cluster_name)
current.security_profile.azure_key_vault_kms = AzureKeyVaultKms(enabled=False)
disabled = clusters.begin_create_or_update(rg, cluster_name, current).result()
expect("disable: provisioning state", disabled.provisioning_state, "Succeeded")
expect("disable: kms enabled", disabled.security_profile.azure_key_vault_kms.enabled, False)
expect("disable, read back", clusters.get(rg, cluster_name).security_profile.azure_key_vault_kms.enabled, False)
step("disable", enabled=disabled.security_profile.azure_key_vault_kms.enabled)

# az aks delete: long-running, and the cluster is gone afterwards.
clusters.begin_delete(rg, cluster_name).result()
expect("clusters after the delete", [c.name for c in clusters.list_by_resource_group(rg)], [])
step("delete", clusters=0)

# A private vault the identity may not create a private endpoint to (it lacks "Key Vault Contributor"): the create is
# accepted, then its long-running operation fails, and the SDK raises the operation's error.
private_name = f"{prefix}-private"
try:
    clusters.begin_create_or_update(rg, private_name, kms_cluster(second.id, private_vault_id=vault.id)).result()
    expect("private link without Key Vault Contributor", "succeeded", "failed")
except HttpResponseError as err:
    expect("failed operation: error code", err.error.code if err.error else None, "AzureKeyVaultKmsPrivateLinkCreationFailed")
    expect("failed operation: message names the role", "Key Vault Contributor" in err.error.message, True)
expect("failed cluster: provisioning state", clusters.get(rg, private_name).provisioning_state, "Failed")
clusters.begin_delete(rg, private_name).result()
expect("clusters after deleting the failed one", [c.name for c in clusters.list_by_resource_group(rg)], [])
step("failed-operation", code="AzureKeyVaultKmsPrivateLinkCreationFailed")
