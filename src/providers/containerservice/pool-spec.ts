/**
 * Agent pool requests → what the pool should be. `normalizePool` reads a pool's properties as a client sent them
 * (agentPools PUT body or one managed cluster agentPoolProfiles entry) and applies AKS defaults; `planPool` works
 * out the OS version, architecture, VM generation and node image it means. Neither writes anything: the rules
 * (rules/*.ts) judge the plan before any change is made.
 */
import { ArmError } from '../../arm/errors.js';
import { canonicalOsSku, defaultOsFor, fipsOsFor, OS_SKUS } from '../../fleet/catalog/os-versions.js';
import type { PoolInput, PoolMode, PoolPlan } from './pool-model.js';
import { vmProfileSizes } from './vm-profile.js';
import { latestImage, type NodeImage } from '../../fleet/catalog/node-images.js';
import { usesTrustedLaunchImage } from './rules/trusted-launch.js';
import { findVmSize, preferredGeneration, type Architecture, type VmGeneration } from '../../fleet/catalog/vm-sizes.js';

const bad = (target: string, message: string) => new ArmError(400, 'InvalidParameter', message, target);

function bool(v: unknown, target: string, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw bad(target, `The value of parameter ${target} must be true or false.`);
  return v;
}

function int(v: unknown, target: string, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(target, `The value of parameter ${target} must be an integer.`);
  return v;
}

function str(v: unknown, target: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(target, `The value of parameter ${target} must be a string.`);
  return v;
}

function oneOf<T extends string>(v: unknown, target: string, allowed: readonly T[], dflt: T): T {
  const s = str(v, target);
  if (s === undefined || s === '') return dflt;
  const found = allowed.find((a) => a.toLowerCase() === s.toLowerCase());
  if (!found) throw bad(target, `The value '${s}' of parameter ${target} is invalid. Allowed values: ${allowed.join(', ')}.`);
  return found;
}

function stringMap(v: unknown, target: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw bad(target, `The value of parameter ${target} must be an object of strings.`);
  }
  return { ...(v as Record<string, string>) };
}

const ZONES = ['1', '2', '3'];

/**
 * availabilityZones: a list of the region's zones, kept as sent; fixed once the pool exists, as AKS keeps it.
 * Undefined when the pool has none.
 */
function availabilityZones(pool: string, v: unknown, target: string, previous: string[] | undefined, updating: boolean): string[] | undefined {
  if (v === undefined || v === null) return previous;
  if (!Array.isArray(v) || v.some((z) => typeof z !== 'string')) throw bad(target, `The value of parameter ${target} must be an array of strings.`);
  const unknown = v.filter((z) => !ZONES.includes(z));
  if (unknown.length > 0) throw bad(target, `The availability zone(s) '${unknown.join(',')}' of agent pool '${pool}' are not supported: the supported zones are '${ZONES.join(',')}'.`);
  const zones = v.length > 0 ? [...new Set(v as string[])] : undefined;
  if (updating && JSON.stringify([...(zones ?? [])].sort()) !== JSON.stringify([...(previous ?? [])].sort())) {
    throw new ArmError(400, 'PropertyChangeNotAllowed', `Changing property '${target}' is not allowed.`, target);
  }
  return zones;
}

/** Reads a pool's properties (`p`) with AKS defaults; `dfltMode` is System for a cluster's first pool. */
export function normalizePool(name: string, p: Record<string, unknown>, dfltMode: PoolMode, previous?: PoolInput): PoolInput {
  const target = (f: string) => `agentPoolProfile.${f}`;
  const osType = oneOf(p.osType, target('osType'), ['Linux', 'Windows'] as const, previous?.osType ?? 'Linux');
  const osSkuRaw = str(p.osSKU, target('osSKU'));
  let osSku: string | undefined;
  if (osSkuRaw) {
    osSku = canonicalOsSku(osSkuRaw);
    if (!osSku) throw bad(target('osSKU'), `The value '${osSkuRaw}' of parameter agentPoolProfile.osSKU is invalid. Allowed values: ${Object.keys(OS_SKUS).join(', ')}.`);
    if (OS_SKUS[osSku] !== osType) throw bad(target('osSKU'), `OS SKU '${osSku}' is not valid for OS type '${osType}'.`);
  } else if (previous && previous.osType === osType) osSku = previous.osSku;
  const sp = (p.securityProfile ?? {}) as Record<string, unknown>;
  if (typeof sp !== 'object' || Array.isArray(sp)) throw bad(target('securityProfile'), 'The value of parameter agentPoolProfile.securityProfile must be an object.');
  const taints = p.nodeTaints ?? previous?.nodeTaints ?? [];
  if (!Array.isArray(taints) || taints.some((t) => typeof t !== 'string')) throw bad(target('nodeTaints'), 'The value of parameter agentPoolProfile.nodeTaints must be an array of strings.');
  const ps = p.powerState as { code?: unknown } | undefined;
  const motd = str(p.messageOfTheDay, target('messageOfTheDay'));
  const type = oneOf(p.type, target('type'), ['VirtualMachineScaleSets', 'AvailabilitySet', 'VirtualMachines'] as const, previous?.type ?? 'VirtualMachineScaleSets');
  // SPEC C-14: a VirtualMachines pool's sizes and counts come from its virtualMachinesProfile.
  const sizes = type === 'VirtualMachines' ? (vmProfileSizes(p.virtualMachinesProfile, target('virtualMachinesProfile')) ?? previous?.sizes) : undefined;
  const zones = availabilityZones(name, p.availabilityZones, target('availabilityZones'), previous?.availabilityZones, previous !== undefined);
  return {
    name,
    raw: p,
    count: sizes ? sizes.reduce((n, s) => n + s.count, 0) : int(p.count, target('count'), previous?.count ?? 3),
    vmSize: sizes ? sizes[0]!.size : str(p.vmSize, target('vmSize')) || previous?.vmSize || 'Standard_DS2_v2',
    ...(sizes ? { sizes } : {}),
    ...(zones ? { availabilityZones: zones } : {}),
    osType,
    ...(osSku ? { osSku } : {}),
    type,
    mode: oneOf(p.mode, target('mode'), ['System', 'User', 'Gateway'] as const, previous?.mode ?? dfltMode),
    orchestratorVersion: str(p.orchestratorVersion, target('orchestratorVersion')) ?? previous?.orchestratorVersion ?? '',
    enableFIPS: bool(p.enableFIPS, target('enableFIPS'), previous?.enableFIPS ?? false),
    ...(motd ? { messageOfTheDay: motd } : previous?.messageOfTheDay && p.messageOfTheDay === undefined ? { messageOfTheDay: previous.messageOfTheDay } : {}),
    maxPods: int(p.maxPods, target('maxPods'), previous?.maxPods ?? 110),
    osDiskSizeGB: int(p.osDiskSizeGB, target('osDiskSizeGB'), previous?.osDiskSizeGB ?? 128) || 128,
    osDiskType: oneOf(p.osDiskType, target('osDiskType'), ['Managed', 'Ephemeral'] as const, previous?.osDiskType ?? 'Managed'),
    nodeLabels: p.nodeLabels === undefined ? (previous?.nodeLabels ?? {}) : stringMap(p.nodeLabels, target('nodeLabels')),
    nodeTaints: [...(taints as string[])],
    powerState: ps && ps.code !== undefined ? oneOf(ps.code, target('powerState.code'), ['Running', 'Stopped'] as const, 'Running') : (previous?.powerState ?? 'Running'),
    securityProfile: {
      enableSecureBoot: bool(sp.enableSecureBoot, target('securityProfile.enableSecureBoot'), previous?.securityProfile.enableSecureBoot ?? false),
      enableVTPM: bool(sp.enableVTPM, target('securityProfile.enableVTPM'), previous?.securityProfile.enableVTPM ?? false),
    },
  };
}

/**
 * Works out OS, architecture, generation and image for a pool at Kubernetes version `k8s` and time `now`.
 * `previous` (updates): the image the pool runs and whether it was FIPS, which decide its Trusted Launch variant.
 */
export function planPool(input: PoolInput, k8s: string, now: Date, previous?: { image?: NodeImage; fips: boolean }): PoolPlan {
  const vmSize = findVmSize(input.vmSize);
  const arch: Architecture = vmSize?.arch ?? 'amd64';
  const generation: VmGeneration = vmSize ? preferredGeneration(vmSize) : 2;
  const defaultOs = defaultOsFor(input.osType, input.osSku, k8s);
  const plan: PoolPlan = { ...(vmSize ? { vmSize } : {}), arch, generation, trustedLaunch: false, ...(defaultOs ? { defaultOs } : {}) };
  // SPEC T-2: Trusted Launch compatible pools get a Trusted Launch image, Secure Boot and vTPM on or off.
  plan.trustedLaunch = usesTrustedLaunchImage(input, plan, k8s, previous);
  const trustedLaunch = plan.trustedLaunch;
  if (!defaultOs) return plan;
  if (input.enableFIPS && input.osType === 'Linux') {
    const f = fipsOsFor(input.osType, input.osSku, k8s, arch);
    if (!f) return plan;
    plan.os = f.os;
    if (f.fellBackFrom) plan.fipsFellBackFrom = f.fellBackFrom;
  } else {
    plan.os = defaultOs;
  }
  const os = plan.os!;
  const gen = os.generations.includes(generation) ? generation : os.generations[os.generations.length - 1]!;
  plan.generation = gen;
  // Windows FIPS pools share the Windows image set: FIPS is switched on by the registry (SPEC F-1, seed 000).
  const image = latestImage({ os: os.id, arch, generation: gen, fips: input.enableFIPS && input.osType === 'Linux', trustedLaunch }, now);
  if (image) plan.image = image;
  return plan;
}
