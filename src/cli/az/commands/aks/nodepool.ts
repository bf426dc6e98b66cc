/**
 * `aksemu aks nodepool add|update|show|list|delete|upgrade`: agent pools (SPEC C-2, F-1, F-6, T-1, T-2, C-6) as
 * az drives them: add checks the name against the cluster's pools then PUTs the pool; update GETs the pool,
 * applies the flags (FIPS on/off, Secure Boot / vTPM on/off, labels, taints, ...) and PUTs it back.
 */
import { API } from '../../api-versions.js';
import { AzCliError, ValidationError } from '../../framework/errors.js';
import type { CommandContext, Session } from '../../framework/context.js';
import type { ArgSpec, CommandSpec } from '../../framework/spec.js';
import { parseTags, resourceGroupArg } from '../common-args.js';
import { azFlattened } from '../shape.js';
import { clusterPath, motdFor } from './aks.js';
import { newPoolProperties, OS_SKUS_UPDATE, poolArgs } from './pool-body.js';
import { exclusive, normalizeKubernetesVersion, parseLabels, parseTaints, validateCounts, validateMaxSurge, validateNodepoolName } from './validators.js';

/** az prints an agent pool flattened; the pool's own `type` (VMSS...) becomes typePropertiesType. */
export const poolOutput = (p: unknown) => azFlattened(p, { type: 'typePropertiesType' });

/** az's _aks_agentpool_table_format. */
const POOL_TABLE = '{name: name, osType: osType, kubernetesVersion: orchestratorVersion, vmSize: vmSize, osDiskSizeGB: osDiskSizeGB, count: count, maxPods: maxPods, provisioningState: provisioningState, mode: mode}';

const clusterArg: ArgSpec = { dest: 'clusterName', options: ['--cluster-name'], required: true, help: 'The cluster name.' };
const poolNameArg: ArgSpec = { dest: 'nodepoolName', options: ['--nodepool-name', '--name', '-n'], required: true, help: 'The node pool name.' };
const poolsPath = (s: Session, a: Record<string, any>) => `${clusterPath(s.subscriptionId, a.resourceGroup, a.clusterName)}/agentPools`;
const poolPath = (s: Session, a: Record<string, any>) => `${poolsPath(s, a)}/${encodeURIComponent(a.nodepoolName)}`;

async function putPool(ctx: CommandContext, s: Session, a: Record<string, any>, properties: Record<string, unknown>, headers?: Record<string, string>): Promise<unknown> {
  const result = await s.arm.lro('PUT', poolPath(s, a), {
    apiVersion: API.managedClusters,
    body: { properties },
    ...(headers ? { headers } : {}),
    noWait: ctx.noWait,
    progress: ctx.progress(),
  });
  return result === undefined ? undefined : poolOutput(result);
}

async function requirePool(s: Session, a: Record<string, any>): Promise<void> {
  const pools = await s.arm.list<{ name: string }>(poolsPath(s, a), API.managedClusters);
  if (!pools.some((p) => p.name.toLowerCase() === String(a.nodepoolName).toLowerCase())) {
    throw new AzCliError(`Node pool ${a.nodepoolName} doesnt exist, use 'aks nodepool list' to get current node pool list`);
  }
}

/** Flags `aks nodepool update` acts on; az refuses an update without any of them. */
const UPDATE_FLAGS = [
  'enableClusterAutoscaler', 'disableClusterAutoscaler', 'updateClusterAutoscaler', 'minCount', 'maxCount', 'labels', 'tags', 'nodeTaints', 'maxSurge',
  'mode', 'scaleDownMode', 'osSku', 'enableFipsImage', 'disableFipsImage', 'enableSecureBoot', 'disableSecureBoot', 'enableVtpm', 'disableVtpm', 'gpuDriver',
  'undrainableNodeBehavior',
];

/** SPEC W-14: what a pool's upgrade does with a node its drain cannot empty (az's --undrainable-node-behavior). */
const undrainableArg = (defaultValue?: string) => ({
  dest: 'undrainableNodeBehavior',
  options: ['--undrainable-node-behavior'],
  choices: ['Cordon', 'Schedule'],
  ...(defaultValue ? { default: defaultValue } : {}),
  help: 'Define the behavior for undrainable nodes during upgrade. The value should be "Cordon" or "Schedule". The default value is "Schedule".',
});

export const nodepoolCommands: CommandSpec[] = [
  {
    path: 'aks nodepool add',
    summary: 'Add a node pool to the managed Kubernetes cluster.',
    args: [
      resourceGroupArg(),
      clusterArg,
      poolNameArg,
      { dest: 'kubernetesVersion', options: ['--kubernetes-version', '-k'], help: 'Version of Kubernetes to use for creating the cluster, such as "1.7.12" or "1.8.7".' },
      { dest: 'osType', options: ['--os-type'], help: 'The OS Type. Linux or Windows. Windows not supported yet for "VirtualMachines" VM set type.' },
      { dest: 'mode', options: ['--mode'], choices: ['System', 'User', 'Gateway'], default: 'User', help: 'The mode for a node pool which defines a node pool\'s primary function. If set as "System", AKS prefers system pods scheduling to node pools with mode `System`.' },
      { dest: 'priority', options: ['--priority'], choices: ['Regular', 'Spot'], help: 'The priority of the node pool.' },
      { dest: 'maxSurge', options: ['--max-surge'], help: 'Extra nodes used to speedup upgrade. When specified, it represents the number or percent used, eg. 5 or 33%.' },
      undrainableArg('Schedule'),
      ...poolArgs('plain'),
    ],
    noWait: true,
    examples: [
      { name: 'Create a nodepool with EncryptionAtHost enabled.', text: 'az aks nodepool add -g MyResourceGroup -n nodepool1 --cluster-name MyManagedCluster --enable-encryption-at-host' },
      { name: 'Create a nodepool with UltraSSD enabled.', text: 'az aks nodepool add -g MyResourceGroup -n nodepool1 --cluster-name MyManagedCluster --enable-ultra-ssd' },
      { name: 'Create a nodepool cluster with a specific OS SKU', text: 'az aks nodepool add -g MyResourceGroup -n nodepool1 --cluster-name MyManagedCluster --os-sku Ubuntu' },
    ],
    async run(ctx, a) {
      validateNodepoolName(a.nodepoolName);
      validateMaxSurge(a.maxSurge);
      const k8s = normalizeKubernetesVersion(a.kubernetesVersion);
      // The OS type is taken as given (az does not restrict --os-type on add); the service judges it.
      const osType = a.osType ?? 'Linux';
      motdFor(a.messageOfTheDay, a.osType);
      const props = newPoolProperties(a, { cluster: false, mode: a.mode, osType, kubernetesVersion: k8s });
      if (a.priority === 'Spot') Object.assign(props, { scaleSetPriority: 'Spot', scaleSetEvictionPolicy: 'Delete', spotMaxPrice: -1 });
      // The current az asks new pools to keep scheduling on nodes that cannot be drained unless told otherwise
      // (its default), and says how the autoscaler removes nodes.
      props.upgradeSettings = { ...(a.maxSurge !== undefined ? { maxSurge: a.maxSurge } : {}), undrainableNodeBehavior: a.undrainableNodeBehavior ?? 'Schedule' };
      props.scaleDownMode = a.scaleDownMode ?? 'Delete';
      const s = await ctx.session();
      const pools = await s.arm.list<{ name: string }>(poolsPath(s, a), API.managedClusters);
      if (pools.some((p) => p.name === a.nodepoolName)) {
        throw new ValidationError(`Node pool ${a.nodepoolName} already exists, please try a different name, use 'aks nodepool list' to get current list of node pool`);
      }
      return putPool(ctx, s, a, props);
    },
  },
  {
    path: 'aks nodepool update',
    summary: 'Update a node pool properties.',
    args: [
      resourceGroupArg(),
      clusterArg,
      poolNameArg,
      { dest: 'enableClusterAutoscaler', options: ['--enable-cluster-autoscaler', '-e'], kind: 'flag', help: 'Enable cluster autoscaler.' },
      { dest: 'disableClusterAutoscaler', options: ['--disable-cluster-autoscaler', '-d'], kind: 'flag', help: 'Disable cluster autoscaler.' },
      { dest: 'updateClusterAutoscaler', options: ['--update-cluster-autoscaler', '-u'], kind: 'flag', help: 'Update min-count or max-count for cluster autoscaler.' },
      { dest: 'minCount', options: ['--min-count'], kind: 'int', help: 'Minimum nodes count used for autoscaler, when "--enable-cluster-autoscaler" specified. Please specify the value in the range of [0, 1000]' },
      { dest: 'maxCount', options: ['--max-count'], kind: 'int', help: 'Maximum nodes count used for autoscaler, when "--enable-cluster-autoscaler" specified. Please specify the value in the range of [0, 1000]' },
      { dest: 'labels', options: ['--labels'], kind: 'list', allowEmpty: true, help: 'The node labels for the node pool. See https://aka.ms/node-labels for syntax of labels.' },
      { dest: 'tags', options: ['--tags'], kind: 'list', allowEmpty: true, help: 'The tags of the node pool.' },
      { dest: 'nodeTaints', options: ['--node-taints'], help: 'The node taints for the node pool. You can\'t change the node taints through CLI after the node pool is created.' },
      { dest: 'maxSurge', options: ['--max-surge'], help: 'Extra nodes used to speedup upgrade. When specified, it represents the number or percent used, eg. 5 or 33%.' },
      { dest: 'mode', options: ['--mode'], choices: ['System', 'User', 'Gateway'], help: 'The mode for a node pool which defines a node pool\'s primary function.' },
      undrainableArg(),
      { dest: 'scaleDownMode', options: ['--scale-down-mode'], choices: ['Delete', 'Deallocate'], help: 'Describes how VMs are added to or removed from nodepools.' },
      { dest: 'osSku', options: ['--os-sku'], choices: OS_SKUS_UPDATE, help: 'The os-sku of the agent node pool.' },
      { dest: 'enableFipsImage', options: ['--enable-fips-image'], kind: 'flag', help: 'Switch to use FIPS-enabled OS on agent nodes.' },
      { dest: 'disableFipsImage', options: ['--disable-fips-image'], kind: 'flag', help: 'Switch to use non-FIPS-enabled OS on agent nodes.' },
      { dest: 'enableSecureBoot', options: ['--enable-secure-boot'], kind: 'flag', help: 'Enable Secure Boot on an existing Trusted Launch enabled agent pool. Must use VMSS agent pool type.' },
      { dest: 'disableSecureBoot', options: ['--disable-secure-boot'], kind: 'flag', help: 'Disable Secure Boot on an existing Trusted Launch enabled agent pool.' },
      { dest: 'enableVtpm', options: ['--enable-vtpm'], kind: 'flag', help: 'Enable vTPM on an existing Trusted Launch enabled agent pool. Must use VMSS agent pool type.' },
      { dest: 'disableVtpm', options: ['--disable-vtpm'], kind: 'flag', help: 'Disable vTPM on an existing Trusted Launch enabled agent pool.' },
      { dest: 'gpuDriver', options: ['--gpu-driver'], choices: ['Install', 'None'], help: 'Whether to install driver for GPU node pool. Possible values are "Install" or "None".' },
    ],
    noWait: true,
    examples: [{ name: 'Enable FIPS on an existing node pool.', text: 'az aks nodepool update --resource-group myResourceGroup --cluster-name myAKSCluster --name np --enable-fips-image' }],
    async run(ctx, a) {
      validateNodepoolName(a.nodepoolName);
      validateCounts(a);
      validateMaxSurge(a.maxSurge);
      exclusive(a, 'enableFipsImage', 'disableFipsImage', '--enable-fips-image', '--disable-fips-image');
      exclusive(a, 'enableSecureBoot', 'disableSecureBoot', '--enable-secure-boot', '--disable-secure-boot');
      exclusive(a, 'enableVtpm', 'disableVtpm', '--enable-vtpm', '--disable-vtpm');
      const autoscaleFlags = [a.enableClusterAutoscaler, a.disableClusterAutoscaler, a.updateClusterAutoscaler].filter(Boolean).length;
      if (autoscaleFlags > 1) {
        throw new ValidationError('Can only specify one of "--enable-cluster-autoscaler", "--disable-cluster-autoscaler" and "--update-cluster-autoscaler" at the same time.');
      }
      if (!UPDATE_FLAGS.some((f) => ctx.given(f))) {
        throw new AzCliError(
          'Please specify one or more of "--enable-cluster-autoscaler" or "--disable-cluster-autoscaler" or "--update-cluster-autoscaler" or "--tags" or "--mode" or "--max-surge" or "--scale-down-mode" or "--node-taints" or "--labels" or "--os-sku" or "--enable-fips-image" or "--disable-fips-image" or "--enable-secure-boot" or "--disable-secure-boot" or "--enable-vtpm" or "--disable-vtpm"',
        );
      }
      const labels = parseLabels(a.labels);
      const taints = parseTaints(a.nodeTaints);
      const s = await ctx.session();
      const pool = await s.arm.get<Record<string, any>>(poolPath(s, a), API.managedClusters);
      const p: Record<string, any> = { ...(pool.properties ?? {}) };
      if (a.enableClusterAutoscaler || a.updateClusterAutoscaler) {
        if (a.minCount === undefined || a.maxCount === undefined) throw new ValidationError('Please specify both min-count and max-count when --enable-cluster-autoscaler enabled');
        if (a.minCount > a.maxCount) throw new ValidationError('Value of min-count should be less than or equal to value of max-count');
        if (a.enableClusterAutoscaler && p.enableAutoScaling) {
          ctx.warn('Autoscaler is already enabled for this node pool.\nPlease run "az aks nodepool update --update-cluster-autoscaler" if you want to update min-count or max-count.');
          return undefined;
        }
        if (a.updateClusterAutoscaler && !p.enableAutoScaling) throw new ValidationError('Cluster autoscaler is not enabled for this node pool.\nRun "az aks nodepool update --enable-cluster-autoscaler" to enable cluster with min-count and max-count.');
        Object.assign(p, { enableAutoScaling: true, minCount: a.minCount, maxCount: a.maxCount });
      } else if (a.disableClusterAutoscaler) {
        Object.assign(p, { enableAutoScaling: false, minCount: null, maxCount: null });
      } else if (a.minCount !== undefined || a.maxCount !== undefined) {
        throw new ValidationError('min-count and max-count are required for --enable-cluster-autoscaler or --update-cluster-autoscaler, please use the flag');
      }
      if (labels !== undefined) p.nodeLabels = labels;
      if (a.tags !== undefined) p.tags = parseTags(a.tags);
      if (taints !== undefined) p.nodeTaints = taints;
      if (a.maxSurge !== undefined) p.upgradeSettings = { ...(p.upgradeSettings ?? {}), maxSurge: a.maxSurge };
      if (a.undrainableNodeBehavior !== undefined) p.upgradeSettings = { ...(p.upgradeSettings ?? {}), undrainableNodeBehavior: a.undrainableNodeBehavior };
      if (a.mode !== undefined) p.mode = a.mode;
      if (a.scaleDownMode !== undefined) p.scaleDownMode = a.scaleDownMode;
      if (a.osSku !== undefined) p.osSKU = a.osSku;
      // SPEC F-6: switch between the FIPS and the non-FIPS image of the pool's OS SKU (the service reimages).
      if (a.enableFipsImage) p.enableFIPS = true;
      if (a.disableFipsImage) p.enableFIPS = false;
      // SPEC T-2: Secure Boot and vTPM on an existing Trusted Launch pool.
      if (a.enableSecureBoot || a.disableSecureBoot) p.securityProfile = { ...(p.securityProfile ?? {}), enableSecureBoot: Boolean(a.enableSecureBoot) };
      if (a.enableVtpm || a.disableVtpm) p.securityProfile = { ...(p.securityProfile ?? {}), enableVTPM: Boolean(a.enableVtpm) };
      if (a.gpuDriver !== undefined) p.gpuProfile = { ...(p.gpuProfile ?? {}), driver: a.gpuDriver };
      return putPool(ctx, s, a, p);
    },
  },
  {
    path: 'aks nodepool show',
    summary: 'Show the details for a node pool in the managed Kubernetes cluster.',
    args: [resourceGroupArg(), clusterArg, poolNameArg],
    tableTransformer: POOL_TABLE,
    async run(ctx, a) {
      const s = await ctx.session();
      return poolOutput(await s.arm.get(poolPath(s, a), API.managedClusters));
    },
  },
  {
    path: 'aks nodepool list',
    summary: 'List node pools in the managed Kubernetes cluster. To get list of nodes in cluster run `kubectl get nodes` command.',
    args: [resourceGroupArg(), clusterArg],
    tableTransformer: `[].${POOL_TABLE}`,
    async run(ctx, a) {
      const s = await ctx.session();
      return (await s.arm.list(poolsPath(s, a), API.managedClusters)).map(poolOutput);
    },
  },
  {
    path: 'aks nodepool delete',
    summary: 'Delete the agent pool in the managed Kubernetes cluster.',
    args: [resourceGroupArg(), clusterArg, poolNameArg, { dest: 'ignorePdb', options: ['--ignore-pod-disruption-budget', '-i'], kind: 'flag', help: 'Delete an existing nodepool without considering Pod Disruption Budget.' }],
    noWait: true,
    async run(ctx, a) {
      const s = await ctx.session();
      await requirePool(s, a);
      await s.arm.lro('DELETE', poolPath(s, a) + (a.ignorePdb ? '?ignore-pod-disruption-budget=true' : ''), { apiVersion: API.managedClusters, noWait: ctx.noWait, progress: ctx.progress() });
      return undefined;
    },
  },
  {
    path: 'aks nodepool upgrade',
    summary: 'Upgrade the node pool in a managed Kubernetes cluster.',
    args: [
      resourceGroupArg(),
      clusterArg,
      poolNameArg,
      { dest: 'kubernetesVersion', options: ['--kubernetes-version', '-k'], help: 'Version of Kubernetes to upgrade the node pool to, such as "1.16.9".' },
      { dest: 'nodeImageOnly', options: ['--node-image-only'], kind: 'flag', help: 'Only upgrade agent pool\'s node image.' },
      { dest: 'maxSurge', options: ['--max-surge'], help: 'Extra nodes used to speedup upgrade. When specified, it represents the number or percent used, eg. 5 or 33%.' },
      { dest: 'snapshotId', options: ['--snapshot-id'], help: 'The source snapshot id used to upgrade this nodepool.' },
      { dest: 'yes', options: ['--yes', '-y'], kind: 'flag', help: 'Do not prompt for confirmation.' },
    ],
    noWait: true,
    async run(ctx, a) {
      validateMaxSurge(a.maxSurge);
      const k8s = normalizeKubernetesVersion(a.kubernetesVersion) ?? '';
      if (k8s !== '' && a.nodeImageOnly) {
        throw new AzCliError('Conflicting flags. Upgrading the Kubernetes version will also upgrade node image version. If you only want to upgrade the node version please use the "--node-image-only" option only.');
      }
      if (a.maxSurge && a.nodeImageOnly) {
        throw new ValidationError('Conflicting flags. Unable to specify max-surge with node-image-only.If you want to use max-surge with a node image upgrade, please first update max-surge using "az aks nodepool update --max-surge".');
      }
      const s = await ctx.session();
      const headers = a.snapshotId ? { AKSSnapshotId: a.snapshotId } : undefined;
      if (a.nodeImageOnly) {
        const result = await s.arm.lro('POST', `${poolPath(s, a)}/upgradeNodeImageVersion`, { apiVersion: API.managedClusters, ...(headers ? { headers } : {}), noWait: ctx.noWait, progress: ctx.progress() });
        return result === undefined ? undefined : poolOutput(result);
      }
      const pool = await s.arm.get<Record<string, any>>(poolPath(s, a), API.managedClusters);
      const p: Record<string, any> = { ...(pool.properties ?? {}) };
      if (k8s !== '' || p.orchestratorVersion === k8s) {
        let msg = 'The new kubernetes version is the same as the current kubernetes version.';
        if (p.provisioningState === 'Succeeded') msg = `The cluster is already on version ${p.orchestratorVersion} and is not in a failed state. No operations will occur when upgrading to the same version if the cluster is not in a failed state.`;
        else if (p.provisioningState === 'Failed') msg = `Cluster currently in failed state. Proceeding with upgrade to existing version ${p.orchestratorVersion} to attempt resolution of failed cluster state.`;
        if (!a.yes) await ctx.confirm(msg);
      }
      p.orchestratorVersion = k8s;
      p.upgradeSettings = { ...(p.upgradeSettings ?? {}), ...(a.maxSurge ? { maxSurge: a.maxSurge } : {}) };
      return putPool(ctx, s, a, p, headers);
    },
  },
];
