/**
 * Acceptance: the real Debian az 2.45 (api-version 2022-11-01) runs the FIPS article's commands:
 * `az aks create --enable-fips-image`, `az aks nodepool add --enable-fips-image` (Linux and --os-type Windows), and
 * `az aks show --query "agentPoolProfiles[].{Name:name enableFips:enableFips}" -o table` prints the seed's rows.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { az, azLogin } from '../../testkit/az.js';
import { spawnEmulator, type SpawnedEmulator } from '../../testkit/emulator.js';
import { describeWith } from '../../testkit/optional.js';

describeWith(['az'], 'real az 2.45: FIPS node pools', () => {
  let emu: SpawnedEmulator;
  let env: Record<string, string>;
  const rg = ['--resource-group', 'myResourceGroup'];
  beforeAll(async () => {
    emu = await spawnEmulator({ args: ['--now', '2025-09-01T00:00:00Z'] });
    // --generate-ssh-keys writes ~/.ssh: give az a home of its own.
    env = { ...emu.env, HOME: mkdtempSync(join(tmpdir(), 'aksemu-az-home-')) };
    await azLogin(env);
    const g = await az(['group', 'create', '-n', 'myResourceGroup', '-l', 'eastus', '-o', 'none'], env);
    expect(g.code, g.stderr).toBe(0);
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it('az aks create --enable-fips-image makes a FIPS default pool', async () => {
    const res = await az(['aks', 'create', ...rg, '--name', 'fipsCluster', '--node-count', '1', '--enable-fips-image', '--generate-ssh-keys', '-o', 'json'], env, 120_000);
    expect(res.code, res.stderr).toBe(0);
    const mc = res.json();
    expect(mc.provisioningState).toBe('Succeeded');
    expect(mc.agentPoolProfiles).toHaveLength(1);
    expect(mc.agentPoolProfiles[0]).toMatchObject({ name: 'nodepool1', enableFips: true, count: 1, provisioningState: 'Succeeded' });
    expect(mc.agentPoolProfiles[0].nodeImageVersion).toMatch(/^AKSUbuntu-2004gen2fipscontainerd-/);
    expect(mc.servicePrincipalProfile.clientId).toBe('msi');
    expect(mc.nodeResourceGroup).toBe('MC_myResourceGroup_fipsCluster_eastus');
  });

  it('az aks nodepool add --enable-fips-image, and show prints fipsnp True / nodepool1 False', async () => {
    const create = await az(['aks', 'create', ...rg, '--name', 'myAKSCluster', '--node-count', '1', '--generate-ssh-keys', '-o', 'none'], env, 120_000);
    expect(create.code, create.stderr).toBe(0);
    // az aks update is GET + PUT of the whole cluster (it needs identityProfile.kubeletidentity).
    const update = await az(['aks', 'update', ...rg, '--name', 'myAKSCluster', '--tags', 'env=test', '-o', 'json'], env, 120_000);
    expect(update.code, update.stderr).toBe(0);
    expect(update.json().tags).toEqual({ env: 'test' });
    const add = await az(['aks', 'nodepool', 'add', ...rg, '--cluster-name', 'myAKSCluster', '--name', 'fipsnp', '--enable-fips-image', '-o', 'json'], env, 120_000);
    expect(add.code, add.stderr).toBe(0);
    expect(add.json()).toMatchObject({ name: 'fipsnp', enableFips: true, count: 3, provisioningState: 'Succeeded', osType: 'Linux' });

    const show = await az(['aks', 'show', ...rg, '--name', 'myAKSCluster', '--query', 'agentPoolProfiles[].{Name:name enableFips:enableFips}', '-o', 'table'], env);
    expect(show.code, show.stderr).toBe(0);
    const rows = show.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
    // az 2.45's table formatter capitalises the header ("EnableFips"); the rows are the seed's.
    expect(rows[0]!.map((h) => h.toLowerCase())).toEqual(['name', 'enablefips']);
    expect(rows.slice(2)).toEqual([
      ['fipsnp', 'True'],
      ['nodepool1', 'False'],
    ]);
  });

  it('az aks nodepool add --enable-fips-image --os-type Windows', async () => {
    const add = await az(['aks', 'nodepool', 'add', ...rg, '--cluster-name', 'myAKSCluster', '--name', 'fipwin', '--enable-fips-image', '--os-type', 'Windows', '--node-count', '1', '-o', 'json'], env, 120_000);
    expect(add.code, add.stderr).toBe(0);
    expect(add.json()).toMatchObject({ name: 'fipwin', enableFips: true, osType: 'Windows', osSku: 'Windows2022', provisioningState: 'Succeeded' });
    const show = await az(['aks', 'show', ...rg, '--name', 'myAKSCluster', '--query', 'agentPoolProfiles[].{Name:name enableFips:enableFips}', '-o', 'table'], env);
    expect(show.stdout).toMatch(/fipwin\s+True/);
    const list = await az(['aks', 'nodepool', 'list', ...rg, '--cluster-name', 'myAKSCluster', '--query', '[].name', '-o', 'tsv'], env);
    expect(list.stdout.trim().split('\n')).toEqual(['fipsnp', 'fipwin', 'nodepool1']);
  });

  it('az aks upgrade, nodepool scale and nodepool upgrade --node-image-only', async () => {
    const up = await az(['aks', 'upgrade', ...rg, '--name', 'myAKSCluster', '--kubernetes-version', '1.33', '--yes', '-o', 'json'], env, 120_000);
    expect(up.code, up.stderr).toBe(0);
    const mc = up.json();
    // 1.33.2 came out on 2025-09-09 (SPEC C-10): on 2025-09-01 the newest 1.33 patch is 1.33.2.
    expect(mc.currentKubernetesVersion).toBe('1.33.2');
    expect(mc.agentPoolProfiles.map((p: { currentOrchestratorVersion: string }) => p.currentOrchestratorVersion)).toEqual(['1.33.2', '1.33.2', '1.33.2']);
    const scale = await az(['aks', 'nodepool', 'scale', ...rg, '--cluster-name', 'myAKSCluster', '--name', 'fipsnp', '--node-count', '2', '-o', 'json'], env, 120_000);
    expect(scale.code, scale.stderr).toBe(0);
    expect(scale.json()).toMatchObject({ count: 2, enableFips: true, provisioningState: 'Succeeded' });
    const img = await az(['aks', 'nodepool', 'upgrade', ...rg, '--cluster-name', 'myAKSCluster', '--name', 'fipsnp', '--node-image-only', '--yes', '-o', 'none'], env, 120_000);
    expect(img.code, img.stderr).toBe(0);
    const pool = await az(['aks', 'nodepool', 'show', ...rg, '--cluster-name', 'myAKSCluster', '--name', 'fipsnp', '--query', '{state:provisioningState,image:nodeImageVersion}', '-o', 'json'], env);
    expect(pool.json()).toEqual({ state: 'Succeeded', image: expect.stringMatching(/^AKSUbuntu-2004gen2fipscontainerd-/) });
  });

  it('a refused pool name reaches az as a clear error', async () => {
    const bad = await az(['aks', 'nodepool', 'add', ...rg, '--cluster-name', 'myAKSCluster', '--name', 'FIPS_NP', '--enable-fips-image', '-o', 'none'], env, 60_000);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/InvalidParameter|aks-naming-rules|name/i);
  });

  it('SPEC C-2 on every PUT: nodepool add --name FIPSNP beside fipsnp is refused, not applied to fipsnp', async () => {
    // az 2.45 checks only that the name is alphanumeric and compares it with the existing names case-sensitively,
    // so it sends PUT agentPools/FIPSNP; ARM ids are case-insensitive, and that PUT once updated fipsnp silently.
    const upper = await az(['aks', 'nodepool', 'add', ...rg, '--cluster-name', 'myAKSCluster', '--name', 'FIPSNP', '--node-count', '1', '-o', 'none'], env, 60_000);
    expect(upper.code).not.toBe(0);
    expect(upper.stderr).toContain("(InvalidParameter) The value of parameter agentPoolProfile.name is invalid: 'FIPSNP'. Linux node pool names must be 1-11 characters of lowercase letters and digits");
    const pool = await az(['aks', 'nodepool', 'show', ...rg, '--cluster-name', 'myAKSCluster', '--name', 'fipsnp', '--query', '{count:count,fips:enableFips,state:provisioningState}', '-o', 'json'], env);
    expect(pool.json()).toEqual({ count: 2, fips: true, state: 'Succeeded' });
  });

  it('az aks delete removes the cluster and its node resource group', async () => {
    const del = await az(['aks', 'delete', ...rg, '--name', 'myAKSCluster', '--yes'], env, 120_000);
    expect(del.code, del.stderr).toBe(0);
    const show = await az(['aks', 'show', ...rg, '--name', 'myAKSCluster'], env);
    expect(show.code).not.toBe(0);
    expect(show.stderr).toContain('ResourceNotFound');
    const nodeRg = await az(['group', 'exists', '-n', 'MC_myResourceGroup_myAKSCluster_eastus'], env);
    expect(nodeRg.stdout.trim()).toBe('false');
  });
});
