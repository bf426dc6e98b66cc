/**
 * Acceptance: the official Azure SDK for JavaScript (@azure/identity ClientSecretCredential,
 * @azure/arm-resources, @azure/arm-features) works against aksemu through its proxy with only environment
 * settings (HTTPS_PROXY and NODE_EXTRA_CA_CERTS, as printed by `aksemu env`). SPEC X-2.
 */
import { ClientSecretCredential, EnvironmentCredential } from '@azure/identity';
import { FeatureClient } from '@azure/arm-features';
import { ResourceManagementClient } from '@azure/arm-resources';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnEmulator, useEnvironment, type SpawnedEmulator } from '../../testkit/emulator.js';

describe('Azure SDK for JavaScript against aksemu', () => {
  let emu: SpawnedEmulator;
  beforeAll(async () => {
    emu = await spawnEmulator();
    useEnvironment(emu.env);
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it('gets a token with ClientSecretCredential and EnvironmentCredential', async () => {
    const cred = new ClientSecretCredential(emu.env.AZURE_TENANT_ID!, emu.env.AZURE_CLIENT_ID!, emu.env.AZURE_CLIENT_SECRET!);
    const token = await cred.getToken('https://management.azure.com/.default');
    const claims = JSON.parse(Buffer.from(token.token.split('.')[1]!, 'base64url').toString());
    expect(claims.tid).toBe(emu.env.AZURE_TENANT_ID);
    expect(claims.appid).toBe(emu.env.AZURE_CLIENT_ID);
    expect(typeof claims.oid).toBe('string');
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now());
    const envToken = await new EnvironmentCredential().getToken('https://vault.azure.net/.default');
    expect(JSON.parse(Buffer.from(envToken!.token.split('.')[1]!, 'base64url').toString()).aud).toBe('https://vault.azure.net');
  });

  it('manages resource groups with ResourceManagementClient', async () => {
    const cred = new ClientSecretCredential(emu.env.AZURE_TENANT_ID!, emu.env.AZURE_CLIENT_ID!, emu.env.AZURE_CLIENT_SECRET!);
    const client = new ResourceManagementClient(cred, emu.env.AZURE_SUBSCRIPTION_ID!);
    const created = await client.resourceGroups.createOrUpdate('sdk-rg', { location: 'westeurope', tags: { env: 'test' } });
    expect(created.id).toBe(`/subscriptions/${emu.env.AZURE_SUBSCRIPTION_ID}/resourceGroups/sdk-rg`);
    expect(created.properties?.provisioningState).toBe('Succeeded');
    expect((await client.resourceGroups.get('sdk-rg')).tags).toEqual({ env: 'test' });
    expect((await client.resourceGroups.checkExistence('sdk-rg')).body).toBe(true);
    const names: string[] = [];
    for await (const g of client.resourceGroups.list()) names.push(g.name!);
    expect(names).toContain('sdk-rg');
    const patched = await client.resourceGroups.update('sdk-rg', { tags: { env: 'prod' } });
    expect(patched.tags).toEqual({ env: 'prod' });
    await client.resourceGroups.beginDeleteAndWait('sdk-rg', { updateIntervalInMs: 10 });
    expect((await client.resourceGroups.checkExistence('sdk-rg')).body).toBe(false);
    await expect(client.resourceGroups.get('sdk-rg')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceGroupNotFound' });
  });

  it('registers a provider and a preview feature', async () => {
    const cred = new ClientSecretCredential(emu.env.AZURE_TENANT_ID!, emu.env.AZURE_CLIENT_ID!, emu.env.AZURE_CLIENT_SECRET!);
    const client = new ResourceManagementClient(cred, emu.env.AZURE_SUBSCRIPTION_ID!);
    const provider = await client.providers.register('Microsoft.ContainerService');
    expect(provider.namespace).toBe('Microsoft.ContainerService');
    expect(['Registering', 'Registered']).toContain(provider.registrationState);
    const features = new FeatureClient(cred, emu.env.AZURE_SUBSCRIPTION_ID!);
    const registering = await features.features.register('Microsoft.ContainerService', 'MutableFipsPreview');
    expect(registering.properties?.state).toBe('Registering');
    let state = registering.properties?.state;
    for (let i = 0; i < 50 && state !== 'Registered'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      state = (await features.features.get('Microsoft.ContainerService', 'MutableFipsPreview')).properties?.state;
    }
    expect(state).toBe('Registered');
  });
});
