/**
 * What Trusted Launch keeps per node in the store (`/fleet/<uid>/trustedlaunch/<node>`): the node's vTPM, its last
 * boot and its last attestation.
 */
import type { AlertSubject, Finding } from './alerts.js';
import type { Check, Deviation } from './attestation.js';
import type { Tamper } from './components.js';
import type { BootResult, BootStep, ModuleLoad } from './measured-boot.js';
import type { VtpmState } from './vtpm.js';

/**
 * One boot, as recorded: its inputs (the image, the switches, the disk's tampering, the GPU driver) and where it
 * halted. A boot is a deterministic function of these, so its steps, modules and serial console are recomputed
 * (and cached) when someone asks, rather than stored for every node.
 */
export interface BootRecord {
  /** Boot number of this VM (failed boots count too). */
  seq: number;
  bootId?: string;
  at: string;
  image: string;
  secureBoot: boolean;
  vtpm: boolean;
  gpuDriverInstalled: boolean;
  tampers: Tamper[];
  halted?: BootResult['halted'];
}

/** A boot record with its (recomputed) results, as the boot-log API shows it. */
export interface BootView extends BootRecord {
  kernelArgs: string;
  steps: BootStep[];
  modules: ModuleLoad[];
  serial: string[];
}

export interface AttestationSummary {
  at: string;
  bootSeq: number;
  healthy: boolean;
  checks: Check[];
  deviations: Deviation[];
  findings: Finding[];
  claims?: Record<string, unknown>;
  token?: string;
  alerts: string[];
}

export interface NodeRecord {
  node: string;
  uid: string;
  pool: string;
  instanceId: number;
  instanceCreatedAt: string;
  vmId: string;
  subject: Omit<AlertSubject, 'bootKey'>;
  tampers: Tamper[];
  vtpm?: VtpmState;
  boot?: BootRecord;
  attestation?: AttestationSummary;
}

export const nodeRecordKey = (uid: string, node: string) => `/fleet/${uid}/trustedlaunch/${node.toLowerCase()}`;
