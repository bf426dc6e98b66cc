/**
 * Acceptance: the Trusted Launch article (seed 002) end to end with @azure/arm-containerservice through the
 * proxy — create with Secure Boot and vTPM (T-1), add a pool with vTPM only and one with both, switch each on and
 * off on an existing pool with the nodes reimaged one by one (T-2, C-5), the node labels pods select on (T-3), and
 * what the nodes show: Secure Boot state, a vTPM, a healthy attestation with an MAA-style token (T-5, T-6).
 */
import { ClientSecretCredential } from '@azure/identity';
import { ContainerServiceClient, type AgentPool } from '@azure/arm-containerservice';
import { ResourceManagementClient } from '@azure/arm-resources';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeObject } from '../../src/clusters/stored-object.js';
import { removeDataDir, useEnvironment } from '../../testkit/emulator.js';
import { httpsCall } from '../../testkit/http.js';
import { isReady, nodeObjects, tlTestbed, type NodeView, type TlTestbed } from './helpers.js';

const RG = 'myResourceGroup';
const CLUSTER = 'myAKSCluster';
const poll = { updateIntervalInMs: 5 };
const TL_LABEL = 'kubernetes.azure.com/trusted-launch';
const SB_LABEL = 'kubernetes.azure.com/secure-boot';
const TYPE_LABEL = 'kubernetes.azure.com/security-type';

/** The nodes a pod with this nodeSelector may land on (the scheduler's filter: every selector label matches). */
const selectable = (nodes: NodeView[], selector: Record<string, string>) =>
  nodes.filter((n) => isReady(n) && !n.spec.unschedulable && Object.entries(selector).every(([k, v]) => n.metadata.labels[k] === v)).map((n) => n.metadata.name);

describe('Trusted Launch article end to end with @azure/arm-containerservice', () => {
  let tb: TlTestbed;
  let client: ContainerServiceClient;
  let uid: string;
  const nodes = (prefix = '') => nodeObjects(tb.emu, uid, prefix);
  const exec = async (node: string, ...command: string[]) => (await tb.api('POST', `/_aksemu/nodes/${node}/exec`, { command })).json<{ exitCode: number; stdout: string }>();
  const bootLog = async (node: string) => (await tb.api('GET', `/_aksemu/nodes/${node}/boot-log`)).json();

  beforeAll(async () => {
    tb = await tlTestbed();
    useEnvironment(tb.emu.env);
    const cred = new ClientSecretCredential(tb.emu.env.AZURE_TENANT_ID!, tb.emu.env.AZURE_CLIENT_ID!, tb.emu.env.AZURE_CLIENT_SECRET!);
    await new ResourceManagementClient(cred, tb.emu.env.AZURE_SUBSCRIPTION_ID!).resourceGroups.createOrUpdate(RG, { location: 'eastus' });
    client = new ContainerServiceClient(cred, tb.emu.env.AZURE_SUBSCRIPTION_ID!);
  });
  afterAll(async () => {
    await tb?.emu.close();
    if (tb) removeDataDir(tb.emu.dataDir);
  });

  it('az aks create --node-count 1 --enable-secure-boot --enable-vtpm: a Trusted Launch node with both on, attested healthy', async () => {
    const mc = await client.managedClusters.beginCreateOrUpdateAndWait(
      RG,
      CLUSTER,
      {
        location: 'eastus',
        identity: { type: 'SystemAssigned' },
        dnsPrefix: 'myakscluster',
        agentPoolProfiles: [{ name: 'nodepool1', count: 1, vmSize: 'Standard_DS2_v2', mode: 'System', osType: 'Linux', securityProfile: { enableSecureBoot: true, enableVtpm: true } }],
      },
      poll,
    );
    expect(mc.provisioningState).toBe('Succeeded');
    uid = mc.resourceUID!;
    const p = mc.agentPoolProfiles![0]!;
    expect(p.securityProfile).toMatchObject({ enableSecureBoot: true, enableVtpm: true });
    expect(p.nodeImageVersion).toMatch(/^AKSUbuntu-2204gen2TLcontainerd-/);

    const [n] = await nodes();
    expect(isReady(n!)).toBe(true);
    expect(n!.metadata.labels).toMatchObject({ [TL_LABEL]: 'true', [SB_LABEL]: 'true', [TYPE_LABEL]: 'TrustedLaunch' });
    expect(await exec(n!.metadata.name, 'mokutil', '--sb-state')).toMatchObject({ exitCode: 0, stdout: 'SecureBoot enabled\n' });
    expect((await exec(n!.metadata.name, 'cat', '/sys/kernel/security/lockdown')).stdout).toBe('none [integrity] confidentiality\n');

    const log = await bootLog(n!.metadata.name);
    expect(log.boot.steps.map((s: { component: string; verification: string }) => `${s.component}:${s.verification}`)).toEqual(['shim:verified', 'bootloader:verified', 'kernel:verified', 'initrd:verified']);
    expect(log.attestation).toMatchObject({ healthy: true, findings: [], alerts: [] });

    // On-demand attestation: the MAA-style token verifies with the published keys and carries the claims.
    const att = (await tb.api('POST', `/_aksemu/nodes/${n!.metadata.name}/attest`)).json();
    expect(att.healthy).toBe(true);
    const jwks = (await httpsCall(att.jwksUri)).json();
    const { payload, protectedHeader } = await jwtVerify(att.token, createLocalJWKSet(jwks), { issuer: `urn:aksemu:attestation:${tb.emu.env.AZURE_TENANT_ID}` });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({
      secureboot: true,
      'x-ms-attestation-type': 'azurevm',
      'x-ms-azurevm-attested-pcrs': [0, 1, 2, 3, 4, 5, 6, 7],
      'x-ms-azurevm-dbvalidated': true,
      'x-ms-azurevm-dbxvalidated': true,
      'x-ms-azurevm-default-securebootkeysvalidated': true,
      'x-ms-azurevm-ostype': 'Linux',
      'x-ms-azurevm-osdistro': 'Ubuntu',
      'x-ms-azurevm-osversion-major': 22,
      'x-ms-azurevm-vmid': log.vmId.toUpperCase(),
      'x-ms-ver': '1.0',
    });
    expect(payload.exp! - payload.iat!).toBe(8 * 3600);
  });

  it('az aks nodepool add --enable-vtpm (3 nodes) and --enable-vtpm --enable-secure-boot: labels follow the pool', async () => {
    const vtpm = await client.agentPools.beginCreateOrUpdateAndWait(RG, CLUSTER, 'vtpmpool', { count: 3, vmSize: 'Standard_DS2_v2', osType: 'Linux', mode: 'User', securityProfile: { enableVtpm: true } }, poll);
    expect(vtpm.securityProfile).toMatchObject({ enableVtpm: true, enableSecureBoot: false });
    const both = await client.agentPools.beginCreateOrUpdateAndWait(RG, CLUSTER, 'bothpool', { count: 3, vmSize: 'Standard_DS2_v2', osType: 'Linux', mode: 'User', securityProfile: { enableVtpm: true, enableSecureBoot: true } }, poll);
    expect(both.securityProfile).toMatchObject({ enableVtpm: true, enableSecureBoot: true });
    const plain = await client.agentPools.beginCreateOrUpdateAndWait(RG, CLUSTER, 'plainpool', { count: 1, vmSize: 'Standard_DS2_v2', osType: 'Linux', mode: 'User' }, poll);
    // A Trusted Launch compatible pool without the flags: the Trusted Launch image, both off (T-2).
    expect(plain.nodeImageVersion).toMatch(/^AKSUbuntu-2204gen2TLcontainerd-/);
    expect(plain.securityProfile).toMatchObject({ enableVtpm: false, enableSecureBoot: false });

    const all = await nodes();
    expect(all).toHaveLength(8);
    const names = (prefix: string) => all.filter((n) => n.metadata.name.startsWith(`aks-${prefix}-`)).map((n) => n.metadata.name).sort();
    for (const n of all.filter((x) => x.metadata.name.startsWith('aks-vtpmpool-'))) {
      expect(n.metadata.labels[TL_LABEL]).toBe('true');
      expect(n.metadata.labels[SB_LABEL]).toBeUndefined();
      expect(n.metadata.labels[TYPE_LABEL]).toBe('TrustedLaunch');
    }
    for (const n of all.filter((x) => x.metadata.name.startsWith('aks-plainpool-'))) {
      expect(n.metadata.labels[TL_LABEL]).toBeUndefined();
      expect(n.metadata.labels[SB_LABEL]).toBeUndefined();
      expect(n.metadata.labels[TYPE_LABEL]).toBeUndefined();
    }
    // Pods selecting kubernetes.azure.com/trusted-launch: "true" land on vTPM nodes, secure-boot: "true" on Secure Boot nodes.
    expect(selectable(all, { [TL_LABEL]: 'true' }).sort()).toEqual([...names('nodepool1'), ...names('vtpmpool'), ...names('bothpool')].sort());
    expect(selectable(all, { [SB_LABEL]: 'true' }).sort()).toEqual([...names('nodepool1'), ...names('bothpool')].sort());

    const v = names('vtpmpool')[0]!;
    expect((await exec(v, 'mokutil', '--sb-state')).stdout).toBe('SecureBoot disabled\n');
    expect((await exec(v, 'cat', '/sys/class/tpm/tpm0/tpm_version_major')).stdout).toBe('2\n');
    expect((await exec(names('plainpool')[0]!, 'cat', '/sys/class/tpm/tpm0/tpm_version_major')).exitCode).not.toBe(0);
    // A Trusted Launch image with both off boots unverified and unmeasured; its boot log still shows what ran.
    const plainLog = await bootLog(names('plainpool')[0]!);
    expect(plainLog.boot).toMatchObject({ seq: 1, secureBoot: false, vtpm: false });
    expect(plainLog.boot.steps.map((s: { verification: string }) => s.verification)).toEqual(Array(4).fill('not enforced (Secure Boot off)'));
    expect(plainLog.pcrs).toBeUndefined();
  });

  /** Runs an update of a pool while watching its Node objects; asserts the one-by-one reimage. */
  async function updateWatched(pool: string, securityProfile: { enableSecureBoot?: boolean; enableVtpm?: boolean }) {
    const events: Array<{ name: string; ready: boolean }> = [];
    const watch = await tb.emu.core.store.watch(`/clusters/${uid}/registry/minions/aks-${pool}-`, {}, (evs) => {
      for (const e of evs) if (e.type === 'put') events.push({ name: (decodeObject(e.kv.value, e.kv.modRevision) as unknown as NodeView).metadata.name, ready: isReady(decodeObject(e.kv.value, e.kv.modRevision) as unknown as NodeView) });
    });
    const bootsBefore = new Map<string, number>();
    for (const n of await nodes(`aks-${pool}-`)) bootsBefore.set(n.metadata.name, (await bootLog(n.metadata.name)).boot.seq);
    const current = await client.agentPools.get(RG, CLUSTER, pool);
    const updated = await client.agentPools.beginCreateOrUpdateAndWait(RG, CLUSTER, pool, { ...current, securityProfile: { ...current.securityProfile, ...securityProfile } } as AgentPool, poll);
    await new Promise((r) => setTimeout(r, 50));
    watch.cancel();
    expect(updated.provisioningState).toBe('Succeeded');
    // One node at a time: never two down together; each went down once and came back (a reimage: one new boot).
    const down = new Set<string>();
    let maxDown = 0;
    const wentDown = new Map<string, number>();
    for (const e of events) {
      if (!e.ready && !down.has(e.name)) wentDown.set(e.name, (wentDown.get(e.name) ?? 0) + 1);
      if (e.ready) down.delete(e.name);
      else down.add(e.name);
      maxDown = Math.max(maxDown, down.size);
    }
    expect(maxDown).toBe(1);
    expect([...wentDown.values()]).toEqual([...bootsBefore.keys()].map(() => 1));
    for (const [name, seq] of bootsBefore) expect((await bootLog(name)).boot.seq).toBe(seq + 1);
    return updated;
  }

  it('az aks nodepool update --enable-secure-boot reimages the vTPM pool node by node; then --disable-secure-boot', async () => {
    const on = await updateWatched('vtpmpool', { enableSecureBoot: true });
    expect(on.securityProfile).toMatchObject({ enableSecureBoot: true, enableVtpm: true });
    // Same Trusted Launch image: only the switches changed.
    expect(on.nodeImageVersion).toMatch(/^AKSUbuntu-2204gen2TLcontainerd-/);
    for (const n of await nodes('aks-vtpmpool-')) {
      expect(n.metadata.labels[SB_LABEL]).toBe('true');
      expect((await exec(n.metadata.name, 'mokutil', '--sb-state')).stdout).toBe('SecureBoot enabled\n');
      expect((await bootLog(n.metadata.name)).boot.secureBoot).toBe(true);
    }
    const off = await updateWatched('vtpmpool', { enableSecureBoot: false });
    expect(off.securityProfile).toMatchObject({ enableSecureBoot: false, enableVtpm: true });
    for (const n of await nodes('aks-vtpmpool-')) {
      expect(n.metadata.labels[SB_LABEL]).toBeUndefined();
      expect(n.metadata.labels[TL_LABEL]).toBe('true');
    }
  });

  it('az aks nodepool update --disable-vtpm reimages the pool; its nodes lose the vTPM and the label, then --enable-vtpm', async () => {
    const name = (await nodes('aks-bothpool-'))[0]!.metadata.name;
    const vmBefore = (await bootLog(name)).vmId;
    const off = await updateWatched('bothpool', { enableVtpm: false });
    expect(off.securityProfile).toMatchObject({ enableSecureBoot: true, enableVtpm: false });
    for (const n of await nodes('aks-bothpool-')) {
      expect(n.metadata.labels[TL_LABEL]).toBeUndefined();
      expect(n.metadata.labels[SB_LABEL]).toBe('true');
      expect(n.metadata.labels[TYPE_LABEL]).toBe('TrustedLaunch');
    }
    const q = await tb.api('POST', `/_aksemu/nodes/${name}/quote`, { nonce: '00ff' });
    expect(q.status).toBe(409);
    expect(q.json().error).toMatchObject({ code: 'VTPMNotEnabled', message: expect.stringContaining('az aks nodepool update --enable-vtpm') });
    expect((await exec(name, 'cat', '/sys/class/tpm/tpm0/tpm_version_major')).exitCode).not.toBe(0);

    await updateWatched('bothpool', { enableVtpm: true });
    const log = await bootLog(name);
    // The same VM (reimaged, not replaced) with a new vTPM, attested healthy again.
    expect(log.vmId).toBe(vmBefore);
    expect(log.attestation.healthy).toBe(true);
    expect((await nodes('aks-bothpool-')).every((n) => n.metadata.labels[TL_LABEL] === 'true')).toBe(true);
  });

  it('the cluster view lists every pool with its security profile (az aks show)', async () => {
    const mc = await client.managedClusters.get(RG, CLUSTER);
    const rows = mc.agentPoolProfiles!.map((p) => [p.name, p.securityProfile?.enableSecureBoot, p.securityProfile?.enableVtpm]).sort();
    expect(rows).toEqual([
      ['bothpool', true, true],
      ['nodepool1', true, true],
      ['plainpool', false, false],
      ['vtpmpool', false, true],
    ]);
  });
});
