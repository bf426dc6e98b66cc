/**
 * Node and scale-set names (SPEC C-3): `aks-<pool>-<8 digits>-vmss<6 base-36 digits>` for Linux nodes, where the
 * 8 digits are stable for the cluster (every pool of a cluster shares them, as in AKS) and the suffix is the VMSS
 * instance id in base 36. Windows computer names are limited to 15 characters, which is why AKS names Windows
 * nodes `aks<pool><6 base-36 digits>` and limits Windows pool names to 6 characters (C-2).
 */
import { createHash } from 'node:crypto';
import type { OsType } from './catalog/os-versions.js';

/** The 8 digits of a cluster's scale sets, derived from its uid so they never change. */
export function clusterDigits(uid: string): string {
  const n = createHash('sha256').update(uid).digest().readUInt32BE(0) % 100_000_000;
  return String(n).padStart(8, '0');
}

export function vmssName(pool: string, uid: string): string {
  return `aks-${pool}-${clusterDigits(uid)}-vmss`;
}

export function instanceSuffix(instanceId: number): string {
  return instanceId.toString(36).padStart(6, '0');
}

export function nodeName(osType: OsType, pool: string, uid: string, instanceId: number): string {
  return osType === 'Windows' ? `aks${pool}${instanceSuffix(instanceId)}` : `${vmssName(pool, uid)}${instanceSuffix(instanceId)}`;
}
