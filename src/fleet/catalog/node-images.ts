/**
 * Node images (SPEC C-5, F-5): one image per OS version × architecture × VM generation × FIPS × Trusted Launch,
 * each with its own release train. FIPS images are released on their own cycle, so their version strings and
 * kernels differ from the default images of the same OS (F-5); FIPS packages change only with a node image upgrade.
 *
 * Names follow AKS: AKSUbuntu-2204gen2containerd-202502.03.0, AKSUbuntu-2004gen2fipscontainerd-202502.24.0,
 * AKSAzureLinux-V3gen2arm64fips-..., AKSUbuntu-2204gen2TLcontainerd-..., AKSWindows-2022-containerd-20348.3207.250214.
 */
import { osById, OS_VERSIONS, retirementAt, type OsId, type OsVersion } from './os-versions.js';
import type { Architecture, VmGeneration } from './vm-sizes.js';

export interface ImageVariant {
  os: OsId;
  arch: Architecture;
  generation: VmGeneration;
  fips: boolean;
  trustedLaunch: boolean;
}

export interface NodeImage extends ImageVariant {
  /** The full node image version, as `nodeImageVersion` and the node label show it. */
  name: string;
  /** The release part, e.g. 202502.03.0 or 20348.3207.250214. */
  release: string;
  releasedOn: string;
  kernel: string;
  /** Index of the release in its train (0 = oldest). */
  index: number;
}

/** Release dates of the default Linux images. */
const LINUX_TRAIN = ['2021-06-10', '2022-03-14', '2023-05-15', '2024-04-09', '2025-02-03', '2025-09-12', '2026-03-09', '2026-09-14'];
/** FIPS images ship on their own, later cycle (F-5). */
const FIPS_TRAIN = ['2021-06-24', '2022-04-04', '2023-06-05', '2024-05-06', '2025-02-24', '2025-10-06', '2026-04-06', '2026-10-05'];
/** Windows images follow Patch Tuesday. */
const WINDOWS_TRAIN = ['2021-06-08', '2022-03-08', '2023-05-09', '2024-04-09', '2025-02-11', '2025-09-09', '2026-03-10', '2026-09-08'];

const WINDOWS_BUILD: Partial<Record<OsId, number>> = { windows2019: 17763, windows2022: 20348, windows2025: 26100 };

function trainFor(v: ImageVariant): string[] {
  if (osById(v.os).osType === 'Windows') return WINDOWS_TRAIN;
  return v.fips ? FIPS_TRAIN : LINUX_TRAIN;
}

function kernelFor(os: OsVersion, fips: boolean, index: number): string {
  const template = (fips && os.kernel.fips) || os.kernel.default;
  const base: Record<string, number> = { '5.4.0': 1080, '4.15.0': 2010, '5.15.0': 1040, '6.8.0': 1012, '6.14.0': 1003, '5.15': 140, '6.6': 52, '10.0.17763': 5900, '10.0.20348': 2400, '10.0.26100': 2000 };
  const key = Object.keys(base).find((k) => template.startsWith(`${k}.`) || template.startsWith(`${k}-`)) ?? '';
  // FIPS kernels are a different build from the default ones (F-5): they trail by a few releases.
  const n = (base[key] ?? 1) + index * 7 + (fips ? 3 : 0);
  return template.replace('{n}', String(n));
}

function releaseString(v: ImageVariant, date: string, index: number): string {
  const [y, m, d] = date.split('-');
  const build = WINDOWS_BUILD[v.os];
  if (build !== undefined) return `${build}.${2400 + index * 170}.${y!.slice(2)}${m}${d}`;
  return `${y}${m}.${d}.0`;
}

export function imageName(v: ImageVariant, release: string): string {
  const os = osById(v.os);
  if (os.osType === 'Windows') return `${os.imagePrefix}-containerd-${release}`;
  const gen = v.generation === 2 ? 'gen2' : '';
  const arch = v.arch === 'arm64' ? 'arm64' : '';
  const tl = v.trustedLaunch ? 'TL' : '';
  const fips = v.fips ? 'fips' : '';
  if (v.os.startsWith('ubuntu')) return `${os.imagePrefix}${gen}${arch}${tl}${fips}containerd-${release}`;
  return `${os.imagePrefix}${gen}${arch}${tl}${fips}-${release}`;
}

/** Whether an image variant exists at all (independent of dates). */
export function variantExists(v: ImageVariant): boolean {
  const os = osById(v.os);
  if (!os.architectures.includes(v.arch) || !os.generations.includes(v.generation)) return false;
  if (v.arch === 'arm64' && v.generation !== 2) return false;
  if (v.fips && (!os.fips || (v.arch === 'arm64' && !os.fips.arm64))) return false;
  // Windows FIPS pools share the Windows image set: FIPS is a registry setting, not another image.
  if (v.fips && os.osType === 'Windows') return false;
  if (v.trustedLaunch && (!os.trustedLaunch || v.generation !== 2 || v.fips || v.arch === 'arm64')) return false;
  return true;
}

/** Every release of a variant, oldest first (empty when the variant does not exist). */
export function releasesOf(v: ImageVariant): NodeImage[] {
  if (!variantExists(v)) return [];
  const os = osById(v.os);
  const stop = os.retirement?.noUpdatesFrom ?? os.retirement?.removedFrom;
  return trainFor(v)
    .map((date, index) => ({ date, index }))
    .filter(({ date }) => !stop || date < stop)
    .map(({ date, index }) => {
      const release = releaseString(v, date, index);
      return { ...v, name: imageName(v, release), release, releasedOn: date, kernel: kernelFor(os, v.fips, index), index };
    });
}

/**
 * The image a new node of this variant gets at `now`: the newest release out by then (the oldest one when the
 * clock stands before the first release). Undefined when the variant does not exist or its OS is retired (C-7).
 */
export function latestImage(v: ImageVariant, now: Date): NodeImage | undefined {
  const all = releasesOf(v);
  if (all.length === 0 || retirementAt(osById(v.os), now) === 'removed') return undefined;
  const day = now.toISOString().slice(0, 10);
  const out = all.filter((r) => r.releasedOn <= day);
  return out[out.length - 1] ?? all[0];
}

/** Finds an image by its full name (e.g. from a stored pool), or undefined. */
export function imageByName(name: string): NodeImage | undefined {
  for (const os of OS_VERSIONS) {
    for (const arch of os.architectures) {
      for (const generation of os.generations) {
        for (const fips of [false, true]) {
          for (const trustedLaunch of [false, true]) {
            const found = releasesOf({ os: os.id, arch, generation, fips, trustedLaunch }).find((r) => r.name === name);
            if (found) return found;
          }
        }
      }
    }
  }
  return undefined;
}

/** Every image variant that exists, for listings and tests. */
export function allVariants(): ImageVariant[] {
  const out: ImageVariant[] = [];
  for (const os of OS_VERSIONS) {
    for (const arch of os.architectures) {
      for (const generation of os.generations) {
        for (const fips of [false, true]) {
          for (const trustedLaunch of [false, true]) {
            const v = { os: os.id, arch, generation, fips, trustedLaunch };
            if (variantExists(v)) out.push(v);
          }
        }
      }
    }
  }
  return out;
}
