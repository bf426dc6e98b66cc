/**
 * The fleet's records (all in the store, docs/architecture.md, "all state lives in the store"):
 *
 *   /fleet/<uid>/vmss/<pool>/spec            VmssSpec: what the pool should look like (written by the provider)
 *   /fleet/<uid>/vmss/<pool>/status          VmssStatus: what the controller has reached (written by the controller)
 *   /fleet/<uid>/instances/<pool>/<000042>   InstanceRecord: one VM of the scale set, its image, boot state, facts
 *
 * Spec and status are separate keys so that the provider and the controller never contend for one document.
 */
import type { OsId, OsType } from './catalog/os-versions.js';
import type { Architecture, VmGeneration } from './catalog/vm-sizes.js';

/** What every node of a pool is built from. Changing a field of `ReimageKey` reimages the nodes (SPEC C-5). */
export interface NodeModel {
  subscriptionId: string;
  clusterName: string;
  /** The node resource group (MC_...). */
  nodeResourceGroup: string;
  location: string;
  osType: OsType;
  /** The `kubernetes.azure.com/os-sku` label value. */
  osSku: string;
  os: OsId;
  /** Full node image version, e.g. AKSUbuntu-2204gen2containerd-202502.03.0. */
  image: string;
  kernel: string;
  arch: Architecture;
  generation: VmGeneration;
  vmSize: string;
  /** Patch version, e.g. 1.33.5. */
  kubernetesVersion: string;
  mode: 'System' | 'User' | 'Gateway';
  fips: boolean;
  /** Base64 message of the day (Linux only, SPEC C-6). */
  messageOfTheDay?: string;
  maxPods: number;
  nodeLabels: Record<string, string>;
  nodeTaints: string[];
  /** The pool's availability zones ('1', '2', '3'): its nodes are spread over them by instance id. */
  zones?: string[];
  /** Trusted Launch switches (src/trustedlaunch gives them their mechanics). */
  securityProfile: { enableSecureBoot: boolean; enableVTPM: boolean };
  /** GPU sizes only: whether AKS installs the GPU driver (`gpuProfile.driver`, default Install; SPEC T-4). */
  gpuDriver?: 'Install' | 'None';
  kubeletIdentityClientId?: string;
  /** `Microsoft.ContainerService/managedClusters` id of the owning cluster. */
  clusterId: string;
}

/** The model of the instance at `position` among a pool's live instances (its VM size, SPEC C-14). */
export function modelAt(spec: Pick<VmssSpec, 'model' | 'sizes'>, position: number): NodeModel {
  if (!spec.sizes) return spec.model;
  let left = position;
  for (const s of spec.sizes) {
    if (left < s.count) return s.size === spec.model.vmSize ? spec.model : { ...spec.model, vmSize: s.size };
    left -= s.count;
  }
  return spec.model;
}

/** The fields whose change needs a new OS disk: a different image, Kubernetes version, FIPS, MOTD or boot security. */
export function reimageKey(m: NodeModel): string {
  return JSON.stringify([m.image, m.kubernetesVersion, m.fips, m.messageOfTheDay ?? '', m.securityProfile.enableSecureBoot, m.securityProfile.enableVTPM]);
}

export interface VmssSpec {
  uid: string;
  pool: string;
  /** `aks-<pool>-<8 digits>-vmss` (Linux) — the VM scale set in the node resource group. */
  vmssName: string;
  /** Bumped by every change; the controller reports the generation it has reached. */
  generation: number;
  capacity: number;
  powerState: 'Running' | 'Stopped';
  deleting: boolean;
  /** Position of the pool in its cluster (for node IP addresses). */
  ordinal: number;
  model: NodeModel;
  /** upgradeSettings.drainTimeoutInMinutes: how long a node's drain may take before the operation fails (AKS: 30). */
  drainTimeoutMinutes?: number;
  /** upgradeSettings.maxSurge ("5" or "33%"): surge nodes added for a rollout (rollout.ts; absent: AKS's 10%). */
  maxSurge?: string;
  /** upgradeSettings.maxUnavailable ("1" or "10%"): old nodes rebuilt at a time beyond the surge nodes (absent: 0). */
  maxUnavailable?: string;
  /** upgradeSettings.nodeSoakDurationInMinutes: how long a drained node waits, cordoned, before its reimage. */
  nodeSoakMinutes?: number;
  /**
   * upgradeSettings.undrainableNodeBehavior 'Cordon': a node whose drain times out stays cordoned and quarantined, a
   * surge node kept in its place (rollout.ts). Absent: AKS's default 'Schedule', the node is made schedulable again.
   */
  undrainableNodeBehavior?: 'Cordon';
  /**
   * Pools of several VM sizes (AKS's VirtualMachines pools): the live instances in instance order run the first
   * size for its count, then the next; the model's vmSize is the first. Absent: every instance runs the model's.
   */
  sizes?: Array<{ size: string; count: number }>;
  /**
   * The generation of a node image upgrade: while the pool works on it, every instance whose OS disk is no longer
   * what the image laid down (an OsDiskCheck says so) is reimaged too, even when its image is already the newest
   * (SPEC T-7). Later generations carry an older number here, so they leave modified disks alone.
   */
  osDiskRefreshGeneration?: number;
}

/** Why the pool's last operation did not succeed; `canceled` ends it Canceled instead of Failed (AKS's wording). */
export interface PoolFailure {
  code: string;
  message: string;
  canceled?: boolean;
}

export interface VmssStatus {
  observedGeneration: number;
  /** True when the controller has nothing left to do for `observedGeneration` (successfully or not). */
  settled: boolean;
  failure?: PoolFailure;
  nextInstanceId: number;
  updatedAt: string;
}

export type InstanceState = 'Creating' | 'Running' | 'Reimaging' | 'Failed' | 'Deallocated';

export interface NodeFacts {
  hostname: string;
  osType: OsType;
  osImage: string;
  kernel: string;
  arch: Architecture;
  image: string;
  fipsEnabled: boolean;
  openssl: '1.1.1' | '3.0';
  /** Files a shell on the node can read (Linux), path → content. */
  files: Record<string, string>;
  /** Registry values (Windows): key → value name → { type, data }. */
  registry: Record<string, Record<string, { type: 'REG_DWORD' | 'REG_SZ'; data: string | number }>>;
  /** Trusted Launch state, filled in by boot hooks; 'unsupported' on Gen1 VMs. */
  secureBoot: 'enabled' | 'disabled' | 'unsupported';
  vtpm: boolean;
  bootId: string;
  bootedAt: string;
}

export interface InstanceRecord {
  pool: string;
  instanceId: number;
  /** The node (computer) name. */
  name: string;
  state: InstanceState;
  /** The model the OS disk was last built from. */
  model: NodeModel;
  /** While Creating or Reimaging: the model being applied, and when (emulated ms) it is done. */
  target?: NodeModel;
  readyAt?: number;
  createdAt: string;
  bootCount: number;
  privateIp: string;
  facts?: NodeFacts;
  /** Why the last boot failed, and for which pool generation. */
  failure?: { code: string; message: string; generation: number };
  /** The node image upgrade (pool generation) that last rebuilt this instance's modified OS disk: once per upgrade. */
  osDiskRefreshedFor?: number;
  /**
   * Being drained before a reimage or, a surge node, before its removal (SPEC W-14): cordoned since `sinceMs`
   * (emulated) for pool generation `generation`; empty since `emptyAtMs` (its soak, SPEC C-16); `refreshOsDisk`:
   * reimaged because its OS disk was modified (SPEC T-7).
   */
  draining?: { generation: number; sinceMs: number; emptyAtMs?: number; refreshOsDisk?: boolean };
  /** A surge node (SPEC C-16): added for a rollout, not counted in the pool's count, deleted when the rollout ends. */
  surge?: boolean;
  /**
   * Left cordoned by a drain that timed out under undrainableNodeBehavior 'Cordon' (SPEC W-14): its Node carries
   * `kubernetes.azure.com/upgrade-status: Quarantined` until a later rollout reimages it.
   */
  quarantined?: boolean;
}

export const fleetPrefix = (uid: string) => `/fleet/${uid}/`;
export const vmssSpecKey = (uid: string, pool: string) => `/fleet/${uid}/vmss/${pool}/spec`;
export const vmssStatusKey = (uid: string, pool: string) => `/fleet/${uid}/vmss/${pool}/status`;
export const instancesPrefix = (uid: string, pool: string) => `/fleet/${uid}/instances/${pool}/`;
export const instanceKey = (uid: string, pool: string, id: number) => `${instancesPrefix(uid, pool)}${String(id).padStart(6, '0')}`;
