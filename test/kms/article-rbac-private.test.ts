/**
 * Acceptance, the KMS article on a public RBAC vault (enable on create) and on a private vault (SPEC K-5,
 * K-6, K-7, K-9) with the SDKs and the real kubectl:
 * - RBAC: "Key Vault Crypto User" lets the identity's plugin encrypt; values at rest decrypt with the key;
 * - private: no up-front permission check; the private link is created as the identity (needs "Key Vault
 *   Contributor", else the operation fails), a private endpoint and DNS zone appear in the node resource group and
 *   the vault's private endpoint connections; the plugin's calls come through that endpoint; API Server VNet
 *   Integration instead of konnectivity-agent; a missing key permission surfaces at run time in the plugin and the
 *   API server; the mode change goes through disable → az keyvault update → enable.
 */
import { KeyClient } from '@azure/keyvault-keys';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { removeDataDir, startTestEmulator, useEnvironment } from '../../testkit/emulator.js';
import { describeWith } from '../../testkit/optional.js';
import { getToken, httpsCall } from '../../testkit/http.js';
import { kubectl, kubectlHome, type KubectlHome } from '../../testkit/kube/kube-env.js';
import { decryptSecret, kidHash, rawSecret } from './at-rest.js';
import { assignRole, identity, importKey, kit, kmsCluster, rawCluster, resourceGroup, ROLE, setPolicy, vault, type Kit, type TestKey } from './fixtures.js';

type Emu = Awaited<ReturnType<typeof startTestEmulator>>;

describeWith(['kubectl'], 'KMS article, public RBAC vault and private vault (SDK + kubectl)', () => {
  let emu: Emu;
  let k: Kit;
  let id: { id: string; principalId: string; clientId: string };
  let rbacKey: TestKey;
  let privKey: TestKey;
  let privVaultId: string;
  const rg = 'kms-rbac-private';

  const home = async (name: string): Promise<{ h: KubectlHome; uid: string; raw: any }> => {
    const raw = await rawCluster(emu.url, emu.env, `/subscriptions/${k.sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`);
    const h = await kubectlHome(emu as never, { uid: raw.properties.resourceUID, armId: raw.id, fqdn: raw.properties.fqdn, name, resourceGroup: rg, nodeNames: [] } as never);
    return { h, uid: raw.properties.resourceUID, raw };
  };
  const auditOf = async (vaultName: string) => {
    const token = await getToken(emu.url, emu.env);
    return (await httpsCall(`${emu.url}/_aksemu/keyvault/vaults/${vaultName}/audit`, { headers: { authorization: `Bearer ${token}` } })).json().value as Array<any>;
  };

  beforeAll(async () => {
    emu = await startTestEmulator({ now: new Date('2025-09-01T00:00:00Z') });
    useEnvironment(emu.env);
    k = kit(emu.env);
    await resourceGroup(k, rg);
    id = await identity(k, rg, 'MyIdentity');
    // RBAC public vault: the caller is Crypto Officer (to create keys), the identity Crypto User.
    const rbac = await vault(k, rg, 'kv-kms-rbac', { rbac: true });
    rbacKey = await importKey(k, 'kv-kms-rbac', 'etcd-key');
    await assignRole(k, rbac.id!, id.principalId, ROLE.cryptoUser);
    // Private vault: keys are made while it is still reachable, then public access is disabled.
    const priv = await vault(k, rg, 'kv-kms-private');
    privVaultId = priv.id!;
    privKey = await importKey(k, 'kv-kms-private', 'etcd-key');
    await k.kv.vaults.update(rg, 'kv-kms-private', { properties: { publicNetworkAccess: 'Disabled' } });
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('RBAC vault: KMS enabled on create, secrets at rest under the key, the plugin authorized by RBAC', async () => {
    const mc = await k.aks.managedClusters.beginCreateOrUpdateAndWait(rg, 'rbac-aks', kmsCluster({ identityId: id.id, kid: rbacKey.kid }));
    expect(mc.provisioningState).toBe('Succeeded');
    const { h, uid } = await home('rbac-aks');
    expect((await kubectl(h, ['create', 'secret', 'generic', 's1', '--from-literal=v=rbac'])).code).toBe(0);
    const v = await rawSecret(emu.core.store, uid, 'default', 's1');
    expect(v.keyId).toBe(kidHash(rbacKey.kid));
    expect(Buffer.from(decryptSecret(v, '/registry/secrets/default/s1', rbacKey.privateKey).data.v, 'base64').toString()).toBe('rbac');
    const plugin = (await auditOf('kv-kms-rbac')).filter((e) => e.identity.claim.oid === id.principalId);
    expect(plugin.length).toBeGreaterThan(0);
    expect(plugin.every((e) => e.properties.isRbacAuthorized === true && e.resultType === 'Success')).toBe(true);
  });

  it('private vault: no up-front check; without "Key Vault Contributor" the private link cannot be created', async () => {
    await setPolicy(k, rg, 'kv-kms-private', id.principalId);
    const body = kmsCluster({ identityId: id.id, kid: privKey.kid, access: 'Private', vaultId: privVaultId, vnetIntegration: true });
    const err = await k.aks.managedClusters.beginCreateOrUpdateAndWait(rg, 'priv-aks', body).then(
      () => undefined,
      (e: { code?: string; message: string }) => e,
    );
    // The operation fails (the SDK's poller reports the operation's error code and message).
    expect(err?.message).toMatch(/AzureKeyVaultKmsPrivateLinkCreationFailed\. .*needs the role "Key Vault Contributor" on the vault/);
    expect((await k.aks.managedClusters.get(rg, 'priv-aks')).provisioningState).toBe('Failed');
    await assignRole(k, privVaultId, id.principalId, ROLE.contributor);
    const mc = await k.aks.managedClusters.beginCreateOrUpdateAndWait(rg, 'priv-aks', body);
    expect(mc.provisioningState).toBe('Succeeded');
    expect(mc.apiServerAccessProfile?.enableVnetIntegration).toBe(true);
  });

  it('private vault: private endpoint + private DNS zone in the node resource group, connection on the vault, calls through it', async () => {
    const { h, uid, raw } = await home('priv-aks');
    const nodeRg = raw.properties.nodeResourceGroup;
    const token = await getToken(emu.url, emu.env);
    const inRg = (await httpsCall(`${emu.url}/subscriptions/${k.sub}/resourceGroups/${nodeRg}/resources?api-version=2021-04-01`, { headers: { authorization: `Bearer ${token}` } })).json().value;
    const pe = inRg.find((r: { type: string }) => r.type === 'Microsoft.Network/privateEndpoints');
    expect(pe?.name).toBe('kms-kv-kms-private');
    expect(inRg.some((r: { type: string; name: string }) => r.type === 'Microsoft.Network/privateDnsZones' && r.name === 'privatelink.vaultcore.azure.net')).toBe(true);
    const v = await k.kv.vaults.get(rg, 'kv-kms-private');
    expect(v.properties.privateEndpointConnections?.[0]?.privateEndpoint?.id?.toLowerCase()).toBe(pe.id.toLowerCase());

    expect((await kubectl(h, ['create', 'secret', 'generic', 's1', '--from-literal=v=private'])).code).toBe(0);
    const at = await rawSecret(emu.core.store, uid, 'default', 's1');
    expect(Buffer.from(decryptSecret(at, '/registry/secrets/default/s1', privKey.privateKey).data.v, 'base64').toString()).toBe('private');
    const calls = (await auditOf('kv-kms-private')).filter((e) => e.identity.claim.oid === id.principalId);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((e) => e.properties.privateEndpoint?.toLowerCase() === pe.id.toLowerCase() && e.callerIpAddress === 'privateEndpoint:kms-kv-kms-private')).toBe(true);
    // SPEC K-7: VNet Integration replaces Konnectivity.
    const pods = await kubectl(h, ['get', 'po', '-n', 'kube-system']);
    expect(pods.code).toBe(0);
    expect(pods.stdout).not.toMatch(/konnectivity-agent/);
    // The vault stays closed to everyone else.
    await expect(new KeyClient('https://kv-kms-private.vault.azure.net/', k.cred).getKey('etcd-key')).rejects.toMatchObject({ statusCode: 403 });
  });

  it('private vault: a missing key permission fails at run time in the plugin and the API server', async () => {
    const { h } = await home('priv-aks');
    await k.kv.vaults.updateAccessPolicy(rg, 'kv-kms-private', 'remove', { properties: { accessPolicies: [{ tenantId: k.tenant, objectId: id.principalId, permissions: { keys: ['decrypt', 'encrypt'] } }] } });
    try {
      emu.core.clock.advance(4 * 60_000); // past the health probe cache and the 3-minute KMS v2 write state
      const hz = await kubectl(h, ['get', '--raw', '/healthz/kms-providers']);
      expect(hz.code).not.toBe(0);
      expect(hz.stderr).toMatch(/does not have keys encrypt permission|Forbidden/);
      const w = await kubectl(h, ['create', 'secret', 'generic', 's2', '--from-literal=v=x']);
      expect(w.code).not.toBe(0);
      expect(w.stderr).toMatch(/Internal error occurred: unable to transform key "\/registry\/secrets\/default\/s2"/);
      const status = (await rawCluster(emu.url, emu.env, (await k.aks.managedClusters.get(rg, 'priv-aks')).id!)).properties.status;
      expect(status.provisioningError.code).toBe('AzureKeyVaultKmsPluginUnhealthy');
    } finally {
      await setPolicy(k, rg, 'kv-kms-private', id.principalId);
    }
    emu.core.clock.advance(11_000);
    expect((await kubectl(h, ['get', '--raw', '/healthz/kms-providers'])).stdout).toBe('ok');
    expect((await kubectl(h, ['create', 'secret', 'generic', 's2', '--from-literal=v=x'])).code).toBe(0);
  });

  it('K-9: a different vault in the other mode can be set directly (public RBAC vault → private vault)', async () => {
    const { h, uid } = await home('rbac-aks');
    const mc = await k.aks.managedClusters.get(rg, 'rbac-aks');
    const moved = await k.aks.managedClusters.beginCreateOrUpdateAndWait(rg, 'rbac-aks', {
      ...mc,
      apiServerAccessProfile: { enableVnetIntegration: true },
      securityProfile: { azureKeyVaultKms: { enabled: true, keyId: privKey.kid, keyVaultNetworkAccess: 'Private', keyVaultResourceId: privVaultId } },
    });
    expect(moved.securityProfile?.azureKeyVaultKms).toMatchObject({ keyId: privKey.kid, keyVaultNetworkAccess: 'Private' });
    expect((await kubectl(h, ['create', 'secret', 'generic', 's-moved', '--from-literal=v=moved'])).code).toBe(0);
    expect((await rawSecret(emu.core.store, uid, 'default', 's-moved')).keyId).toBe(kidHash(privKey.kid));
    // The secret on the RBAC vault's key is still readable (the previous key, through the public endpoint).
    expect(Buffer.from((await kubectl(h, ['get', 'secret', 's1', '-o', 'jsonpath={.data.v}'])).stdout, 'base64').toString()).toBe('rbac');
    const status = (await rawCluster(emu.url, emu.env, moved.id!)).properties.status.azureKeyVaultKms;
    expect(status.providers.map((p: { access: string; role: string }) => [p.access, p.role])).toEqual([
      ['Private', 'write'],
      ['Public', 'read'],
    ]);
  });

  it('K-9: private → public through disable, az keyvault update --public-network-access Enabled, enable', async () => {
    const { h, uid, raw } = await home('priv-aks');
    let mc = await k.aks.managedClusters.get(rg, 'priv-aks');
    mc = await k.aks.managedClusters.beginCreateOrUpdateAndWait(rg, 'priv-aks', { ...mc, securityProfile: { azureKeyVaultKms: { ...mc.securityProfile!.azureKeyVaultKms!, enabled: false } } });
    await k.kv.vaults.update(rg, 'kv-kms-private', { properties: { publicNetworkAccess: 'Enabled' } });
    mc = await k.aks.managedClusters.beginCreateOrUpdateAndWait(rg, 'priv-aks', { ...mc, securityProfile: { azureKeyVaultKms: { enabled: true, keyId: privKey.kid, keyVaultNetworkAccess: 'Public' } } });
    expect(mc.securityProfile?.azureKeyVaultKms).toEqual({ enabled: true, keyId: privKey.kid, keyVaultNetworkAccess: 'Public' });
    // The secret written through the private endpoint reads through the public one; the endpoint is released.
    expect(Buffer.from((await kubectl(h, ['get', 'secret', 's1', '-o', 'jsonpath={.data.v}'])).stdout, 'base64').toString()).toBe('private');
    const token = await getToken(emu.url, emu.env);
    const inRg = (await httpsCall(`${emu.url}/subscriptions/${k.sub}/resourceGroups/${raw.properties.nodeResourceGroup}/resources?api-version=2021-04-01`, { headers: { authorization: `Bearer ${token}` } })).json().value;
    expect(inRg.some((r: { type: string }) => r.type === 'Microsoft.Network/privateEndpoints')).toBe(false);
    // Only the other cluster's endpoint (rbac-aks moved to this vault) is still connected.
    const connections = (await k.kv.vaults.get(rg, 'kv-kms-private')).properties.privateEndpointConnections ?? [];
    expect(connections.map((c) => c.privateEndpoint?.id?.split('/')[4])).toEqual([`MC_${rg}_rbac-aks_eastus`]);
    expect((await rawSecret(emu.core.store, uid, 'default', 's1')).keyId).toBe(kidHash(privKey.kid));
  });
});
