/**
 * What a node pool is to the rules and the service: the settings a client asked for after defaults (PoolInput) and
 * what they mean at a Kubernetes version and a date (PoolPlan). Types only, so pool-spec.ts (which builds them) and
 * rules/*.ts (which judge them) both sit above this file.
 */
import type { OsType, OsVersion } from '../../fleet/catalog/os-versions.js';
import type { NodeImage } from '../../fleet/catalog/node-images.js';
import type { Architecture, VmGeneration, VmSize } from '../../fleet/catalog/vm-sizes.js';

export type PoolMode = 'System' | 'User' | 'Gateway';

/** A pool's desired settings after defaults. `raw` keeps every property the client sent (echoed back). */
export interface PoolInput {
  name: string;
  raw: Record<string, unknown>;
  count: number;
  vmSize: string;
  osType: OsType;
  osSku?: string;
  type: 'VirtualMachineScaleSets' | 'AvailabilitySet' | 'VirtualMachines';
  mode: PoolMode;
  /** As requested ('' = the cluster's version). */
  orchestratorVersion: string;
  enableFIPS: boolean;
  messageOfTheDay?: string;
  maxPods: number;
  osDiskSizeGB: number;
  osDiskType: 'Managed' | 'Ephemeral';
  nodeLabels: Record<string, string>;
  nodeTaints: string[];
  powerState: 'Running' | 'Stopped';
  securityProfile: { enableSecureBoot: boolean; enableVTPM: boolean };
  /** availabilityZones: the zones of the region ('1', '2', '3') the pool's nodes are spread over; none = no zone. */
  availabilityZones?: string[];
  /** VirtualMachines pools: how many nodes of each size (vm-profile.ts); `count` is their sum, `vmSize` the first. */
  sizes?: Array<{ size: string; count: number }>;
}

/** What a pool input means at a given Kubernetes version and time. */
export interface PoolPlan {
  vmSize?: VmSize;
  arch: Architecture;
  generation: VmGeneration;
  /** The OS the pool will run: for FIPS pools after the F-3 fallback; undefined when none fits. */
  os?: OsVersion;
  /** SPEC F-3: the default OS version a FIPS pool fell back from. */
  fipsFellBackFrom?: OsVersion;
  /** The non-FIPS OS the SKU means (what the rules compare against). */
  defaultOs?: OsVersion;
  /** Whether the pool runs a Trusted Launch image variant (SPEC T-2; not whether Secure Boot / vTPM are on). */
  trustedLaunch: boolean;
  /** The node image a new node gets now, when one exists. */
  image?: NodeImage;
}
