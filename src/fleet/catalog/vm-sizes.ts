/**
 * Azure VM sizes the emulator knows (SPEC C-5, T-4): vCPUs, memory, CPU architecture, the VM generations whose
 * images they boot, GPUs, and the cache and temporary ("resource") disk sizes that decide whether an ephemeral OS
 * disk fits. Figures follow the Azure size documentation (cache sizes are the documented max cached storage).
 */
export type Architecture = 'amd64' | 'arm64';
export type VmGeneration = 1 | 2;

export interface VmSize {
  name: string;
  vCPUs: number;
  memoryGiB: number;
  arch: Architecture;
  generations: VmGeneration[];
  gpus: number;
  gpuModel?: string;
  /** Max cached storage in GiB (0 when the size has no cache). */
  cacheDiskGiB: number;
  /** Temporary disk in GiB (0 for sizes without a local disk). */
  tempDiskGiB: number;
  premiumStorage: boolean;
}

const size = (
  name: string,
  vCPUs: number,
  memoryGiB: number,
  arch: Architecture,
  generations: VmGeneration[],
  cacheDiskGiB: number,
  tempDiskGiB: number,
  extra: Partial<VmSize> = {},
): VmSize => ({ name, vCPUs, memoryGiB, arch, generations, gpus: 0, cacheDiskGiB, tempDiskGiB, premiumStorage: true, ...extra });

export const VM_SIZES: VmSize[] = [
  // Standard_DS1_v2 and Standard_ND96asr_v4 are the sizes Azure's own AKS REST API examples use (SPEC P-4).
  size('Standard_DS1_v2', 1, 3.5, 'amd64', [1, 2], 43, 7),
  size('Standard_DS2_v2', 2, 7, 'amd64', [1, 2], 86, 14),
  size('Standard_DS3_v2', 4, 14, 'amd64', [1, 2], 172, 28),
  size('Standard_DS4_v2', 8, 28, 'amd64', [1, 2], 344, 56),
  size('Standard_D2_v2', 2, 7, 'amd64', [1, 2], 0, 100, { premiumStorage: false }),
  size('Standard_D2_v3', 2, 8, 'amd64', [1, 2], 0, 50, { premiumStorage: false }),
  size('Standard_D2s_v3', 2, 8, 'amd64', [1, 2], 50, 16),
  size('Standard_D4s_v3', 4, 16, 'amd64', [1, 2], 100, 32),
  size('Standard_D8s_v3', 8, 32, 'amd64', [1, 2], 200, 64),
  size('Standard_D2s_v5', 2, 8, 'amd64', [1, 2], 0, 0),
  size('Standard_D4s_v5', 4, 16, 'amd64', [1, 2], 0, 0),
  size('Standard_D2ds_v5', 2, 8, 'amd64', [1, 2], 0, 75),
  size('Standard_D4ds_v5', 4, 16, 'amd64', [1, 2], 0, 150),
  size('Standard_D8ds_v5', 8, 32, 'amd64', [1, 2], 0, 300),
  size('Standard_D2as_v5', 2, 8, 'amd64', [1, 2], 0, 0),
  size('Standard_D4as_v5', 4, 16, 'amd64', [1, 2], 0, 0),
  size('Standard_E4s_v3', 4, 32, 'amd64', [1, 2], 100, 64),
  size('Standard_F4s_v2', 4, 8, 'amd64', [1, 2], 64, 32),
  size('Standard_B2s', 2, 4, 'amd64', [1, 2], 0, 8),
  size('Standard_B4ms', 4, 16, 'amd64', [1, 2], 0, 32),
  size('Standard_A2_v2', 2, 4, 'amd64', [1], 0, 20, { premiumStorage: false }),
  size('Standard_D2ps_v5', 2, 8, 'arm64', [2], 0, 0),
  size('Standard_D4ps_v5', 4, 16, 'arm64', [2], 0, 0),
  size('Standard_D2pds_v5', 2, 8, 'arm64', [2], 0, 75),
  size('Standard_D4pds_v5', 4, 16, 'arm64', [2], 0, 150),
  size('Standard_NC6s_v3', 6, 112, 'amd64', [1, 2], 352, 736, { gpus: 1, gpuModel: 'NVIDIA Tesla V100' }),
  size('Standard_NC4as_T4_v3', 4, 28, 'amd64', [1, 2], 0, 180, { gpus: 1, gpuModel: 'NVIDIA Tesla T4' }),
  size('Standard_ND96asr_v4', 96, 900, 'amd64', [2], 0, 6000, { gpus: 8, gpuModel: 'NVIDIA A100 40GB' }),
  size('Standard_NV6', 6, 56, 'amd64', [1], 0, 340, { gpus: 1, gpuModel: 'NVIDIA Tesla M60', premiumStorage: false }),
];

export function findVmSize(name: string): VmSize | undefined {
  return VM_SIZES.find((s) => s.name.toLowerCase() === name.toLowerCase());
}

/** AKS boots Gen2 images on sizes that support them, Gen1 otherwise. */
export function preferredGeneration(s: VmSize): VmGeneration {
  return s.generations.includes(2) ? 2 : 1;
}
