/**
 * The basic shape of a pool (SPEC C-1, C-2): count range, mode, VM size, OS SKU offered for the Kubernetes version,
 * ephemeral OS disk size, and the properties that cannot change after creation.
 */
import { ArmError } from '../../../arm/errors.js';
import { shown } from '../../../util/shown.js';
import { osOfferedFor } from '../../../fleet/catalog/os-versions.js';
import { VM_SIZES } from '../../../fleet/catalog/vm-sizes.js';
import type { PoolRule } from './types.js';

const bad = (field: string, message: string) => new ArmError(400, 'InvalidParameter', message, `agentPoolProfile.${field}`);

export const poolCountRule: PoolRule = ({ pool }) => {
  const min = pool.mode === 'System' ? 1 : 0;
  if (pool.count < min || pool.count > 1000) {
    throw bad('count', `The value of parameter agentPoolProfile.count is invalid: ${pool.count}. ${pool.mode} node pools need a count from ${min} to 1000.`);
  }
  if (pool.maxPods < 10 || pool.maxPods > 250) throw bad('maxPods', `The value of parameter agentPoolProfile.maxPods is invalid: ${pool.maxPods}. Use 10 to 250.`);
};

/**
 * Pools made from a node pool snapshot (`creationData.sourceResourceId`): aksemu does not emulate snapshots, so no
 * snapshot exists to make one from, and the request is refused rather than quietly ignoring its source (SPEC P-4).
 */
export const snapshotSourceRule: PoolRule = ({ pool }) => {
  const source = (pool.raw.creationData as { sourceResourceId?: unknown } | undefined)?.sourceResourceId;
  if (source === undefined || source === null || source === '') return;
  throw new ArmError(
    400,
    'InvalidParameter',
    `Node pool '${pool.name}' names the snapshot '${String(source)}' as its source, but node pool snapshots are not emulated by aksemu, so none exists: remove creationData.sourceResourceId.`,
    'agentPoolProfile.creationData.sourceResourceId',
  );
};

export const poolModeRule: PoolRule = ({ pool }) => {
  if (pool.mode === 'System' && pool.osType === 'Windows') {
    throw bad('mode', 'System node pools must run Linux: add the Windows node pool with mode User.');
  }
};

export const vmSizeRule: PoolRule = ({ pool, plan }) => {
  if (!plan.vmSize) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `The VM size '${pool.vmSize}' of node pool '${pool.name}' is not available. Choose one of: ${VM_SIZES.map((s) => s.name).join(', ')}.`,
      'agentPoolProfile.vmSize',
    );
  }
  if (pool.osDiskType === 'Ephemeral') {
    const s = plan.vmSize;
    if (pool.osDiskSizeGB > Math.max(s.cacheDiskGiB, s.tempDiskGiB)) {
      throw bad(
        'osDiskType',
        `An ephemeral OS disk of ${pool.osDiskSizeGB} GB does not fit VM size ${s.name} (cache ${s.cacheDiskGiB} GB, temporary disk ${s.tempDiskGiB} GB): choose a smaller osDiskSizeGB, a larger VM size, or osDiskType Managed.`,
      );
    }
  }
};

export const osSkuOfferedRule: PoolRule = ({ pool, plan, kubernetesVersion }) => {
  const os = plan.defaultOs;
  if (!os) throw bad('osSKU', `OS SKU '${pool.osSku}' is not available for ${pool.osType} node pools.`);
  if (!osOfferedFor(os, kubernetesVersion)) {
    const range = [os.kubernetes.min ? `from ${os.kubernetes.min}` : '', os.kubernetes.maxExclusive ? `before ${os.kubernetes.maxExclusive}` : ''].filter(Boolean).join(' and ');
    throw new ArmError(
      400,
      'OSSkuNotSupportedForKubernetesVersion',
      `${os.displayName} (osSKU ${pool.osSku ?? os.osSkuLabel}) is offered for Kubernetes versions ${range}, not ${kubernetesVersion}: choose another osSKU or Kubernetes version.`,
      'agentPoolProfile.osSKU',
    );
  }
};

const IMMUTABLE: Array<[keyof import('../pool-model.js').PoolInput, string]> = [
  ['vmSize', 'vmSize'],
  ['osType', 'osType'],
  ['osSku', 'osSKU'],
  ['type', 'type'],
  ['osDiskType', 'osDiskType'],
  ['osDiskSizeGB', 'osDiskSizeGB'],
  ['maxPods', 'maxPods'],
];

export const immutablePoolPropertiesRule: PoolRule = ({ phase, pool, previous }) => {
  if (phase !== 'update' || !previous) return;
  for (const [field, wire] of IMMUTABLE) {
    const a = previous.pool[field];
    const b = pool[field];
    // SPEC C-14: a VirtualMachines pool changes its sizes through its virtualMachinesProfile.
    const resizable = field === 'vmSize' && pool.type === 'VirtualMachines' && pool.sizes !== undefined;
    if (a !== b && !(field === 'osSku' && b === undefined) && !resizable) {
      throw new ArmError(
        400,
        'PropertyChangeNotAllowed',
        `Changing property '${wire}' is not allowed (node pool '${pool.name}' has '${shown(a)}'): create a new node pool with the new value and delete this one.`,
        `agentPoolProfile.${wire}`,
      );
    }
  }
};
