/**
 * FIPS 140-2 node pools (SPEC F-1..F-6). The image choice itself (FIPS variants, the Ubuntu 22.04 → 20.04
 * fallback) is in fleet/catalog/os-versions.ts (`fipsOsFor`); these rules refuse what has no FIPS image.
 */
import { ArmError } from '../../../arm/errors.js';
import { compareVersions } from '../../../fleet/catalog/kubernetes-versions.js';
import { FIPS_OS_SKUS } from '../../../fleet/catalog/os-versions.js';
import { isAtLeast, MUTABLE_FIPS_GA_API_VERSION } from '../api-versions.js';
import type { PoolRule } from './types.js';

const T = 'agentPoolProfile.enableFIPS';

// SPEC F-2: FIPS-enabled node pools require Kubernetes 1.19 or later.
export const fipsKubernetesVersionRule: PoolRule = ({ pool, kubernetesVersion }) => {
  if (pool.enableFIPS && compareVersions(kubernetesVersion, '1.19') < 0) {
    throw new ArmError(
      400,
      'FipsKubernetesVersionNotSupported',
      `FIPS-enabled node pools require Kubernetes 1.19 or later; node pool '${pool.name}' would run ${kubernetesVersion}. Choose Kubernetes 1.19 or later, or leave enableFIPS off.`,
      T,
    );
  }
};

// SPEC F-3: only Ubuntu, Azure Linux and Windows Server 2019/2022 pools can be FIPS-enabled.
export const fipsOsSkuRule: PoolRule = ({ pool, plan }) => {
  if (!pool.enableFIPS) return;
  const sku = pool.osSku ?? plan.defaultOs?.osSkuLabel ?? 'Ubuntu';
  if (!FIPS_OS_SKUS.includes(sku)) {
    throw new ArmError(
      400,
      'FipsNotSupportedForOSSku',
      `OS SKU '${sku}' does not support FIPS-enabled node pools. FIPS is supported on Linux with osSKU Ubuntu or AzureLinux and on Windows Server 2019 and 2022: choose one of these or leave enableFIPS off.`,
      T,
    );
  }
};

// SPEC F-4: Arm64 FIPS pools only on Azure Linux 3.0 or later.
export const fipsArm64Rule: PoolRule = ({ pool, plan }) => {
  if (!pool.enableFIPS || plan.arch !== 'arm64') return;
  if (plan.defaultOs?.id !== 'azurelinux3') {
    throw new ArmError(
      400,
      'FipsArm64RequiresAzureLinux3',
      `FIPS-enabled node pools with Arm64 VM sizes (${pool.vmSize}) are supported only on Azure Linux 3.0 or later, not on ${plan.defaultOs?.displayName ?? pool.osSku}. Use osSKU AzureLinux3 (or AzureLinux with Kubernetes 1.32+), or an x64 VM size.`,
      T,
    );
  }
};

// SPEC F-3/F-5: a FIPS pool needs a FIPS image of its OS; Ubuntu falls back to the newest FIPS-supported version.
export const fipsImageRule: PoolRule = ({ pool, plan, kubernetesVersion }) => {
  if (!pool.enableFIPS || pool.osType !== 'Linux') return;
  if (!plan.os) {
    throw new ArmError(
      400,
      'FipsImageNotAvailable',
      `There is no FIPS-enabled image of ${plan.defaultOs?.displayName ?? pool.osSku} for Kubernetes ${kubernetesVersion}. Choose osSKU Ubuntu or AzureLinux (AKS picks the newest FIPS-supported version) or another Kubernetes version.`,
      T,
    );
  }
};

/**
 * SPEC F-6: Linux pools can switch FIPS on or off (a reimage to the same OS SKU's recommended (non-)FIPS image);
 * Windows pools cannot. On api-versions before the GA one the switch is the MutableFipsPreview preview.
 */
export const fipsToggleRule: PoolRule = async ({ phase, pool, previous, apiVersion, isFeatureRegistered }) => {
  if (phase !== 'update' || !previous || previous.pool.enableFIPS === pool.enableFIPS) return;
  if (pool.osType === 'Windows') {
    throw new ArmError(
      400,
      'FipsChangeNotSupportedForWindows',
      `FIPS cannot be ${pool.enableFIPS ? 'enabled' : 'disabled'} on the existing Windows node pool '${pool.name}': Windows node pools share one image set. Add a new Windows node pool ${pool.enableFIPS ? 'with' : 'without'} --enable-fips-image and move your workloads.`,
      T,
    );
  }
  if (!isAtLeast(apiVersion, MUTABLE_FIPS_GA_API_VERSION) && !(await isFeatureRegistered('Microsoft.ContainerService', 'MutableFipsPreview'))) {
    throw new ArmError(
      400,
      'FeatureNotRegistered',
      `Changing enableFIPS on an existing node pool with api-version ${apiVersion} is the MutableFipsPreview preview: register it with 'az feature register --namespace Microsoft.ContainerService --name MutableFipsPreview', wait until 'az feature show' reports Registered, then run 'az provider register --namespace Microsoft.ContainerService'. From api-version ${MUTABLE_FIPS_GA_API_VERSION} on (Azure CLI 2.64+) the change is generally available.`,
      T,
    );
  }
};
