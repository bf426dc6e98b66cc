/**
 * Acceptance: every Trusted Launch limitation of SPEC T-4 (and the image rules of T-2) as a table over the
 * ARM API: each refusal is a 4xx ARM error with the rule's code and a message that says what to do, and writes
 * nothing (the store revision is unchanged); the positive cases next to them succeed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir } from '../../testkit/emulator.js';
import { clusterBody, linuxPool, type ArmClient } from '../../testkit/containerservice.js';
import { TL_ON, tlTestbed, type Emu, type TlTestbed } from './helpers.js';

interface Case {
  name: string;
  at?: string;
  method?: string;
  path: (a: ArmClient) => string;
  body?: unknown;
  refuse?: { status: number; code: string; message: RegExp };
  check?: (tb: TlTestbed) => Promise<void>;
}

const C1 = (a: ArmClient) => a.cluster('rg', 'c1');
const pool = (name: string) => (a: ArmClient) => `${C1(a)}/agentPools/${name}`;
const userPool = (name: string, extra: Record<string, unknown> = {}) => ({ properties: { ...linuxPool(name, { mode: 'User', count: 1 }), ...extra } });
const tlPool = (name: string, extra: Record<string, unknown> = {}) => userPool(name, { securityProfile: TL_ON, ...extra });
const INCOMPATIBLE = /^Trusted Launch enabled clusters using vTPM and\/or Secure Boot are not supported for this agentpool\. Secure Boot and\/or vTPM requires the VM Image to be Trusted Launch Compatible\./;

async function poolProps(tb: TlTestbed, name: string) {
  const r = await tb.a.call('GET', `${C1(tb.a)}/agentPools/${name}`);
  expect(r.status, r.text).toBe(200);
  return r.json().properties;
}

const CASES: Case[] = [
  // T-4: Kubernetes 1.25.2 or later (in early 2023, when 1.24 was still offered)
  {
    name: 'T-4 refuses Trusted Launch on Kubernetes 1.24',
    at: '2023-01-15T00:00:00Z',
    path: (a) => a.cluster('rg', 'old'),
    body: clusterBody({ properties: { kubernetesVersion: '1.24', dnsPrefix: 'old' }, pools: [linuxPool('nodepool1', { count: 1, securityProfile: { enableVTPM: true } })] }),
    refuse: { status: 400, code: 'TrustedLaunchKubernetesVersionNotSupported', message: /from Kubernetes 1\.25\.2.*would run 1\.24\.9\. Upgrade the cluster/ },
  },
  // T-4: Gen2 VM sizes only
  { name: 'T-4 refuses a Generation 1 VM size', path: pool('gen1'), body: tlPool('gen1', { vmSize: 'Standard_A2_v2' }), refuse: { status: 400, code: 'TrustedLaunchIncompatibleWithConfig', message: /Standard_A2_v2 .*only Generation 1 VMs: Trusted Launch needs a Generation 2 VM size/ } },
  // T-4: no Windows
  { name: 'T-4 refuses Windows node pools', path: pool('win'), body: tlPool('win', { osType: 'Windows' }), refuse: { status: 400, code: 'TrustedLaunchIncompatibleWithConfig', message: /runs Windows Server: .*Linux node pools only/ } },
  // T-4: not with FIPS
  { name: 'T-4 refuses FIPS-enabled pools', path: pool('fips'), body: tlPool('fips', { enableFIPS: true }), refuse: { status: 400, code: 'TrustedLaunchIncompatibleWithConfig', message: /is FIPS-enabled: FIPS and Trusted Launch cannot be combined/ } },
  // T-4: not Arm64
  { name: 'T-4 refuses Arm64 VM sizes', path: pool('arm'), body: tlPool('arm', { vmSize: 'Standard_D2ps_v5' }), refuse: { status: 400, code: 'TrustedLaunchIncompatibleWithConfig', message: /Standard_D2ps_v5 .*Arm64 size: Trusted Launch needs an x64/ } },
  // T-4 (AKS's list): CBL-Mariner has no Trusted Launch image
  { name: 'T-4 refuses an OS without a Trusted Launch image (CBL-Mariner)', path: pool('mariner'), body: tlPool('mariner', { osSKU: 'CBLMariner', orchestratorVersion: '1.31' }), refuse: { status: 400, code: 'TrustedLaunchIncompatibleWithConfig', message: /CBL-Mariner .*has no Trusted Launch image: use osSKU Ubuntu or AzureLinux/ } },
  // T-4: VMSS only
  { name: 'T-4 refuses availability sets', path: pool('avset'), body: tlPool('avset', { type: 'AvailabilitySet' }), refuse: { status: 400, code: 'TrustedLaunchRequiresVirtualMachineScaleSets', message: /availability sets are not supported.*Use type VirtualMachineScaleSets/ } },
  { name: 'T-4 refuses VirtualMachines pools', path: pool('vms'), body: tlPool('vms', { type: 'VirtualMachines' }), refuse: { status: 400, code: 'TrustedLaunchRequiresVirtualMachineScaleSets', message: /type VirtualMachines/ } },
  // T-4: GPU pools with Secure Boot need the GPU driver install skipped
  { name: 'T-4 refuses Secure Boot on a GPU pool that installs the GPU driver', path: pool('gpu'), body: tlPool('gpu', { vmSize: 'Standard_NC6s_v3' }), refuse: { status: 400, code: 'SecureBootRequiresGpuDriverNone', message: /gpuProfile\.driver to None \(az aks nodepool add --gpu-driver none/ } },
  { name: 'T-4 refuses Secure Boot on a GPU pool with gpuProfile.driver Install', path: pool('gpu'), body: tlPool('gpu', { vmSize: 'Standard_NC4as_T4_v3', gpuProfile: { driver: 'Install' } }), refuse: { status: 400, code: 'SecureBootRequiresGpuDriverNone', message: /NVIDIA Tesla T4/ } },
  {
    name: 'T-4 accepts Secure Boot on a GPU pool with gpuProfile.driver None',
    path: pool('gpu'),
    body: tlPool('gpu', { vmSize: 'Standard_NC6s_v3', gpuProfile: { driver: 'None' } }),
    check: async (tb) => expect((await poolProps(tb, 'gpu')).nodeImageVersion).toMatch(/^AKSUbuntu-2204gen2TLcontainerd-/),
  },
  { name: 'T-4 accepts vTPM alone on a GPU pool that installs the driver', path: pool('gpuvtpm'), body: userPool('gpuvtpm', { vmSize: 'Standard_NC4as_T4_v3', securityProfile: { enableVTPM: true } }) },
  { name: 'gpuProfile.driver must be Install or None', path: pool('gpubad'), body: userPool('gpubad', { vmSize: 'Standard_NC6s_v3', gpuProfile: { driver: 'Maybe' } }), refuse: { status: 400, code: 'InvalidParameter', message: /Install, None/ } },
  // T-4: ephemeral OS disks only where the cache or temporary disk holds the OS disk and the VM guest state
  { name: 'T-4 refuses an ephemeral OS disk that leaves no room for the VM guest state', path: pool('eph'), body: tlPool('eph', { osDiskType: 'Ephemeral', osDiskSizeGB: 86 }), refuse: { status: 400, code: 'TrustedLaunchEphemeralOSDiskTooLarge', message: /cache \(86 GB\).*Choose osDiskSizeGB 85 or less/ } },
  { name: 'T-4 accepts an ephemeral OS disk that fits with the VM guest state', path: pool('eph'), body: tlPool('eph', { osDiskType: 'Ephemeral', osDiskSizeGB: 85 }) },
  {
    name: 'T-2 the same ephemeral disk without Trusted Launch gets the standard image (not Trusted Launch compatible)',
    path: pool('ephstd'),
    body: userPool('ephstd', { osDiskType: 'Ephemeral', osDiskSizeGB: 86 }),
    check: async (tb) => expect((await poolProps(tb, 'ephstd')).nodeImageVersion).toMatch(/^AKSUbuntu-2204gen2containerd-/),
  },
  // T-4: no virtual nodes
  {
    name: 'T-4 refuses enabling virtual nodes on a cluster with Trusted Launch pools (pools not in the request)',
    path: C1,
    body: { location: 'eastus', properties: { dnsPrefix: 'myaks', addonProfiles: { aciConnectorLinux: { enabled: true, config: { SubnetName: 'vn' } } } } },
    refuse: { status: 400, code: 'TrustedLaunchNotSupportedWithVirtualNodes', message: /virtual node add-on \(aciConnectorLinux\) while node pool '[a-z0-9]+' has Secure Boot or vTPM enabled/ },
  },
  {
    name: 'T-4 refuses enabling virtual nodes together with the Trusted Launch pool it is sent with',
    path: C1,
    body: clusterBody({ properties: { dnsPrefix: 'myaks', addonProfiles: { aciConnectorLinux: { enabled: true } } }, pools: [linuxPool('nodepool1', { count: 1, securityProfile: TL_ON })] }),
    refuse: { status: 400, code: 'TrustedLaunchNotSupportedWithVirtualNodes', message: /cluster 'c1' has the virtual node add-on \(aciConnectorLinux\) enabled/ },
  },
  {
    name: 'T-4 refuses a cluster created with virtual nodes and a Trusted Launch pool',
    path: (a) => a.cluster('rg', 'vn'),
    body: clusterBody({ properties: { dnsPrefix: 'vn', addonProfiles: { aciConnectorLinux: { enabled: true } } }, pools: [linuxPool('nodepool1', { count: 1, securityProfile: { enableVTPM: true } })] }),
    refuse: { status: 400, code: 'TrustedLaunchNotSupportedWithVirtualNodes', message: /az aks disable-addons --addons virtual-node/ },
  },
  // T-2: Trusted Launch compatible pools get the Trusted Launch image with both switches off
  {
    name: 'T-2 a Trusted Launch compatible pool gets the Trusted Launch image with Secure Boot and vTPM off',
    path: pool('plain'),
    body: userPool('plain'),
    check: async (tb) => {
      const p = await poolProps(tb, 'plain');
      expect(p.nodeImageVersion).toMatch(/^AKSUbuntu-2204gen2TLcontainerd-/);
      expect(p.securityProfile).toEqual({ enableVTPM: false, enableSecureBoot: false });
    },
  },
  { name: 'T-2 a Gen1-only pool without Trusted Launch gets the Gen1 standard image', path: pool('gen1std'), body: userPool('gen1std', { vmSize: 'Standard_A2_v2' }), check: async (tb) => expect((await poolProps(tb, 'gen1std')).nodeImageVersion).toMatch(/^AKSUbuntu-2204containerd-/) },
  { name: 'T-2 enabling vTPM later on a pool with the Trusted Launch image is accepted', path: pool('plain'), body: userPool('plain', { securityProfile: { enableVTPM: true } }) },
  { name: 'T-4 enabling Secure Boot on the existing Gen1 pool is refused like a new one', path: pool('gen1std'), body: userPool('gen1std', { vmSize: 'Standard_A2_v2', securityProfile: { enableSecureBoot: true } }), refuse: { status: 400, code: 'TrustedLaunchIncompatibleWithConfig', message: /Generation 1/ } },
];

describe('Trusted Launch limitations (T-4) and image variants (T-2), as a table', () => {
  let tb: TlTestbed;
  let emu: Emu;

  beforeAll(async () => {
    tb = await tlTestbed();
    emu = tb.emu;
    const r = await tb.a.run('PUT', C1(tb.a), clusterBody({ properties: { kubernetesVersion: '1.33', dnsPrefix: 'myaks' }, pools: [linuxPool('nodepool1', { count: 1, securityProfile: TL_ON })] }));
    expect(r.status, JSON.stringify(r.error)).toBe('Succeeded');
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  for (const c of CASES) {
    it(c.name, async () => {
      emu.core.clock.set(new Date(c.at ?? '2025-09-01T00:00:00Z'));
      await emu.core.tasks.idle();
      const method = c.method ?? 'PUT';
      if (c.refuse) {
        const before = await emu.core.store.revision();
        const res = await tb.a.call(method, c.path(tb.a), c.body);
        expect(res.status, res.text).toBe(c.refuse.status);
        const err = res.json().error;
        expect(err.code).toBe(c.refuse.code);
        expect(err.message, err.message).toMatch(c.refuse.message);
        if (err.code === 'TrustedLaunchIncompatibleWithConfig') expect(err.message).toMatch(INCOMPATIBLE);
        // Nothing was written: not a document, not an operation, not a task.
        expect(await emu.core.store.revision()).toBe(before);
      } else {
        const r = await tb.a.run(method, c.path(tb.a), c.body);
        expect(r.first.status, r.first.text).toBeLessThan(300);
        expect(r.status, JSON.stringify(r.error)).toBe('Succeeded');
        await c.check?.(tb);
      }
    });
  }
});

describe('T-2: Secure Boot and vTPM need a pool that already runs a Trusted Launch image', () => {
  let tb: TlTestbed;
  beforeAll(async () => {
    // Early 2023: a cluster on Kubernetes 1.24 cannot have Trusted Launch, so its pool runs a standard image.
    tb = await tlTestbed('2023-01-15T00:00:00Z');
  });
  afterAll(async () => {
    await tb?.emu.close();
    if (tb) removeDataDir(tb.emu.dataDir);
  });

  it('a pool upgraded from 1.24 keeps its standard image; enabling Secure Boot is refused with the way out, which works', async () => {
    const { a, emu } = tb;
    const old = a.cluster('rg', 'old');
    expect((await a.run('PUT', old, clusterBody({ properties: { kubernetesVersion: '1.24', dnsPrefix: 'old' }, pools: [linuxPool('nodepool1', { count: 1 })] }))).status).toBe('Succeeded');
    const upgraded = await a.run('PUT', old, clusterBody({ properties: { kubernetesVersion: '1.25', dnsPrefix: 'old' }, pools: [linuxPool('nodepool1', { count: 1, orchestratorVersion: '1.25' })] }));
    expect(upgraded.status, JSON.stringify(upgraded.error)).toBe('Succeeded');
    const p = (await a.call('GET', `${old}/agentPools/nodepool1`)).json().properties;
    expect(p.currentOrchestratorVersion).toMatch(/^1\.25\./);
    // The variant is kept across the upgrade: a standard 22.04 image, not the Trusted Launch one.
    expect(p.nodeImageVersion).toMatch(/^AKSUbuntu-2204gen2containerd-/);

    // The upgrade's rollout and the kubelets' follow-up writes end before "nothing changed" is measured.
    await emu.core.tasks.idle();
    await emu.services.kube.controllers.settle((await a.call('GET', old)).json().properties.resourceUID);
    await emu.core.tasks.idle();
    const before = await emu.core.store.revision();
    const refused = await a.call('PUT', `${old}/agentPools/nodepool1`, { properties: { ...p, securityProfile: { enableSecureBoot: true } } });
    expect(refused.status).toBe(400);
    expect(refused.json().error.code).toBe('TrustedLaunchIncompatibleWithConfig');
    expect(refused.json().error.message).toMatch(INCOMPATIBLE);
    expect(refused.json().error.message).toMatch(/runs node image AKSUbuntu-2204gen2containerd-.*which is not a Trusted Launch image.*Add a new node pool with --enable-secure-boot/);
    expect(await emu.core.store.revision()).toBe(before);

    // The way out: a new pool with Secure Boot.
    const added = await a.run('PUT', `${old}/agentPools/tlpool`, { properties: { ...linuxPool('tlpool', { mode: 'User', count: 1, orchestratorVersion: '1.25' }), securityProfile: { enableSecureBoot: true } } });
    expect(added.status, JSON.stringify(added.error)).toBe('Succeeded');
    expect((await a.call('GET', `${old}/agentPools/tlpool`)).json().properties.nodeImageVersion).toMatch(/^AKSUbuntu-2204gen2TLcontainerd-/);
  });
});
