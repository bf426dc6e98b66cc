/**
 * SPEC P-2, X-4, K-10: Azure's KMS plugin (Azure/kubernetes-kms v0.11.0) in place of aksemu's on a KMS v1 cluster
 * (Kubernetes 1.26, emulated date 2024-03-15): the socket is accepted after it answers KMS v1 Version, secrets are
 * written as `k8s:enc:kms:v1:<provider>:` through it, and the two plugins read each other's values. The KMS v2
 * side, the plugin's own API and the refusals are test/interop/azure-kms-plugin.test.ts.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { removeDataDir, startTestEmulator, useEnvironment } from '../../testkit/emulator.js';
import { getToken, httpsCall } from '../../testkit/http.js';
import { kubectlHome, type KubectlHome } from '../../testkit/kube/kube-env.js';
import { describeWith } from '../../testkit/optional.js';
import { decryptSecret, kidHash, rawSecret } from '../kms/at-rest.js';
import { assignRole, identity, kit, kmsCluster, rawCluster, resourceGroup, ROLE, type TestKey } from '../kms/fixtures.js';
import { azurePluginBinary, freePort, kmsVault, startAzurePlugin, writeAzureJson, secretsThrough } from './azure-kms-plugin-support.js';

type Emu = Awaited<ReturnType<typeof startTestEmulator>>;

const RG = 'interop-kms-v1';
const VAULT = 'kv-interop-azkms-v1';
const RSA2048_TEXT = /^[A-Za-z0-9_-]{342}$/;

describeWith(['go', 'kubectl'], 'Azure’s KMS plugin in place of aksemu’s on a KMS v1 cluster (Kubernetes 1.26)', () => {
  let emu: Emu;
  let key: TestKey;
  let azure: string;
  let uid: string;
  let h: KubectlHome;
  const dir = mkdtempSync(join(tmpdir(), 'aksemu-azkms-v1-'));
  const started: ChildProcess[] = [];
  const provider = () => `azurekmsprovider-${kidHash(key.kid).slice(0, 8)}`;

  const setPlugin = async (body: unknown) => {
    const token = await getToken(emu.url, emu.env);
    return httpsCall(`${emu.url}/_aksemu/aks/encryption/plugin?resourceGroup=${RG}&name=v1-aks`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  };
  const { create, read } = secretsThrough(() => h);

  beforeAll(async () => {
    const binary = await azurePluginBinary();
    emu = await startTestEmulator({ now: new Date('2024-03-15T00:00:00Z') });
    useEnvironment(emu.env);
    const k = kit(emu.env);
    await resourceGroup(k, RG);
    ({ key } = await kmsVault(k, emu, RG, VAULT, 'azure-kms-v1-key'));
    writeAzureJson(dir, emu.env);
    azure = await startAzurePlugin({ binary, dir, env: emu.env, vault: VAULT, keyName: key.name, started }, 'azure', key.version, await freePort());

    const id = await identity(k, RG, 'v1-identity');
    await assignRole(k, `/subscriptions/${k.sub}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/${VAULT}`, id.principalId, ROLE.cryptoUser);
    const mc = await k.aks.managedClusters.beginCreateOrUpdateAndWait(RG, 'v1-aks', kmsCluster({ identityId: id.id, kid: key.kid, version: '1.26' }));
    expect(mc.provisioningState).toBe('Succeeded');
    const raw = await rawCluster(emu.url, emu.env, mc.id!);
    expect(raw.properties.status.azureKeyVaultKms.kmsApiVersion).toBe('v1');
    uid = raw.properties.resourceUID;
    h = await kubectlHome(emu as never, { uid, armId: mc.id!, fqdn: raw.properties.fqdn, name: 'v1-aks', resourceGroup: RG, nodeNames: [] } as never);
  }, 600_000);

  afterAll(async () => {
    for (const p of started) p.kill('SIGTERM');
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
    if (h) rmSync(h.home, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('switches between the plugins; each reads what the other wrote; the values at rest have the same v1 format', async () => {
    await create('by-aksemu-1');
    const toAzure = await setPlugin({ socket: azure });
    expect(toAzure.status, toAzure.text).toBe(200);
    expect(toAzure.json()).toMatchObject({ api: 'v1', plugin: azure, provider: provider() });
    // The API server restarted without its DEK cache: the older secret's DEK is decrypted by Azure's plugin.
    expect(await read('by-aksemu-1')).toBe('by-aksemu-1-value');
    await create('by-azure');

    expect((await setPlugin({ builtin: true })).json()).toMatchObject({ plugin: 'builtin' });
    expect(await read('by-azure')).toBe('by-azure-value');
    await create('by-aksemu-2');

    expect((await setPlugin({ socket: azure })).json()).toMatchObject({ plugin: azure });
    for (const name of ['by-aksemu-1', 'by-azure', 'by-aksemu-2']) expect(await read(name)).toBe(`${name}-value`);

    // kube-apiserver's KMS v1 value: prefix, uint16 length, the encrypted DEK as the plugin returned it, AES-GCM data.
    for (const name of ['by-azure', 'by-aksemu-2']) {
      const v = await rawSecret(emu.core.store, uid, 'default', name);
      expect(v.format).toBe('kms-v1');
      expect(v.provider).toBe(provider());
      const payload = v.raw.subarray(`k8s:enc:kms:v1:${provider()}:`.length);
      const len = payload.readUInt16BE(0);
      expect(len).toBe(342);
      expect(payload.subarray(2, 2 + len).toString()).toMatch(RSA2048_TEXT);
      expect(Buffer.from(decryptSecret(v, `/registry/secrets/default/${name}`, key.privateKey).data.v, 'base64').toString()).toBe(`${name}-value`);
    }
  });
});
