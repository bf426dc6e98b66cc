/**
 * Agent pool properties as az builds them for `aks create` (the default pool, ManagedClusterAgentPoolProfile) and
 * `aks nodepool add` (AgentPool): az's defaults (3 nodes, VirtualMachineScaleSets, Regular priority, ...) plus
 * what the flags ask for: FIPS (SPEC F-1), Trusted Launch (T-1), message of the day (C-6), GPU driver (T-4).
 * The VM size is left to the service when not given, as current az does.
 */
import { ValidationError } from '../../framework/errors.js';
import type { ArgSpec } from '../../framework/spec.js';
import { parseTags } from '../common-args.js';
import { parseLabels, parseTaints, readMessageOfTheDay, validateCounts } from './validators.js';

export const OS_SKUS_CREATE = ['AzureLinux', 'AzureLinux3', 'Ubuntu', 'CBLMariner', 'Mariner', 'Ubuntu2204', 'Ubuntu2404'];
export const OS_SKUS = [...OS_SKUS_CREATE, 'Windows2019', 'Windows2022'];
export const OS_SKUS_UPDATE = ['AzureLinux', 'AzureLinux3', 'Ubuntu', 'Ubuntu2204', 'Ubuntu2404'];

/** Pool flags both commands share (their dests match az's parameter names, camel-cased). */
export function poolArgs(prefix: 'nodepool' | 'plain'): ArgSpec[] {
  const labels = prefix === 'nodepool' ? { dest: 'nodepoolLabels', options: ['--nodepool-labels'] } : { dest: 'labels', options: ['--labels'] };
  const taints = prefix === 'nodepool' ? { dest: 'nodepoolTaints', options: ['--nodepool-taints'] } : { dest: 'nodeTaints', options: ['--node-taints'] };
  const tags = prefix === 'nodepool' ? { dest: 'nodepoolTags', options: ['--nodepool-tags'] } : { dest: 'tags', options: ['--tags'] };
  // az's wording: the cluster's create speaks of all its pools, `nodepool add` of the one it adds.
  const where = prefix === 'nodepool' ? 'all node pools in the cluster' : 'agent node pool';
  return [
    { dest: 'nodeCount', options: ['--node-count', '-c'], kind: 'int', default: 3, help: 'Number of nodes in the Kubernetes node pool. It is required when --enable-cluster-autoscaler specified. After creating a cluster, you can change the size of its node pool with `az aks scale`.' },
    { dest: 'nodeVmSize', options: ['--node-vm-size', '-s'], help: 'Size of Virtual Machines to create as Kubernetes nodes.' },
    { dest: 'osSku', options: ['--os-sku'], choices: prefix === 'nodepool' ? OS_SKUS_CREATE : OS_SKUS, help: 'The OS SKU of the agent node pool. Ubuntu or AzureLinux.' },
    { dest: 'maxPods', options: ['--max-pods', '-m'], kind: 'int', help: 'The maximum number of pods deployable to a node.' },
    { dest: 'zones', options: ['--zones', '-z'], kind: 'list', help: 'Space-separated list of availability zones where agent nodes will be placed.' },
    { dest: 'nodeOsdiskSize', options: ['--node-osdisk-size'], kind: 'int', help: 'Size in GiB of the OS disk for each node in the node pool. Minimum 30 GiB.' },
    { dest: 'nodeOsdiskType', options: ['--node-osdisk-type'], choices: ['Managed', 'Ephemeral'], help: 'OS disk type to be used for machines in a given agent pool. Defaults to \'Ephemeral\' when possible in conjunction with VM size and OS disk size. May not be changed for this pool after creation.' },
    { dest: 'vmSetType', options: ['--vm-set-type'], help: 'Agent pool vm set type. VirtualMachineScaleSets, AvailabilitySet or VirtualMachines(Preview).' },
    { dest: 'enableClusterAutoscaler', options: prefix === 'nodepool' ? ['--enable-cluster-autoscaler'] : ['--enable-cluster-autoscaler', '-e'], kind: 'flag', help: 'Enable cluster autoscaler, default value is false.' },
    { dest: 'minCount', options: ['--min-count'], kind: 'int', help: 'Minimum nodes count used for autoscaler, when "--enable-cluster-autoscaler" specified. Please specify the value in the range of [0, 1000].' },
    { dest: 'maxCount', options: ['--max-count'], kind: 'int', help: 'Maximum nodes count used for autoscaler, when "--enable-cluster-autoscaler" specified. Please specify the value in the range of [0, 1000].' },
    { ...labels, kind: 'list', allowEmpty: true, help: 'The node labels for the node pool. See https://aka.ms/node-labels for syntax of labels.' },
    { ...taints, help: 'The node taints for the node pool.' },
    { ...tags, kind: 'list', allowEmpty: true, help: 'The tags of the node pool.' },
    { dest: 'enableFipsImage', options: ['--enable-fips-image'], kind: 'flag', help: 'Use FIPS-enabled OS on agent nodes.' },
    { dest: 'enableSecureBoot', options: ['--enable-secure-boot'], kind: 'flag', help: `Enable Secure Boot on ${where}. Must use VMSS agent pool type.` },
    { dest: 'enableVtpm', options: ['--enable-vtpm'], kind: 'flag', help: `Enable vTPM on ${where}. Must use VMSS agent pool type.` },
    { dest: 'messageOfTheDay', options: ['--message-of-the-day'], help: 'Path to a file containing the desired message of the day. Only valid for linux nodes. Will be written to /etc/motd.' },
    { dest: 'gpuDriver', options: ['--gpu-driver'], choices: ['Install', 'None'], help: 'Whether to install driver for GPU node pool. Possible values are "Install" or "None". Default is "Install".' },
    { dest: 'enableEncryptionAtHost', options: ['--enable-encryption-at-host'], kind: 'flag', help: 'Enable EncryptionAtHost, default value is false.' },
    { dest: 'enableUltraSsd', options: ['--enable-ultra-ssd'], kind: 'flag', help: 'Enable UltraSSD, default value is false.' },
    { dest: 'enableNodePublicIp', options: ['--enable-node-public-ip'], kind: 'flag', help: 'Enable VMSS node public IP.' },
  ];
}

/** validate_vm_set_type + the getter's normalization. */
function vmSetType(v: string | undefined): string {
  if (v === undefined || v === '') return 'VirtualMachineScaleSets';
  const found = ['VirtualMachineScaleSets', 'AvailabilitySet', 'VirtualMachines'].find((t) => t.toLowerCase() === v.toLowerCase());
  if (!found) throw new ValidationError('--vm-set-type can only be VirtualMachineScaleSets or AvailabilitySet or VirtualMachines');
  return found;
}

/** The autoscaler count checks of the agent pool context (__validate_counts_in_autoscaler, create mode). */
function autoscaler(a: Record<string, any>, mode: string): Record<string, unknown> {
  validateCounts(a);
  if (a.enableClusterAutoscaler) {
    if (a.minCount === undefined || a.maxCount === undefined) throw new ValidationError('Please specify both min-count and max-count when --enable-cluster-autoscaler enabled');
    if (a.minCount > a.maxCount) throw new ValidationError('Value of min-count should be less than or equal to value of max-count');
    if (a.nodeCount < a.minCount || a.nodeCount > a.maxCount) throw new ValidationError('node-count is not in the range of min-count and max-count');
    if (mode === 'System' && a.minCount < 1) throw new ValidationError('Value of min-count should be greater than or equal to 1 for System node pools');
    return { enableAutoScaling: true, minCount: a.minCount, maxCount: a.maxCount };
  }
  if (a.minCount !== undefined || a.maxCount !== undefined) throw new ValidationError('min-count and max-count are required for --enable-cluster-autoscaler, please use the flag');
  return { enableAutoScaling: false };
}

/**
 * A new pool's properties. `cluster` is true for a cluster's default pool (named in the profile, field `type` for
 * the VM set); false for a standalone agent pool PUT.
 */
export function newPoolProperties(a: Record<string, any>, opts: { cluster: boolean; mode: string; osType: string; kubernetesVersion: string | undefined }): Record<string, unknown> {
  const labels = parseLabels(opts.cluster ? a.nodepoolLabels : a.labels);
  const taints = parseTaints(opts.cluster ? a.nodepoolTaints : a.nodeTaints) ?? [];
  const tags = parseTags(opts.cluster ? a.nodepoolTags : a.tags);
  const motd = readMessageOfTheDay(a.messageOfTheDay);
  const p: Record<string, unknown> = {
    count: a.nodeCount,
    ...(a.nodeVmSize ? { vmSize: a.nodeVmSize } : {}),
    ...(a.nodeOsdiskSize ? { osDiskSizeGB: a.nodeOsdiskSize } : {}),
    ...(a.nodeOsdiskType ? { osDiskType: a.nodeOsdiskType } : {}),
    osType: opts.osType,
    ...(a.osSku ? { osSKU: a.osSku } : {}),
    ...autoscaler(a, opts.mode),
    type: vmSetType(a.vmSetType),
    mode: opts.mode,
    orchestratorVersion: opts.kubernetesVersion ?? '',
    upgradeSettings: {},
    enableNodePublicIP: Boolean(a.enableNodePublicIp),
    // The eviction policy and price belong to Spot pools: the current az sends neither for a Regular one.
    scaleSetPriority: 'Regular',
    nodeTaints: taints,
    ...(labels !== undefined ? { nodeLabels: labels } : {}),
    ...(tags !== undefined ? { tags } : {}),
    ...(a.maxPods ? { maxPods: a.maxPods } : {}),
    ...(a.zones ? { availabilityZones: a.zones } : {}),
    enableEncryptionAtHost: Boolean(a.enableEncryptionAtHost),
    enableUltraSSD: Boolean(a.enableUltraSsd),
    enableFIPS: Boolean(a.enableFipsImage),
    ...(a.enableSecureBoot || a.enableVtpm ? { securityProfile: { enableVTPM: Boolean(a.enableVtpm), enableSecureBoot: Boolean(a.enableSecureBoot) } } : {}),
    ...(motd !== undefined ? { messageOfTheDay: motd } : {}),
    ...(a.gpuDriver !== undefined ? { gpuProfile: { driver: a.gpuDriver } } : {}),
  };
  return p;
}
