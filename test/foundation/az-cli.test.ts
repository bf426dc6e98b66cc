/**
 * Acceptance: the real Debian `az` 2.45, configured only with `aksemu env`, logs in and manages resource
 * groups, preview features and provider registration (SPEC X-2, C-8).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { az, azLogin } from '../../testkit/az.js';
import { spawnEmulator, type SpawnedEmulator } from '../../testkit/emulator.js';
import { describeWith } from '../../testkit/optional.js';

describeWith(['az'], 'real az CLI against aksemu', () => {
  let emu: SpawnedEmulator;
  beforeAll(async () => {
    emu = await spawnEmulator();
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it('logs in with the service principal from aksemu env and lists the subscription', async () => {
    const login = await az(['login', '--service-principal', '-u', emu.env.AZURE_CLIENT_ID!, '-p', emu.env.AZURE_CLIENT_SECRET!, '--tenant', emu.env.AZURE_TENANT_ID!], emu.env);
    expect(login.code, login.stderr).toBe(0);
    const accounts = login.json<Array<{ id: string; tenantId: string; user: { type: string } }>>();
    expect(accounts).toHaveLength(1);
    expect(accounts[0]!.id).toBe(emu.env.AZURE_SUBSCRIPTION_ID);
    expect(accounts[0]!.tenantId).toBe(emu.env.AZURE_TENANT_ID);
    expect(accounts[0]!.user.type).toBe('servicePrincipal');
  });

  it('rejects a wrong client secret with the AADSTS error', async () => {
    const res = await az(['login', '--service-principal', '-u', emu.env.AZURE_CLIENT_ID!, '-p', 'wrong-secret', '--tenant', emu.env.AZURE_TENANT_ID!], {
      ...emu.env,
      AZURE_CONFIG_DIR: `${emu.dataDir}/azure-wrong`,
    });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('AADSTS7000215');
  });

  it('creates, shows, lists and deletes resource groups', async () => {
    await azLogin(emu.env);
    const created = await az(['group', 'create', '-n', 'MyResourceGroup', '-l', 'eastus', '--tags', 'team=platform'], emu.env);
    expect(created.code, created.stderr).toBe(0);
    expect(created.json()).toMatchObject({
      name: 'MyResourceGroup',
      location: 'eastus',
      type: 'Microsoft.Resources/resourceGroups',
      tags: { team: 'platform' },
      properties: { provisioningState: 'Succeeded' },
    });
    // ARM ids and names are case-insensitive.
    const shown = await az(['group', 'show', '-n', 'myresourcegroup', '--query', 'id', '-o', 'tsv'], emu.env);
    expect(shown.stdout.trim()).toBe(`/subscriptions/${emu.env.AZURE_SUBSCRIPTION_ID}/resourceGroups/MyResourceGroup`);
    await az(['group', 'create', '-n', 'second', '-l', 'westeurope'], emu.env);
    const list = await az(['group', 'list', '--query', '[].name', '-o', 'tsv'], emu.env);
    expect(list.stdout.trim().split('\n').sort()).toEqual(['MyResourceGroup', 'second']);
    const exists = await az(['group', 'exists', '-n', 'second'], emu.env);
    expect(exists.stdout.trim()).toBe('true');

    const moved = await az(['group', 'create', '-n', 'second', '-l', 'eastus'], emu.env);
    expect(moved.code).not.toBe(0);
    expect(moved.stderr).toContain('InvalidResourceGroupLocation');

    const del = await az(['group', 'delete', '-n', 'second', '--yes'], emu.env);
    expect(del.code, del.stderr).toBe(0);
    const after = await az(['group', 'show', '-n', 'second'], emu.env);
    expect(after.code).toBe(3);
    expect(after.stderr).toContain('ResourceGroupNotFound');
  });

  it('registers the MutableFipsPreview feature until it shows Registered, and registers the provider', async () => {
    await azLogin(emu.env);
    const before = await az(['feature', 'show', '--namespace', 'Microsoft.ContainerService', '--name', 'MutableFipsPreview', '--query', 'properties.state', '-o', 'tsv'], emu.env);
    expect(before.stdout.trim()).toBe('NotRegistered');
    const reg = await az(['feature', 'register', '--namespace', 'Microsoft.ContainerService', '--name', 'MutableFipsPreview'], emu.env);
    expect(reg.code, reg.stderr).toBe(0);
    expect(reg.json().properties.state).toBe('Registering');
    let state = '';
    for (let i = 0; i < 20 && state !== 'Registered'; i++) {
      const show = await az(['feature', 'show', '--namespace', 'Microsoft.ContainerService', '--name', 'MutableFipsPreview'], emu.env);
      expect(show.code, show.stderr).toBe(0);
      expect(show.json().name).toBe('Microsoft.ContainerService/MutableFipsPreview');
      state = show.json().properties.state;
    }
    expect(state).toBe('Registered');
    const listed = await az(['feature', 'list', '--namespace', 'Microsoft.ContainerService', '--query', "[?properties.state=='Registered'].name", '-o', 'tsv'], emu.env);
    expect(listed.stdout.trim()).toBe('Microsoft.ContainerService/MutableFipsPreview');

    const provider = await az(['provider', 'register', '--namespace', 'Microsoft.ContainerService', '--wait'], emu.env);
    expect(provider.code, provider.stderr).toBe(0);
    const shown = await az(['provider', 'show', '-n', 'Microsoft.ContainerService', '--query', 'registrationState', '-o', 'tsv'], emu.env);
    expect(shown.stdout.trim()).toBe('Registered');

    const unknown = await az(['feature', 'show', '--namespace', 'Microsoft.ContainerService', '--name', 'NoSuchFeature'], emu.env);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('FeatureNotFound');
  });
});
