"""
The Trusted Launch and FIPS articles with the Azure SDKs for Python: a managed cluster whose system pool has Secure
Boot and vTPM on, Secure Boot turned off on that pool with agent_pools.begin_create_or_update (vTPM stays on), and
a FIPS-enabled user pool (after a pool name Azure refuses) whose FIPS is then turned off; every result and read-back is checked
(SPEC P-1, X-2). Usage: trusted_launch_flow.py RESOURCE_GROUP PREFIX
"""
import sys

from azure.mgmt.containerservice import ContainerServiceClient
from azure.mgmt.containerservice.models import (
    AgentPool,
    AgentPoolSecurityProfile,
    ManagedCluster,
    ManagedClusterAgentPoolProfile,
    ManagedClusterIdentity,
)
from azure.mgmt.resource.resources import ResourceManagementClient

from sdkcheck import credential, expect, expect_refused, location, step, subscription_id

rg, prefix = sys.argv[1], sys.argv[2]
cluster_name = f"{prefix}-aks"
ResourceManagementClient(credential, subscription_id).resource_groups.create_or_update(rg, {"location": location})
aks = ContainerServiceClient(credential, subscription_id)


def check_security(what: str, pool, secure_boot: bool, vtpm: bool) -> None:
    expect(f"{what}: provisioning state", pool.provisioning_state, "Succeeded")
    expect(f"{what}: secure boot", pool.security_profile.enable_secure_boot, secure_boot)
    expect(f"{what}: vTPM", pool.security_profile.enable_vtpm, vtpm)


# az aks create --node-count 1 --enable-secure-boot --enable-vtpm
created = aks.managed_clusters.begin_create_or_update(
    rg,
    cluster_name,
    ManagedCluster(
        location=location,
        dns_prefix=prefix,
        identity=ManagedClusterIdentity(type="SystemAssigned"),
        agent_pool_profiles=[
            ManagedClusterAgentPoolProfile(
                name="nodepool1",
                count=1,
                vm_size="Standard_DS2_v2",
                os_type="Linux",
                mode="System",
                security_profile=AgentPoolSecurityProfile(enable_secure_boot=True, enable_vtpm=True),
            )
        ],
    ),
).result()
expect("create: provisioning state", created.provisioning_state, "Succeeded")
expect("create: pools", [p.name for p in created.agent_pool_profiles], ["nodepool1"])
check_security("create", created.agent_pool_profiles[0], True, True)
system_pool = aks.agent_pools.get(rg, cluster_name, "nodepool1")
check_security("pool read back", system_pool, True, True)
expect("pool read back: node count", system_pool.count, 1)
step("create", id=created.id, nodeImageVersion=system_pool.node_image_version)

# az aks nodepool update --disable-secure-boot: the pool's own PUT, with what was read and Secure Boot off.
system_pool.security_profile.enable_secure_boot = False
updated = aks.agent_pools.begin_create_or_update(rg, cluster_name, "nodepool1", system_pool).result()
check_security("secure boot off", updated, False, True)
check_security("secure boot off, read back", aks.agent_pools.get(rg, cluster_name, "nodepool1"), False, True)
pool_in_cluster = aks.managed_clusters.get(rg, cluster_name).agent_pool_profiles[0]
expect("secure boot off, in the cluster", pool_in_cluster.security_profile.enable_secure_boot, False)
step("secure-boot-off", nodeImageVersion=updated.node_image_version)

# Pool names are lowercase letters and digits: a refused add leaves the cluster's pools as they were.
expect_refused(
    "pool name with an underscore",
    lambda: aks.agent_pools.begin_create_or_update(rg, cluster_name, "fips_pool", AgentPool(count=1, vm_size="Standard_DS2_v2", os_type="Linux", mode="User", enable_fips=True)),
    400,
    "InvalidParameter",
)
expect("pools after the refused add", [p.name for p in aks.agent_pools.list(rg, cluster_name)], ["nodepool1"])
step("refused", pools=1)

# az aks nodepool add --name fipspool --enable-fips-image
fips = aks.agent_pools.begin_create_or_update(
    rg, cluster_name, "fipspool", AgentPool(count=1, vm_size="Standard_DS2_v2", os_type="Linux", mode="User", enable_fips=True)
).result()
expect("fips pool: provisioning state", fips.provisioning_state, "Succeeded")
expect("fips pool: enable_fips", fips.enable_fips, True)
fips_read = aks.agent_pools.get(rg, cluster_name, "fipspool")
expect("fips pool read back: enable_fips", fips_read.enable_fips, True)
expect("fips pool read back: mode", fips_read.mode, "User")
expect("system pool stays without FIPS", aks.agent_pools.get(rg, cluster_name, "nodepool1").enable_fips, False)
pools = sorted(p.name for p in aks.agent_pools.list(rg, cluster_name))
expect("pools listed", pools, ["fipspool", "nodepool1"])
step("fips", nodeImageVersion=fips_read.node_image_version)


# az aks nodepool update --disable-fips-image (generally available from api-version 2024-05-01): FIPS off on the pool,
# its nodes reimaged onto the non-FIPS image.
fips_read.enable_fips = False
unfips = aks.agent_pools.begin_create_or_update(rg, cluster_name, "fipspool", fips_read).result()
expect("fips off: provisioning state", unfips.provisioning_state, "Succeeded")
expect("fips off: enable_fips", unfips.enable_fips, False)
expect("fips off: a non-FIPS image", "fips" in unfips.node_image_version, False)
expect("fips off, read back", aks.agent_pools.get(rg, cluster_name, "fipspool").enable_fips, False)
step("fips-off", nodeImageVersion=unfips.node_image_version)
