/**
 * Acceptance, the documented runtime failures (SPEC K-8, K-11), with the SDKs and the real kubectl:
 * - deleting the cluster identity or the key vault breaks the KMS plugin: kms-providers health fails; the API server
 *   (1.29+: KMS is not a liveness check) serves what it has cached until it restarts, then can no longer decrypt
 *   its secrets (recovering the vault repairs it);
 * - destroying the key after KMS was disabled, with secrets not yet migrated: the API server's /healthz and /readyz
 *   fail (it is taken out of service; /livez keeps out of it from 1.29) and those secrets are unreadable;
 * - scaling all nodes to zero through the Virtual Machine Scale Sets API (not through AKS) leaves a KMS cluster down
 *   and unrecoverable (a cluster without KMS just loses its nodes).
 */
import { KeyClient } from '@azure/keyvault-keys';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { removeDataDir, startTestEmulator, useEnvironment } from '../../testkit/emulator.js';
import { describeWith } from '../../testkit/optional.js';
import { getToken, httpsCall } from '../../testkit/http.js';
import { kubectl, kubectlHome, type KubectlHome } from '../../testkit/kube/kube-env.js';
import { rawSecret } from './at-rest.js';
import { identity, importKey, kit, kmsCluster, rawCluster, resourceGroup, setPolicy, vault, type Kit } from './fixtures.js';

type Emu = Awaited<ReturnType<typeof startTestEmulator>>;

describeWith(['kubectl'], 'KMS failure modes: deleted identity, vault or key; VMSS scaled to zero', () => {
  let emu: Emu;
  let k: Kit;
  const rg = 'kms-failures';

  /** A resource group with a vault, an identity allowed on it, a key, and a KMS cluster with one secret. */
  const setup = async (name: string, o: { kms?: boolean } = {}) => {
    const vaultName = `kv-${name}`;
    await vault(k, rg, vaultName);
    const id = await identity(k, rg, `${name}-id`);
    await setPolicy(k, rg, vaultName, id.principalId);
    const key = await importKey(k, vaultName, 'etcd-key');
    const mc = await k.aks.managedClusters.beginCreateOrUpdateAndWait(rg, name, kmsCluster({ identityId: id.id, ...(o.kms === false ? {} : { kid: key.kid }) }));
    const raw = await rawCluster(emu.url, emu.env, mc.id!);
    const h = await kubectlHome(emu as never, { uid: raw.properties.resourceUID, armId: raw.id, fqdn: raw.properties.fqdn, name, resourceGroup: rg, nodeNames: [] } as never);
    expect((await kubectl(h, ['create', 'secret', 'generic', 's1', '--from-literal=v=one'])).code).toBe(0);
    return { h, id, key, vaultName, mc, uid: raw.properties.resourceUID as string, nodeRg: raw.properties.nodeResourceGroup as string };
  };
  const read = async (h: KubectlHome, name: string) => {
    const r = await kubectl(h, ['get', 'secret', name, '-o', 'jsonpath={.data.v}']);
    return r.code === 0 ? Buffer.from(r.stdout, 'base64').toString() : `ERROR: ${r.stderr.trim()}`;
  };
  /** The emulator restarts on the same data directory and port (every cluster's API server starts afresh). */
  const restart = async () => {
    const { dataDir, port } = emu;
    await emu.close();
    emu = await startTestEmulator({ dataDir, port, now: emu.core.clock.now() });
    useEnvironment(emu.env);
    k = kit(emu.env);
  };
  const arm = async (method: string, path: string, body?: unknown) => {
    const token = await getToken(emu.url, emu.env);
    return httpsCall(`${emu.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  };

  beforeAll(async () => {
    emu = await startTestEmulator({ now: new Date('2025-09-01T00:00:00Z') });
    useEnvironment(emu.env);
    k = kit(emu.env);
    await resourceGroup(k, rg);
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('K-8: deleting the key vault breaks the plugin; recovering the soft-deleted vault repairs it', async () => {
    const { h, vaultName } = await setup('novault');
    const v = await k.kv.vaults.get(rg, vaultName);
    await k.kv.vaults.delete(rg, vaultName);
    emu.core.clock.advance(21_000);
    expect((await kubectl(h, ['get', '--raw', '/healthz/kms-providers'])).stderr).toMatch(/VaultNotFound|404/);
    // Not a liveness failure from 1.29 (SPEC K-13): s1 is under the API server's current seed, still readable.
    expect(await read(h, 's1')).toBe('one');
    // The API server restarts (here: aksemu does): it cannot decrypt the seed of s1 any more.
    await restart();
    expect(await read(h, 's1')).toMatch(/^ERROR: .*unable to transform key/);
    await k.kv.vaults.beginCreateOrUpdateAndWait(rg, vaultName, { location: v.location!, properties: { tenantId: k.tenant, sku: { family: 'A', name: 'standard' }, createMode: 'recover' } });
    emu.core.clock.advance(11_000);
    expect((await kubectl(h, ['get', '--raw', '/healthz/kms-providers'])).stdout).toBe('ok');
    expect(await read(h, 's1')).toBe('one');
  });

  it('K-8: destroying the key after KMS was disabled stops the API server (its health) while secrets are not migrated', async () => {
    const { h, key, vaultName, mc, uid } = await setup('destroyed');
    await k.aks.managedClusters.beginCreateOrUpdateAndWait(rg, 'destroyed', { ...mc, securityProfile: { azureKeyVaultKms: { ...mc.securityProfile!.azureKeyVaultKms!, enabled: false } } });
    expect((await kubectl(h, ['create', 'secret', 'generic', 'plain', '--from-literal=v=two'])).code).toBe(0);
    expect((await rawSecret(emu.core.store, uid, 'default', 's1')).format).toBe('kms-v2'); // not migrated
    const kc = new KeyClient(`https://${vaultName}.vault.azure.net/`, k.cred);
    await (await kc.beginDeleteKey(key.name)).pollUntilDone();
    await kc.purgeDeletedKey(key.name);
    emu.core.clock.advance(21_000);
    for (const endpoint of ['/healthz', '/readyz']) {
      const r = await kubectl(h, ['get', '--raw', `${endpoint}?verbose`]);
      expect(r.code, endpoint).not.toBe(0);
      expect(r.stderr + r.stdout).toMatch(/\[-\]kms-providers failed/);
    }
    // kube-apiserver 1.29+ keeps the KMS checks out of /livez: no restart loop, the API server is just not ready.
    expect((await kubectl(h, ['get', '--raw', '/livez'])).stdout).toBe('ok');
    expect(await read(h, 's1')).toMatch(/^ERROR: .*unable to transform key "\/registry\/secrets\/default\/s1"/);
    expect(await read(h, 'plain')).toBe('two');
  });

  it('K-11: scaling every node to zero through the VMSS API leaves a KMS cluster down and unrecoverable', async () => {
    const { h, nodeRg, mc } = await setup('vmss');
    const list = (await arm('GET', `/subscriptions/${k.sub}/resourceGroups/${nodeRg}/providers/Microsoft.Compute/virtualMachineScaleSets?api-version=2024-07-01`)).json().value;
    expect(list).toHaveLength(1);
    expect(list[0].sku.capacity).toBe(1);
    const scaled = await arm('PATCH', `${list[0].id}?api-version=2024-07-01`, { sku: { capacity: 0 } });
    expect(scaled.status).toBe(200);
    expect(scaled.json().sku.capacity).toBe(0);
    // The agent pool still says 1 node: AKS did not do this.
    expect((await k.aks.agentPools.get(rg, 'vmss', 'nodepool1')).count).toBe(1);
    const down = await kubectl(h, ['get', 'nodes']);
    expect(down.code).not.toBe(0);
    expect(down.stderr).toMatch(/ServiceUnavailable|unavailable.*deallocated through the Virtual Machine Scale Sets API/);
    const status = (await rawCluster(emu.url, emu.env, mc.id!)).properties.status;
    expect(status.provisioningError.code).toBe('AzureKeyVaultKmsClusterUnrecoverable');
    // Scaling back up boots VMs, but the cluster stays down; AKS refuses further changes.
    expect((await arm('PATCH', `${list[0].id}?api-version=2024-07-01`, { sku: { capacity: 1 } })).status).toBe(200);
    expect((await kubectl(h, ['get', 'secrets'])).code).not.toBe(0);
    const refused = await k.aks.managedClusters.beginCreateOrUpdateAndWait(rg, 'vmss', { ...(await k.aks.managedClusters.get(rg, 'vmss')), tags: { try: 'again' } }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(refused?.message).toMatch(/cannot be recovered.*delete the cluster and create a new one/);
  });

  it('K-8: deleting the cluster identity: the plugin works on its token until it needs a new one, then fails', async () => {
    const { h, mc } = await setup('noid');
    expect(await read(h, 's1')).toBe('one');
    await k.msi.userAssignedIdentities.delete(rg, 'noid-id');
    // Tokens already issued stay valid (as in Azure): the running plugin keeps working for now.
    emu.core.clock.advance(21_000);
    expect((await kubectl(h, ['get', '--raw', '/healthz/kms-providers'])).stdout).toBe('ok');
    // The control plane restarts (here: aksemu does), the plugin asks for a token of an identity that is gone.
    await restart();
    const hz = await kubectl(h, ['get', '--raw', '/healthz/kms-providers']);
    expect(hz.code).not.toBe(0);
    expect(hz.stderr).toMatch(/managed identity endpoint answered 401/);
    expect(await read(h, 's1')).toMatch(/^ERROR: .*unable to transform key "\/registry\/secrets\/default\/s1"/);
    const status = (await rawCluster(emu.url, emu.env, mc.id!)).properties.status;
    expect(status.provisioningError.code).toBe('AzureKeyVaultKmsPluginUnhealthy');
    // A new identity of the same name is a new principal: the cluster does not get its key back.
    const again = await identity(k, rg, 'noid-id');
    expect(again.principalId).not.toBe(mc.identity?.userAssignedIdentities?.[again.id]?.principalId);
    emu.core.clock.advance(4_000);
    expect((await kubectl(h, ['get', '--raw', '/healthz/kms-providers'])).code).not.toBe(0);
  });

  it('K-11: the same on a cluster without KMS just deallocates the nodes (az vmss deallocate, then start)', async () => {
    const { h, nodeRg } = await setup('plainvmss', { kms: false });
    const list = (await arm('GET', `/subscriptions/${k.sub}/resourceGroups/${nodeRg}/providers/Microsoft.Compute/virtualMachineScaleSets?api-version=2024-07-01`)).json().value;
    expect((await arm('POST', `${list[0].id}/deallocate?api-version=2024-07-01`)).status).toBe(200);
    await emu.core.tasks.idle();
    const vms = (await arm('GET', `${list[0].id}/virtualMachines?api-version=2024-07-01`)).json().value;
    expect(vms.map((v: any) => v.properties.instanceView.statuses[0].code)).toEqual(['PowerState/deallocated']);
    expect((await kubectl(h, ['get', 'secrets'])).code).toBe(0);
    expect((await arm('POST', `${list[0].id}/start?api-version=2024-07-01`)).status).toBe(200);
    const bad = await arm('PATCH', `${list[0].id}?api-version=2024-07-01`, { sku: { capacity: -1 } });
    expect(bad.status).toBe(400);
    expect(bad.json().error.code).toBe('InvalidParameter');
    expect((await arm('GET', `/subscriptions/${k.sub}/resourceGroups/${nodeRg}/providers/Microsoft.Compute/virtualMachineScaleSets/nope?api-version=2024-07-01`)).status).toBe(404);
  });
});
