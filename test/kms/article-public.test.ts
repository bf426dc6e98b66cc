/**
 * Acceptance, the KMS article (seed 003) end to end with the SDKs and the real kubectl on a public
 * access-policy vault (SPEC K-1, K-2, K-3, K-5, K-8, K-12, A-3): enable on update; secrets written before stay
 * plaintext until `get | replace`; rotation to a new key; previous-key secrets readable until the second rotation;
 * deleting the previous key right after one rotation breaks exactly the secrets still on it (and recovering it
 * repairs them); disable and migrate back to plaintext; `az aks list --query ...` through the SDK model; every
 * plugin call in the vault's audit log. Values at rest are checked with the test's own decryption.
 */
import { KeyClient } from '@azure/keyvault-keys';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { removeDataDir, startTestEmulator, useEnvironment } from '../../testkit/emulator.js';
import { describeWith } from '../../testkit/optional.js';
import { getToken, httpsCall } from '../../testkit/http.js';
import { kubectl, kubectlHome, type KubectlHome } from '../../testkit/kube/kube-env.js';
import { decryptSecret, kidHash, rawSecret } from './at-rest.js';
import { identity, importKey, kit, kmsCluster, rawCluster, resourceGroup, setPolicy, vault, type Kit, type TestKey } from './fixtures.js';

type Emu = Awaited<ReturnType<typeof startTestEmulator>>;

describeWith(['kubectl'], 'KMS article, public access-policy vault (SDK + kubectl)', () => {
  let emu: Emu;
  let k: Kit;
  let id: { id: string; principalId: string; clientId: string };
  const keys: Record<'a' | 'b' | 'c', TestKey> = {} as never;
  let uid: string;
  let clusterId: string;
  let h: KubectlHome;
  const rg = 'kms-article';
  const vaultName = 'kv-kms-article';
  const keyClient = () => new KeyClient(`https://${vaultName}.vault.azure.net/`, k.cred);

  const secretValue = async (ns: string, name: string) => {
    const r = await kubectl(h, ['get', 'secret', name, '-n', ns, '-o', 'jsonpath={.data.v}']);
    return r.code === 0 ? Buffer.from(r.stdout, 'base64').toString() : `ERROR: ${r.stderr.trim()}`;
  };
  const create = async (ns: string, name: string, value: string) => {
    const r = await kubectl(h, ['create', 'secret', 'generic', name, '-n', ns, `--from-literal=v=${value}`]);
    expect(r.code, r.stderr).toBe(0);
  };
  /** The seed's migration: kubectl get secrets --all-namespaces -o json | kubectl replace -f - (or one namespace). */
  const getReplace = async (ns?: string) => {
    const got = await kubectl(h, ['get', 'secrets', ...(ns ? ['-n', ns] : ['--all-namespaces']), '-o', 'json']);
    expect(got.code, got.stderr).toBe(0);
    const replaced = await kubectl(h, ['replace', '-f', '-'], got.stdout);
    expect(replaced.code, replaced.stderr).toBe(0);
  };
  const update = async (kms: Record<string, unknown>) => {
    const mc = await k.aks.managedClusters.get(rg, 'kms-aks');
    return k.aks.managedClusters.beginCreateOrUpdateAndWait(rg, 'kms-aks', { ...mc, securityProfile: { ...mc.securityProfile, azureKeyVaultKms: kms as never } });
  };
  const health = () => kubectl(h, ['get', '--raw', '/healthz/kms-providers']);

  beforeAll(async () => {
    emu = await startTestEmulator({ now: new Date('2025-09-01T00:00:00Z') });
    useEnvironment(emu.env);
    k = kit(emu.env);
    await resourceGroup(k, rg);
    await vault(k, rg, vaultName);
    id = await identity(k, rg, 'MyIdentity');
    // az keyvault set-policy --name MyKeyVault --key-permissions decrypt encrypt --object-id $IDENTITY_OBJECT_ID
    await setPolicy(k, rg, vaultName, id.principalId);
    keys.a = await importKey(k, vaultName, 'etcd-a');
    keys.b = await importKey(k, vaultName, 'etcd-b');
    keys.c = await importKey(k, vaultName, 'etcd-c');
    // A cluster without KMS first: KMS is enabled later with az aks update.
    const mc = await k.aks.managedClusters.beginCreateOrUpdateAndWait(rg, 'kms-aks', kmsCluster({ identityId: id.id }));
    clusterId = mc.id!;
    const raw = await rawCluster(emu.url, emu.env, clusterId);
    uid = raw.properties.resourceUID;
    h = await kubectlHome(emu as never, { uid, armId: clusterId, fqdn: raw.properties.fqdn, name: 'kms-aks', resourceGroup: rg, nodeNames: [] } as never);
    expect((await kubectl(h, ['create', 'namespace', 'legacy'])).code).toBe(0);
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('enable on update: older secrets stay plaintext until get | replace; new ones are KMS v2 under the key', async () => {
    await create('default', 'p1', 'before-kms');
    await create('legacy', 'x1', 'legacy-before-kms');
    expect((await rawSecret(emu.core.store, uid, 'default', 'p1')).format).toBe('plaintext');

    const mc = await update({ enabled: true, keyId: keys.a.kid, keyVaultNetworkAccess: 'Public' });
    expect(mc.securityProfile?.azureKeyVaultKms).toEqual({ enabled: true, keyId: keys.a.kid, keyVaultNetworkAccess: 'Public' });
    expect((await rawSecret(emu.core.store, uid, 'default', 'p1')).format).toBe('plaintext');
    expect(await secretValue('default', 'p1')).toBe('before-kms');

    await create('default', 'a1', 'on-key-a');
    const a1 = await rawSecret(emu.core.store, uid, 'default', 'a1');
    expect(a1.format).toBe('kms-v2');
    expect(a1.provider).toBe(`azurekmsprovider-${kidHash(keys.a.kid).slice(0, 8)}`);
    expect(a1.keyId).toBe(kidHash(keys.a.kid));
    const secret = decryptSecret(a1, '/registry/secrets/default/a1', keys.a.privateKey);
    expect(secret).toMatchObject({ kind: 'Secret', metadata: { name: 'a1', namespace: 'default' } });
    expect(Buffer.from(secret.data.v, 'base64').toString()).toBe('on-key-a');
    // The AAD is the etcd key itself: the value does not decrypt under another key.
    expect(() => decryptSecret(a1, '/registry/secrets/default/other', keys.a.privateKey)).toThrow();

    await getReplace('default');
    const p1 = await rawSecret(emu.core.store, uid, 'default', 'p1');
    expect(p1.keyId).toBe(kidHash(keys.a.kid));
    expect(Buffer.from(decryptSecret(p1, '/registry/secrets/default/p1', keys.a.privateKey).data.v, 'base64').toString()).toBe('before-kms');
    await getReplace('legacy');
    expect((await rawSecret(emu.core.store, uid, 'legacy', 'x1')).keyId).toBe(kidHash(keys.a.kid));
    expect((await health()).stdout).toBe('ok');
    // SPEC K-7: without API Server VNet Integration the cluster uses Konnectivity.
    expect((await kubectl(h, ['get', 'po', '-n', 'kube-system'])).stdout).toMatch(/konnectivity-agent/);
  });

  it('rotation: new secrets on the new key, old ones readable (stale) until migrated', async () => {
    await update({ enabled: true, keyId: keys.b.kid, keyVaultNetworkAccess: 'Public' });
    await create('default', 'b1', 'on-key-b');
    const b1 = await rawSecret(emu.core.store, uid, 'default', 'b1');
    expect(b1.keyId).toBe(kidHash(keys.b.kid));
    expect(Buffer.from(decryptSecret(b1, '/registry/secrets/default/b1', keys.b.privateKey).data.v, 'base64').toString()).toBe('on-key-b');
    expect(await secretValue('default', 'a1')).toBe('on-key-a');
    expect((await rawSecret(emu.core.store, uid, 'default', 'a1')).keyId).toBe(kidHash(keys.a.kid));
    const status = (await rawCluster(emu.url, emu.env, clusterId)).properties.status.azureKeyVaultKms;
    expect(status.providers.map((p: { kid: string; role: string; healthy: boolean }) => [p.kid, p.role, p.healthy])).toEqual([
      [keys.b.kid, 'write', true],
      [keys.a.kid, 'read', true],
    ]);
  });

  it('deleting the previous key right after one rotation breaks exactly the secrets still on it; recovering it repairs them', async () => {
    const kc = keyClient();
    await (await kc.beginDeleteKey('etcd-a')).pollUntilDone();
    emu.core.clock.advance(21_000); // past the healthy probe's cache
    const hz = await health();
    expect(hz.code).not.toBe(0);
    expect(hz.stderr + hz.stdout).toMatch(/kms-provider-1/);
    const verbose = await kubectl(h, ['get', '--raw', '/healthz?verbose']);
    expect(verbose.stderr + verbose.stdout).toMatch(/\[-\]kms-providers failed/);
    // From Kubernetes 1.29 a failing KMS check is not a liveness failure (SPEC K-13): the API server keeps running
    // with key A's seed decrypted (a1 was read after the rotation), so secrets on A still read for now...
    expect(await secretValue('default', 'b1')).toBe('on-key-b');
    expect(await secretValue('default', 'a1')).toBe('on-key-a');
    let arm = (await rawCluster(emu.url, emu.env, clusterId)).properties.status;
    expect(arm.provisioningError.code).toBe('AzureKeyVaultKmsPluginUnhealthy');
    expect(arm.azureKeyVaultKms.state).toBe('Unhealthy');
    expect(arm.azureKeyVaultKms.apiServerRestarts).toBe(0);
    // ...until kube-apiserver's decrypted-seed cache (24 h) lets it go: then key A (default/a1, default/p1,
    // legacy/x1) cannot be decrypted any more, while key B is fine.
    emu.core.clock.advance(24 * 3600_000 + 60_000);
    expect(await secretValue('default', 'b1')).toBe('on-key-b');
    expect(await secretValue('default', 'a1')).toMatch(/^ERROR: .*Internal error occurred: unable to transform key "\/registry\/secrets\/default\/a1"/);
    expect(await secretValue('legacy', 'x1')).toMatch(/^ERROR: .*unable to transform key/);
    arm = (await rawCluster(emu.url, emu.env, clusterId)).properties.status;
    expect(arm.azureKeyVaultKms.state).toBe('Unhealthy');

    await (await kc.beginRecoverDeletedKey('etcd-a')).pollUntilDone();
    emu.core.clock.advance(4_000); // past the failed probe's cache
    expect((await health()).stdout).toBe('ok');
    expect(await secretValue('default', 'a1')).toBe('on-key-a');
  });

  it('after the second rotation the oldest key is gone from the configuration: its unmigrated secrets become unreadable', async () => {
    await getReplace('default'); // default moves to key B; legacy/x1 stays on key A
    expect((await rawSecret(emu.core.store, uid, 'default', 'a1')).keyId).toBe(kidHash(keys.b.kid));
    expect(await secretValue('legacy', 'x1')).toBe('legacy-before-kms'); // still readable: A is the previous key
    await update({ enabled: true, keyId: keys.c.kid, keyVaultNetworkAccess: 'Public' });
    expect(await secretValue('default', 'a1')).toBe('on-key-a'); // on B, the previous key now
    expect(await secretValue('legacy', 'x1')).toMatch(/^ERROR: .*unable to transform key "\/registry\/secrets\/legacy\/x1"/);
    // The oldest key may now be deleted without affecting the (migrated) cluster.
    await (await keyClient().beginDeleteKey('etcd-a')).pollUntilDone();
    emu.core.clock.advance(21_000);
    expect((await health()).stdout).toBe('ok');
    expect(await secretValue('default', 'b1')).toBe('on-key-b');
    // Like kube-apiserver, the API cannot even delete a value it cannot decrypt: x1 blocks `get secrets -A` until
    // it is removed from etcd directly (etcdctl del), which is what an operator is left with.
    const del = await kubectl(h, ['delete', 'secret', 'x1', '-n', 'legacy']);
    expect(del.code).not.toBe(0);
    expect(del.stderr).toMatch(/unable to transform key/);
    expect((await kubectl(h, ['get', 'secrets', '--all-namespaces'])).stderr).toMatch(/unable to transform key "\/registry\/secrets\/legacy\/x1"/);
    await emu.core.store.delete(`/clusters/${uid}/registry/secrets/legacy/x1`);
  });

  it('disable: identity first, KMS kept for reads; get | replace migrates back to plaintext', async () => {
    const mc = await update({ enabled: false, keyId: keys.c.kid, keyVaultNetworkAccess: 'Public' });
    expect(mc.securityProfile?.azureKeyVaultKms?.enabled).toBe(false);
    await create('default', 'd1', 'after-disable');
    expect((await rawSecret(emu.core.store, uid, 'default', 'd1')).format).toBe('plaintext');
    expect(await secretValue('default', 'b1')).toBe('on-key-b');
    expect((await rawSecret(emu.core.store, uid, 'default', 'b1')).format).toBe('kms-v2');
    await getReplace();
    for (const name of ['p1', 'a1', 'b1', 'd1']) expect((await rawSecret(emu.core.store, uid, 'default', name)).format).toBe('plaintext');
    expect(await secretValue('default', 'p1')).toBe('before-kms');
  });

  it('az aks list --query "[].{Name:name, KmsEnabled:..., KeyId:...}" through the SDK model', async () => {
    const rows: Array<{ Name?: string; KmsEnabled?: boolean; KeyId?: string }> = [];
    for await (const c of k.aks.managedClusters.list()) rows.push({ Name: c.name, KmsEnabled: c.securityProfile?.azureKeyVaultKms?.enabled, KeyId: c.securityProfile?.azureKeyVaultKms?.keyId });
    expect(rows).toEqual([{ Name: 'kms-aks', KmsEnabled: false, KeyId: keys.c.kid }]);
  });

  it('K-12: the vault’s audit log shows every plugin call, as the cluster identity, per key', async () => {
    const token = await getToken(emu.url, emu.env);
    const events = (await httpsCall(`${emu.url}/_aksemu/keyvault/vaults/${vaultName}/audit`, { headers: { authorization: `Bearer ${token}` } })).json().value as Array<{
      operationName: string;
      identity: { claim: { oid: string } };
      keyName?: string;
      resultType: string;
    }>;
    const plugin = events.filter((e) => e.identity.claim.oid === id.principalId);
    for (const name of ['etcd-a', 'etcd-b', 'etcd-c']) {
      expect(plugin.some((e) => e.keyName === name && e.operationName === 'KeyEncrypt' && e.resultType === 'Success')).toBe(true);
      expect(plugin.some((e) => e.keyName === name && e.operationName === 'KeyDecrypt')).toBe(true);
    }
    // The deleted key's failures are there too, and the plugin never reads key material.
    expect(plugin.some((e) => e.keyName === 'etcd-a' && e.resultType === 'Failure')).toBe(true);
    expect(plugin.every((e) => e.operationName === 'KeyEncrypt' || e.operationName === 'KeyDecrypt')).toBe(true);
  });
});
