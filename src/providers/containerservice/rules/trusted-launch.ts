/**
 * Trusted Launch on node pools (SPEC T-1, T-2, T-4): which pool configurations can run a Trusted Launch image, and
 * the rules that refuse Secure Boot / vTPM where AKS does. The limitations are data (`TL_LIMITS`): each says when it
 * blocks, with the error code and a message that tells the user what to do instead. `TrustedLaunchIncompatibleWithConfig`
 * and its first sentences are AKS's own (reference/ARM.md); where AKS's code is not known, the code names the rule.
 *
 * T-2: a pool created with a Trusted Launch compatible configuration gets a Trusted Launch image even with both
 * switches off, and keeps its image variant for life (a Kubernetes or node image upgrade stays on the same variant);
 * a FIPS switch moves the pool to the recommended image of its new configuration. Secure Boot and vTPM can be
 * switched on only on a pool that runs a Trusted Launch image.
 */
import { ArmError } from '../../../arm/errors.js';
import { compareVersions } from '../../../fleet/catalog/kubernetes-versions.js';
import type { NodeImage } from '../../../fleet/catalog/node-images.js';
import type { PoolInput, PoolPlan } from '../pool-model.js';
import type { ClusterRule, PoolRule } from './types.js';

const T = 'agentPoolProfile.securityProfile';
export const TL_MIN_KUBERNETES = '1.25.2';
/** The VM guest state (VMGS) of a Trusted Launch VM lives on the ephemeral OS disk too. */
export const TL_VMGS_GIB = 1;

/** AKS's own words for an incompatible pool (reference/ARM.md). */
const AKS_INCOMPATIBLE =
  'Trusted Launch enabled clusters using vTPM and/or Secure Boot are not supported for this agentpool. Secure Boot and/or vTPM requires the VM Image to be Trusted Launch Compatible. Ubuntu 1804, FIPS, Arm64, CBLMariner, GPU nodepools dont have Trusted Launch support.';

export interface TlLimit {
  /** What the limitation is, for listings and tests. */
  id: 'kubernetes-version' | 'gen2-only' | 'no-windows' | 'no-fips' | 'no-arm64' | 'os-image' | 'vmss-only' | 'ephemeral-os-disk';
  code: string;
  /** The reason the pool is blocked, or undefined when this limitation does not apply. */
  blocks(pool: PoolInput, plan: PoolPlan, kubernetesVersion: string): string | undefined;
}

/** SPEC T-4, one entry per limitation of the seed (virtual nodes and GPU drivers are rules below). */
export const TL_LIMITS: TlLimit[] = [
  {
    id: 'kubernetes-version',
    code: 'TrustedLaunchKubernetesVersionNotSupported',
    blocks: (pool, _plan, k8s) =>
      compareVersions(k8s, TL_MIN_KUBERNETES) < 0
        ? `Trusted Launch is supported from Kubernetes ${TL_MIN_KUBERNETES}; node pool '${pool.name}' would run ${k8s}. Upgrade the cluster (az aks upgrade) to ${TL_MIN_KUBERNETES} or later first.`
        : undefined,
  },
  {
    id: 'no-windows',
    code: 'TrustedLaunchIncompatibleWithConfig',
    blocks: (pool) =>
      pool.osType === 'Windows' ? `${AKS_INCOMPATIBLE} Node pool '${pool.name}' runs Windows Server: Trusted Launch on AKS supports Linux node pools only. Use a Linux node pool.` : undefined,
  },
  {
    id: 'no-fips',
    code: 'TrustedLaunchIncompatibleWithConfig',
    blocks: (pool) =>
      pool.enableFIPS ? `${AKS_INCOMPATIBLE} Node pool '${pool.name}' is FIPS-enabled: FIPS and Trusted Launch cannot be combined. Leave --enable-fips-image off, or leave Secure Boot and vTPM off.` : undefined,
  },
  {
    id: 'no-arm64',
    code: 'TrustedLaunchIncompatibleWithConfig',
    blocks: (pool, plan) =>
      plan.arch === 'arm64' ? `${AKS_INCOMPATIBLE} VM size ${pool.vmSize} of node pool '${pool.name}' is an Arm64 size: Trusted Launch needs an x64 (amd64) Gen2 VM size such as Standard_D4s_v3.` : undefined,
  },
  {
    id: 'gen2-only',
    code: 'TrustedLaunchIncompatibleWithConfig',
    blocks: (pool, plan) =>
      plan.vmSize && !plan.vmSize.generations.includes(2)
        ? `${AKS_INCOMPATIBLE} VM size ${plan.vmSize.name} of node pool '${pool.name}' supports only Generation 1 VMs: Trusted Launch needs a Generation 2 VM size such as Standard_D4s_v3.`
        : undefined,
  },
  {
    id: 'os-image',
    code: 'TrustedLaunchIncompatibleWithConfig',
    blocks: (pool, plan) =>
      plan.defaultOs && !plan.defaultOs.trustedLaunch && pool.osType === 'Linux'
        ? `${AKS_INCOMPATIBLE} ${plan.defaultOs.displayName} (osSKU ${pool.osSku ?? plan.defaultOs.osSkuLabel}) has no Trusted Launch image: use osSKU Ubuntu or AzureLinux.`
        : undefined,
  },
  {
    id: 'vmss-only',
    code: 'TrustedLaunchRequiresVirtualMachineScaleSets',
    blocks: (pool) =>
      pool.type !== 'VirtualMachineScaleSets'
        ? `Trusted Launch supports only VirtualMachineScaleSets node pools; node pool '${pool.name}' has type ${pool.type}${pool.type === 'AvailabilitySet' ? ' (availability sets are not supported)' : ''}. Use type VirtualMachineScaleSets.`
        : undefined,
  },
  {
    id: 'ephemeral-os-disk',
    code: 'TrustedLaunchEphemeralOSDiskTooLarge',
    blocks: (pool, plan) => {
      const s = plan.vmSize;
      if (pool.osDiskType !== 'Ephemeral' || !s) return undefined;
      const room = Math.max(s.cacheDiskGiB, s.tempDiskGiB);
      return pool.osDiskSizeGB + TL_VMGS_GIB > room
        ? `An ephemeral OS disk of a Trusted Launch VM holds the OS disk (${pool.osDiskSizeGB} GB) and the VM guest state (${TL_VMGS_GIB} GB), which do not fit the cache (${s.cacheDiskGiB} GB) or temporary disk (${s.tempDiskGiB} GB) of VM size ${s.name}. Choose osDiskSizeGB ${Math.max(0, room - TL_VMGS_GIB)} or less, a VM size with a larger cache or temporary disk, or osDiskType Managed.`
        : undefined;
    },
  },
];

/** The first limitation that keeps a pool from running a Trusted Launch image. */
export function trustedLaunchBlocker(pool: PoolInput, plan: PoolPlan, kubernetesVersion: string): { limit: TlLimit; message: string } | undefined {
  for (const limit of TL_LIMITS) {
    const message = limit.blocks(pool, plan, kubernetesVersion);
    if (message) return { limit, message };
  }
  return undefined;
}

/**
 * SPEC T-2: whether a pool runs a Trusted Launch image. New pools: when compatible. Existing pools keep their
 * variant, except that a FIPS switch takes them to the recommended image of the new configuration.
 */
export function usesTrustedLaunchImage(pool: PoolInput, plan: PoolPlan, kubernetesVersion: string, previous?: { image?: NodeImage; fips: boolean }): boolean {
  const compatible = !trustedLaunchBlocker(pool, plan, kubernetesVersion);
  if (!previous?.image || previous.fips !== pool.enableFIPS) return compatible;
  return compatible && previous.image.trustedLaunch;
}

const wantsTrustedLaunch = (pool: PoolInput) => pool.securityProfile.enableSecureBoot || pool.securityProfile.enableVTPM;

/** `gpuProfile.driver` of a pool (AKS installs the GPU driver unless it is None). */
export function gpuDriverOf(raw: Record<string, unknown>): 'Install' | 'None' {
  const gp = raw.gpuProfile as { driver?: unknown } | undefined;
  return typeof gp?.driver === 'string' && gp.driver.toLowerCase() === 'none' ? 'None' : 'Install';
}

/** `gpuProfile` must be an object whose driver is Install or None. */
export const gpuProfileRule: PoolRule = ({ pool }) => {
  const gp = pool.raw.gpuProfile;
  if (gp === undefined || gp === null) return;
  const driver = (gp as { driver?: unknown }).driver;
  if (typeof gp !== 'object' || Array.isArray(gp) || (driver !== undefined && driver !== null && (typeof driver !== 'string' || !['install', 'none'].includes(driver.toLowerCase())))) {
    throw new ArmError(400, 'InvalidParameter', `The value of parameter agentPoolProfile.gpuProfile.driver is invalid: ${JSON.stringify(driver)}. Allowed values: Install, None.`, 'agentPoolProfile.gpuProfile.driver');
  }
};

/** SPEC T-4: every limitation, then the Trusted Launch image requirement of existing pools (T-2). */
export const trustedLaunchPoolRule: PoolRule = ({ phase, pool, plan, kubernetesVersion, previous, cluster }) => {
  if (!wantsTrustedLaunch(pool)) return;
  const blocker = trustedLaunchBlocker(pool, plan, kubernetesVersion);
  if (blocker) throw new ArmError(400, blocker.limit.code, blocker.message, T);
  // SPEC T-4: no virtual nodes.
  if (cluster.virtualNodes) {
    throw new ArmError(
      400,
      'TrustedLaunchNotSupportedWithVirtualNodes',
      `Trusted Launch does not support virtual nodes, and cluster '${cluster.name}' has the virtual node add-on (aciConnectorLinux) enabled. Disable virtual nodes (az aks disable-addons --addons virtual-node) before enabling Secure Boot or vTPM on node pool '${pool.name}'.`,
      T,
    );
  }
  // SPEC T-4: Secure Boot on a GPU pool needs the (unsigned, out-of-tree) GPU driver install skipped.
  if (pool.securityProfile.enableSecureBoot && plan.vmSize && plan.vmSize.gpus > 0 && gpuDriverOf(pool.raw) !== 'None') {
    throw new ArmError(
      400,
      'SecureBootRequiresGpuDriverNone',
      `Secure Boot on GPU node pool '${pool.name}' (${plan.vmSize.name}, ${plan.vmSize.gpuModel}) requires skipping the GPU driver install: the NVIDIA driver AKS installs is built out of tree and is not signed, so Secure Boot would block it. Set gpuProfile.driver to None (az aks nodepool add --gpu-driver none, formerly --skip-gpu-driver-install) and install a signed driver yourself, or leave Secure Boot off.`,
      'agentPoolProfile.gpuProfile.driver',
    );
  }
  // SPEC T-2: enabling on an existing pool needs a pool that already runs a Trusted Launch image.
  if (phase === 'update' && previous && !plan.trustedLaunch) {
    throw new ArmError(
      400,
      'TrustedLaunchIncompatibleWithConfig',
      `${AKS_INCOMPATIBLE} Node pool '${pool.name}' runs node image ${previous.image}, which is not a Trusted Launch image: Secure Boot and vTPM can be enabled only on node pools that run one. Add a new node pool with --enable-secure-boot and/or --enable-vtpm (or without them: pools created with a Trusted Launch compatible configuration get a Trusted Launch image and can enable them later), move your workloads to it, then delete node pool '${pool.name}'.`,
      T,
    );
  }
};

/** SPEC T-4 on cluster create/update: the virtual node add-on cannot be combined with Trusted Launch pools. */
export const trustedLaunchVirtualNodesRule: ClusterRule = ({ properties, previousProperties, pools, cluster }) => {
  const addons = (properties.addonProfiles ?? previousProperties?.addonProfiles) as Record<string, { enabled?: unknown }> | undefined;
  if (!virtualNodesEnabled(addons)) return;
  const tl = pools.find(wantsTrustedLaunch);
  if (tl) {
    throw new ArmError(
      400,
      'TrustedLaunchNotSupportedWithVirtualNodes',
      `Trusted Launch does not support virtual nodes: cluster '${cluster.name}' cannot enable the virtual node add-on (aciConnectorLinux) while node pool '${tl.name}' has Secure Boot or vTPM enabled. Disable them on the node pool first, or leave virtual nodes off.`,
      'properties.addonProfiles.aciConnectorLinux',
    );
  }
};

export function virtualNodesEnabled(addons: Record<string, { enabled?: unknown }> | undefined): boolean {
  if (!addons) return false;
  return Object.entries(addons).some(([k, v]) => k.toLowerCase() === 'aciconnectorlinux' && v?.enabled === true);
}
