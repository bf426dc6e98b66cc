/**
 * SPEC Z-2, Z-3 through the aksemu CLI: AKS-managed Microsoft Entra integration and Azure RBAC for Kubernetes
 * authorization on create and update, AKS's rules about them (local accounts need the integration, it cannot be
 * turned off), and the credentials each kind of cluster hands out.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawnEmulator, type SpawnedEmulator } from '../../testkit/emulator.js';
import { kubectl } from '../../testkit/kube/kube-env.js';
import { haveCommand } from '../../testkit/optional.js';
import { aksemu, cliEnv, describeWithBackend, type CliEnv } from '../cli/support/cli.js';

const RG = 'entraRG';

const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));

describeWithBackend('providers/containerservice/module.js', 'Entra ID integration and local accounts (aksemu CLI)', () => {
  let emu: SpawnedEmulator;
  let env: CliEnv;
  let home: string;
  const run = (...args: string[]) => aksemu(env, args);
  const userToken = async (name: string) => {
    const out = await run('aks', 'get-credentials', '-g', RG, '-n', name, '--file', '-');
    expect(out.code, out.stderr).toBe(0);
    return claims(parse(out.stdout).users[0].user.token);
  };

  beforeAll(async () => {
    emu = await spawnEmulator();
    home = mkdtempSync(join(tmpdir(), 'aksemu-entra-home-'));
    env = { dataDir: emu.dataDir, home };
    expect((await run('group', 'create', '-n', RG, '-l', 'eastus', '-o', 'none')).code).toBe(0);
  });
  afterAll(async () => {
    await emu?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("checks az's option rules before sending anything", async () => {
    const rbacAlone = await run('aks', 'create', '-g', RG, '-n', 'nope', '--enable-azure-rbac', '--no-ssh-key');
    expect(rbacAlone.code).toBe(1);
    expect(rbacAlone.stderr).toContain('--enable-azure-rbac can only be used together with --enable-aad');
    const listed = await run('aks', 'list', '-g', RG, '--query', 'length(@)');
    expect(listed.stdout.trim()).toBe('0');
  });

  it('a cluster without Entra ID integration: local accounts cannot be disabled, user credentials are the local account', async () => {
    expect((await run('aks', 'create', '-g', RG, '-n', 'plain', '--no-ssh-key', '-o', 'none')).code).toBe(0);
    const disable = await run('aks', 'update', '-g', RG, '-n', 'plain', '--disable-local-accounts');
    expect(disable.code).not.toBe(0);
    expect(disable.stderr).toContain('Since kubernetes version 1.25, disableLocalAccounts can only be set on Azure AD integration enabled cluster. Please integrate your cluster with AAD.');
    const shown = await run('aks', 'show', '-g', RG, '-n', 'plain', '--query', 'disableLocalAccounts');
    expect(shown.stdout.trim()).toBe('false');
    const c = await userToken('plain');
    expect(c.sub).toBe('masterclient');
    expect(c.aud).toMatch(/^urn:aksemu:cluster:.+:admin$/);
  });

  it('--enable-aad --enable-azure-rbac: the profile AKS shows, user credentials with the caller\'s Entra token, local accounts off, the integration kept', async () => {
    const created = await run('aks', 'create', '-g', RG, '-n', 'entra', '--no-ssh-key', '--enable-aad', '--enable-azure-rbac', '--disable-local-accounts', '-o', 'json');
    expect(created.code, created.stderr).toBe(0);
    const mc = JSON.parse(created.stdout);
    expect(mc.aadProfile).toMatchObject({ managed: true, enableAzureRbac: true, tenantId: emu.env.AZURE_TENANT_ID });
    expect(mc.disableLocalAccounts).toBe(true);
    // The user is an exec entry (no token in the file) running the aksemu CLI's `account get-access-token` for the
    // AKS server application: the same entry on every call, so a second get-credentials merges silently (SPEC A-4).
    const printed = await run('aks', 'get-credentials', '-g', RG, '-n', 'entra', '--file', '-');
    const exec = parse(printed.stdout).users[0].user.exec;
    expect(exec).toMatchObject({ apiVersion: 'client.authentication.k8s.io/v1beta1', command: process.execPath });
    expect(exec.args).toEqual(expect.arrayContaining(['account', 'get-access-token', '--resource', '6dae42f8-4368-4678-94ff-3960e28e3630', '--data-dir', emu.dataDir]));
    const file = join(home, 'entra-kubeconfig');
    for (let i = 0; i < 2; i++) {
      const written = await run('aks', 'get-credentials', '-g', RG, '-n', 'entra', '--file', file);
      expect(written.code, written.stderr).toBe(0);
    }
    expect(parse(readFileSync(file, 'utf8')).users).toHaveLength(1);
    // What the exec entry prints: the default user's own token for the AKS server application.
    const minted = await run('account', 'get-access-token', '--resource', '6dae42f8-4368-4678-94ff-3960e28e3630', '--query', 'accessToken', '-o', 'tsv');
    expect(minted.code, minted.stderr).toBe(0);
    const c = claims(minted.stdout.trim());
    expect(c.aud).toBe('6dae42f8-4368-4678-94ff-3960e28e3630');
    expect(c.idtyp).toBe('user');
    expect(c.upn).toBe(emu.env.AKSEMU_USER);
    expect(c.tid).toBe(emu.env.AZURE_TENANT_ID);
    if (haveCommand('kubectl')) {
      // kubectl runs the exec entry and reaches the cluster as that user.
      const whoami = await kubectl({ home, env: { ...cliEnv(env), KUBECONFIG: file } }, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
      expect(whoami.code, whoami.stderr).toBe(0);
      expect(whoami.stdout).toBe(emu.env.AKSEMU_USER);
    }
    const admin = await run('aks', 'get-credentials', '-g', RG, '-n', 'entra', '--admin', '--file', '-');
    expect(admin.code).not.toBe(0);
    expect(admin.stderr).toContain('Getting static credential is not allowed because this cluster is set to disable local accounts.');

    const off = await run('aks', 'update', '-g', RG, '-n', 'entra', '--disable-azure-rbac', '--query', 'aadProfile.enableAzureRbac');
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout.trim()).toBe('false');
    const again = await run('aks', 'update', '-g', RG, '-n', 'entra', '--enable-aad');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Cannot specify "--enable-aad" if managed AAD is already enabled');
  });
});
