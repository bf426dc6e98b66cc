/**
 * SPEC C-10 with the real Debian az 2.45 and plain HTTPS: `az aks get-versions` (locations/orchestrators),
 * `az aks get-upgrades` (upgradeProfiles/default) and `az aks nodepool get-upgrades` answer from the version catalog
 * at the emulator's date, a minor version resolves to the newest patch released by then, and the REST shapes of
 * kubernetesVersions, both upgrade profiles and availableAgentPoolVersions match the REST spec's examples (read from
 * $AKSEMU_REST_SPECS, by default the shared/reference/rest-specs folder next to the checkout).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { az, azLogin } from '../../testkit/az.js';
import { ROOT, spawnEmulator, type SpawnedEmulator } from '../../testkit/emulator.js';
import { getToken, httpsCall } from '../../testkit/http.js';
import { describeWith } from '../../testkit/optional.js';

const SPECS = process.env.AKSEMU_REST_SPECS ?? join(ROOT, '..', 'shared', 'reference', 'rest-specs');
const EXAMPLES = join(SPECS, 'containerservice', 'resource-manager', 'Microsoft.ContainerService', 'aks', 'stable');
if (!existsSync(EXAMPLES)) process.stderr.write(`SKIP the REST spec shape checks: ${EXAMPLES} does not exist (set AKSEMU_REST_SPECS)\n`);

/** The 200 body of the newest stored example of that name. */
function example(file: string): unknown {
  const version = ['2026-08-01', '2026-07-01', '2026-06-01'].find((v) => existsSync(join(EXAMPLES, v, 'examples', file)))!;
  return JSON.parse(readFileSync(join(EXAMPLES, version, 'examples', file), 'utf8')).responses['200'].body;
}

/** Every property path of a document ("properties.upgrades[].kubernetesVersion"); version-keyed maps become "*". */
function paths(v: unknown, at = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) v.forEach((x) => paths(x, `${at}[]`, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const p = `${at}${at ? '.' : ''}${/^\d+\.\d+\.\d+$/.test(k) ? '*' : k}`;
      out.add(p);
      paths(x, p, out);
    }
  }
  return out;
}

const AT = '2023-06-15T00:00:00Z';

describeWith(['az'], 'real az 2.45: Kubernetes versions and upgrades at the emulated date', () => {
  let emu: SpawnedEmulator;
  let env: Record<string, string>;
  let token: string;
  const rg = ['--resource-group', 'versionsRG'];
  const sub = () => env.AZURE_SUBSCRIPTION_ID!;
  const clusterId = () => `/subscriptions/${sub()}/resourceGroups/versionsRG/providers/Microsoft.ContainerService/managedClusters/v126`;
  const rest = async (path: string, apiVersion = '2026-08-01') => {
    const res = await httpsCall(`${emu.url}${path}?api-version=${apiVersion}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status, res.text).toBe(200);
    return res.json<any>();
  };
  const setClock = async (now: string) => {
    const res = await httpsCall(`${emu.url}/_aksemu/clock`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ now }) });
    expect(res.status, res.text).toBe(200);
  };

  beforeAll(async () => {
    emu = await spawnEmulator({ args: ['--now', AT] });
    env = { ...emu.env, HOME: mkdtempSync(join(tmpdir(), 'aksemu-az-versions-')) };
    await azLogin(env);
    token = await getToken(emu.url, emu.env);
    expect((await az(['group', 'create', '-n', 'versionsRG', '-l', 'eastus', '-o', 'none'], env)).code).toBe(0);
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it('--kubernetes-version 1.26 on 2023-06-15 is the newest 1.26 patch out by then (1.26.6), and 1.26.12 is refused', async () => {
    const early = await az(['aks', 'create', ...rg, '--name', 'tooNew', '--kubernetes-version', '1.26.12', '--node-count', '1', '--generate-ssh-keys', '-o', 'none'], env, 120_000);
    expect(early.code).not.toBe(0);
    expect(early.stderr).toContain('KubernetesVersionNotSupported');
    const res = await az(['aks', 'create', ...rg, '--name', 'v126', '--kubernetes-version', '1.26', '--node-count', '1', '--generate-ssh-keys', '-o', 'json'], env, 120_000);
    expect(res.code, res.stderr).toBe(0);
    expect(res.json()).toMatchObject({ kubernetesVersion: '1.26', currentKubernetesVersion: '1.26.6' });
  });

  it('az aks get-versions: the patches offered on that date, the default, each with its upgrades (-o json and -o table)', async () => {
    const res = await az(['aks', 'get-versions', '--location', 'eastus', '-o', 'json'], env);
    expect(res.code, res.stderr).toBe(0);
    const orchestrators = res.json().orchestrators as Array<{ orchestratorVersion: string; default: boolean | null; upgrades: Array<{ orchestratorVersion: string }> | null }>;
    expect(orchestrators.map((o) => o.orchestratorVersion)).toEqual(['1.24.6', '1.24.9', '1.25.5', '1.26.6', '1.27.1']);
    expect(orchestrators.filter((o) => o.default).map((o) => o.orchestratorVersion)).toEqual(['1.26.6']);
    expect(orchestrators.find((o) => o.orchestratorVersion === '1.24.6')!.upgrades!.map((u) => u.orchestratorVersion)).toEqual(['1.24.9', '1.25.5']);
    const table = await az(['aks', 'get-versions', '--location', 'eastus', '-o', 'table'], env);
    expect(table.code, table.stderr).toBe(0);
    const rows = table.stdout.trim().split('\n').slice(2).map((l) => l.trim().split(/\s{2,}/));
    expect(rows).toEqual([
      ['1.27.1', 'None available'],
      ['1.26.6', '1.27.1'],
      ['1.25.5', '1.26.6'],
      ['1.24.9', '1.25.5'],
      ['1.24.6', '1.24.9, 1.25.5'],
    ]);
  });

  it('az aks get-upgrades and az aks nodepool get-upgrades (-o json and -o table)', async () => {
    const json = await az(['aks', 'get-upgrades', ...rg, '--name', 'v126', '-o', 'json'], env);
    expect(json.code, json.stderr).toBe(0);
    expect(json.json()).toMatchObject({
      name: 'default',
      controlPlaneProfile: { kubernetesVersion: '1.26.6', name: 'master', osType: 'Linux', upgrades: [{ kubernetesVersion: '1.27.1' }] },
      agentPoolProfiles: [{ name: 'nodepool1', kubernetesVersion: '1.26.6', osType: 'Linux', upgrades: [] }],
    });
    const table = await az(['aks', 'get-upgrades', ...rg, '--name', 'v126', '-o', 'table'], env);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.trim().split('\n')[2]!.trim().split(/\s{2,}/)).toEqual(['default', 'versionsRG', '1.26.6', '1.27.1']);
    const pool = await az(['aks', 'nodepool', 'get-upgrades', ...rg, '--cluster-name', 'v126', '--nodepool-name', 'nodepool1', '-o', 'json'], env);
    expect(pool.code, pool.stderr).toBe(0);
    expect(pool.json()).toMatchObject({ name: 'default', kubernetesVersion: '1.26.6', osType: 'Linux', upgrades: [] });
    expect(pool.json().latestNodeImageVersion).toMatch(/^AKSUbuntu-2204gen2/);
    const missing = await az(['aks', 'nodepool', 'get-upgrades', ...rg, '--cluster-name', 'v126', '--nodepool-name', 'ghost'], env);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("Agent pool 'ghost' was not found");
  });

  it('follows the emulated clock: on 2024-01-10 1.26.12 is out and 1.25 is gone, the control plane may go to it or to 1.27, the pool may follow', async () => {
    await setClock('2024-01-10T00:00:00Z');
    const versions = await az(['aks', 'get-versions', '--location', 'eastus', '--query', 'orchestrators[].orchestratorVersion', '-o', 'tsv'], env);
    // 1.25 left AKS support on 2023-12-31.
    expect(versions.stdout.trim().split('\n')).toEqual(['1.26.6', '1.26.12', '1.27.1', '1.27.3', '1.27.7', '1.28.5']);
    const cp = await az(['aks', 'get-upgrades', ...rg, '--name', 'v126', '--query', 'controlPlaneProfile.upgrades[].kubernetesVersion', '-o', 'tsv'], env);
    expect(cp.stdout.trim().split('\n')).toEqual(['1.26.12', '1.27.1', '1.27.3', '1.27.7']);
    // A patch released since moves nothing by itself: az aks update (GET + PUT of the same versions) keeps 1.26.6.
    const update = await az(['aks', 'update', ...rg, '--name', 'v126', '--tags', 'team=versions', '--query', '{k:kubernetesVersion,c:currentKubernetesVersion,p:agentPoolProfiles[0].currentOrchestratorVersion}', '-o', 'json'], env, 120_000);
    expect(update.code, update.stderr).toBe(0);
    expect(update.json()).toEqual({ k: '1.26', c: '1.26.6', p: '1.26.6' });
    // A pool never goes past its control plane's minor.
    const pool = await az(['aks', 'nodepool', 'get-upgrades', ...rg, '--cluster-name', 'v126', '--nodepool-name', 'nodepool1', '--query', 'upgrades[].kubernetesVersion', '-o', 'tsv'], env);
    expect(pool.stdout.trim().split('\n')).toEqual(['1.26.12']);
  });

  it.runIf(existsSync(EXAMPLES))('answers in the REST spec examples\' shapes (kubernetesVersions, upgrade profiles, availableAgentPoolVersions)', async () => {
    const versions = await rest(`/subscriptions/${sub()}/providers/Microsoft.ContainerService/locations/eastus/kubernetesVersions`);
    expect([...paths(versions)].filter((p) => !paths(example('KubernetesVersions_List.json')).has(p))).toEqual([]);
    expect(versions.values.map((v: { version: string }) => v.version)).toEqual(['1.26', '1.27', '1.28']);
    expect(versions.values.filter((v: { isDefault?: boolean }) => v.isDefault).map((v: { version: string }) => v.version)).toEqual(['1.27']);
    expect(versions.values[0].patchVersions).toEqual({ '1.26.6': { upgrades: ['1.26.12', '1.27.1', '1.27.3', '1.27.7'] }, '1.26.12': { upgrades: ['1.27.1', '1.27.3', '1.27.7'] } });

    const profile = await rest(`${clusterId()}/upgradeProfiles/default`);
    expect([...paths(profile)].filter((p) => !paths(example('ManagedClustersGetUpgradeProfile.json')).has(p))).toEqual([]);
    expect(profile).toMatchObject({ name: 'default', type: 'Microsoft.ContainerService/managedClusters/upgradeprofiles', id: `${clusterId()}/upgradeprofiles/default` });
    const poolProfile = await rest(`${clusterId()}/agentPools/nodepool1/upgradeProfiles/default`);
    expect([...paths(poolProfile)].filter((p) => !paths(example('AgentPoolsGetUpgradeProfile.json')).has(p))).toEqual([]);
    expect(poolProfile.properties).toMatchObject({ kubernetesVersion: '1.26.6', osType: 'Linux', upgrades: [{ kubernetesVersion: '1.26.12' }] });

    const available = await rest(`${clusterId()}/availableAgentPoolVersions`);
    expect(available.properties.agentPoolVersions.map((v: { kubernetesVersion: string }) => v.kubernetesVersion)).toEqual(['1.26.6', '1.26.12', '1.27.1', '1.27.3', '1.27.7', '1.28.5']);
    expect(available.properties.agentPoolVersions.filter((v: { default?: boolean }) => v.default)).toEqual([{ default: true, kubernetesVersion: '1.27.7' }]);
  });
});
