/**
 * Node operating systems as data (SPEC C-5, C-7, F-3, F-4): which OS version an OS SKU means for a Kubernetes
 * version, which variants exist (architecture, VM generation, FIPS, Trusted Launch), the kernels, and the
 * retirement dates that are evaluated against the emulator's clock.
 */
import { compareVersions } from './kubernetes-versions.js';
import type { Architecture, VmGeneration } from './vm-sizes.js';

export type OsType = 'Linux' | 'Windows';
export type OsId =
  | 'ubuntu1804'
  | 'ubuntu2004'
  | 'ubuntu2204'
  | 'ubuntu2404'
  | 'ubuntu2604'
  | 'azurelinux2'
  | 'cblmariner2'
  | 'azurelinux3'
  | 'azurecontainerlinux3'
  | 'windows2019'
  | 'windows2022'
  | 'windows2025';

export interface Retirement {
  /** From this day the OS gets no security updates (no new node image releases); pools keep working. */
  noUpdatesFrom?: string;
  /** From this day its images are removed: no new pools, no scaling (SPEC C-7). */
  removedFrom: string;
  /** What the user should do instead (used in the error message). */
  migrate: string;
}

export interface OsVersion {
  id: OsId;
  osType: OsType;
  /** What `kubernetes.azure.com/os-sku` says on the nodes. */
  osSkuLabel: string;
  /** Human name used in messages, e.g. "Ubuntu 22.04". */
  displayName: string;
  /** `status.nodeInfo.osImage`. */
  osImage: string;
  /** Prefix of node image names, e.g. AKSUbuntu-2204. */
  imagePrefix: string;
  architectures: Architecture[];
  generations: VmGeneration[];
  /** FIPS-validated image variant; `minKubernetes` when it exists only from some Kubernetes version on. */
  fips: false | { minKubernetes?: string; arm64: boolean };
  trustedLaunch: boolean;
  openssl: '1.1.1' | '3.0';
  /** Kubernetes versions (minors) this OS is offered for: [min, maxExclusive). */
  kubernetes: { min?: string; maxExclusive?: string };
  retirement?: Retirement;
  /** Kernel release strings; the release index is appended where a template has `{n}`. */
  kernel: { default: string; fips?: string };
}

export const OS_VERSIONS: OsVersion[] = [
  {
    id: 'ubuntu1804', osType: 'Linux', osSkuLabel: 'Ubuntu', displayName: 'Ubuntu 18.04', osImage: 'Ubuntu 18.04.6 LTS',
    imagePrefix: 'AKSUbuntu-1804', architectures: ['amd64'], generations: [1, 2], fips: { arm64: false }, trustedLaunch: false,
    openssl: '1.1.1', kubernetes: { maxExclusive: '1.25' },
    // SPEC C-7: unsupported from 2025-06-17; images removed, pools cannot scale.
    retirement: { removedFrom: '2025-06-17', migrate: 'upgrade the node pool to a supported Kubernetes version (1.25 or later) to move to a supported Ubuntu version' },
    kernel: { default: '5.4.0-{n}-azure', fips: '4.15.0-{n}-azure-fips' },
  },
  {
    // Ubuntu 20.04 exists on AKS as the FIPS fallback image only (SPEC F-3).
    id: 'ubuntu2004', osType: 'Linux', osSkuLabel: 'Ubuntu', displayName: 'Ubuntu 20.04', osImage: 'Ubuntu 20.04.6 LTS',
    imagePrefix: 'AKSUbuntu-2004', architectures: ['amd64'], generations: [1, 2], fips: { arm64: false }, trustedLaunch: false,
    openssl: '1.1.1', kubernetes: { min: '1.19' },
    // SPEC C-7: unsupported from 2027-03-17; migrate by upgrading to Kubernetes 1.34+.
    retirement: { removedFrom: '2027-03-17', migrate: 'upgrade the node pool to Kubernetes 1.34 or later to move to a supported Ubuntu version' },
    kernel: { default: '5.4.0-{n}-azure', fips: '5.4.0-{n}-azure-fips' },
  },
  {
    id: 'ubuntu2204', osType: 'Linux', osSkuLabel: 'Ubuntu', displayName: 'Ubuntu 22.04', osImage: 'Ubuntu 22.04.5 LTS',
    imagePrefix: 'AKSUbuntu-2204', architectures: ['amd64', 'arm64'], generations: [1, 2],
    // SPEC F-3: "22.04 does not currently support FIPS" — the 22.04 FIPS image came with Kubernetes 1.34, which is
    // why C-7 tells 20.04 (FIPS) users to upgrade to 1.34+.
    fips: { minKubernetes: '1.34', arm64: false }, trustedLaunch: true, openssl: '3.0', kubernetes: { min: '1.25' },
    kernel: { default: '5.15.0-{n}-azure', fips: '5.15.0-{n}-azure-fips' },
  },
  {
    id: 'ubuntu2404', osType: 'Linux', osSkuLabel: 'Ubuntu', displayName: 'Ubuntu 24.04', osImage: 'Ubuntu 24.04.2 LTS',
    imagePrefix: 'AKSUbuntu-2404', architectures: ['amd64', 'arm64'], generations: [2], fips: false, trustedLaunch: true,
    openssl: '3.0', kubernetes: { min: '1.32' }, kernel: { default: '6.8.0-{n}-azure' },
  },
  {
    id: 'ubuntu2604', osType: 'Linux', osSkuLabel: 'Ubuntu', displayName: 'Ubuntu 26.04', osImage: 'Ubuntu 26.04 LTS',
    imagePrefix: 'AKSUbuntu-2604', architectures: ['amd64', 'arm64'], generations: [2], fips: false, trustedLaunch: false,
    openssl: '3.0', kubernetes: { min: '1.36' }, kernel: { default: '6.14.0-{n}-azure' },
  },
  {
    id: 'azurelinux2', osType: 'Linux', osSkuLabel: 'AzureLinux', displayName: 'Azure Linux 2.0', osImage: 'CBL-Mariner/Linux',
    imagePrefix: 'AKSAzureLinux-V2', architectures: ['amd64', 'arm64'], generations: [1, 2], fips: { arm64: false }, trustedLaunch: true,
    openssl: '1.1.1', kubernetes: { min: '1.25', maxExclusive: '1.32' },
    // SPEC C-7: no security updates from 2025-11-30; images removed from 2026-03-31.
    retirement: {
      noUpdatesFrom: '2025-11-30',
      removedFrom: '2026-03-31',
      migrate: "migrate to osSku AzureLinux3 or upgrade the node pool to a supported Kubernetes version (1.32 or later) to move to Azure Linux 3.0",
    },
    kernel: { default: '5.15.{n}.1-1.cm2', fips: '5.15.{n}.1-1.cm2' },
  },
  {
    id: 'cblmariner2', osType: 'Linux', osSkuLabel: 'CBLMariner', displayName: 'CBL-Mariner 2.0 (Azure Linux 2.0)', osImage: 'CBL-Mariner/Linux',
    imagePrefix: 'AKSCBLMariner-V2', architectures: ['amd64', 'arm64'], generations: [1, 2], fips: { arm64: false }, trustedLaunch: false,
    openssl: '1.1.1', kubernetes: { min: '1.19', maxExclusive: '1.32' },
    retirement: {
      noUpdatesFrom: '2025-11-30',
      removedFrom: '2026-03-31',
      migrate: 'migrate to osSku AzureLinux3 or upgrade the node pool to a supported Kubernetes version (1.32 or later) to move to Azure Linux 3.0',
    },
    kernel: { default: '5.15.{n}.1-1.cm2', fips: '5.15.{n}.1-1.cm2' },
  },
  {
    // SPEC F-4: the only OS with Arm64 FIPS images.
    id: 'azurelinux3', osType: 'Linux', osSkuLabel: 'AzureLinux', displayName: 'Azure Linux 3.0', osImage: 'Microsoft Azure Linux 3.0',
    imagePrefix: 'AKSAzureLinux-V3', architectures: ['amd64', 'arm64'], generations: [1, 2], fips: { arm64: true }, trustedLaunch: true,
    openssl: '3.0', kubernetes: { min: '1.28' }, kernel: { default: '6.6.{n}.1-1.azl3', fips: '6.6.{n}.1-1.azl3' },
  },
  {
    id: 'azurecontainerlinux3', osType: 'Linux', osSkuLabel: 'AzureContainerLinux', displayName: 'Azure Container Linux', osImage: 'Azure Container Linux 3.0',
    imagePrefix: 'AKSAzureContainerLinux-V3', architectures: ['amd64', 'arm64'], generations: [2], fips: false, trustedLaunch: false,
    openssl: '3.0', kubernetes: { min: '1.34' }, kernel: { default: '6.6.{n}.1-1.azl3' },
  },
  {
    id: 'windows2019', osType: 'Windows', osSkuLabel: 'Windows2019', displayName: 'Windows Server 2019', osImage: 'Windows Server 2019 Datacenter',
    // AKS builds its Windows Server 2019/2022 node images for Gen1 VMs; Windows Server 2025 is Gen2.
    imagePrefix: 'AKSWindows-2019', architectures: ['amd64'], generations: [1], fips: { arm64: false }, trustedLaunch: false,
    openssl: '3.0', kubernetes: { maxExclusive: '1.33' }, kernel: { default: '10.0.17763.{n}' },
  },
  {
    id: 'windows2022', osType: 'Windows', osSkuLabel: 'Windows2022', displayName: 'Windows Server 2022', osImage: 'Windows Server 2022 Datacenter',
    imagePrefix: 'AKSWindows-2022', architectures: ['amd64'], generations: [1], fips: { arm64: false }, trustedLaunch: false,
    openssl: '3.0', kubernetes: { min: '1.23' }, kernel: { default: '10.0.20348.{n}' },
  },
  {
    id: 'windows2025', osType: 'Windows', osSkuLabel: 'Windows2025', displayName: 'Windows Server 2025', osImage: 'Windows Server 2025 Datacenter',
    imagePrefix: 'AKSWindows-2025', architectures: ['amd64'], generations: [2], fips: false, trustedLaunch: false,
    openssl: '3.0', kubernetes: { min: '1.32' }, kernel: { default: '10.0.26100.{n}' },
  },
];

export function osById(id: OsId): OsVersion {
  return OS_VERSIONS.find((o) => o.id === id)!;
}

/** The OS SKUs the API accepts (AKS's `osSKU` enum), with the OS type they belong to. */
export const OS_SKUS: Record<string, OsType> = {
  Ubuntu: 'Linux',
  Ubuntu2204: 'Linux',
  Ubuntu2404: 'Linux',
  Ubuntu2604: 'Linux',
  AzureLinux: 'Linux',
  AzureLinux3: 'Linux',
  CBLMariner: 'Linux',
  Mariner: 'Linux',
  AzureContainerLinux: 'Linux',
  Windows2019: 'Windows',
  Windows2022: 'Windows',
  Windows2025: 'Windows',
};

/** Canonical casing of an OS SKU (the API compares case-insensitively). */
export function canonicalOsSku(value: string): string | undefined {
  return Object.keys(OS_SKUS).find((k) => k.toLowerCase() === value.toLowerCase());
}

const atLeast = (v: string, min: string) => compareVersions(v, min) >= 0;

/** Whether an OS is offered for a Kubernetes version at all. */
export function osOfferedFor(os: OsVersion, k8s: string): boolean {
  return (!os.kubernetes.min || atLeast(k8s, os.kubernetes.min)) && (!os.kubernetes.maxExclusive || !atLeast(k8s, os.kubernetes.maxExclusive));
}

/**
 * The OS version an OS SKU means for a Kubernetes version (the recommended, non-FIPS choice). `osSku` undefined
 * means the OS type's default SKU (Ubuntu for Linux).
 */
export function defaultOsFor(osType: OsType, osSku: string | undefined, k8s: string): OsVersion | undefined {
  const sku = osSku ?? (osType === 'Linux' ? 'Ubuntu' : undefined);
  switch (sku) {
    case 'Ubuntu':
      return osById(!atLeast(k8s, '1.25') ? 'ubuntu1804' : !atLeast(k8s, '1.35') ? 'ubuntu2204' : 'ubuntu2404');
    case 'Ubuntu2204':
      return osById('ubuntu2204');
    case 'Ubuntu2404':
      return osById('ubuntu2404');
    case 'Ubuntu2604':
      return osById('ubuntu2604');
    case 'AzureLinux':
      return osById(atLeast(k8s, '1.32') ? 'azurelinux3' : 'azurelinux2');
    case 'AzureLinux3':
      return osById('azurelinux3');
    case 'CBLMariner':
    case 'Mariner':
      return osById(atLeast(k8s, '1.32') ? 'azurelinux3' : 'cblmariner2');
    case 'AzureContainerLinux':
      return osById('azurecontainerlinux3');
    case 'Windows2019':
      return osById('windows2019');
    case 'Windows2022':
      return osById('windows2022');
    case 'Windows2025':
      return osById('windows2025');
    case undefined:
      // Windows pools without an OS SKU: Windows Server 2019 before Kubernetes 1.25, 2022 from then on.
      return osById(atLeast(k8s, '1.25') ? 'windows2022' : 'windows2019');
    default:
      return undefined;
  }
}

/** Whether an OS has a FIPS image for this Kubernetes version and architecture. */
export function hasFipsImage(os: OsVersion, k8s: string, arch: Architecture): boolean {
  if (!os.fips) return false;
  if (os.fips.minKubernetes && !atLeast(k8s, os.fips.minKubernetes)) return false;
  return arch === 'arm64' ? os.fips.arm64 : true;
}

/** OS SKUs whose pools can be FIPS-enabled (SPEC F-3's table: Ubuntu, Azure Linux, Windows Server 2019/2022). */
export const FIPS_OS_SKUS = ['Ubuntu', 'AzureLinux', 'AzureLinux3', 'CBLMariner', 'Mariner', 'Windows2019', 'Windows2022'];

/**
 * SPEC F-3: the OS version of a FIPS pool. When the default Ubuntu version has no FIPS image, AKS falls back to the
 * newest Ubuntu version that has one (22.04 → 20.04 before Kubernetes 1.34; 24.04 → 22.04 after). Returns the
 * chosen OS and, when it fell back, the default it replaced; undefined when no FIPS image fits.
 */
export function fipsOsFor(osType: OsType, osSku: string | undefined, k8s: string, arch: Architecture): { os: OsVersion; fellBackFrom?: OsVersion } | undefined {
  const preferred = defaultOsFor(osType, osSku, k8s);
  if (!preferred) return undefined;
  if (hasFipsImage(preferred, k8s, arch)) return { os: preferred };
  const sku = osSku ?? (osType === 'Linux' ? 'Ubuntu' : undefined);
  if (sku !== 'Ubuntu') return undefined;
  const ubuntus: OsId[] = ['ubuntu2404', 'ubuntu2204', 'ubuntu2004', 'ubuntu1804'];
  for (const id of ubuntus) {
    const os = osById(id);
    if (os !== preferred && compareUbuntu(os, preferred) < 0 && hasFipsImage(os, k8s, arch) && osOfferedFor(os, k8s)) return { os, fellBackFrom: preferred };
  }
  return undefined;
}

function compareUbuntu(a: OsVersion, b: OsVersion): number {
  return Number(a.imagePrefix.slice(-4)) - Number(b.imagePrefix.slice(-4));
}

/** The retirement state of an OS at `now` (SPEC C-7). */
export function retirementAt(os: OsVersion, now: Date): 'supported' | 'no-updates' | 'removed' {
  const r = os.retirement;
  if (!r) return 'supported';
  const t = now.getTime();
  if (t >= Date.parse(`${r.removedFrom}T00:00:00Z`)) return 'removed';
  if (r.noUpdatesFrom && t >= Date.parse(`${r.noUpdatesFrom}T00:00:00Z`)) return 'no-updates';
  return 'supported';
}
