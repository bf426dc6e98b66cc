/**
 * (SPEC A-1) listClusterUserCredential / listClusterAdminCredential return an AKS-shaped
 * kubeconfig (server, CA data, a bearer token bound to the caller); the real `az aks get-credentials` and
 * `aksemu aks get-credentials` write it; kubectl then works with no flags, directly or through the proxy at the
 * cluster's fqdn.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { az, azLogin } from '../../testkit/az.js';
import { CLI } from '../../testkit/emulator.js';
import { getToken, httpsCall } from '../../testkit/http.js';
import { describeWith } from '../../testkit/optional.js';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { createArmCluster } from '../../testkit/kube/arm-cluster.js';
import { addCluster, fetchKubeconfig, kubectl, startEmulatorWithFixtures, type TestEmulator } from '../../testkit/kube/kube-env.js';

function claims(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

function aksemu(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir() } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function homeWith(file: string) {
  return { home: tmpdir(), env: { HOME: mkdtempSync(join(tmpdir(), 'aksemu-home-')), KUBECONFIG: file, PATH: process.env.PATH ?? '/usr/bin:/bin' } };
}

describe('cluster credentials', () => {
  let emu: TestEmulator;
  let cluster: FixtureCluster;

  beforeAll(async () => {
    emu = await startEmulatorWithFixtures();
    cluster = await addCluster(emu, { name: 'credCluster', resourceGroup: 'credRG', pools: [{ name: 'nodepool1', count: 1 }] });
    await addCluster(emu, { name: 'noLocal', resourceGroup: 'credRG', pools: [{ name: 'nodepool1', count: 1 }], disableLocalAccounts: true });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('returns the user kubeconfig AKS returns; without Entra ID integration its user is the local account, the same token each time (SPEC Z-2)', async () => {
    const token = await getToken(emu.url, emu.env);
    const res = await httpsCall(`${emu.url}${cluster.armId}/listClusterUserCredential?api-version=2022-11-01`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body.kubeconfigs.map((k: any) => k.name)).toEqual(['clusterUser']);
    const cfg = parse(Buffer.from(body.kubeconfigs[0].value, 'base64').toString('utf8'));
    expect(cfg).toMatchObject({ apiVersion: 'v1', kind: 'Config', 'current-context': 'credCluster', preferences: {} });
    expect(cfg.clusters).toEqual([
      { name: 'credCluster', cluster: { server: emu.url, 'tls-server-name': cluster.fqdn, 'certificate-authority-data': Buffer.from(emu.core.ca.certPem).toString('base64') } },
    ]);
    expect(cfg.contexts).toEqual([{ name: 'credCluster', context: { cluster: 'credCluster', user: 'clusterUser_credRG_credCluster' } }]);
    expect(cfg.users[0].name).toBe('clusterUser_credRG_credCluster');
    const c = claims(cfg.users[0].user.token);
    expect(c.aud).toBe(`urn:aksemu:cluster:${cluster.uid}:admin`);
    expect(c.sub).toBe('masterclient');
    expect(c.oid).toBeUndefined();
    expect(c.exp - c.iat).toBeGreaterThan(365 * 24 * 3600);
    const again = await httpsCall(`${emu.url}${cluster.armId}/listClusterUserCredential?api-version=2022-11-01`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(again.json().kubeconfigs[0].value).toBe(body.kubeconfigs[0].value);
  });

  it('returns admin credentials bound to the cluster, and refuses them when local accounts are disabled', async () => {
    const cfg = parse(await fetchKubeconfig(emu, cluster, true));
    // AKS names the admin context after the cluster too; az renames it <name>-admin when it merges it.
    expect(cfg['current-context']).toBe('credCluster');
    expect(cfg.contexts).toEqual([{ name: 'credCluster', context: { cluster: 'credCluster', user: 'clusterAdmin_credRG_credCluster' } }]);
    expect(cfg.users[0].name).toBe('clusterAdmin_credRG_credCluster');
    expect(claims(cfg.users[0].user.token).aud).toBe(`urn:aksemu:cluster:${cluster.uid}:admin`);
    const token = await getToken(emu.url, emu.env);
    const refused = await httpsCall(`${emu.url}${cluster.armId.replace('credCluster', 'noLocal')}/listClusterAdminCredential?api-version=2022-11-01`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(refused.status).toBe(400);
    expect(refused.json().error).toEqual({ code: 'BadRequest', message: 'Getting static credential is not allowed because this cluster is set to disable local accounts.' });
    const missing = await httpsCall(`${emu.url}${cluster.armId.replace('credCluster', 'ghost')}/listClusterUserCredential?api-version=2022-11-01`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(missing.status).toBe(404);
    expect(missing.json().error.code).toBe('ResourceNotFound');
  });

  describeWith(['kubectl'], 'aksemu aks get-credentials', () => {
    it('merges the kubeconfig into a file like az does, and kubectl uses it with no flags', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'aksemu-kcfg-'));
      const file = join(dir, 'config');
      writeFileSync(file, 'apiVersion: v1\nkind: Config\nclusters:\n- name: other\n  cluster:\n    server: https://example.invalid\ncontexts: []\nusers: []\ncurrent-context: ""\n', { mode: 0o600 }); // az warns about a kubeconfig others can read
      const first = await aksemu(['aks', 'get-credentials', '-g', 'credRG', '-n', 'credCluster', '--file', file, '--data-dir', emu.dataDir]);
      expect(first.code, first.stderr).toBe(0);
      // az 2.45 logs this as a warning (acs/custom.py merge_kubernetes_configurations: logger.warning), on stderr.
      expect(first.stderr.trim()).toBe(`WARNING: Merged "credCluster" as current context in ${file}`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const cfg = parse(readFileSync(file, 'utf8'));
      expect(cfg.clusters.map((c: any) => c.name)).toEqual(['other', 'credCluster']);
      const nodes = await kubectl(homeWith(file), ['get', 'nodes', '-o', 'name']);
      expect(nodes.code, nodes.stderr).toBe(0);
      expect(nodes.stdout.trim()).toBe(`node/${cluster.nodeNames[0]}`);
      // Every path reaches the cluster (the front door routes by the TLS server name), --raw too.
      const raw = await kubectl(homeWith(file), ['get', '--raw', '/api/v1/nodes?limit=1']);
      expect(raw.code, raw.stderr).toBe(0);
      expect(JSON.parse(raw.stdout).items[0].metadata.name).toBe(cluster.nodeNames[0]);

      // The same credential again merges cleanly (az refuses only a different object under the same name).
      const again = await aksemu(['aks', 'get-credentials', '-g', 'credRG', '-n', 'credCluster', '--file', file, '--data-dir', emu.dataDir]);
      expect(again.code, again.stderr).toBe(0);
      expect(parse(readFileSync(file, 'utf8')).users.map((u: any) => u.name)).toEqual(['clusterUser_credRG_credCluster']);
      writeFileSync(file, readFileSync(file, 'utf8').replace(/token: \S+/, 'token: changed'), { mode: 0o600 });
      const different = await aksemu(['aks', 'get-credentials', '-g', 'credRG', '-n', 'credCluster', '--file', file, '--data-dir', emu.dataDir]);
      expect(different.code).toBe(1);
      expect(different.stderr).toContain('A different object named clusterUser_credRG_credCluster already exists in users in your kubeconfig file.');
      const overwrite = await aksemu(['aks', 'get-credentials', '-g', 'credRG', '-n', 'credCluster', '--file', file, '--overwrite-existing', '--data-dir', emu.dataDir]);
      expect(overwrite.code, overwrite.stderr).toBe(0);
      const admin = await aksemu(['aks', 'get-credentials', '-g', 'credRG', '-n', 'credCluster', '--admin', '--file', file, '--data-dir', emu.dataDir]);
      expect(admin.stderr.trim()).toBe(`WARNING: Merged "credCluster-admin" as current context in ${file}`);
      expect((await kubectl(homeWith(file), ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'])).stdout).toBe('masterclient');

      const printed = await aksemu(['aks', 'get-credentials', '-g', 'credRG', '-n', 'credCluster', '--file', '-', '--data-dir', emu.dataDir]);
      expect(parse(printed.stdout).users[0].name).toBe('clusterUser_credRG_credCluster');
      const ghost = await aksemu(['aks', 'get-credentials', '-g', 'credRG', '-n', 'ghost', '--file', join(dir, 'x'), '--data-dir', emu.dataDir]);
      expect(ghost.code).toBe(3); // az: ResourceNotFoundError exits 3
      expect(ghost.stderr).toMatch(/^ERROR: \(ResourceNotFound\) The Resource 'Microsoft.ContainerService\/managedClusters\/ghost' under resource group 'credRG' was not found/);
      expect(existsSync(join(dir, 'x'))).toBe(false);
      const usage = await aksemu(['aks', 'get-credentials', '-n', 'credCluster', '--data-dir', emu.dataDir]);
      expect(usage.code).toBe(2);
    });

    it('reaches the API at the cluster fqdn through the proxy', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'aksemu-kcfg-'));
      const file = join(dir, 'config');
      const cfg = parse(await fetchKubeconfig(emu, cluster));
      cfg.clusters[0].cluster.server = `https://${cluster.fqdn}:443`;
      delete cfg.clusters[0].cluster['tls-server-name'];
      writeFileSync(file, JSON.stringify(cfg));
      const h = homeWith(file);
      const res = await kubectl({ ...h, env: { ...h.env, HTTPS_PROXY: emu.env.HTTPS_PROXY!, NO_PROXY: emu.env.NO_PROXY! } }, ['get', 'nodes', '-o', 'name']);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout.trim()).toBe(`node/${cluster.nodeNames[0]}`);
    });
  });

  describeWith(['az', 'kubectl'], 'az aks get-credentials (Debian azure-cli 2.45)', () => {
    it('writes a kubeconfig for a cluster created through ARM that kubectl uses unchanged', async () => {
      await createArmCluster(emu, { name: 'azCluster', resourceGroup: 'credRG', pools: [{ name: 'nodepool1', count: 1 }] });
      await azLogin(emu.env);
      const file = join(mkdtempSync(join(tmpdir(), 'aksemu-az-kcfg-')), 'config');
      const res = await az(['aks', 'get-credentials', '-g', 'credRG', '-n', 'azCluster', '--file', file], emu.env);
      expect(res.code, res.stderr).toBe(0);
      const cfg = parse(readFileSync(file, 'utf8'));
      expect(cfg['current-context']).toBe('azCluster');
      expect(cfg.users[0].name).toBe('clusterUser_credRG_azCluster');
      const nodes = await kubectl(homeWith(file), ['get', 'nodes']);
      expect(nodes.code, nodes.stderr).toBe(0);
      expect(nodes.stdout).toMatch(/NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION/);
    });
  });
});
