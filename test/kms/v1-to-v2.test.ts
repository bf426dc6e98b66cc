/**
 * Acceptance, SPEC K-10 on a Kubernetes 1.26 cluster (the emulator's clock in January 2024): KMS v1 in
 * kube-apiserver's v1 bytes (uint16 length + encrypted DEK + AES-GCM, one Key Vault RSA1_5 encrypt per write), the
 * 2,000-secret limit as a 403, and the documented path to KMS v2 with the real kubectl: disable, storage
 * migration, upgrade to 1.27, enable (KMS v2), storage migration.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { removeDataDir, startTestEmulator, useEnvironment } from '../../testkit/emulator.js';
import { describeWith } from '../../testkit/optional.js';
import { kubectl, kubectlHome, type KubectlHome } from '../../testkit/kube/kube-env.js';
import { decryptSecret, kidHash, rawSecret } from './at-rest.js';
import { identity, importKey, kit, kmsCluster, rawCluster, resourceGroup, setPolicy, vault, type Kit, type TestKey } from './fixtures.js';

type Emu = Awaited<ReturnType<typeof startTestEmulator>>;

describeWith(['kubectl'], 'KMS v1 on 1.26 and the documented migration to KMS v2 (SDK + kubectl)', () => {
  let emu: Emu;
  let k: Kit;
  let key: TestKey;
  let id: { id: string; principalId: string; clientId: string };
  const rg = 'kms-v1';

  const cluster = async (name: string) => {
    await k.aks.managedClusters.beginCreateOrUpdateAndWait(rg, name, kmsCluster({ identityId: id.id, kid: key.kid, version: '1.26' }));
    const raw = await rawCluster(emu.url, emu.env, `/subscriptions/${k.sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`);
    const h = await kubectlHome(emu as never, { uid: raw.properties.resourceUID, armId: raw.id, fqdn: raw.properties.fqdn, name, resourceGroup: rg, nodeNames: [] } as never);
    return { h, uid: raw.properties.resourceUID as string };
  };
  const getReplace = async (h: KubectlHome) => {
    const got = await kubectl(h, ['get', 'secrets', '--all-namespaces', '-o', 'json']);
    expect(got.code, got.stderr).toBe(0);
    const r = await kubectl(h, ['replace', '-f', '-'], got.stdout);
    expect(r.code, r.stderr).toBe(0);
  };
  const put = async (name: string, kms: Record<string, unknown> | undefined, version?: string) => {
    const mc = await k.aks.managedClusters.get(rg, name);
    return k.aks.managedClusters.beginCreateOrUpdateAndWait(rg, name, { ...mc, ...(version ? { kubernetesVersion: version } : {}), ...(kms ? { securityProfile: { azureKeyVaultKms: kms as never } } : {}) });
  };

  beforeAll(async () => {
    emu = await startTestEmulator({ now: new Date('2024-01-15T00:00:00Z') });
    useEnvironment(emu.env);
    k = kit(emu.env);
    await resourceGroup(k, rg);
    await vault(k, rg, 'kv-kms-v1');
    id = await identity(k, rg, 'kms-v1-id');
    await setPolicy(k, rg, 'kv-kms-v1', id.principalId);
    key = await importKey(k, 'kv-kms-v1', 'etcd-key');
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('1.26: secrets at rest in the KMS v1 envelope, decryptable with the key (RSA1_5 DEK, AES-GCM)', async () => {
    const { h, uid } = await cluster('old-aks');
    expect((await kubectl(h, ['create', 'secret', 'generic', 'v1s', '--from-literal=v=kms-v1'])).code).toBe(0);
    const at = await rawSecret(emu.core.store, uid, 'default', 'v1s');
    expect(at.format).toBe('kms-v1');
    expect(at.provider).toBe(`azurekmsprovider-${kidHash(key.kid).slice(0, 8)}`);
    expect(Buffer.from(decryptSecret(at, '/registry/secrets/default/v1s', key.privateKey).data.v, 'base64').toString()).toBe('kms-v1');
    expect(Buffer.from((await kubectl(h, ['get', 'secret', 'v1s', '-o', 'jsonpath={.data.v}'])).stdout, 'base64').toString()).toBe('kms-v1');
  });

  it('the documented path: disable, migrate, upgrade to 1.27, enable (now KMS v2), migrate', async () => {
    const { h, uid } = await (async () => {
      const raw = await rawCluster(emu.url, emu.env, `/subscriptions/${k.sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/old-aks`);
      return { h: await kubectlHome(emu as never, { uid: raw.properties.resourceUID, armId: raw.id, fqdn: raw.properties.fqdn, name: 'old-aks', resourceGroup: rg, nodeNames: [] } as never), uid: raw.properties.resourceUID as string };
    })();
    const kms = { enabled: true, keyId: key.kid, keyVaultNetworkAccess: 'Public' };
    await put('old-aks', { ...kms, enabled: false });
    await getReplace(h);
    expect((await rawSecret(emu.core.store, uid, 'default', 'v1s')).format).toBe('plaintext');
    const upgraded = await put('old-aks', undefined, '1.27');
    expect(upgraded.currentKubernetesVersion).toMatch(/^1\.27\./);
    await put('old-aks', kms);
    const status = (await rawCluster(emu.url, emu.env, upgraded.id!)).properties.status.azureKeyVaultKms;
    expect(status.kmsApiVersion).toBe('v2');
    expect((await rawSecret(emu.core.store, uid, 'default', 'v1s')).format).toBe('plaintext');
    await getReplace(h);
    const at = await rawSecret(emu.core.store, uid, 'default', 'v1s');
    expect(at.format).toBe('kms-v2');
    expect(at.keyId).toBe(kidHash(key.kid));
    expect(Buffer.from(decryptSecret(at, '/registry/secrets/default/v1s', key.privateKey).data.v, 'base64').toString()).toBe('kms-v1');
  });

  it('KMS v1 supports 2,000 secrets: the next one is refused with a 403 that says why and what to do', async () => {
    const { h, uid } = await cluster('full-aks');
    // 1,999 secrets already at rest (written directly, as a cluster that has grown), then two through kubectl.
    const ops = Array.from({ length: 1999 }, (_, i) => ({ type: 'put' as const, key: `/clusters/${uid}/registry/secrets/bulk/s${i}`, value: Buffer.from(JSON.stringify({ kind: 'Secret', apiVersion: 'v1', metadata: { name: `s${i}`, namespace: 'bulk' } })) }));
    for (let i = 0; i < ops.length; i += 100) await emu.core.store.txn({ then: ops.slice(i, i + 100) });
    expect((await kubectl(h, ['create', 'secret', 'generic', 'the-2000th', '--from-literal=v=x'])).code).toBe(0);
    const over = await kubectl(h, ['create', 'secret', 'generic', 'the-2001st', '--from-literal=v=x']);
    expect(over.code).not.toBe(0);
    expect(over.stderr).toMatch(/failed to create secret secrets "the-2001st" is forbidden: the cluster has 2000 secrets, the most KMS etcd encryption supports on Kubernetes below 1\.27 \(KMS v1\)/);
    // Updating an existing secret is still fine.
    expect((await kubectl(h, ['label', 'secret', 'the-2000th', 'updated=yes'])).code).toBe(0);
  });
});
