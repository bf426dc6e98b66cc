/**
 * One boot of a Trusted Launch node (SPEC T-5, T-6): UEFI firmware → shim → grub → kernel (+ initrd) → kernel
 * modules. Each stage measures what it is about to run into the vTPM's SHA-256 PCRs (and logs the event) and, with
 * Secure Boot on, verifies its signature first; the boot halts at the first component that is unsigned, signed by
 * an untrusted key, revoked or modified, and the node never comes up. Kernel modules that fail validation are
 * blocked (lockdown) while the node stays up. Without Secure Boot nothing is enforced (an unsigned module loads and
 * taints the kernel), but everything is still measured, which is what attestation catches.
 *
 * What is measured where (TCG PC Client PFP; what Hyper-V's firmware, shim and grub log on Azure):
 *   PCR0 firmware version and code   PCR1 boot variables   PCR4 every EFI application (shim, grub, kernel)
 *   PCR5 GPT, ExitBootServices       PCR7 SecureBoot/PK/KEK/db/dbx, separator, the authorities used
 *   PCR8 grub commands, kernel command line   PCR9 kernel and initrd files   PCR14 shim's MOK lists
 */
import { createHash } from 'node:crypto';
import type { NodeImage } from '../fleet/catalog/node-images.js';
import { bootProfileFor, type BootComponent } from './components.js';
import {
  EFI_GUID,
  fileDevicePath,
  firmwareBlob,
  gptEvent,
  imageLoadEvent,
  loadOption,
  signatureData,
  uefiVariableData,
} from './efi.js';
import type { TrustedLaunchPki } from './pki.js';
import { firmwareTrust, kernelModuleTrust, secureBootVariables, shimTrust, verifyFile, type TrustStore, type Verdict } from './secure-boot.js';
import { imageHash } from './signing.js';
import { EV, extend, type LogEvent } from './tcg-log.js';
import { PCR_COUNT } from './tpm2.js';

export const FIRMWARE_VERSION = 'Hyper-V UEFI Release v4.1';
/** The TPM's firmwareVersion (u64) in quotes. */
export const TPM_FIRMWARE_VERSION = 0x2020_0001_0000_0000n;

const ESP = { number: 1, startLba: 2048, sizeLba: 1048576 - 2048 - 1, guid: '4c3c1b6a-8f7e-4d2b-9a61-0b5f0f6f2a11' };

export interface BootInput {
  image: NodeImage;
  secureBoot: boolean;
  /** The files on this node's OS disk (the image's, with any tampering applied). */
  components: BootComponent[];
  /** The kernel command line grub passes (what /proc/cmdline shows, without BOOT_IMAGE=). */
  kernelArgs: string;
  pki: TrustedLaunchPki;
}

export interface BootStep {
  stage: 'firmware' | 'shim' | 'grub' | 'kernel';
  component: string;
  label: string;
  /** Measured digest (PCR4 image hash, or PCR9 file hash for the initrd). */
  digest: string;
  verification: 'verified' | 'failed' | 'not enforced (Secure Boot off)';
  signer?: string;
  trustedBy?: string;
  detail?: string;
}

export interface ModuleLoad {
  component: string;
  name: string;
  label: string;
  loaded: boolean;
  /** Why a module failed validation (loaded anyway without Secure Boot, blocked with it). */
  failure?: { reason: string; detail: string };
}

export interface BootResult {
  events: LogEvent[];
  pcrs: Buffer[];
  steps: BootStep[];
  halted?: { component: string; label: string; stage: BootStep['stage']; reason: string; detail: string };
  modules: ModuleLoad[];
  /** The serial console as boot diagnostics show it. */
  serial: string[];
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest();
const utf16z = (s: string) => Buffer.from(`${s}\0`, 'utf16le');

class Measurements {
  readonly events: LogEvent[] = [];
  readonly pcrs: Buffer[] = Array.from({ length: PCR_COUNT }, () => Buffer.alloc(32));
  /** Extends `digest` into `pcr` and logs the event (TPM2_PCR_Extend + the log entry). */
  measure(pcr: number, type: number, data: Buffer, digest: Buffer = sha256(data)): void {
    this.pcrs[pcr] = extend(this.pcrs[pcr]!, digest);
    this.events.push({ pcr, type, digest, data });
  }
}

function verdictText(v: Verdict): string {
  return v.ok ? `verified (signed by '${v.signer}', trusted through '${v.anchor}')` : `${v.reason.toUpperCase()}: ${v.detail}`;
}

/** Runs one boot; deterministic for a given input (so baselines can be computed the same way). */
export function measuredBoot(input: BootInput): BootResult {
  const { pki, secureBoot, image } = input;
  const profile = bootProfileFor(image);
  const m = new Measurements();
  const serial: string[] = [];
  const steps: BootStep[] = [];
  const modules: ModuleLoad[] = [];
  const byId = new Map(input.components.map((c) => [c.id, c]));
  const log = (line: string) => serial.push(line);

  // ---- UEFI firmware (SEC/PEI/DXE): the CRTM measures itself, then the configuration.
  log(`${FIRMWARE_VERSION} (aksemu)`);
  m.measure(0, EV.S_CRTM_VERSION, utf16z(FIRMWARE_VERSION));
  const firmwareCode = sha256(`${FIRMWARE_VERSION} firmware volume`);
  m.measure(0, EV.EFI_PLATFORM_FIRMWARE_BLOB, firmwareBlob(0xfff00000n, 0x100000), firmwareCode);
  // PK authorizes KEK, KEK authorizes db/dbx: the stored databases must carry those authorizations.
  const configValid = pki.get('kek').cert.verify(pki.get('pk').cert.publicKey) && pki.get('uefiCa').cert.verify(pki.get('kek').cert.publicKey);
  const enforcing = secureBoot && configValid;
  if (secureBoot && !configValid) log('SecureBoot: the KEK or db is not authorized by PK/KEK; Secure Boot is not enforced');
  const vars = secureBootVariables(pki, enforcing);
  const global = EFI_GUID.globalVariable;
  const security = EFI_GUID.imageSecurityDatabase;
  for (const [name, guid] of [['SecureBoot', global], ['PK', global], ['KEK', global], ['db', security], ['dbx', security]] as const) {
    m.measure(7, EV.EFI_VARIABLE_DRIVER_CONFIG, uefiVariableData(guid, name, vars[name]));
  }
  log(`SecureBoot: ${enforcing ? 'enabled' : 'disabled'}; PK '${pki.get('pk').subject.split(',')[0]!.slice(3)}', db holds '${pki.get('uefiCa').subject.split(',')[0]!.slice(3)}'`);
  const shim = byId.get('shim');
  const bootPath = fileDevicePath(ESP, shim?.path ?? `\\EFI\\${profile.efiDir}\\shimx64.efi`);
  const bootOrder = Buffer.alloc(2);
  bootOrder.writeUInt16LE(1);
  m.measure(1, EV.EFI_VARIABLE_BOOT, uefiVariableData(global, 'BootOrder', bootOrder), sha256(bootOrder));
  const boot0001 = loadOption(profile.family === 'ubuntu' ? 'ubuntu' : 'azurelinux', bootPath);
  m.measure(1, EV.EFI_VARIABLE_BOOT, uefiVariableData(global, 'Boot0001', boot0001), sha256(boot0001));
  m.measure(4, EV.EFI_ACTION, Buffer.from('Calling EFI Application from Boot Option', 'ascii'));
  for (const pcr of [0, 1, 2, 3, 4, 5, 6, 7]) m.measure(pcr, EV.SEPARATOR, Buffer.alloc(4));
  m.measure(5, EV.EFI_GPT_EVENT, gptEvent(diskGuid(image.name), 62914559, [
    { type: EFI_GUID.efiSystemPartition, guid: ESP.guid, startLba: ESP.startLba, endLba: ESP.startLba + ESP.sizeLba, name: 'EFI System Partition' },
    { type: EFI_GUID.linuxFilesystem, guid: partGuid(image.name), startLba: 1048576, endLba: 62914526, name: 'cloudimg-rootfs' },
  ]));

  /** Measures an EFI application into PCR4 and, with Secure Boot, verifies it; returns false when the boot stops. */
  const runEfi = (stage: BootStep['stage'], c: BootComponent | undefined, trust: TrustStore, loader: string, authority?: { name: string; guid: string }): boolean => {
    if (!c) {
      halt(stage, { id: 'missing', label: `${stage} (missing)` } as BootComponent, 'missing', 'the file is not on the disk');
      return false;
    }
    const digest = imageHash(c.file);
    m.measure(4, EV.EFI_BOOT_SERVICES_APPLICATION, imageLoadEvent(0x7e000000n + BigInt(steps.length) * 0x1000000n, c.file.length, fileDevicePath(ESP, c.path)), digest);
    if (!enforcing) {
      steps.push({ stage, component: c.id, label: c.label, digest: digest.toString('hex'), verification: 'not enforced (Secure Boot off)' });
      log(`${loader}: starting ${c.path} (signature not checked: Secure Boot is off)`);
      return true;
    }
    const v = verifyFile(c.file, trust);
    steps.push({ stage, component: c.id, label: c.label, digest: digest.toString('hex'), verification: v.ok ? 'verified' : 'failed', ...(v.signer ? { signer: v.signer } : {}), ...(v.ok ? { trustedBy: v.anchor } : { detail: v.detail }) });
    if (!v.ok) {
      halt(stage, c, v.reason, v.detail, loader);
      return false;
    }
    if (authority) {
      // The first use of an authority is logged in PCR7 (the certificate that allowed this image).
      const anchor = pki.get(v.anchor.startsWith('Microsoft Corporation UEFI CA') ? 'uefiCa' : profile.vendorCa).der;
      m.measure(7, EV.EFI_VARIABLE_AUTHORITY, uefiVariableData(authority.guid, authority.name, signatureData(EFI_GUID.microsoftOwner, anchor)));
    }
    log(`${loader}: ${c.path}: ${verdictText(v)}`);
    return true;
  };

  const halt = (stage: BootStep['stage'], c: BootComponent, reason: string, detail: string, loader = 'UEFI') => {
    result.halted = { component: c.id, label: c.label, stage, reason, detail };
    if (stage === 'firmware') {
      log(`BdsDxe: failed to load Boot0001 "${profile.family}" from ${c.path}: Access Denied`);
      log(`EFI_SECURITY_VIOLATION: Secure Boot refused ${c.label}: ${detail}`);
    } else if (stage === 'shim') {
      log(`Verification failed: (0x1A) Security Violation`);
      log(`shim: Secure Boot refused ${c.label}: ${detail}`);
    } else {
      log(`error: bad shim signature.`);
      log(`${loader}: Secure Boot refused ${c.label}: ${detail}`);
    }
    log(`Boot halted at ${c.label} (${reason}). The node did not start.`);
  };

  const result: BootResult = { events: m.events, pcrs: m.pcrs, steps, modules, serial };

  // ---- firmware → shim (verified against db)
  if (!runEfi('firmware', shim, firmwareTrust(pki), 'UEFI', { name: 'db', guid: security })) return result;
  // ---- shim: MOK lists into PCR14, then grub (db + vendor certificate)
  m.measure(14, EV.IPL, Buffer.from('MokList\0', 'ascii'), sha256(Buffer.alloc(0)));
  m.measure(14, EV.IPL, Buffer.from('MokListX\0', 'ascii'), sha256(Buffer.alloc(0)));
  const viaShim = shimTrust(pki, profile.vendorCa);
  if (!runEfi('shim', byId.get('bootloader'), viaShim, 'shim', { name: 'Shim', guid: EFI_GUID.shimLock })) return result;
  // ---- grub: its commands (PCR8), the kernel (PCR4 when started, PCR9 as a file) and the initrd (PCR9)
  const kernel = byId.get('kernel');
  const initrd = byId.get('initrd');
  const kernelPath = kernel?.path ?? '/boot/vmlinuz';
  const initrdPath = initrd?.path ?? '/boot/initrd.img';
  for (const cmd of ['set root=hd0,gpt1', `linux ${kernelPath} ${input.kernelArgs}`, `initrd ${initrdPath}`]) {
    m.measure(8, EV.IPL, Buffer.from(`grub_cmd: ${cmd}\0`, 'utf8'), sha256(cmd));
  }
  m.measure(8, EV.IPL, Buffer.from(`kernel_cmdline: ${kernelPath} ${input.kernelArgs}\0`, 'utf8'), sha256(`${kernelPath} ${input.kernelArgs}`));
  if (kernel) m.measure(9, EV.IPL, Buffer.from(`${kernel.path}\0`, 'utf8'), sha256(kernel.file));
  if (!runEfi('grub', kernel, viaShim, 'grub')) return result;
  if (initrd) m.measure(9, EV.IPL, Buffer.from(`${initrd.path}\0`, 'utf8'), sha256(initrd.file));
  if (!initrd) {
    halt('grub', { id: 'initrd', label: 'initrd (missing)' } as BootComponent, 'missing', 'the initrd is not on the disk', 'grub');
    return result;
  }
  const iv = enforcing ? verifyFile(initrd.file, viaShim) : undefined;
  steps.push({
    stage: 'grub',
    component: initrd.id,
    label: initrd.label,
    digest: sha256(initrd.file).toString('hex'),
    verification: !iv ? 'not enforced (Secure Boot off)' : iv.ok ? 'verified' : 'failed',
    ...(iv?.signer ? { signer: iv.signer } : {}),
    ...(iv ? (iv.ok ? { trustedBy: iv.anchor } : { detail: iv.detail }) : {}),
  });
  if (iv && !iv.ok) {
    halt('grub', initrd, iv.reason, iv.detail, 'grub');
    return result;
  }
  log(`grub: ${initrd.path}: ${iv ? verdictText(iv) : 'loaded (signature not checked: Secure Boot is off)'}`);
  m.measure(5, EV.EFI_ACTION, Buffer.from('Exit Boot Services Invocation', 'ascii'));
  m.measure(5, EV.EFI_ACTION, Buffer.from('Exit Boot Services Returned with Success', 'ascii'));

  // ---- kernel: lockdown with Secure Boot; modules are checked against the built-in and platform keys.
  log(`Linux version ${image.kernel} (aksemu) — Secure boot ${enforcing ? 'enabled' : 'disabled'}${enforcing ? '; Kernel is locked down from EFI Secure Boot mode; see man kernel_lockdown.7' : ''}`);
  const moduleTrust = kernelModuleTrust(pki, profile.vendorCa);
  for (const c of input.components.filter((x) => x.kind === 'module')) {
    const name = c.id.slice('module:'.length);
    const v = verifyFile(c.file, moduleTrust);
    if (v.ok) {
      modules.push({ component: c.id, name, label: c.label, loaded: true });
      continue;
    }
    if (enforcing) {
      modules.push({ component: c.id, name, label: c.label, loaded: false, failure: { reason: v.reason, detail: v.detail } });
      log(`Lockdown: modprobe: unsigned module loading is restricted; see man kernel_lockdown.7`);
      log(`${name}: module verification failed (${v.reason}: ${v.detail}); loading of ${c.path} was rejected`);
    } else {
      modules.push({ component: c.id, name, label: c.label, loaded: true, failure: { reason: v.reason, detail: v.detail } });
      log(`${name}: module verification failed: signature and/or required key missing - tainting kernel`);
    }
  }
  log(`${image.name}: reached target multi-user.target; kubelet started`);
  return result;
}

/** The kernel command line of an image: its root partition is the image's (every node built from it has it). */
export function imageKernelArgs(image: NodeImage): string {
  return `root=PARTUUID=${partGuid(image.name)} ro console=ttyS0 earlyprintk=ttyS0`;
}

/** The OS disk's GUIDs come from the image: every node built from it has the same partition table. */
function diskGuid(image: string): string {
  return guidFrom(`disk:${image}`);
}
function partGuid(image: string): string {
  return guidFrom(`root:${image}`);
}
function guidFrom(seed: string): string {
  const h = sha256(seed).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
