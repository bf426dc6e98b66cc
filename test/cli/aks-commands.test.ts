/**
 * aks and aks nodepool commands against a running instance (SPEC C-1, C-6, F-1, F-6, T-1, T-2,
 * K-1): the bodies current az sends, --generate-ssh-keys in a clean HOME, --message-of-the-day, long-running
 * operations with and without --no-wait, a progress display only on a terminal, and the tables the seeds show,
 * compared with the real az 2.45 where it has the same command.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { az } from '../../testkit/az.js';
import { CLI, spawnEmulator, type SpawnedEmulator } from '../../testkit/emulator.js';
import { haveCommand } from '../../testkit/optional.js';
import { aksemu, backendBuilt, describeWithBackend, shell, type CliEnv } from './support/cli.js';

/** The KMS steps need user-assigned identities (the Key Vault issue's module). */
const HAVE_IDENTITIES = backendBuilt('providers/managedidentity/module.js');

const RG = 'myResourceGroup';
const CL = 'myAKSCluster';

/** Rows of a table as words, headers included. */
const rows = (table: string) => table.trimEnd().split('\n').filter((l) => !/^-[- ]*$/.test(l)).map((l) => l.trim().split(/\s{2,}/));

describeWithBackend('providers/containerservice/module.js', 'aks and aks nodepool commands', () => {
  let emu: SpawnedEmulator;
  let env: CliEnv;
  let home: string;
  const run = (...args: string[]) => aksemu(env, args);
  const pool = (...args: string[]) => run('aks', 'nodepool', ...args, '--resource-group', RG, '--cluster-name', CL);

  beforeAll(async () => {
    emu = await spawnEmulator();
    home = mkdtempSync(join(tmpdir(), 'aksemu-cli-home-'));
    env = { dataDir: emu.dataDir, home };
    expect((await run('group', 'create', '-n', RG, '-l', 'eastus', '-o', 'none')).code).toBe(0);
  });
  afterAll(async () => {
    await emu?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('aks create --generate-ssh-keys makes ~/.ssh/id_rsa(.pub) when missing and sends the key; defaults as az', async () => {
    expect(existsSync(join(home, '.ssh'))).toBe(false);
    const created = await run('aks', 'create', '--name', CL, '--resource-group', RG, '--generate-ssh-keys');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toMatch(/^WARNING: SSH key files '.*\/\.ssh\/id_rsa' and '.*\/\.ssh\/id_rsa\.pub' have been generated under ~\/\.ssh/);
    const pub = readFileSync(join(home, '.ssh', 'id_rsa.pub'), 'utf8').trim();
    expect(pub).toMatch(/^ssh-rsa AAAAB3NzaC1yc2E[0-9A-Za-z+/=]+$/);
    expect(statSync(join(home, '.ssh', 'id_rsa')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(home, '.ssh', 'id_rsa'), 'utf8')).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    const mc = created.json();
    expect(mc).toMatchObject({
      name: CL,
      resourceGroup: RG,
      provisioningState: 'Succeeded',
      dnsPrefix: `myAKSClust-${RG}-${emu.env.AZURE_SUBSCRIPTION_ID!.slice(0, 6)}`,
      linuxProfile: { adminUsername: 'azureuser', ssh: { publicKeys: [{ keyData: pub }] } },
      servicePrincipalProfile: { clientId: 'msi' },
    });
    expect(mc.agentPoolProfiles).toEqual([expect.objectContaining({ name: 'nodepool1', count: 3, mode: 'System', osType: 'Linux', enableFips: false })]);
    expect(mc.properties).toBeUndefined();
    // A second run reuses the key pair.
    const again = await run('aks', 'create', '--name', 'other', '--resource-group', RG, '--generate-ssh-keys', '--node-count', '1', '--query', 'linuxProfile.ssh.publicKeys[0].keyData', '-o', 'tsv');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe(pub);
    expect(again.stderr).toBe('');
  });

  it('show and list tables have az\'s columns', async () => {
    const show = rows((await run('aks', 'show', '-g', RG, '-n', CL, '-o', 'table')).stdout);
    expect(show[0]).toEqual(['Name', 'Location', 'ResourceGroup', 'KubernetesVersion', 'CurrentKubernetesVersion', 'ProvisioningState', 'Fqdn']);
    expect(show[1]!.slice(0, 3)).toEqual([CL, 'eastus', RG]);
    const list = rows((await run('aks', 'list', '-g', RG, '-o', 'table')).stdout);
    expect(list.slice(1).map((r) => r[0]).sort()).toEqual([CL, 'other']);
  });

  it('FIPS: nodepool add --enable-fips-image, the seed query table, update on and off (SPEC F-1, F-6)', async () => {
    const added = await pool('add', '--name', 'fipsnp', '--enable-fips-image');
    expect(added.code, added.stderr).toBe(0);
    expect(added.json()).toMatchObject({ name: 'fipsnp', enableFips: true, typePropertiesType: 'VirtualMachineScaleSets', type: 'Microsoft.ContainerService/managedClusters/agentPools', count: 3, mode: 'User' });
    const table = await run('aks', 'show', '--resource-group', RG, '--name', CL, '--query=agentPoolProfiles[].{Name:name enableFips:enableFips}', '-o', 'table');
    expect(rows(table.stdout)).toEqual([['Name', 'EnableFips'], ['fipsnp', 'True'], ['nodepool1', 'False']]);
    const dup = await pool('add', '--name', 'fipsnp');
    expect(dup.code).toBe(1);
    expect(dup.stderr).toBe("ERROR: Node pool fipsnp already exists, please try a different name, use 'aks nodepool list' to get current list of node pool\n");

    await pool('add', '--name', 'np', '--node-count', '1', '-o', 'none');
    const on = await pool('update', '--name', 'np', '--enable-fips-image', '--query', 'enableFips');
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout.trim()).toBe('true');
    const off = await pool('update', '--name', 'np', '--disable-fips-image', '--query', 'enableFips');
    expect(off.stdout.trim()).toBe('false');
    const nothing = await pool('update', '--name', 'np');
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/^ERROR: Please specify one or more of "--enable-cluster-autoscaler"/);
    const list = rows((await run('aks', 'nodepool', 'list', '-g', RG, '--cluster-name', CL, '-o', 'table')).stdout);
    expect(list[0]).toEqual(['Name', 'OsType', 'KubernetesVersion', 'VmSize', 'Count', 'MaxPods', 'ProvisioningState', 'Mode']);
    expect(list.slice(1).map((r) => r[0])).toEqual(['fipsnp', 'nodepool1', 'np']);
  });

  it('Windows FIPS pool, --message-of-the-day FILE on Linux pools (SPEC F-1, C-6)', async () => {
    const win = await pool('add', '--name', 'npwin', '--enable-fips-image', '--os-type', 'Windows', '--node-count', '1', '--query', '[osType, enableFips]', '-o', 'tsv');
    expect(win.code, win.stderr).toBe(0);
    expect(win.stdout).toBe('Windows\ntrue\n');
    const motd = join(home, 'newMOTD.txt');
    writeFileSync(motd, 'Welcome to a FIPS node\n');
    const added = await pool('add', '--name', 'mynodepool1', '--node-count', '1', '--message-of-the-day', motd, '--query', 'messageOfTheDay', '-o', 'tsv');
    expect(added.code, added.stderr).toBe(0);
    expect(Buffer.from(added.stdout.trim(), 'base64').toString('utf8')).toBe('Welcome to a FIPS node\n');
  });

  it('--undrainable-node-behavior: Schedule by default on add, Cordon on update, nothing else (SPEC W-14)', async () => {
    const added = await pool('add', '--name', 'drainnp', '--node-count', '1', '--query', 'upgradeSettings.undrainableNodeBehavior', '-o', 'tsv');
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toBe('Schedule\n');
    const cordon = await pool('update', '--name', 'drainnp', '--undrainable-node-behavior', 'Cordon', '--query', 'upgradeSettings.undrainableNodeBehavior', '-o', 'tsv');
    expect(cordon.code, cordon.stderr).toBe(0);
    expect(cordon.stdout).toBe('Cordon\n');
    const bad = await pool('update', '--name', 'drainnp', '--undrainable-node-behavior', 'Drain');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/'Drain' is not a valid value for '--undrainable-node-behavior'/);
  });

  it('Trusted Launch: --enable-vtpm/--enable-secure-boot on add, --disable-* on update (SPEC T-1, T-2)', async () => {
    const added = await pool('add', '--name', 'mynodepool', '--node-count', '3', '--enable-vtpm', '--enable-secure-boot', '--query', 'securityProfile');
    expect(added.code, added.stderr).toBe(0);
    expect(added.json()).toEqual({ enableSecureBoot: true, enableVtpm: true });
    const sb = await pool('update', '--name', 'mynodepool', '--disable-secure-boot', '--query', 'securityProfile');
    expect(sb.json()).toEqual({ enableSecureBoot: false, enableVtpm: true });
    const vtpm = await pool('update', '--name', 'mynodepool', '--disable-vtpm', '--query', 'securityProfile');
    expect(vtpm.json()).toEqual({ enableSecureBoot: false, enableVtpm: false });
    const utcm = await pool('add', '--name', 'tl2', '--enable-utcm');
    expect(utcm.code).toBe(2);
    expect(utcm.stderr).toMatch(/^ERROR: unrecognized arguments: --enable-utcm\nDid you mean '--enable-vtpm' \?/);
  });

  it.runIf(HAVE_IDENTITIES)('KMS: create with a user identity and a key, list table, disable and enable again (SPEC K-1, K-4)', async () => {
    expect((await run('identity', 'create', '--name', 'MyIdentity', '--resource-group', RG, '-o', 'none')).code).toBe(0);
    const idRes = (await run('identity', 'show', '-n', 'MyIdentity', '-g', RG, '--query', 'id', '-o', 'tsv')).stdout.trim();
    // A real vault and key the identity may use (the KMS module checks both up front).
    expect((await run('keyvault', 'create', '--name', 'mykeyvault-cli', '--resource-group', RG, '-o', 'none')).code).toBe(0);
    const oid = (await run('identity', 'show', '-n', 'MyIdentity', '-g', RG, '--query', 'principalId', '-o', 'tsv')).stdout.trim();
    expect((await run('keyvault', 'set-policy', '--name', 'mykeyvault-cli', '--key-permissions', 'decrypt', 'encrypt', '--object-id', oid, '-o', 'none')).code).toBe(0);
    const key = await run('keyvault', 'key', 'create', '--name', 'MyKeyName', '--vault-name', 'mykeyvault-cli', '--query', 'key.kid', '-o', 'tsv');
    expect(key.code, key.stderr).toBe(0);
    const kid = key.stdout.trim();
    const created = await run('aks', 'create', '--name', 'kmscluster', '--resource-group', RG, '--assign-identity', idRes, '--enable-azure-keyvault-kms', '--azure-keyvault-kms-key-vault-network-access', 'Public', '--azure-keyvault-kms-key-id', kid, '--generate-ssh-keys', '--node-count', '1');
    expect(created.code, created.stderr).toBe(0);
    expect(created.json()).toMatchObject({ identity: { type: 'UserAssigned' }, securityProfile: { azureKeyVaultKms: { enabled: true, keyId: kid, keyVaultNetworkAccess: 'Public' } } });
    const list = await run('aks', 'list', '--query', '[].{Name:name, KmsEnabled:securityProfile.azureKeyVaultKms.enabled, KeyId:securityProfile.azureKeyVaultKms.keyId}', '-o', 'table');
    const byName = Object.fromEntries(rows(list.stdout).slice(1).map((r) => [r[0], r.slice(1)]));
    expect(rows(list.stdout)[0]).toEqual(['Name', 'KmsEnabled', 'KeyId']);
    expect(byName.kmscluster).toEqual(['True', kid]);
    expect(byName[CL]).toEqual([]);
    const disabled = await run('aks', 'update', '--name', 'kmscluster', '--resource-group', RG, '--disable-azure-keyvault-kms', '--query', 'securityProfile.azureKeyVaultKms.enabled');
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(disabled.stdout.trim()).toBe('false');
    const enabled = await run('aks', 'update', '--name', 'kmscluster', '--resource-group', RG, '--enable-azure-keyvault-kms', '--azure-keyvault-kms-key-vault-network-access', 'Public', '--azure-keyvault-kms-key-id', kid, '--query', 'securityProfile.azureKeyVaultKms.enabled');
    expect(enabled.stdout.trim()).toBe('true');
  });

  it('--no-wait returns at once with no output; the operation completes behind it', async () => {
    const r = await pool('add', '--name', 'nowait', '--node-count', '1', '--no-wait');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    let state = '';
    for (let i = 0; i < 100 && state !== 'Succeeded'; i++) state = (await pool('show', '--name', 'nowait', '--query', 'provisioningState', '-o', 'tsv')).stdout.trim();
    expect(state).toBe('Succeeded');
    const del = await pool('delete', '--name', 'nowait', '--no-wait');
    expect(del.code).toBe(0);
    expect(del.stdout).toBe('');
  });

  it.runIf(haveCommand('script'))('shows a progress display on a terminal, nothing when piped', async () => {
    const piped = await pool('add', '--name', 'piped', '--node-count', '1', '-o', 'none');
    expect(piped.stderr).toBe('');
    // script(1) gives the command a terminal, as a user's shell would.
    const tty = await shell(env, `script -qec "node '${CLI}' aks nodepool add -g ${RG} --cluster-name ${CL} --name ontty --node-count 1 -o none" /dev/null`);
    expect(tty.code, tty.stderr).toBe(0);
    expect(tty.stdout).toMatch(/[|/\\-] Running \.\./);
  });

  it('upgrade asks for confirmation (refuses without a terminal), runs with --yes; nodepool upgrade --node-image-only', async () => {
    const refused = await run('aks', 'upgrade', '-g', RG, '-n', 'other', '--kubernetes-version', '1.30');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('ERROR: Unable to prompt for confirmation as no tty available. Use --yes.\n');
    const version = (await run('aks', 'show', '-g', RG, '-n', 'other', '--query', 'kubernetesVersion', '-o', 'tsv')).stdout.trim();
    const same = await run('aks', 'upgrade', '-g', RG, '-n', 'other', '--kubernetes-version', version, '--yes', '--query', 'provisioningState', '-o', 'tsv');
    expect(same.code, same.stderr).toBe(0);
    expect(same.stderr).toMatch(/^WARNING: The cluster is already on version /);
    const image = await pool('upgrade', '--name', 'np', '--node-image-only', '--query', 'name', '-o', 'tsv');
    expect(image.code, image.stderr).toBe(0);
  });

  it('delete asks for confirmation; --yes deletes; show is then exit 3', async () => {
    expect((await run('aks', 'delete', '-g', RG, '-n', 'other')).code).toBe(1);
    const del = await run('aks', 'delete', '-g', RG, '-n', 'other', '--yes');
    expect(del.code, del.stderr).toBe(0);
    const gone = await run('aks', 'show', '-g', RG, '-n', 'other');
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(/^ERROR: \(ResourceNotFound\) The Resource 'Microsoft\.ContainerService\/managedClusters\/other' under resource group 'myResourceGroup' was not found/);
    const missingPool = await pool('delete', '--name', 'nosuch');
    expect(missingPool.stderr).toBe("ERROR: Node pool nosuch doesnt exist, use 'aks nodepool list' to get current node pool list\n");
  });

  it.runIf(haveCommand('az'))('the real az 2.45 prints the same tables for the same cluster', async () => {
    expect((await run('az-setup')).code).toBe(0);
    const azEnv = { ...emu.env, HOME: home };
    for (const args of [
      ['aks', 'show', '-g', RG, '-n', CL, '-o', 'table'],
      ['aks', 'show', '-g', RG, '-n', CL, '--query', 'agentPoolProfiles[].{Name:name enableFips:enableFips}', '-o', 'table'],
      ['aks', 'list', '-o', 'table'],
      ['aks', 'nodepool', 'list', '-g', RG, '--cluster-name', CL, '-o', 'table'],
      ['aks', 'nodepool', 'show', '-g', RG, '--cluster-name', CL, '-n', 'fipsnp', '--query', '{n:name, f:enableFips, t:typePropertiesType, v:vmSize}', '-o', 'tsv'],
      ...(HAVE_IDENTITIES ? [['aks', 'show', '-g', RG, '-n', 'kmscluster', '--query', 'securityProfile.azureKeyVaultKms']] : []),
    ]) {
      const [ours, theirs] = await Promise.all([run(...args), az(args, azEnv)]);
      expect(ours.code, `${args.join(' ')}: ${ours.stderr}`).toBe(theirs.code);
      expect(ours.stdout, args.join(' ')).toBe(theirs.stdout);
    }
  });
});
