/**
 * The group, feature, provider, login/account and ad commands against a running instance, each
 * compared with what Debian's az 2.45 prints for the same instance after `aksemu az-setup` (item 4): same table,
 * tsv, json and yaml text, same errors and exit codes.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profilePath } from '../../src/cli/az/client/credentials.js';
import { az } from '../../testkit/az.js';
import { spawnEmulator, type SpawnedEmulator } from '../../testkit/emulator.js';
import { describeWith } from '../../testkit/optional.js';
import { aksemu, type CliEnv } from './support/cli.js';

let emu: SpawnedEmulator;
let env: CliEnv;
let home: string;

beforeAll(async () => {
  emu = await spawnEmulator();
  home = mkdtempSync(join(tmpdir(), 'aksemu-cli-home-'));
  env = { dataDir: emu.dataDir, home };
});

afterAll(async () => {
  await emu?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('resource groups, features, providers, account with the aksemu CLI', () => {
  it('creates, shows, lists and deletes resource groups', async () => {
    const created = await aksemu(env, ['group', 'create', '-n', 'myResourceGroup', '-l', 'eastus', '--tags', 'team=platform']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.json()).toEqual({
      id: `/subscriptions/${emu.env.AZURE_SUBSCRIPTION_ID}/resourceGroups/myResourceGroup`,
      location: 'eastus',
      managedBy: null,
      name: 'myResourceGroup',
      properties: { provisioningState: 'Succeeded' },
      tags: { team: 'platform' },
      type: 'Microsoft.Resources/resourceGroups',
    });
    expect((await aksemu(env, ['group', 'create', '-n', 'second', '-l', 'westeurope', '-o', 'none'])).stdout).toBe('');
    const names = await aksemu(env, ['group', 'list', '--query', '[].name', '-o', 'tsv']);
    expect(names.stdout.split('\n').filter(Boolean).sort()).toEqual(['myResourceGroup', 'second']);
    expect((await aksemu(env, ['group', 'exists', '-n', 'second'])).stdout).toBe('true\n');

    const refused = await aksemu(env, ['group', 'delete', '-n', 'second']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('WARNING: Unable to prompt for confirmation as no tty available. Use --yes.\nERROR: Operation cancelled.\n');
    const deleted = await aksemu(env, ['group', 'delete', '-n', 'second', '--yes']);
    expect(deleted.code, deleted.stderr).toBe(0);
    const gone = await aksemu(env, ['group', 'show', '-n', 'second']);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toBe("ERROR: (ResourceGroupNotFound) Resource group 'second' could not be found.\nCode: ResourceGroupNotFound\nMessage: Resource group 'second' could not be found.\n");
  });

  it('registers a preview feature until Registered, then registers the provider (SPEC C-8)', async () => {
    const reg = await aksemu(env, ['feature', 'register', '--namespace', 'Microsoft.ContainerService', '--name', 'MutableFipsPreview']);
    expect(reg.code, reg.stderr).toBe(0);
    expect(reg.stderr).toBe("WARNING: Once the feature 'MutableFipsPreview' is registered, invoking 'az provider register -n Microsoft.ContainerService' is required to get the change propagated\n");
    expect(['Registering', 'Registered']).toContain(reg.json().properties.state);
    let state = '';
    for (let i = 0; i < 50 && state !== 'Registered'; i++) {
      state = (await aksemu(env, ['feature', 'show', '--namespace', 'Microsoft.ContainerService', '--name', 'MutableFipsPreview', '--query', 'properties.state', '-o', 'tsv'])).stdout.trim();
    }
    expect(state).toBe('Registered');
    const table = await aksemu(env, ['feature', 'show', '--namespace', 'Microsoft.ContainerService', '--name', 'MutableFipsPreview', '-o', 'table']);
    expect(table.stdout.split('\n')[0]).toMatch(/^Name\s+RegistrationState$/);
    const provider = await aksemu(env, ['provider', 'register', '--namespace', 'Microsoft.ContainerService', '--wait']);
    expect(provider.code, provider.stderr).toBe(0);
    expect((await aksemu(env, ['provider', 'show', '-n', 'Microsoft.ContainerService', '--query', 'registrationState', '-o', 'tsv'])).stdout).toBe('Registered\n');
    const missing = await aksemu(env, ['feature', 'show', '--namespace', 'Microsoft.ContainerService', '--name', 'NoSuchFeature']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^ERROR: \(FeatureNotFound\) /);
  });

  it('signs in as the default user by default (a person at the terminal): account show, signed-in user', async () => {
    const userId = JSON.parse(readFileSync(join(emu.dataDir, 'instance.json'), 'utf8')).defaultUser.objectId;
    const account = await aksemu(env, ['account', 'show']);
    expect(account.code, account.stderr).toBe(0);
    expect(account.json()).toMatchObject({ environmentName: 'AzureCloud', id: emu.env.AZURE_SUBSCRIPTION_ID, tenantId: emu.env.AZURE_TENANT_ID, isDefault: true, user: { name: emu.env.AKSEMU_USER, type: 'user' } });
    const me = await aksemu(env, ['ad', 'signed-in-user', 'show', '--query', 'id', '-o', 'tsv']);
    expect(me.stdout).toBe(`${userId}\n`);
    expect((await aksemu(env, ['ad', 'signed-in-user', 'show', '--query', 'userPrincipalName', '-o', 'tsv'])).stdout).toBe(`${emu.env.AKSEMU_USER}\n`);
  });

  it('logs in as a user (aksemu login -u -p) and as a service principal, keeps the secret sealed, logs out to the default user', async () => {
    const wrong = await aksemu(env, ['login', '-u', emu.env.AKSEMU_USER!, '-p', 'not-the-password']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe('ERROR: AADSTS50126: Error validating credentials due to invalid username or password.\n');
    const unknown = await aksemu(env, ['login', '-u', `nobody@${emu.env.AKSEMU_USER!.split('@')[1]}`, '-p', 'x']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^ERROR: AADSTS50034: The user account \{EUII Hidden\} does not exist/);
    const noPassword = await aksemu(env, ['login', '-u', emu.env.AKSEMU_USER!]);
    expect(noPassword.stderr).toBe('ERROR: Please specify both username and password in non-interactive mode.\n');
    const spNoUser = await aksemu(env, ['login', '--service-principal']);
    expect(spNoUser.stderr).toBe('ERROR: usage error: --service-principal --username NAME --password SECRET --tenant TENANT\n');
    expect(existsSync(profilePath(emu.dataDir))).toBe(false);

    const asUser = await aksemu(env, ['login', '-u', emu.env.AKSEMU_USER!, '-p', emu.env.AKSEMU_PASSWORD!]);
    expect(asUser.code, asUser.stderr).toBe(0);
    expect(asUser.json()).toEqual([
      expect.objectContaining({ cloudName: 'AzureCloud', id: emu.env.AZURE_SUBSCRIPTION_ID, tenantId: emu.env.AZURE_TENANT_ID, isDefault: true, state: 'Enabled', user: { name: emu.env.AKSEMU_USER, type: 'user' } }),
    ]);
    const storedUser = readFileSync(profilePath(emu.dataDir), 'utf8');
    expect(storedUser).not.toContain(emu.env.AKSEMU_PASSWORD!);
    expect(JSON.parse(storedUser)).toMatchObject({ kind: 'user', username: emu.env.AKSEMU_USER, sealedSecret: expect.any(String) });
    expect((await aksemu(env, ['group', 'list', '-o', 'none'])).code).toBe(0);

    const bad = await aksemu(env, ['login', '--service-principal', '-u', emu.env.AZURE_CLIENT_ID!, '-p', 'wrong-secret', '--tenant', emu.env.AZURE_TENANT_ID!]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^ERROR: AADSTS7000215: Invalid client secret provided/);
    const secret = emu.env.AZURE_CLIENT_SECRET!;
    const login = await aksemu(env, ['login', '--service-principal', '-u', emu.env.AZURE_CLIENT_ID!, '-p', secret, '--tenant', emu.env.AZURE_TENANT_ID!]);
    expect(login.code, login.stderr).toBe(0);
    expect(login.json()).toEqual([
      expect.objectContaining({ cloudName: 'AzureCloud', id: emu.env.AZURE_SUBSCRIPTION_ID, isDefault: true, state: 'Enabled', user: { name: emu.env.AZURE_CLIENT_ID, type: 'servicePrincipal' } }),
    ]);
    const stored = readFileSync(profilePath(emu.dataDir), 'utf8');
    expect(stored).not.toContain(secret);
    expect(JSON.parse(stored)).toMatchObject({ kind: 'servicePrincipal', clientId: emu.env.AZURE_CLIENT_ID, sealedSecret: expect.any(String) });
    expect((await aksemu(env, ['group', 'list', '-o', 'none'])).code).toBe(0);
    // A service principal has no "me": Graph refuses, and the CLI prints it as az does.
    const me = await aksemu(env, ['ad', 'signed-in-user', 'show']);
    expect(me.code).toBe(1);
    expect(me.stderr).toBe('ERROR: /me request is only valid with delegated authentication flow.\n');

    expect((await aksemu(env, ['logout'])).code).toBe(0);
    expect(existsSync(profilePath(emu.dataDir))).toBe(false);
    expect((await aksemu(env, ['account', 'show', '--query', 'user', '-o', 'tsv'])).stdout).toBe(`${emu.env.AKSEMU_USER}\tuser\n`);
    // `aksemu login` alone is az's interactive sign-in: the default user again.
    await aksemu(env, ['login', '--service-principal', '-u', emu.env.AZURE_CLIENT_ID!, '-p', secret, '--tenant', emu.env.AZURE_TENANT_ID!, '-o', 'none']);
    const plain = await aksemu(env, ['login', '--query', '[].user.name', '-o', 'tsv']);
    expect(plain.stdout).toBe(`${emu.env.AKSEMU_USER}\n`);
    expect(existsSync(profilePath(emu.dataDir))).toBe(false);
  });

  it('reads a profile written before users could sign in (no kind) as a service principal', async () => {
    const { Sealer } = await import('../../src/secrets/sealer.js');
    const sealer = new Sealer(readFileSync(join(emu.dataDir, 'master.key')));
    const sealedSecret = sealer.seal(Buffer.from(emu.env.AZURE_CLIENT_SECRET!), `aksemu/cli/profile/client-secret/${emu.env.AZURE_CLIENT_ID!.toLowerCase()}`).toString('base64');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(join(emu.dataDir, 'cli'), { recursive: true });
    writeFileSync(profilePath(emu.dataDir), JSON.stringify({ tenantId: emu.env.AZURE_TENANT_ID, clientId: emu.env.AZURE_CLIENT_ID, sealedSecret, subscriptionId: emu.env.AZURE_SUBSCRIPTION_ID, loggedInAt: new Date().toISOString() }));
    expect((await aksemu(env, ['account', 'show', '--query', 'user', '-o', 'tsv'])).stdout).toBe(`${emu.env.AZURE_CLIENT_ID}\tservicePrincipal\n`);
    expect((await aksemu(env, ['logout'])).code).toBe(0);
  });

  it('--debug logs requests and responses as az does, masking the bearer token and never the client secret', async () => {
    rmSync(join(emu.dataDir, 'cli', 'tokens.json'), { force: true }); // so the token request is made (and logged)
    const res = await aksemu(env, ['group', 'show', '-n', 'myResourceGroup', '--debug', '-o', 'none']);
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stderr.split('\n').map((l) => l.replace(/^DEBUG: cli\.azure\.cli\.core\.sdk\.policies: /, ''));
    const show = lines.findIndex((l) => /^Request URL: '.*\/resourcegroups\/myResourceGroup\?api-version=/.test(l));
    expect(show).toBeGreaterThan(0);
    expect(lines.slice(show, show + 2)).toEqual([lines[show], "Request method: 'GET'"]);
    expect(lines).toContain("    'Authorization': '*****'");
    expect(lines[lines.indexOf('Response content:', show) + 1]).toContain('"name":"myResourceGroup"');
    expect(res.stderr).not.toContain(emu.env.AZURE_CLIENT_SECRET!);
    expect(res.stderr).not.toContain(emu.env.AKSEMU_PASSWORD!);
    expect(res.stderr).not.toMatch(/Bearer ey/);
    expect(res.stderr).not.toMatch(/"access_token"/);
  });
});

describeWith(['az'], 'the same commands with the real az after aksemu az-setup', () => {
  beforeAll(async () => {
    const setup = await aksemu(env, ['az-setup']);
    expect(setup.code, setup.stderr).toBe(0);
    expect(setup.stdout).toContain(`export AZURE_CONFIG_DIR=${emu.env.AZURE_CONFIG_DIR}`);
    expect(setup.stderr).toContain(`az is signed in to aksemu (subscription ${emu.env.AZURE_SUBSCRIPTION_ID}`);
  });

  const compare = async (args: string[], { stderr = false } = {}) => {
    const [ours, theirs] = await Promise.all([aksemu(env, args), az(args, { ...emu.env, HOME: home })]);
    expect(ours.code, ours.stderr).toBe(theirs.code);
    expect(ours.stdout).toBe(theirs.stdout);
    if (stderr) expect(ours.stderr).toBe(theirs.stderr);
  };

  it('az works in one step after az-setup', async () => {
    const show = await az(['account', 'show', '--query', 'id', '-o', 'tsv'], emu.env);
    expect(show.stdout.trim()).toBe(emu.env.AZURE_SUBSCRIPTION_ID);
  });

  it('group list/show in every output format', async () => {
    await aksemu(env, ['group', 'create', '-n', 'tableGroup', '-l', 'westus2', '--tags', 'a=b', 'empty=', '-o', 'none']);
    for (const o of ['table', 'tsv', 'json', 'yaml']) await compare(['group', 'list', '-o', o]);
    await compare(['group', 'show', '-n', 'tableGroup', '-o', 'yaml']);
    await compare(['group', 'list', '--query', '[].{name:name, loc:location, tags:tags}', '-o', 'table']);
    await compare(['group', 'list', '--query', '[].{name:name, loc:location}', '-o', 'tsv']);
    await compare(['group', 'list', '--query', "[?location=='westus2'].id", '-o', 'json']);
  });

  it('not found: same message and exit code 3', async () => {
    await compare(['group', 'show', '-n', 'nope'], { stderr: true });
  });

  it('features and providers', async () => {
    await compare(['feature', 'show', '--namespace', 'Microsoft.ContainerService', '--name', 'MutableFipsPreview', '-o', 'table']);
    await compare(['feature', 'list', '--namespace', 'Microsoft.ContainerService', '-o', 'table']);
    await compare(['provider', 'show', '-n', 'Microsoft.ContainerService', '-o', 'table']);
    await compare(['provider', 'show', '-n', 'Microsoft.ContainerService', '--query', '{ns:namespace, state:registrationState}']);
  });

  it('account and signed-in user', async () => {
    await compare(['account', 'show']);
    await compare(['ad', 'signed-in-user', 'show']);
  });
});
