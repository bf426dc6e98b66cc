/**
 * Acceptance: the real Debian az 2.45 runs the KMS article's commands against a spawned `aksemu start`:
 * `az keyvault create`, `az identity create/show`, `az keyvault set-policy --key-permissions decrypt encrypt`,
 * `az aks create --assign-identity ... --enable-azure-keyvault-kms --azure-keyvault-kms-key-vault-network-access
 * Public --azure-keyvault-kms-key-id ...`, `az aks update` to rotate and `--disable-azure-keyvault-kms`, `az aks
 * update` to enable on an existing cluster, and the article's `az aks list --query ... -o table`. (`az keyvault
 * key create` fails before any request in Debian's packaging, so keys are created with the SDK.) Errors are the
 * RP's messages as az prints them. az waits out each operation's Retry-After (1 s at --speed instant) before it
 * polls, so after the first create the commands run with --no-wait and the test waits for the operation through
 * the SDK.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { KeyClient } from '@azure/keyvault-keys';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { az, azLogin } from '../../testkit/az.js';
import { spawnEmulator, useEnvironment, type SpawnedEmulator } from '../../testkit/emulator.js';
import { describeWith } from '../../testkit/optional.js';
import { defaultCredential } from '../keyvault/helpers.js';

describeWith(['az'], 'real az 2.45: KMS etcd encryption', () => {
  let emu: SpawnedEmulator;
  let env: Record<string, string>;
  let keyId: string;
  let newKeyId: string;
  let identityId: string;
  const rg = ['--resource-group', 'MyResourceGroup'];

  beforeAll(async () => {
    emu = await spawnEmulator({ args: ['--now', '2025-09-01T00:00:00Z'] });
    useEnvironment(emu.env);
    env = { ...emu.env, HOME: mkdtempSync(join(tmpdir(), 'aksemu-az-home-')) };
    await azLogin(env);
    expect((await az(['group', 'create', '-n', 'MyResourceGroup', '-l', 'eastus', '-o', 'none'], env)).code).toBe(0);
    const kv = await az(['keyvault', 'create', '--name', 'MyKeyVault-kms', ...rg, '-o', 'json'], env, 120_000);
    expect(kv.code, kv.stderr).toBe(0);
    const keys = new KeyClient('https://mykeyvault-kms.vault.azure.net/', defaultCredential(emu.env));
    keyId = (await keys.createRsaKey('MyKeyName')).id!;
    newKeyId = (await keys.rotateKey('MyKeyName')).id!;
    const id = await az(['identity', 'create', '--name', 'MyIdentity', ...rg, '-o', 'json'], env);
    expect(id.code, id.stderr).toBe(0);
    identityId = (await az(['identity', 'show', '--name', 'MyIdentity', ...rg, '--query', 'id', '-o', 'tsv'], env)).stdout.trim();
    expect(identityId).toBe(id.json().id);
  });
  afterAll(async () => {
    await emu?.stop();
  });

  /** Waits for the cluster's operation to end (what az would poll for without --no-wait). */
  const settled = async (name: string) => {
    const aks = new ContainerServiceClient(defaultCredential(emu.env), emu.env.AZURE_SUBSCRIPTION_ID!);
    for (let i = 0; i < 400; i++) {
      const mc = await aks.managedClusters.get('MyResourceGroup', name);
      if (mc.provisioningState === 'Succeeded' || mc.provisioningState === 'Failed') return mc;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`${name} did not settle`);
  };

  it('az aks create refuses until the identity may encrypt and decrypt (AKS checks public vaults up front)', async () => {
    const res = await az(['aks', 'create', ...rg, '--name', 'myAKSCluster', '--node-count', '1', '--assign-identity', identityId, '--enable-azure-keyvault-kms', '--azure-keyvault-kms-key-vault-network-access', 'Public', '--azure-keyvault-kms-key-id', keyId, '--generate-ssh-keys', '-o', 'none'], env, 120_000);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/AzureKeyVaultKmsValidateIdentityPermissionCustomerError/);
    expect(res.stderr).toMatch(/The identity does not have keys encrypt\/decrypt permission on key vault 'mykeyvault-kms'/);
  });

  it('az keyvault set-policy, then az aks create --enable-azure-keyvault-kms', async () => {
    const oid = (await az(['identity', 'show', '--name', 'MyIdentity', ...rg, '--query', 'principalId', '-o', 'tsv'], env)).stdout.trim();
    const policy = await az(['keyvault', 'set-policy', '--name', 'MyKeyVault-kms', '--key-permissions', 'decrypt', 'encrypt', '--object-id', oid, '-o', 'none'], env, 120_000);
    expect(policy.code, policy.stderr).toBe(0);
    const res = await az(
      ['aks', 'create', ...rg, '--name', 'myAKSCluster', '--node-count', '1', '--assign-identity', identityId, '--enable-azure-keyvault-kms', '--azure-keyvault-kms-key-vault-network-access', 'Public', '--azure-keyvault-kms-key-id', keyId, '--generate-ssh-keys', '-o', 'json'],
      env,
      120_000,
    );
    expect(res.code, res.stderr).toBe(0);
    expect(res.json().securityProfile.azureKeyVaultKms).toEqual({ enabled: true, keyId, keyVaultNetworkAccess: 'Public', keyVaultResourceId: null });
  });

  it('az aks update rotates to a new key version, then --disable-azure-keyvault-kms', async () => {
    const rotate = await az(['aks', 'update', ...rg, '--name', 'myAKSCluster', '--enable-azure-keyvault-kms', '--azure-keyvault-kms-key-vault-network-access', 'Public', '--azure-keyvault-kms-key-id', newKeyId, '--no-wait'], env, 120_000);
    expect(rotate.code, rotate.stderr).toBe(0);
    expect((await settled('myAKSCluster')).securityProfile?.azureKeyVaultKms).toMatchObject({ enabled: true, keyId: newKeyId });
    const disable = await az(['aks', 'update', ...rg, '--name', 'myAKSCluster', '--disable-azure-keyvault-kms', '--no-wait'], env, 120_000);
    expect(disable.code, disable.stderr).toBe(0);
    const after = await settled('myAKSCluster');
    expect(after.provisioningState).toBe('Succeeded');
    expect(after.securityProfile?.azureKeyVaultKms).toMatchObject({ enabled: false, keyId: newKeyId });
    const shown = await az(['aks', 'show', ...rg, '--name', 'myAKSCluster', '--query', 'securityProfile.azureKeyVaultKms', '-o', 'json'], env);
    expect(shown.json()).toMatchObject({ enabled: false, keyId: newKeyId, keyVaultNetworkAccess: 'Public' });
  });

  it('az aks update enables KMS on an existing cluster; az aks list --query ... -o table shows the article’s columns', async () => {
    const create = await az(['aks', 'create', ...rg, '--name', 'laterCluster', '--node-count', '1', '--assign-identity', identityId, '--generate-ssh-keys', '--no-wait'], env, 120_000);
    expect(create.code, create.stderr).toBe(0);
    expect((await settled('laterCluster')).securityProfile?.azureKeyVaultKms).toBeUndefined();
    const enable = await az(['aks', 'update', '--name', 'laterCluster', ...rg, '--enable-azure-keyvault-kms', '--azure-keyvault-kms-key-vault-network-access', 'Public', '--azure-keyvault-kms-key-id', keyId, '--no-wait'], env, 120_000);
    expect(enable.code, enable.stderr).toBe(0);
    expect((await settled('laterCluster')).securityProfile?.azureKeyVaultKms?.enabled).toBe(true);
    const list = await az(['aks', 'list', '--query', '[].{Name:name, KmsEnabled:securityProfile.azureKeyVaultKms.enabled, KeyId:securityProfile.azureKeyVaultKms.keyId}', '-o', 'table'], env);
    expect(list.code, list.stderr).toBe(0);
    const rows = list.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
    expect(rows[0]).toEqual(['Name', 'KmsEnabled', 'KeyId']);
    expect(rows.slice(2).sort()).toEqual([
      ['laterCluster', 'True', keyId],
      ['myAKSCluster', 'False', newKeyId],
    ]);
  });

  it('az aks create with a system-assigned identity is refused with AKS’s message', async () => {
    const res = await az(['aks', 'create', ...rg, '--name', 'sysCluster', '--node-count', '1', '--enable-azure-keyvault-kms', '--azure-keyvault-kms-key-vault-network-access', 'Public', '--azure-keyvault-kms-key-id', keyId, '--generate-ssh-keys', '-o', 'none'], env, 120_000);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/AzureKeyVaultKms feature does not support cluster identity type SystemAssigned, supported value is 'UserAssigned'/);
  });
});
