/**
 * Acceptance: one table covering every FIPS and pool rule (SPEC C-2, C-6, C-7, F-2, F-3, F-4, F-6, F-9 and
 * the version/shape rules), positive and negative. Every refusal must be a 4xx ARM error with the rule's code, and
 * must write nothing: the store revision is the same before and after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, startTestEmulator } from '../../testkit/emulator.js';
import { armClient, AZ_API, clusterBody, linuxPool, type ArmClient } from '../../testkit/containerservice.js';

type Emu = Awaited<ReturnType<typeof startTestEmulator>>;

interface Case {
  name: string;
  /** Emulator date for the case (the clock is moved there first). */
  at?: string;
  method?: string;
  path: (a: ArmClient) => string;
  body?: unknown;
  api?: string;
  /** Expected refusal (status, code) or success (operation status Succeeded). */
  refuse?: { status: number; code: string; message?: RegExp };
  check?: (a: ArmClient, emu: Emu) => Promise<void>;
}

const C1 = (a: ArmClient) => a.cluster('rg', 'c1');
const pool = (name: string) => (a: ArmClient) => `${C1(a)}/agentPools/${name}`;
const userPool = (name: string, extra: Record<string, unknown> = {}) => ({ properties: { ...linuxPool(name, { mode: 'User', count: 1 }), ...extra } });
const win = (name: string, extra: Record<string, unknown> = {}) => userPool(name, { osType: 'Windows', ...extra });

async function poolDoc(a: ArmClient, name: string) {
  const r = await a.call('GET', `${C1(a)}/agentPools/${name}`);
  expect(r.status, r.text).toBe(200);
  return r.json().properties;
}

const CASES: Case[] = [
  // SPEC C-2: pool names
  { name: 'C-2 refuses an upper-case name', path: pool('FipsNp'), body: userPool('FipsNp'), refuse: { status: 400, code: 'InvalidParameter', message: /aks-naming-rules/ } },
  { name: 'C-2 refuses a name starting with a digit', path: pool('1pool'), body: userPool('1pool'), refuse: { status: 400, code: 'InvalidParameter' } },
  { name: 'C-2 refuses a 12-character Linux name', path: pool('abcdefghijkl'), body: userPool('abcdefghijkl'), refuse: { status: 400, code: 'InvalidParameter', message: /1-11/ } },
  { name: 'C-2 accepts an 11-character Linux name', path: pool('abcdefghijk'), body: userPool('abcdefghijk') },
  { name: 'C-2 refuses a 7-character Windows name', path: pool('winpool'), body: win('winpool'), refuse: { status: 400, code: 'InvalidParameter', message: /1-6/ } },
  { name: 'C-2 accepts a 6-character Windows name', path: pool('npwin'), body: win('npwin') },
  // On every PUT: a name that differs from an existing pool's only in casing does not update that pool.
  { name: 'C-2 refuses an upper-case name for an existing pool (agentPools/LIN beside lin)', path: pool('LIN'), body: userPool('LIN', { count: 2 }), refuse: { status: 400, code: 'InvalidParameter', message: /'LIN'.*aks-naming-rules/ } },
  { name: 'C-2 refuses an upper-case pool name in a managed cluster PUT', path: C1, body: clusterBody({ properties: { kubernetesVersion: '1.33', dnsPrefix: 'myaks' }, pools: [linuxPool('NODEPOOL1')] }), refuse: { status: 400, code: 'InvalidParameter', message: /'NODEPOOL1'/ } },
  { name: 'C-2 default count is 3', path: pool('dflt'), body: { properties: { mode: 'User' } }, check: async (a) => expect((await poolDoc(a, 'dflt')).count).toBe(3) },
  // shape
  { name: 'a System pool needs at least one node', path: pool('sys0'), body: userPool('sys0', { mode: 'System', count: 0 }), refuse: { status: 400, code: 'InvalidParameter' } },
  { name: 'count above 1000 is refused', path: pool('big'), body: userPool('big', { count: 1001 }), refuse: { status: 400, code: 'InvalidParameter' } },
  { name: 'Windows pools cannot be System pools', path: pool('wsys'), body: win('wsys', { mode: 'System' }), refuse: { status: 400, code: 'InvalidParameter', message: /Linux/ } },
  { name: 'an unknown VM size is refused', path: pool('vm'), body: userPool('vm', { vmSize: 'Standard_Nope_v9' }), refuse: { status: 400, code: 'InvalidParameter' } },
  { name: 'an ephemeral OS disk that does not fit is refused', path: pool('eph'), body: userPool('eph', { osDiskType: 'Ephemeral', osDiskSizeGB: 128 }), refuse: { status: 400, code: 'InvalidParameter', message: /ephemeral/ } },
  { name: 'an OS SKU not offered for the version is refused', path: pool('w19'), body: win('w19', { osSKU: 'Windows2019', orchestratorVersion: '1.33' }), refuse: { status: 400, code: 'OSSkuNotSupportedForKubernetesVersion' } },
  { name: 'the VM size cannot change', path: pool('lin'), body: userPool('lin', { vmSize: 'Standard_D4s_v3' }), refuse: { status: 400, code: 'PropertyChangeNotAllowed' } },
  // versions
  { name: 'an unknown Kubernetes version is refused', path: pool('v99'), body: userPool('v99', { orchestratorVersion: '1.99' }), refuse: { status: 400, code: 'KubernetesVersionNotSupported' } },
  { name: 'a pool cannot be newer than its control plane', at: '2025-10-15T00:00:00Z', path: pool('newer'), body: userPool('newer', { orchestratorVersion: '1.34' }), refuse: { status: 400, code: 'NodePoolVersionIncompatible' } },
  { name: 'a pool cannot skip a minor version', path: pool('al2'), body: userPool('al2', { osSKU: 'AzureLinux', orchestratorVersion: '1.33' }), refuse: { status: 400, code: 'KubernetesVersionSkipNotAllowed' } },
  { name: 'a pool cannot be downgraded', path: pool('lin'), body: userPool('lin', { orchestratorVersion: '1.32' }), refuse: { status: 400, code: 'KubernetesVersionDowngradeNotAllowed' } },
  // SPEC F-2
  { name: 'F-2 refuses FIPS on Kubernetes 1.18', path: pool('fips118'), body: userPool('fips118', { enableFIPS: true, orchestratorVersion: '1.18' }), refuse: { status: 400, code: 'FipsKubernetesVersionNotSupported', message: /1\.19/ } },
  // SPEC F-3
  { name: 'F-3 refuses FIPS on Windows Server 2025', path: pool('w25'), body: win('w25', { osSKU: 'Windows2025', enableFIPS: true }), refuse: { status: 400, code: 'FipsNotSupportedForOSSku' } },
  { name: 'F-3 refuses FIPS on osSKU Ubuntu2204', path: pool('u22'), body: userPool('u22', { osSKU: 'Ubuntu2204', enableFIPS: true }), refuse: { status: 400, code: 'FipsNotSupportedForOSSku' } },
  {
    name: 'F-3 Ubuntu FIPS falls back from 22.04 to 20.04',
    path: pool('fipsub'),
    body: userPool('fipsub', { enableFIPS: true }),
    check: async (a) => {
      const p = await poolDoc(a, 'fipsub');
      expect(p.enableFIPS).toBe(true);
      expect(p.osSKU).toBe('Ubuntu');
      expect(p.nodeImageVersion).toMatch(/^AKSUbuntu-2004gen2fipscontainerd-\d{6}\.\d{2}\.0$/);
      const plain = await poolDoc(a, 'lin');
      expect(plain.nodeImageVersion).toMatch(/^AKSUbuntu-2204gen2TLcontainerd-/);
      // F-5: the FIPS image has its own version numbers
      expect(p.nodeImageVersion.split('-').pop()).not.toBe(plain.nodeImageVersion.split('-').pop());
    },
  },
  { name: 'F-3 accepts FIPS on Azure Linux', path: pool('fipsal'), body: userPool('fipsal', { osSKU: 'AzureLinux', enableFIPS: true }), check: async (a) => expect((await poolDoc(a, 'fipsal')).nodeImageVersion).toMatch(/^AKSAzureLinux-V3gen2fips-/) },
  { name: 'F-3 accepts FIPS on Windows Server 2022', path: pool('wfips'), body: win('wfips', { osSKU: 'Windows2022', enableFIPS: true }), check: async (a) => expect((await poolDoc(a, 'wfips')).nodeImageVersion).toMatch(/^AKSWindows-2022-containerd-20348\./) },
  // SPEC F-4
  { name: 'F-4 refuses Arm64 FIPS on Ubuntu', path: pool('armub'), body: userPool('armub', { vmSize: 'Standard_D2ps_v5', enableFIPS: true }), refuse: { status: 400, code: 'FipsArm64RequiresAzureLinux3' } },
  { name: 'F-4 refuses Arm64 FIPS on Azure Linux 2.0', path: pool('armal2'), body: userPool('armal2', { vmSize: 'Standard_D2ps_v5', osSKU: 'AzureLinux', orchestratorVersion: '1.31', enableFIPS: true }), refuse: { status: 400, code: 'FipsArm64RequiresAzureLinux3' } },
  { name: 'F-4 accepts Arm64 FIPS on Azure Linux 3.0', path: pool('armal3'), body: userPool('armal3', { vmSize: 'Standard_D2ps_v5', osSKU: 'AzureLinux3', enableFIPS: true }), check: async (a) => expect((await poolDoc(a, 'armal3')).nodeImageVersion).toMatch(/^AKSAzureLinux-V3gen2arm64fips-/) },
  // SPEC C-6
  { name: 'C-6 refuses a MOTD on Windows', path: pool('wmotd'), body: win('wmotd', { messageOfTheDay: 'aGVsbG8K' }), refuse: { status: 400, code: 'MessageOfTheDayNotSupportedForWindows' } },
  { name: 'C-6 refuses a MOTD that is not base64', path: pool('badmotd'), body: userPool('badmotd', { messageOfTheDay: 'not base64!' }), refuse: { status: 400, code: 'InvalidParameter' } },
  { name: 'C-6 accepts a MOTD on Linux', path: pool('motd'), body: userPool('motd', { messageOfTheDay: Buffer.from('Authorized use only\n').toString('base64') }), check: async (a) => expect((await poolDoc(a, 'motd')).messageOfTheDay).toBe(Buffer.from('Authorized use only\n').toString('base64')) },
  { name: 'C-6 refuses changing the MOTD', path: pool('motd'), body: userPool('motd', { messageOfTheDay: Buffer.from('other\n').toString('base64') }), refuse: { status: 400, code: 'PropertyChangeNotAllowed' } },
  // SPEC F-6
  { name: 'F-6 refuses switching FIPS on a Windows pool', path: pool('npwin'), body: win('npwin', { enableFIPS: true }), refuse: { status: 400, code: 'FipsChangeNotSupportedForWindows' } },
  { name: 'F-6 preview era: switching FIPS with api-version 2022-11-01 needs MutableFipsPreview', path: pool('lin'), api: AZ_API, body: userPool('lin', { enableFIPS: true }), refuse: { status: 400, code: 'FeatureNotRegistered', message: /MutableFipsPreview/ } },
  { name: 'F-6 GA: switching FIPS on with a current api-version reimages to the FIPS image', path: pool('lin'), body: userPool('lin', { enableFIPS: true }), check: async (a) => expect((await poolDoc(a, 'lin')).nodeImageVersion).toMatch(/^AKSUbuntu-2004gen2fipscontainerd-/) },
  {
    name: 'F-6 preview era: with MutableFipsPreview Registered, api-version 2022-11-01 may switch FIPS off',
    path: pool('lin'),
    api: AZ_API,
    body: userPool('lin', { enableFIPS: false }),
    check: async (a) => expect((await poolDoc(a, 'lin')).nodeImageVersion).toMatch(/^AKSUbuntu-2204gen2TLcontainerd-/),
  },
  // SPEC C-7
  { name: 'C-7 Azure Linux 2.0 pools cannot scale after 2026-03-31', at: '2026-04-01T00:00:00Z', path: pool('al2'), body: userPool('al2', { osSKU: 'AzureLinux', orchestratorVersion: '1.31', count: 2 }), refuse: { status: 400, code: 'OSVersionRetired', message: /AzureLinux3/ } },
  { name: 'C-7 Azure Linux 2.0 has no node image to upgrade to after 2026-03-31', at: '2026-04-01T00:00:00Z', method: 'POST', path: (a) => `${pool('al2')(a)}/upgradeNodeImageVersion`, refuse: { status: 400, code: 'OSVersionRetired' } },
  {
    name: 'C-7 upgrading the Azure Linux 2.0 pool to 1.32 moves it to Azure Linux 3.0',
    at: '2026-04-01T00:00:00Z',
    path: pool('al2'),
    body: userPool('al2', { osSKU: 'AzureLinux', orchestratorVersion: '1.32' }),
    check: async (a) => expect((await poolDoc(a, 'al2')).nodeImageVersion).toMatch(/^AKSAzureLinux-V3gen2TL-/),
  },
  { name: 'C-7 Ubuntu 20.04 (FIPS) pools cannot scale from 2027-03-17', at: '2027-03-18T00:00:00Z', path: pool('fipsub'), body: userPool('fipsub', { enableFIPS: true, count: 2 }), refuse: { status: 400, code: 'OSVersionRetired', message: /1\.34/ } },
  // cluster and pool lifecycle rules
  { name: 'the last System pool cannot be deleted', method: 'DELETE', path: pool('nodepool1'), refuse: { status: 400, code: 'MustDefineAtLeastOneSystemPool' } },
  { name: 'a cluster needs a System pool', path: (a) => a.cluster('rg', 'nosys'), body: clusterBody({ pools: [linuxPool('np', { mode: 'User' })] }), refuse: { status: 400, code: 'MustDefineAtLeastOneSystemPool' } },
  { name: 'a cluster name is checked', path: (a) => a.cluster('rg', '-bad-'), body: clusterBody(), refuse: { status: 400, code: 'InvalidParameter' } },
  { name: 'a DNS prefix is checked', path: (a) => a.cluster('rg', 'dns'), body: clusterBody({ properties: { dnsPrefix: '-x' } }), refuse: { status: 400, code: 'InvalidParameter' } },
  { name: 'a cluster cannot name one pool twice', path: (a) => a.cluster('rg', 'dup'), body: clusterBody({ pools: [linuxPool('a'), linuxPool('a')] }), refuse: { status: 400, code: 'InvalidParameter' } },
  {
    name: 'a missing user-assigned identity is refused',
    path: (a) => a.cluster('rg', 'uai'),
    body: { ...clusterBody(), identity: { type: 'UserAssigned', userAssignedIdentities: { '/subscriptions/x/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/nope': {} } } },
    refuse: { status: 400, code: 'InvalidParameter', message: /az identity create/ },
  },
  { name: 'the DNS prefix cannot change', path: C1, body: clusterBody({ properties: { kubernetesVersion: '1.33', dnsPrefix: 'other' } }), refuse: { status: 400, code: 'PropertyChangeNotAllowed' } },
  { name: 'the control plane cannot skip a minor', path: C1, body: clusterBody({ properties: { kubernetesVersion: '1.35', dnsPrefix: 'myaks' } }), refuse: { status: 400, code: 'KubernetesVersionSkipNotAllowed' } },
  // SPEC F-9
  { name: 'F-9 GetOSOptions exists before 2024-05-01', method: 'GET', api: '2024-02-01', path: (a) => `/subscriptions/${a.sub}/providers/Microsoft.ContainerService/locations/eastus/osOptions/default?resource-type=managedClusters` },
  { name: 'F-9 GetOSOptions is absent from 2024-05-01', method: 'GET', api: '2024-05-01', path: (a) => `/subscriptions/${a.sub}/providers/Microsoft.ContainerService/locations/eastus/osOptions/default?resource-type=managedClusters`, refuse: { status: 400, code: 'NoRegisteredProviderFound' } },
];

describe('FIPS and node pool rules (table)', () => {
  let emu: Emu;
  let a: ArmClient;

  beforeAll(async () => {
    emu = await startTestEmulator({ now: new Date('2025-09-01T00:00:00Z') });
    a = await armClient(emu.url, emu.env);
    expect((await a.call('PUT', `/subscriptions/${a.sub}/resourcegroups/rg`, { location: 'eastus' }, '2021-04-01')).status).toBe(201);
    const created = await a.run('PUT', C1(a), clusterBody({ properties: { kubernetesVersion: '1.33', dnsPrefix: 'myaks' } }));
    expect(created.status, JSON.stringify(created.error)).toBe('Succeeded');
    for (const [name, body] of [
      ['lin', userPool('lin')],
      ['al2', userPool('al2', { osSKU: 'AzureLinux', orchestratorVersion: '1.31' })],
    ] as const) {
      const r = await a.run('PUT', pool(name)(a), body);
      expect(r.status, `${name}: ${r.first.text}`).toBe('Succeeded');
    }
    expect((await poolDoc(a, 'al2')).nodeImageVersion).toMatch(/^AKSAzureLinux-V2gen2TL-/);
  });

  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  for (const c of CASES) {
    it(c.name, async () => {
      if (c.at) emu.core.clock.set(new Date(c.at));
      if (c.name.includes('MutableFipsPreview Registered')) {
        await a.call('POST', `/subscriptions/${a.sub}/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/MutableFipsPreview/register`, undefined, '2021-07-01');
        await emu.core.tasks.idle();
        expect(await emu.core.features.isRegistered(a.sub, 'Microsoft.ContainerService', 'MutableFipsPreview')).toBe(true);
      }
      await emu.core.tasks.idle();
      const method = c.method ?? 'PUT';
      if (c.refuse) {
        const before = await emu.core.store.revision();
        const res = await a.call(method, c.path(a), c.body, c.api);
        expect(res.status, res.text).toBe(c.refuse.status);
        const err = res.json().error;
        expect(err.code).toBe(c.refuse.code);
        if (c.refuse.message) expect(err.message).toMatch(c.refuse.message);
        // Nothing was written: not a document, not an operation, not a task.
        expect(await emu.core.store.revision()).toBe(before);
      } else if (method === 'GET') {
        const res = await a.call(method, c.path(a), undefined, c.api);
        expect(res.status, res.text).toBe(200);
        expect(res.json().properties.osOptionPropertyList).toEqual(expect.arrayContaining([{ 'os-type': 'Linux', 'enable-fips-image': true }]));
      } else {
        const r = await a.run(method, c.path(a), c.body, c.api);
        expect(r.first.status, r.first.text).toBeLessThan(300);
        expect(r.status, JSON.stringify(r.error)).toBe('Succeeded');
        await c.check?.(a, emu);
      }
    });
  }
});

describe('F-2 and C-7 in 2021: FIPS on Kubernetes 1.19, then Ubuntu 18.04 retires', () => {
  let emu: Emu;
  let a: ArmClient;
  beforeAll(async () => {
    // 1.19.9 came out on 2021-03-18 (SPEC C-10).
    emu = await startTestEmulator({ now: new Date('2021-04-01T00:00:00Z') });
    a = await armClient(emu.url, emu.env);
    await a.call('PUT', `/subscriptions/${a.sub}/resourcegroups/rg`, { location: 'eastus' }, '2021-04-01');
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('F-2 accepts a FIPS default pool on Kubernetes 1.19 (aks create --enable-fips-image)', async () => {
    const r = await a.run('PUT', C1(a), clusterBody({ properties: { kubernetesVersion: '1.19.9', dnsPrefix: 'myaks' }, pools: [linuxPool('nodepool1', { enableFIPS: true, count: 1 })] }), AZ_API);
    expect(r.status, JSON.stringify(r.error)).toBe('Succeeded');
    const p = await poolDoc(a, 'nodepool1');
    expect(p.enableFIPS).toBe(true);
    expect(p.currentOrchestratorVersion).toBe('1.19.9');
    expect(p.nodeImageVersion).toMatch(/^AKSUbuntu-1804gen2fipscontainerd-/);
  });

  it('C-7 refuses scaling the Ubuntu 18.04 pool from 2025-06-17, naming the way out', async () => {
    emu.core.clock.set(new Date('2025-06-17T00:00:00Z'));
    // The clock jump wakes the cluster's controllers (node leases, event TTL): let them settle first.
    await emu.core.tasks.idle();
    const before = await emu.core.store.revision();
    const res = await a.call('PUT', pool('nodepool1')(a), { properties: linuxPool('nodepool1', { enableFIPS: true, count: 2 }) });
    expect(res.status).toBe(400);
    expect(res.json().error.code).toBe('OSVersionRetired');
    expect(res.json().error.message).toMatch(/Ubuntu 18\.04 is retired since 2025-06-17.*upgrade the node pool/);
    expect(await emu.core.store.revision()).toBe(before);
  });
});
