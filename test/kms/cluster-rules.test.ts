/**
 * , the ARM side of SPEC K-1, K-4, K-5, K-6, K-9, K-10: every rule answers a clear ARM error (code,
 * AKS's own message where known, what to do instead) through @azure/arm-containerservice, before anything
 * changes; the accepted configurations are stored and echoed.
 */
import { RestError } from '@azure/core-rest-pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, startTestEmulator, useEnvironment } from '../../testkit/emulator.js';
import { assignRole, identity, rawCluster, importKey, kit, kmsCluster, resourceGroup, ROLE, setPolicy, vault, type Kit, type TestKey } from './fixtures.js';

type Emu = Awaited<ReturnType<typeof startTestEmulator>>;

async function refused(p: Promise<unknown>): Promise<{ statusCode: number; code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RestError || (err as { statusCode?: number }).statusCode) {
      const e = err as RestError;
      return { statusCode: e.statusCode!, code: e.code!, message: e.message };
    }
    throw err;
  }
  throw new Error('the request was accepted');
}

describe('KMS rules on managed clusters (SDK)', () => {
  let emu: Emu;
  let k: Kit;
  let id: { id: string; principalId: string; clientId: string };
  let key: TestKey;
  let rbacKey: TestKey;

  beforeAll(async () => {
    emu = await startTestEmulator({ now: new Date('2025-09-01T00:00:00Z') });
    useEnvironment(emu.env);
    k = kit(emu.env);
    await resourceGroup(k, 'kms-rules');
    await vault(k, 'kms-rules', 'kv-rules-policy');
    await vault(k, 'kms-rules', 'kv-rules-rbac', { rbac: true });
    id = await identity(k, 'kms-rules', 'kms-id');
    key = await importKey(k, 'kv-rules-policy', 'etcd-key');
    rbacKey = await importKey(k, 'kv-rules-rbac', 'etcd-key');
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('K-4: refuses a system-assigned identity with AKS’s message', async () => {
    const body = kmsCluster({ identityId: id.id, kid: key.kid });
    const r = await refused(k.aks.managedClusters.beginCreateOrUpdateAndWait('kms-rules', 'sys', { ...body, identity: { type: 'SystemAssigned' } }));
    expect(r.statusCode).toBe(400);
    expect(r.code).toBe('AzureKeyVaultKmsUnsupportedIdentityType');
    expect(r.message).toContain("AzureKeyVaultKms feature does not support cluster identity type SystemAssigned, supported value is 'UserAssigned'");
    expect(r.message).toMatch(/--assign-identity/);
  });

  it('K-1: the profile’s shape (versioned key id, network access, resource id)', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ enabled: true, keyId: key.kid.replace(/\/[0-9a-f]{32}$/, ''), keyVaultNetworkAccess: 'Public' }, /versioned key id/],
      [{ enabled: true, keyVaultNetworkAccess: 'Public' }, /key id of Azure Key Vault KMS is empty/],
      [{ enabled: true, keyId: key.kid, keyVaultNetworkAccess: '' }, /^KeyVault network access is unspecified for Azure Key Vault KMS\.$/],
      [{ enabled: true, keyId: key.kid, keyVaultNetworkAccess: 'Private' }, /^KeyVault resource ID is empty when KeyVault network access is Private\.$/],
      [{ enabled: true, keyId: key.kid, keyVaultNetworkAccess: 'Public', keyVaultResourceId: '/subscriptions/x/resourceGroups/y/providers/Microsoft.KeyVault/vaults/z' }, /must be empty when KeyVault network access is Public/],
      [{ enabled: true, keyId: key.kid, keyVaultNetworkAccess: 'Sometimes' }, /Allowed values: Public, Private/],
    ];
    for (const [kms, message] of cases) {
      const body = kmsCluster({ identityId: id.id });
      const r = await refused(k.aks.managedClusters.beginCreateOrUpdateAndWait('kms-rules', 'shape', { ...body, securityProfile: { azureKeyVaultKms: kms as never } }));
      expect(r.code).toBe('InvalidParameter');
      expect(r.message).toMatch(message);
    }
  });

  it('K-5: a public access-policy vault needs encrypt and decrypt for the identity, checked up front', async () => {
    const r = await refused(k.aks.managedClusters.beginCreateOrUpdateAndWait('kms-rules', 'perm', kmsCluster({ identityId: id.id, kid: key.kid })));
    expect(r.code).toBe('AzureKeyVaultKmsValidateIdentityPermissionCustomerError');
    expect(r.message).toMatch(/^The identity does not have keys encrypt\/decrypt permission on key vault 'kv-rules-policy' \(missing: encrypt, decrypt\)/);
    await setPolicy(k, 'kms-rules', 'kv-rules-policy', id.principalId, ['encrypt']);
    expect((await refused(k.aks.managedClusters.beginCreateOrUpdateAndWait('kms-rules', 'perm', kmsCluster({ identityId: id.id, kid: key.kid })))).message).toMatch(/missing: decrypt\)/);
    // Nothing was created by the refused requests.
    expect((await refused(k.aks.managedClusters.get('kms-rules', 'perm'))).statusCode).toBe(404);
  });

  it('K-5: a public RBAC vault needs "Key Vault Crypto User" for the identity', async () => {
    const r = await refused(k.aks.managedClusters.beginCreateOrUpdateAndWait('kms-rules', 'rbac', kmsCluster({ identityId: id.id, kid: rbacKey.kid })));
    expect(r.code).toBe('AzureKeyVaultKmsValidateIdentityPermissionCustomerError');
    const vaultId = (await k.kv.vaults.get('kms-rules', 'kv-rules-rbac')).id!;
    await assignRole(k, vaultId, id.principalId, ROLE.cryptoUser);
    const mc = await k.aks.managedClusters.beginCreateOrUpdateAndWait('kms-rules', 'rbac', kmsCluster({ identityId: id.id, kid: rbacKey.kid }));
    expect(mc.provisioningState).toBe('Succeeded');
    expect(mc.securityProfile?.azureKeyVaultKms).toEqual({ enabled: true, keyId: rbacKey.kid, keyVaultNetworkAccess: 'Public' });
  });

  it('K-6: vault firewalls and a disabled public endpoint are refused for Public access', async () => {
    await vault(k, 'kms-rules', 'kv-rules-firewall', { firewall: true });
    const fwKey = await importKey(k, 'kv-rules-firewall', 'etcd-key').catch(() => undefined);
    // The test's own client is outside the firewall too: the key is made while the firewall is open instead.
    const kid = fwKey?.kid ?? `https://kv-rules-firewall.vault.azure.net/keys/etcd-key/${'0'.repeat(32)}`;
    const r = await refused(k.aks.managedClusters.beginCreateOrUpdateAndWait('kms-rules', 'fw', kmsCluster({ identityId: id.id, kid })));
    expect(r.code).toBe('AzureKeyVaultKmsKeyVaultFirewallNotSupported');
    expect(r.message).toMatch(/specific virtual networks and IP addresses.*not supported/);
    await vault(k, 'kms-rules', 'kv-rules-closed', { publicNetworkAccess: 'Disabled' });
    const r2 = await refused(k.aks.managedClusters.beginCreateOrUpdateAndWait('kms-rules', 'closed', kmsCluster({ identityId: id.id, kid: `https://kv-rules-closed.vault.azure.net/keys/k/${'1'.repeat(32)}` })));
    expect(r2.code).toBe('AzureKeyVaultKmsKeyVaultNetworkAccessMismatch');
    expect(r2.message).toMatch(/public network access disabled.*--azure-keyvault-kms-key-vault-network-access Private/);
  });

  it('K-6: a private vault needs API Server VNet Integration (Konnectivity unsupported since 2024-09-15)', async () => {
    const v = await vault(k, 'kms-rules', 'kv-rules-private', { publicNetworkAccess: 'Disabled' });
    const r = await refused(
      k.aks.managedClusters.beginCreateOrUpdateAndWait('kms-rules', 'priv', kmsCluster({ identityId: id.id, kid: `https://kv-rules-private.vault.azure.net/keys/k/${'2'.repeat(32)}`, access: 'Private', vaultId: v.id! })),
    );
    expect(r.code).toBe('AzureKeyVaultKmsVnetIntegrationRequired');
    expect(r.message).toMatch(/^Vnet integration should be enabled when KeyVault network access is Private\./);
    // Both what a CLI user types and what a REST caller sets.
    expect(r.message).toContain('--enable-apiserver-vnet-integration');
    expect(r.message).toContain('properties.apiServerAccessProfile.enableVnetIntegration');
    // The key id and the resource id must name the same vault.
    const r2 = await refused(
      k.aks.managedClusters.beginCreateOrUpdateAndWait('kms-rules', 'priv', kmsCluster({ identityId: id.id, kid: key.kid, access: 'Private', vaultId: v.id!, vnetIntegration: true })),
    );
    expect(r2.code).toBe('AzureKeyVaultKmsKeyVaultMismatch');
  });

  it('K-9: a vault of another tenant is refused', async () => {
    await vault(k, 'kms-rules', 'kv-rules-foreign', { tenantId: '11111111-2222-3333-4444-555555555555' });
    const r = await refused(k.aks.managedClusters.beginCreateOrUpdateAndWait('kms-rules', 'foreign', kmsCluster({ identityId: id.id, kid: `https://kv-rules-foreign.vault.azure.net/keys/k/${'3'.repeat(32)}` })));
    expect(r.code).toBe('AzureKeyVaultKmsCrossTenantKeyVaultNotSupported');
    expect(r.message).toMatch(/another tenant are not supported/);
  });

  it('unknown vaults and keys are named', async () => {
    const r = await refused(k.aks.managedClusters.beginCreateOrUpdateAndWait('kms-rules', 'nokv', kmsCluster({ identityId: id.id, kid: `https://kv-nowhere-x.vault.azure.net/keys/k/${'4'.repeat(32)}` })));
    expect(r.code).toBe('AzureKeyVaultKmsKeyVaultNotFound');
    await setPolicy(k, 'kms-rules', 'kv-rules-policy', id.principalId);
    const r2 = await refused(k.aks.managedClusters.beginCreateOrUpdateAndWait('kms-rules', 'nokey', kmsCluster({ identityId: id.id, kid: `https://kv-rules-policy.vault.azure.net/keys/missing/${'5'.repeat(32)}` })));
    expect(r2.code).toBe('AzureKeyVaultKmsKeyNotFound');
  });

  it('K-9: the network access mode of the same vault cannot change while KMS is enabled; nothing is half-applied', async () => {
    const mc = await k.aks.managedClusters.beginCreateOrUpdateAndWait('kms-rules', 'mode', kmsCluster({ identityId: id.id, kid: key.kid }));
    expect(mc.securityProfile?.azureKeyVaultKms?.keyVaultNetworkAccess).toBe('Public');
    const vaultId = (await k.kv.vaults.get('kms-rules', 'kv-rules-policy')).id!;
    const next = { ...mc, securityProfile: { azureKeyVaultKms: { enabled: true, keyId: key.kid, keyVaultNetworkAccess: 'Private', keyVaultResourceId: vaultId } }, apiServerAccessProfile: { enableVnetIntegration: true } };
    const r = await refused(k.aks.managedClusters.beginCreateOrUpdateAndWait('kms-rules', 'mode', next));
    expect(r.code).toBe('AzureKeyVaultKmsNetworkAccessChangeNotAllowed');
    expect(r.message).toMatch(/Disable KMS first \(az aks update --disable-azure-keyvault-kms\), change the vault \(az keyvault update --public-network-access Disabled\)/);
    const after = await k.aks.managedClusters.get('kms-rules', 'mode');
    expect(after.securityProfile?.azureKeyVaultKms?.keyVaultNetworkAccess).toBe('Public');
    expect(after.apiServerAccessProfile?.enableVnetIntegration).toBeFalsy();
  });
});

describe('K-10 on a Kubernetes 1.26 cluster (KMS v1)', () => {
  let emu: Emu;
  let k: Kit;
  let id: { id: string; principalId: string; clientId: string };
  let key: TestKey;

  beforeAll(async () => {
    emu = await startTestEmulator({ now: new Date('2024-01-15T00:00:00Z') });
    useEnvironment(emu.env);
    k = kit(emu.env);
    await resourceGroup(k, 'kms-v1');
    await vault(k, 'kms-v1', 'kv-v1-rules');
    id = await identity(k, 'kms-v1', 'kms-v1-id');
    await setPolicy(k, 'kms-v1', 'kv-v1-rules', id.principalId);
    key = await importKey(k, 'kv-v1-rules', 'etcd-key');
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('blocks the upgrade to 1.27 while KMS is enabled and names the documented path; allows it once KMS is disabled', async () => {
    const mc = await k.aks.managedClusters.beginCreateOrUpdateAndWait('kms-v1', 'old', kmsCluster({ identityId: id.id, kid: key.kid, version: '1.26' }));
    expect(mc.currentKubernetesVersion).toMatch(/^1\.26\./);
    const raw = await rawCluster(emu.url, emu.env, mc.id!);
    expect(raw.properties.status.azureKeyVaultKms).toMatchObject({ state: 'Healthy', kmsApiVersion: 'v1', writer: raw.properties.status.azureKeyVaultKms.providers[0].name });
    const r = await refused(k.aks.managedClusters.beginCreateOrUpdateAndWait('kms-v1', 'old', { ...mc, kubernetesVersion: '1.27' }));
    expect(r.code).toBe('AzureKeyVaultKmsUpgradeBlocked');
    expect(r.message).toMatch(/1\) disable KMS .*2\) run a storage migration \(kubectl get secrets --all-namespaces -o json \| kubectl replace -f -\), 3\) upgrade .*4\) enable KMS again, 5\) run the storage migration again/);
    expect((await k.aks.managedClusters.get('kms-v1', 'old')).currentKubernetesVersion).toMatch(/^1\.26\./);
    const disabled = await k.aks.managedClusters.beginCreateOrUpdateAndWait('kms-v1', 'old', { ...mc, securityProfile: { azureKeyVaultKms: { ...mc.securityProfile!.azureKeyVaultKms!, enabled: false } } });
    expect(disabled.securityProfile?.azureKeyVaultKms?.enabled).toBe(false);
    const upgraded = await k.aks.managedClusters.beginCreateOrUpdateAndWait('kms-v1', 'old', { ...disabled, kubernetesVersion: '1.27' });
    expect(upgraded.currentKubernetesVersion).toMatch(/^1\.27\./);
  });

  it('K-6: before 2024-09-15 a private vault could still be used with Konnectivity', async () => {
    const v = await vault(k, 'kms-v1', 'kv-v1-private');
    const pkey = await importKey(k, 'kv-v1-private', 'etcd-key');
    await k.kv.vaults.update('kms-v1', 'kv-v1-private', { properties: { publicNetworkAccess: 'Disabled' } });
    await setPolicy(k, 'kms-v1', 'kv-v1-private', id.principalId);
    await assignRole(k, v.id!, id.principalId, ROLE.contributor);
    const mc = await k.aks.managedClusters.beginCreateOrUpdateAndWait('kms-v1', 'konn', kmsCluster({ identityId: id.id, kid: pkey.kid, access: 'Private', vaultId: v.id!, version: '1.27' }));
    expect(mc.provisioningState).toBe('Succeeded');
    expect(mc.apiServerAccessProfile?.enableVnetIntegration).toBeFalsy();
    const raw = await rawCluster(emu.url, emu.env, mc.id!);
    expect(raw.properties.status.azureKeyVaultKms).toMatchObject({ state: 'Healthy', kmsApiVersion: 'v2' });
  });

  it('refuses enabling KMS v1 on a cluster with more than 2,000 secrets', async () => {
    const mc = await k.aks.managedClusters.beginCreateOrUpdateAndWait('kms-v1', 'many', kmsCluster({ identityId: id.id, version: '1.26' }));
    const uid = (mc as unknown as { resourceUID?: string }).resourceUID ?? (await rawCluster(emu.url, emu.env, mc.id!)).properties.resourceUID;
    const ops = Array.from({ length: 2001 }, (_, i) => ({ type: 'put' as const, key: `/clusters/${uid}/registry/secrets/default/s${i}`, value: Buffer.from(JSON.stringify({ kind: 'Secret', metadata: { name: `s${i}`, namespace: 'default' } })) }));
    for (let i = 0; i < ops.length; i += 100) await emu.core.store.txn({ then: ops.slice(i, i + 100) });
    const r = await refused(k.aks.managedClusters.beginCreateOrUpdateAndWait('kms-v1', 'many', { ...mc, securityProfile: { azureKeyVaultKms: { enabled: true, keyId: key.kid, keyVaultNetworkAccess: 'Public' } } }));
    expect(r.code).toBe('AzureKeyVaultKmsV1SecretLimitExceeded');
    expect(r.message).toMatch(/has 2001 secrets.*at most 2000/);
  });
});
