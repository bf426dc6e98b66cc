/**
 * The boot components of a Trusted Launch node image (SPEC T-5): shim, the boot loader (grub), the kernel, the
 * initrd and kernel modules, each a file signed by its publisher (signing.ts). As in the real chains: shim is signed
 * by the Microsoft UEFI CA (in db) and carries the distribution's CA as its vendor certificate; grub, the kernel,
 * the initrd and the in-tree modules are signed by the distribution; the NVIDIA driver a GPU pool installs is built
 * out of tree and is unsigned.
 *
 * File contents are deterministic (derived from the image, component and version), and RSA PKCS#1 v1.5 signatures
 * are deterministic too, so the same image always has the same bytes and measurements: the baselines of
 * attestation are a function of the image. A node's tampered components are derived from these (tamper()).
 */
import { createHash } from 'node:crypto';
import type { NodeImage } from '../fleet/catalog/node-images.js';
import type { AuthorityId, TrustedLaunchPki } from './pki.js';
import { appendSignature, signFile, splitSignedFile } from './signing.js';

export type ComponentKind = 'shim' | 'bootloader' | 'kernel' | 'initrd' | 'module';

export interface BootComponent {
  /** 'shim', 'bootloader', 'kernel', 'initrd' or 'module:<name>'. */
  id: string;
  kind: ComponentKind;
  /** Human name used in diagnostics and alerts, e.g. "kernel (/boot/vmlinuz-5.15.0-1079-azure)". */
  label: string;
  /** Where the file lives: an EFI path for EFI applications, a file system path otherwise. */
  path: string;
  version: string;
  /** Who signs the genuine file (undefined: shipped unsigned). */
  publisher?: AuthorityId;
  file: Buffer;
}

export interface OsBootProfile {
  family: 'ubuntu' | 'azurelinux';
  efiDir: string;
  shimVersion: string;
  grubVersion: string;
  /** The vendor certificate shim carries (trusted for everything after shim, and by the kernel for modules). */
  vendorCa: AuthorityId;
  /** The distribution's signing key (grub, kernel, initrd, modules). */
  signer: AuthorityId;
}

export const OS_BOOT_PROFILES: Record<OsBootProfile['family'], OsBootProfile> = {
  ubuntu: { family: 'ubuntu', efiDir: 'ubuntu', shimVersion: '15.8-0ubuntu1', grubVersion: '2.06-2ubuntu14.4', vendorCa: 'canonicalCa', signer: 'canonicalSigning' },
  azurelinux: { family: 'azurelinux', efiDir: 'azurelinux', shimVersion: '15.8-1.azl3', grubVersion: '2.06-21.azl3', vendorCa: 'azureLinuxCa', signer: 'azureLinuxSigning' },
};

export function bootProfileFor(image: Pick<NodeImage, 'os'>): OsBootProfile {
  return image.os.startsWith('ubuntu') ? OS_BOOT_PROFILES.ubuntu : OS_BOOT_PROFILES.azurelinux;
}

/** In-tree kernel modules every node loads (signed with the distribution's key). */
const IN_TREE_MODULES: Array<[string, string]> = [
  ['hv_vmbus', 'kernel/drivers/hv/hv_vmbus.ko'],
  ['hv_storvsc', 'kernel/drivers/scsi/hv_storvsc.ko'],
  ['hv_netvsc', 'kernel/drivers/net/hyperv/hv_netvsc.ko'],
  ['overlay', 'kernel/fs/overlayfs/overlay.ko'],
  ['nf_conntrack', 'kernel/net/netfilter/nf_conntrack.ko'],
];
export const GPU_DRIVER = { name: 'nvidia', version: '550.144.03', path: (kernel: string) => `/lib/modules/${kernel}/updates/dkms/nvidia.ko` };

/** Deterministic file bytes: a format magic, a readable header and filler derived from the identity. */
function fileBytes(magic: Buffer, identity: string, size: number): Buffer {
  const header = Buffer.from(`\n${identity}\n(aksemu emulated boot component)\n`, 'utf8');
  const blocks: Buffer[] = [magic, header];
  let len = magic.length + header.length;
  for (let i = 0; len < size; i++) {
    const b = createHash('sha256').update(`${identity}#${i}`).digest();
    blocks.push(b);
    len += b.length;
  }
  return Buffer.concat(blocks).subarray(0, size);
}

const MZ = Buffer.from('MZ\x90\x00', 'latin1');
const ELF = Buffer.from('\x7fELF\x02\x01\x01\x00', 'latin1');
const GZIP = Buffer.from([0x1f, 0x8b, 0x08, 0x00]);

export interface ComponentOptions {
  /** A GPU pool whose driver is installed by AKS (gpuProfile.driver Install): the unsigned NVIDIA module is on it. */
  gpuDriverInstalled: boolean;
}

const cache = new Map<string, BootComponent[]>();

/** The boot components of an image (cached: they depend only on the image and the instance's PKI). */
export function imageComponents(pki: TrustedLaunchPki, image: NodeImage, opts: ComponentOptions, pkiId: string): BootComponent[] {
  const key = `${pkiId}|${image.name}|${opts.gpuDriverInstalled}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const profile = bootProfileFor(image);
  const signer = (id: AuthorityId) => ({ cert: pki.get(id).cert, key: pki.get(id).key });
  const distro = signer(profile.signer);
  const k = image.kernel;
  const list: BootComponent[] = [
    {
      id: 'shim',
      kind: 'shim',
      label: `shim (\\EFI\\${profile.efiDir}\\shimx64.efi)`,
      path: `\\EFI\\${profile.efiDir}\\shimx64.efi`,
      version: profile.shimVersion,
      publisher: 'uefiCa',
      file: signFile(fileBytes(MZ, `shimx64.efi ${profile.shimVersion} vendor_cert=${pki.get(profile.vendorCa).subject}`, 4096), signer('uefiCa')),
    },
    {
      id: 'bootloader',
      kind: 'bootloader',
      label: `boot loader (\\EFI\\${profile.efiDir}\\grubx64.efi)`,
      path: `\\EFI\\${profile.efiDir}\\grubx64.efi`,
      version: profile.grubVersion,
      publisher: profile.signer,
      file: signFile(fileBytes(MZ, `grubx64.efi ${profile.grubVersion}`, 6144), distro),
    },
    {
      id: 'kernel',
      kind: 'kernel',
      label: `kernel (/boot/vmlinuz-${k})`,
      path: `/boot/vmlinuz-${k}`,
      version: k,
      publisher: profile.signer,
      file: signFile(fileBytes(MZ, `vmlinuz-${k}`, 16384), distro),
    },
    {
      id: 'initrd',
      kind: 'initrd',
      label: `initrd (/boot/initrd.img-${k})`,
      path: `/boot/initrd.img-${k}`,
      version: `${k} ${image.release}`,
      publisher: profile.signer,
      file: signFile(fileBytes(GZIP, `initrd.img-${k} for ${image.name}`, 12288), distro),
    },
    ...IN_TREE_MODULES.map(([name, rel]): BootComponent => ({
      id: `module:${name}`,
      kind: 'module',
      label: `kernel module ${name} (/lib/modules/${k}/${rel})`,
      path: `/lib/modules/${k}/${rel}`,
      version: k,
      publisher: profile.signer,
      file: signFile(fileBytes(ELF, `${name}.ko ${k}`, 2048), distro),
    })),
  ];
  if (opts.gpuDriverInstalled) list.push(gpuDriverComponent(k));
  cache.set(key, list);
  return list;
}

/** The NVIDIA driver as a GPU pool's driver install builds it: out of tree (DKMS), unsigned. */
export function gpuDriverComponent(kernel: string): BootComponent {
  return {
    id: `module:${GPU_DRIVER.name}`,
    kind: 'module',
    label: `GPU driver module ${GPU_DRIVER.name} ${GPU_DRIVER.version} (${GPU_DRIVER.path(kernel)})`,
    path: GPU_DRIVER.path(kernel),
    version: GPU_DRIVER.version,
    file: fileBytes(ELF, `nvidia.ko ${GPU_DRIVER.version} dkms for ${kernel}`, 4096),
  };
}

// ------------------------------------------------------------------------------------------------- tampering

export type TamperMode = 'modify' | 'unsigned' | 'untrusted-key' | 'revoked-key';
export const TAMPER_MODES: TamperMode[] = ['modify', 'unsigned', 'untrusted-key', 'revoked-key'];

export interface Tamper {
  component: string;
  mode: TamperMode;
  at: string;
}

/** Component names users may type, mapped to component ids. */
export const COMPONENT_ALIASES: Record<string, string> = {
  shim: 'shim',
  bootloader: 'bootloader',
  'boot-loader': 'bootloader',
  grub: 'bootloader',
  kernel: 'kernel',
  initrd: 'initrd',
  'gpu-driver': `module:${GPU_DRIVER.name}`,
  nvidia: `module:${GPU_DRIVER.name}`,
};

export function resolveComponentId(name: string): string | undefined {
  const n = name.toLowerCase();
  if (COMPONENT_ALIASES[n]) return COMPONENT_ALIASES[n];
  if (n.startsWith('module:')) return n;
  return undefined;
}

/** The content an attacker's change leaves: one patched byte range with an injected marker. */
function patched(content: Buffer): Buffer {
  const out = Buffer.from(content);
  const marker = Buffer.from('<<aksemu tamper: injected code>>', 'ascii');
  marker.copy(out, Math.max(0, Math.floor(out.length / 2) - marker.length));
  return out;
}

/** Applies a node's tampers to its image components (a tamper of a component the image lacks adds it). */
export function applyTampers(pki: TrustedLaunchPki, components: BootComponent[], tampers: Tamper[], kernel: string): BootComponent[] {
  if (tampers.length === 0) return components;
  const out = [...components];
  for (const t of tampers) {
    let i = out.findIndex((c) => c.id === t.component);
    if (i < 0) {
      if (t.component !== `module:${GPU_DRIVER.name}`) continue;
      out.push(gpuDriverComponent(kernel));
      i = out.length - 1;
    }
    const c = out[i]!;
    const { content, cms } = splitSignedFile(c.file);
    let file: Buffer;
    switch (t.mode) {
      case 'modify':
        file = cms ? appendSignature(patched(content), cms) : patched(content);
        break;
      case 'unsigned':
        file = c.kind === 'module' && !cms ? content : patched(content);
        break;
      case 'untrusted-key':
        file = signFile(patched(content), { cert: pki.get('untrusted').cert, key: pki.get('untrusted').key });
        break;
      case 'revoked-key':
        file = signFile(patched(content), { cert: pki.get('canonicalRevoked').cert, key: pki.get('canonicalRevoked').key, chain: [pki.get('canonicalCa').cert] });
        break;
    }
    out[i] = { ...c, file };
  }
  return out;
}
