/**
 * SPEC with the real Debian az 2.45 and the real kubectl: `az aks get-credentials` run again for the same
 * cluster merges into the kubeconfig without --overwrite-existing (as on AKS), for a cluster with local accounts
 * (user and admin credential) and for an Entra-integrated one (whose user is an exec entry that gets the caller's
 * Entra token through az each time kubectl runs); a second cluster's credentials switch kubectl's context to it.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { az, azLogin } from '../../testkit/az.js';
import { spawnEmulator, type SpawnedEmulator } from '../../testkit/emulator.js';
import { kubectl } from '../../testkit/kube/kube-env.js';
import { describeWith } from '../../testkit/optional.js';

describeWith(['az', 'kubectl'], 'real az 2.45: get-credentials again merges, and kubectl works', () => {
  let emu: SpawnedEmulator;
  let env: Record<string, string>;
  let kubeconfig: string;
  const rg = ['--resource-group', 'credsRG'];
  const getCredentials = (name: string, ...extra: string[]) => az(['aks', 'get-credentials', ...rg, '--name', name, ...extra], env);
  // kubectl with the same environment as az (it runs az for the Entra cluster's token), reading $KUBECONFIG.
  const kube = (...args: string[]) => kubectl({ home: env.HOME!, env }, args);

  beforeAll(async () => {
    emu = await spawnEmulator();
    const home = mkdtempSync(join(tmpdir(), 'aksemu-az-creds-'));
    kubeconfig = join(home, 'kubeconfig');
    env = { ...emu.env, HOME: home, KUBECONFIG: kubeconfig, PATH: process.env.PATH ?? '/usr/bin:/bin' };
    await azLogin(env);
    expect((await az(['group', 'create', '-n', 'credsRG', '-l', 'eastus', '-o', 'none'], env)).code).toBe(0);
    for (const args of [['--name', 'plainCluster'], ['--name', 'entraCluster', '--enable-aad']]) {
      const created = await az(['aks', 'create', ...rg, ...args, '--node-count', '1', '--generate-ssh-keys', '-o', 'none'], env, 120_000);
      expect(created.code, created.stderr).toBe(0);
    }
  }, 240_000);
  afterAll(async () => {
    await emu?.stop();
  });

  it('a cluster with local accounts: user and admin credentials twice, no --overwrite-existing, then kubectl', async () => {
    for (let i = 0; i < 2; i++) {
      const user = await getCredentials('plainCluster');
      expect(user.code, user.stderr).toBe(0);
      expect(user.stderr).toContain(`Merged "plainCluster" as current context in ${kubeconfig}`);
    }
    const nodes = await kube('get', 'nodes', '-o', 'name');
    expect(nodes.code, nodes.stderr).toBe(0);
    expect(nodes.stdout.trim()).toMatch(/^node\/aks-nodepool1-\d{8}-vmss[0-9a-z]{6}$/);
    for (let i = 0; i < 2; i++) {
      const admin = await getCredentials('plainCluster', '--admin');
      expect(admin.code, admin.stderr).toBe(0);
    }
    expect((await kube('config', 'current-context')).stdout.trim()).toBe('plainCluster-admin');
    const cfg = parse(readFileSync(kubeconfig, 'utf8'));
    expect(cfg.users.map((u: { name: string }) => u.name).sort()).toEqual(['clusterAdmin_credsRG_plainCluster', 'clusterUser_credsRG_plainCluster']);
  });

  it('an Entra-integrated cluster: the same exec user each time, kubectl switches to it and authenticates as the caller', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await getCredentials('entraCluster');
      expect(res.code, res.stderr).toBe(0);
    }
    const cfg = parse(readFileSync(kubeconfig, 'utf8'));
    const user = cfg.users.find((u: { name: string }) => u.name === 'clusterUser_credsRG_entraCluster').user;
    expect(user.token).toBeUndefined();
    expect(user.exec).toMatchObject({ apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'az' });
    expect(user.exec.args).toEqual(expect.arrayContaining(['get-access-token', '--resource', '6dae42f8-4368-4678-94ff-3960e28e3630']));
    expect((await kube('config', 'current-context')).stdout.trim()).toBe('entraCluster');
    // az is signed in as the service principal: kubectl reaches the cluster as that principal's object id.
    const sp = await az(['ad', 'sp', 'show', '--id', env.AZURE_CLIENT_ID!, '--query', 'id', '-o', 'tsv'], env);
    expect(sp.code, sp.stderr).toBe(0);
    const whoami = await kube('auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}');
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(whoami.stdout).toBe(sp.stdout.trim());
    // The other cluster's context is still there and still works.
    expect((await kube('--context', 'plainCluster', 'get', 'nodes', '-o', 'name')).code).toBe(0);
  });
});
