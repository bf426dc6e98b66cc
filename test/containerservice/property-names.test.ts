/**
 * SPEC C-11: Microsoft.ContainerService reads request property names case-insensitively, as Azure does, and
 * stores and answers them in the REST spec's casing: a managed cluster and an agent pool PUT with `ENABLEFIPS`,
 * `enableVtpm`, `Properties`, ... make the same resources as the canonical names, and no other spelling is echoed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, startTestEmulator } from '../../testkit/emulator.js';
import { armClient, clusterBody, linuxPool, type ArmClient } from '../../testkit/containerservice.js';

type Emu = Awaited<ReturnType<typeof startTestEmulator>>;

/** Every property name in a document (map keys included). */
function keys(v: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) v.forEach((x) => keys(x, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) keys(x, out.add(k));
  return out;
}

/** What two resources made from the same request must share (their names, ids and generated values aside). */
function comparable(doc: any) {
  const { name: _n, id: _i, ...rest } = doc;
  const props = { ...rest.properties };
  for (const k of ['fqdn', 'resourceUID', 'dnsPrefix', 'nodeResourceGroup', 'identityProfile', 'azurePortalFQDN']) delete props[k];
  // eTags are fresh for every cluster and pool (SPEC C-12).
  if (Array.isArray(props.agentPoolProfiles)) props.agentPoolProfiles = props.agentPoolProfiles.map((p: any) => ({ ...p, nodeImageVersion: undefined, eTag: undefined }));
  // The effective outbound IPs are resources of each cluster's own node resource group.
  const lb = props.networkProfile?.loadBalancerProfile;
  if (lb) props.networkProfile = { ...props.networkProfile, loadBalancerProfile: { ...lb, effectiveOutboundIPs: undefined } };
  const { identity: _id, eTag: _e, ...top } = rest;
  return { ...top, properties: props };
}

describe('case-insensitive property names on input (SPEC C-11)', () => {
  let emu: Emu;
  let a: ArmClient;

  beforeAll(async () => {
    emu = await startTestEmulator({ now: new Date('2025-09-01T00:00:00Z') });
    a = await armClient(emu.url, emu.env);
    expect((await a.call('PUT', `/subscriptions/${a.sub}/resourcegroups/rg`, { location: 'eastus' }, '2021-04-01')).status).toBe(201);
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('a managed cluster PUT with names in any casing is the cluster the canonical names make', async () => {
    const canonical = clusterBody({
      properties: { kubernetesVersion: '1.32', dnsPrefix: 'canon', apiServerAccessProfile: { enableVnetIntegration: true } },
      pools: [linuxPool('nodepool1', { count: 1, enableFIPS: true, nodeLabels: { Team: 'sec' } })],
    });
    const made = await a.run('PUT', a.cluster('rg', 'canon'), { ...canonical, tags: { Env: 'test' } });
    expect(made.status, JSON.stringify(made.error)).toBe('Succeeded');
    const mixed = {
      LOCATION: 'eastus',
      Tags: { Env: 'test' },
      identity: { TYPE: 'SystemAssigned' },
      Properties: {
        kubernetesversion: '1.32',
        DNSPrefix: 'mixed',
        apiserveraccessprofile: { EnableVnetIntegration: true },
        AgentPoolProfiles: [{ NAME: 'nodepool1', Count: 1, vmsize: 'Standard_DS2_v2', OSType: 'Linux', Mode: 'System', type: 'VirtualMachineScaleSets', ENABLEFIPS: true, nodelabels: { Team: 'sec' } }],
      },
    };
    const res = await a.run('PUT', a.cluster('rg', 'mixed'), mixed);
    expect(res.status, JSON.stringify(res.error)).toBe('Succeeded');
    const [c, m] = await Promise.all(['canon', 'mixed'].map(async (n) => (await a.call('GET', a.cluster('rg', n))).json()));
    expect(m.properties.agentPoolProfiles[0]).toMatchObject({ name: 'nodepool1', enableFIPS: true, count: 1, nodeLabels: { Team: 'sec' } });
    expect(m.properties.agentPoolProfiles[0].nodeImageVersion).toMatch(/fipscontainerd/);
    expect(m.properties.apiServerAccessProfile).toEqual({ enableVnetIntegration: true });
    expect(comparable(m)).toEqual(comparable(c));
    // Only the canonical spellings come back (map keys such as the label and tag names are data, kept as given).
    const names = keys(m);
    for (const other of ['LOCATION', 'Tags', 'TYPE', 'Properties', 'kubernetesversion', 'DNSPrefix', 'apiserveraccessprofile', 'EnableVnetIntegration', 'AgentPoolProfiles', 'NAME', 'Count', 'vmsize', 'OSType', 'Mode', 'ENABLEFIPS', 'enableFips', 'nodelabels']) {
      expect(names.has(other), other).toBe(false);
    }
  });

  it('an agent pool PUT with enableVtpm / ENABLESECUREBOOT stores securityProfile.enableVTPM and enableSecureBoot', async () => {
    const canonical = { properties: { count: 1, vmSize: 'Standard_DS2_v2', osType: 'Linux', mode: 'User', securityProfile: { enableVTPM: true, enableSecureBoot: true } } };
    const mixed = { PROPERTIES: { Count: 1, VMSize: 'Standard_DS2_v2', ostype: 'Linux', MODE: 'User', securityprofile: { enableVtpm: true, ENABLESECUREBOOT: true } } };
    for (const [name, body] of [['tlcanon', canonical], ['tlmixed', mixed]] as const) {
      const r = await a.run('PUT', `${a.cluster('rg', 'canon')}/agentPools/${name}`, body);
      expect(r.status, `${name}: ${JSON.stringify(r.error)} ${r.first.text}`).toBe('Succeeded');
    }
    const [c, m] = await Promise.all(['tlcanon', 'tlmixed'].map(async (n) => (await a.call('GET', `${a.cluster('rg', 'canon')}/agentPools/${n}`)).json()));
    expect(m.properties.securityProfile).toEqual({ enableSecureBoot: true, enableVTPM: true });
    expect(m.properties.securityProfile).toEqual(c.properties.securityProfile);
    expect(m.properties.nodeImageVersion).toBe(c.properties.nodeImageVersion);
    expect(m.properties.nodeImageVersion).toMatch(/gen2TL/);
    const names = keys(m);
    for (const other of ['PROPERTIES', 'Count', 'VMSize', 'ostype', 'MODE', 'securityprofile', 'enableVtpm', 'ENABLESECUREBOOT']) expect(names.has(other), other).toBe(false);
  });

  it('the same property named twice in one object is a 400 that changes nothing', async () => {
    // The cluster's own controllers write to the store meanwhile: what must not change is ARM's view.
    const pools = async () => (await a.call('GET', `${a.cluster('rg', 'canon')}/agentPools`)).json().value.map((p: { name: string; properties: { provisioningState: string } }) => `${p.name}:${p.properties.provisioningState}`).sort();
    const before = await pools();
    const res = await a.call('PUT', `${a.cluster('rg', 'canon')}/agentPools/twice`, { properties: { count: 1, enableFIPS: true, enableFips: false } });
    expect(res.status).toBe(400);
    expect(res.json().error.code).toBe('InvalidRequestContent');
    expect(res.json().error.message).toContain("names property 'properties.enableFIPS' twice");
    expect((await a.call('GET', `${a.cluster('rg', 'canon')}/agentPools/twice`)).status).toBe(404);
    expect(await pools()).toEqual(before);
  });
});
