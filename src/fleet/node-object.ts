/**
 * The Kubernetes Node object a node's "kubelet" registers (SPEC C-3, C-4, F-1): the standard AKS labels, the
 * feature labels, conditions, addresses, capacity from the VM size and nodeInfo from the booted image. Stored in
 * the cluster registry under `registryKey(uid, 'nodes', undefined, name)` with the stored-object conventions, so
 * the cluster's Kubernetes API serves it to kubectl.
 */
import { osById } from './catalog/os-versions.js';
import { findVmSize } from './catalog/vm-sizes.js';
import type { InstanceRecord, NodeModel, VmssSpec } from './model.js';
import type { KubeObject } from '../clusters/stored-object.js';

/** A v1 Node in its JSON wire form (timestamps are strings, unlike @kubernetes/client-node's Date fields). */
export type NodeObject = KubeObject & { spec: Record<string, unknown>; status: Record<string, any> };

/**
 * The labels AKS puts on a node (SPEC C-4), with the FIPS label (F-1) and the pool's own nodeLabels. A node of a zonal
 * pool is in `<region>-<zone>`, the scale set spreading instances over the zones in turn; others are in zone `0`.
 */
export function nodeLabels(spec: VmssSpec, inst: Pick<InstanceRecord, 'name' | 'instanceId' | 'quarantined'>, model: NodeModel): Record<string, string> {
  const os = model.osType === 'Windows' ? 'windows' : 'linux';
  const zones = model.zones ?? [];
  const zone = zones.length > 0 ? `${model.location}-${zones[inst.instanceId % zones.length]}` : '0';
  const labels: Record<string, string> = {
    ...model.nodeLabels,
    agentpool: spec.pool,
    'beta.kubernetes.io/arch': model.arch,
    'beta.kubernetes.io/instance-type': model.vmSize,
    'beta.kubernetes.io/os': os,
    'failure-domain.beta.kubernetes.io/region': model.location,
    'failure-domain.beta.kubernetes.io/zone': zone,
    'kubernetes.azure.com/agentpool': spec.pool,
    'kubernetes.azure.com/cluster': model.nodeResourceGroup,
    'kubernetes.azure.com/consolidated-additional-properties': '',
    'kubernetes.azure.com/kubelet-identity-client-id': model.kubeletIdentityClientId ?? '',
    'kubernetes.azure.com/mode': model.mode.toLowerCase(),
    'kubernetes.azure.com/node-image-version': model.image,
    'kubernetes.azure.com/nodepool-type': 'VirtualMachineScaleSets',
    'kubernetes.azure.com/os-sku': model.osSku,
    'kubernetes.azure.com/role': 'agent',
    'kubernetes.azure.com/storageprofile': 'managed',
    'kubernetes.azure.com/storagetier': 'Premium_LRS',
    'kubernetes.io/arch': model.arch,
    'kubernetes.io/hostname': inst.name,
    'kubernetes.io/os': os,
    'kubernetes.io/role': 'agent',
    'node-role.kubernetes.io/agent': '',
    'node.kubernetes.io/instance-type': model.vmSize,
    'storageprofile': 'managed',
    'storagetier': 'Premium_LRS',
    'topology.disk.csi.azure.com/zone': zones.length > 0 ? zone : '',
    'topology.kubernetes.io/region': model.location,
    'topology.kubernetes.io/zone': zone,
  };
  // SPEC F-1: FIPS nodes carry kubernetes.azure.com/fips_enabled=true.
  if (model.fips) labels['kubernetes.azure.com/fips_enabled'] = 'true';
  // SPEC T-3: vTPM nodes carry trusted-launch=true, Secure Boot nodes secure-boot=true, and both the security type
  // current AKS sets on Trusted Launch VMs.
  const tl = model.securityProfile;
  if (tl.enableVTPM) labels['kubernetes.azure.com/trusted-launch'] = 'true';
  if (tl.enableSecureBoot) labels['kubernetes.azure.com/secure-boot'] = 'true';
  if (tl.enableVTPM || tl.enableSecureBoot) labels['kubernetes.azure.com/security-type'] = 'TrustedLaunch';
  if (!labels['kubernetes.azure.com/kubelet-identity-client-id']) delete labels['kubernetes.azure.com/kubelet-identity-client-id'];
  // SPEC W-14: AKS's mark on a node its drain could not empty, under undrainableNodeBehavior 'Cordon'.
  if (inst.quarantined) labels['kubernetes.azure.com/upgrade-status'] = 'Quarantined';
  return labels;
}

function quantityKi(gib: number): string {
  return `${Math.round(gib * 1024 * 1024)}Ki`;
}

/**
 * The node as its kubelet reports it. `ready` false while the node is being reimaged (cordoned, kubelet down); an
 * instance being drained before its reimage is cordoned and still Ready (SPEC W-14).
 * `current` is the stored object (labels added by users, creation metadata are kept).
 */
export function buildNode(spec: VmssSpec, inst: InstanceRecord, now: string, ready: boolean, current?: NodeObject): NodeObject {
  const model = inst.model;
  const size = findVmSize(model.vmSize);
  const cpu = size?.vCPUs ?? 2;
  const memGiB = size?.memoryGiB ?? 8;
  const os = osById(model.os);
  const osName = model.osType === 'Windows' ? 'windows' : 'linux';
  const providerId = `azure:///subscriptions/${model.subscriptionId}/resourceGroups/${model.nodeResourceGroup.toLowerCase()}/providers/Microsoft.Compute/virtualMachineScaleSets/${spec.vmssName}/virtualMachines/${inst.instanceId}`;
  const aksLabels = nodeLabels(spec, inst, model);
  const previousLabels = current?.metadata.labels ?? {};
  // Keep labels users added; drop AKS feature labels that no longer apply (e.g. fips_enabled after disabling FIPS).
  const kept = Object.fromEntries(Object.entries(previousLabels).filter(([k]) => !k.startsWith('kubernetes.azure.com/') && !(k in aksLabels)));
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      ...(current?.metadata ?? {}),
      name: inst.name,
      labels: { ...kept, ...aksLabels },
      annotations: {
        ...(current?.metadata.annotations ?? {}),
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: {
      providerID: providerId,
      podCIDR: `10.244.${spec.ordinal * 16 + (inst.instanceId % 16)}.0/24`,
      podCIDRs: [`10.244.${spec.ordinal * 16 + (inst.instanceId % 16)}.0/24`],
      ...(ready && !inst.draining ? {} : { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: now }] }),
      ...(ready && model.nodeTaints.length > 0 ? { taints: [...(inst.draining ? [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: now }] : []), ...model.nodeTaints.map(parseTaint)] } : {}),
    },
    status: {
      capacity: { cpu: String(cpu), memory: quantityKi(memGiB), pods: String(model.maxPods), 'ephemeral-storage': '129886128Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0' },
      allocatable: {
        cpu: `${cpu * 1000 - 100 - cpu * 10}m`,
        memory: quantityKi(Math.max(0.5, memGiB * 0.75 - 0.75)),
        pods: String(model.maxPods),
        'ephemeral-storage': '119703055367',
        'hugepages-1Gi': '0',
        'hugepages-2Mi': '0',
      },
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        ready
          ? condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')
          : condition('Ready', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status: the node is being reimaged.'),
      ],
      addresses: [
        { type: 'InternalIP', address: inst.privateIp },
        { type: 'Hostname', address: inst.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: inst.facts?.bootId.replace(/-/g, '') ?? '',
        systemUUID: inst.facts?.bootId ?? '',
        bootID: inst.facts?.bootId ?? '',
        kernelVersion: model.kernel,
        osImage: os.osImage,
        containerRuntimeVersion: 'containerd://1.7.27-1',
        kubeletVersion: `v${model.kubernetesVersion}`,
        kubeProxyVersion: `v${model.kubernetesVersion}`,
        operatingSystem: osName,
        architecture: model.arch,
      },
    },
  };
}

function parseTaint(t: string): { key: string; value?: string; effect: string } {
  const [kv, effect = 'NoSchedule'] = t.split(':');
  const [key, value] = kv!.split('=');
  return { key: key!, ...(value !== undefined ? { value } : {}), effect };
}
