/** The fleet catalogs as data (SPEC C-3, C-5, C-7, F-3, F-4, F-5). */
import { describe, expect, it } from 'vitest';
import { defaultMinor, KUBERNETES_MINORS, offeredPatches, resolveVersion, supportedMinors, upgradesFrom } from '../../src/fleet/catalog/kubernetes-versions.js';
import { allVariants, latestImage, releasesOf } from '../../src/fleet/catalog/node-images.js';
import { defaultOsFor, fipsOsFor, osById, retirementAt } from '../../src/fleet/catalog/os-versions.js';
import { findVmSize } from '../../src/fleet/catalog/vm-sizes.js';
import { clusterDigits, nodeName } from '../../src/fleet/naming.js';

describe('node images', () => {
  it('every variant has uniquely named releases; FIPS images have their own versions and kernels (F-5)', () => {
    const names = new Set<string>();
    for (const v of allVariants()) for (const r of releasesOf(v)) {
      expect(names.has(r.name), r.name).toBe(false);
      names.add(r.name);
    }
    expect(names.size).toBeGreaterThan(100);
    const plain = releasesOf({ os: 'ubuntu2204', arch: 'amd64', generation: 2, fips: false, trustedLaunch: false });
    const fips = releasesOf({ os: 'ubuntu2204', arch: 'amd64', generation: 2, fips: true, trustedLaunch: false });
    expect(plain[4]!.name).toBe('AKSUbuntu-2204gen2containerd-202502.03.0');
    expect(fips[4]!.name).toBe('AKSUbuntu-2204gen2fipscontainerd-202502.24.0');
    expect(fips[4]!.kernel).toMatch(/-azure-fips$/);
    expect(fips[4]!.kernel).not.toBe(plain[4]!.kernel);
  });

  it('has Trusted Launch variants (Gen2, not FIPS, not Arm64)', () => {
    const tl = releasesOf({ os: 'ubuntu2204', arch: 'amd64', generation: 2, fips: false, trustedLaunch: true });
    expect(tl[0]!.name).toMatch(/^AKSUbuntu-2204gen2TLcontainerd-/);
    expect(releasesOf({ os: 'ubuntu2204', arch: 'amd64', generation: 2, fips: true, trustedLaunch: true })).toEqual([]);
    expect(releasesOf({ os: 'ubuntu2204', arch: 'amd64', generation: 1, fips: false, trustedLaunch: true })).toEqual([]);
    expect(releasesOf({ os: 'cblmariner2', arch: 'amd64', generation: 2, fips: false, trustedLaunch: true })).toEqual([]);
  });

  it('F-4: Arm64 FIPS images exist only for Azure Linux 3.0', () => {
    const arm = allVariants().filter((v) => v.arch === 'arm64' && v.fips).map((v) => v.os);
    expect([...new Set(arm)]).toEqual(['azurelinux3']);
  });

  it('picks the newest release out at the clock, none once the OS is removed (C-7)', () => {
    const v = { os: 'azurelinux2' as const, arch: 'amd64' as const, generation: 2 as const, fips: false, trustedLaunch: false };
    expect(latestImage(v, new Date('2025-03-01T00:00:00Z'))!.release).toBe('202502.03.0');
    // No security updates from 2025-11-30: the last release is the one before.
    expect(latestImage(v, new Date('2026-03-01T00:00:00Z'))!.release).toBe('202509.12.0');
    expect(latestImage(v, new Date('2026-03-31T00:00:00Z'))).toBeUndefined();
  });
});

describe('OS selection', () => {
  it('F-3: FIPS Ubuntu falls back to the newest Ubuntu that has a FIPS image', () => {
    expect(fipsOsFor('Linux', undefined, '1.24.9', 'amd64')).toEqual({ os: osById('ubuntu1804') });
    expect(fipsOsFor('Linux', 'Ubuntu', '1.33.5', 'amd64')).toEqual({ os: osById('ubuntu2004'), fellBackFrom: osById('ubuntu2204') });
    expect(fipsOsFor('Linux', 'Ubuntu', '1.34.4', 'amd64')).toEqual({ os: osById('ubuntu2204') });
    expect(fipsOsFor('Linux', 'Ubuntu', '1.35.3', 'amd64')).toEqual({ os: osById('ubuntu2204'), fellBackFrom: osById('ubuntu2404') });
    expect(fipsOsFor('Linux', 'Ubuntu', '1.33.5', 'arm64')).toBeUndefined();
    expect(fipsOsFor('Linux', 'AzureLinux3', '1.33.5', 'arm64')).toEqual({ os: osById('azurelinux3') });
    expect(fipsOsFor('Linux', 'Ubuntu2404', '1.35.3', 'amd64')).toBeUndefined();
  });

  it('maps OS SKUs by Kubernetes version', () => {
    expect(defaultOsFor('Linux', undefined, '1.33.5')!.id).toBe('ubuntu2204');
    expect(defaultOsFor('Linux', 'AzureLinux', '1.31.11')!.id).toBe('azurelinux2');
    expect(defaultOsFor('Linux', 'AzureLinux', '1.32.7')!.id).toBe('azurelinux3');
    expect(defaultOsFor('Windows', undefined, '1.24.9')!.id).toBe('windows2019');
    expect(defaultOsFor('Windows', undefined, '1.33.5')!.id).toBe('windows2022');
  });

  it('C-7: retirement states follow the clock', () => {
    const at = (d: string) => new Date(`${d}T00:00:00Z`);
    expect(retirementAt(osById('ubuntu1804'), at('2025-06-16'))).toBe('supported');
    expect(retirementAt(osById('ubuntu1804'), at('2025-06-17'))).toBe('removed');
    expect(retirementAt(osById('ubuntu2004'), at('2027-03-17'))).toBe('removed');
    expect(retirementAt(osById('azurelinux2'), at('2025-11-30'))).toBe('no-updates');
    expect(retirementAt(osById('azurelinux2'), at('2026-03-31'))).toBe('removed');
    expect(retirementAt(osById('azurelinux3'), at('2030-01-01'))).toBe('supported');
  });
});

describe('Kubernetes versions and VM sizes', () => {
  it('offers versions by date; the newest three never expire', () => {
    expect(supportedMinors(new Date('2021-03-01T00:00:00Z')).map((m) => m.minor)).toEqual(['1.18', '1.19']);
    expect(defaultMinor(new Date('2025-09-01T00:00:00Z')).minor).toBe('1.32');
    expect(supportedMinors(new Date('2035-01-01T00:00:00Z')).map((m) => m.minor)).toEqual(['1.34', '1.35', '1.36']);
    expect(resolveVersion('1.19', new Date())!.current).toBe('1.19.11');
    expect(resolveVersion('1.19.10', new Date())).toBeUndefined();
  });

  it('offers 1.27 patches from the dates AKS added them (release notes): 1.27.1 with the preview, 1.27.3 before GA, then 1.27.7 and 1.27.9', () => {
    const at = (d: string) => new Date(`${d}T00:00:00Z`);
    const minor = supportedMinors(at('2023-08-01')).find((m) => m.minor === '1.27')!;
    expect(supportedMinors(at('2023-06-10')).map((m) => m.minor)).not.toContain('1.27');
    expect(offeredPatches(minor, at('2023-06-11'))).toEqual(['1.27.1']);
    expect(offeredPatches(minor, at('2023-08-01'))).toEqual(['1.27.1', '1.27.3']);
    expect(offeredPatches(minor, at('2023-12-01'))).toEqual(['1.27.1', '1.27.3', '1.27.7']);
    expect(offeredPatches(minor, at('2024-03-01'))).toEqual(['1.27.1', '1.27.3', '1.27.7', '1.27.9']);
    // The KMS article's example (az aks upgrade --kubernetes-version 1.27.1) on the day it was written.
    expect(resolveVersion('1.27.1', at('2023-08-01'))).toMatchObject({ requested: '1.27.1', current: '1.27.1' });
    expect(resolveVersion('1.27', at('2023-08-01'))!.current).toBe('1.27.3');
    expect(resolveVersion('1.27.9', at('2023-08-01'))).toBeUndefined();
    expect(resolveVersion('1.27', at('2024-03-01'))!.current).toBe('1.27.9');
    expect(resolveVersion('1.27.2', at('2024-03-01'))).toBeUndefined();
  });

  it('C-10: a minor resolves to the newest patch released by the emulated date; later patches are not offered', () => {
    const at = (d: string) => new Date(`${d}T00:00:00Z`);
    // Every patch has a release date, and the list is in release order.
    for (const m of KUBERNETES_MINORS) {
      const dates = Object.values(m.patchReleases);
      expect(dates.length, m.minor).toBeGreaterThan(0);
      expect([...dates].sort(), m.minor).toEqual(dates);
    }
    expect(resolveVersion('1.26', at('2023-06-15'))!.current).toBe('1.26.6');
    expect(resolveVersion('1.26.12', at('2023-06-15'))).toBeUndefined();
    expect(resolveVersion('1.26', at('2023-12-19'))!.current).toBe('1.26.12');
    expect(resolveVersion('1.33', at('2025-09-01'))!.current).toBe('1.33.2');
    expect(upgradesFrom('1.26.6', at('2023-06-15'))).toEqual(['1.27.1']);
    expect(upgradesFrom('1.26.6', at('2024-01-10'))).toEqual(['1.26.12', '1.27.1', '1.27.3', '1.27.7']);
    expect(upgradesFrom('1.27.9', at('2024-03-01'))).toEqual(['1.28.5']);
  });

  it('knows VM sizes with architecture, generations, GPUs and disks', () => {
    expect(findVmSize('standard_ds2_v2')).toMatchObject({ vCPUs: 2, memoryGiB: 7, arch: 'amd64', generations: [1, 2], cacheDiskGiB: 86, tempDiskGiB: 14 });
    expect(findVmSize('Standard_D2ps_v5')).toMatchObject({ arch: 'arm64', generations: [2] });
    expect(findVmSize('Standard_NC6s_v3')!.gpus).toBe(1);
    expect(findVmSize('Standard_A2_v2')!.generations).toEqual([1]);
  });
});

describe('node names (C-3)', () => {
  it('aks-<pool>-<8 digits>-vmss<6 base-36 digits>; Windows aks<pool><6 base-36 digits>', () => {
    const d = clusterDigits('uid-1');
    expect(d).toMatch(/^\d{8}$/);
    expect(nodeName('Linux', 'fipsnp', 'uid-1', 0)).toBe(`aks-fipsnp-${d}-vmss000000`);
    expect(nodeName('Linux', 'fipsnp', 'uid-1', 35)).toBe(`aks-fipsnp-${d}-vmss00000z`);
    expect(nodeName('Linux', 'fipsnp', 'uid-1', 36)).toBe(`aks-fipsnp-${d}-vmss000010`);
    expect(nodeName('Windows', 'npwin', 'uid-1', 1)).toBe('aksnpwin000001');
  });
});
