/**
 * Acceptance, SPEC K-13 (and V-3 underneath it): what a cluster's API server does when its KMS key is disabled in
 * Key Vault (or expires), with a real `aksemu start` process, the SDKs and the real kubectl.
 *
 * - KMS v1 (Kubernetes 1.26): every secret write asks the plugin to encrypt a new DEK, so writes fail at once with
 *   kube-apiserver's 500; reads keep working from the API server's DEK cache until the failing KMS check (part of
 *   /livez before 1.29) restarts it, then they need a Decrypt that a disabled key refuses. Enabling the key again
 *   makes writes and reads work at once, without any restart. An expired key only stops writes: decrypt works.
 * - KMS v2 (Kubernetes 1.29): the plugin's Status fails (/healthz and /readyz, not /livez), the API server is not
 *   restarted and keeps writing under its cached seed for up to 3 minutes after the last good Status (kube-apiserver's
 *   write state), then refuses writes; after a restart it has no seed (writes fail) and cannot decrypt the seeds of
 *   the stored secrets (reads fail) until the key is enabled again.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyClient } from '@azure/keyvault-keys';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KmsV2Client } from '../../src/encryption/kms-api/client.js';
import { removeDataDir, spawnEmulator, useEnvironment, type SpawnedEmulator } from '../../testkit/emulator.js';
import { getToken, httpsCall } from '../../testkit/http.js';
import { kubectl, type KubectlHome } from '../../testkit/kube/kube-env.js';
import { describeWith } from '../../testkit/optional.js';
import { identity, importKey, kit, kmsCluster, rawCluster, resourceGroup, setPolicy, vault, type Kit, type TestKey } from './fixtures.js';

const RG = 'kms-disabled';
const VAULT = 'kv-kms-disabled';

describeWith(['kubectl'], 'KMS with a disabled or expired Key Vault key (v1 and v2 clusters, real kubectl)', () => {
  let emu: SpawnedEmulator;
  let k: Kit;
  let keys: KeyClient;
  let v1Key: TestKey;
  let v2Key: TestKey;
  const armIds: Record<string, string> = {};

  const start = async (now: string, dataDir?: string) => {
    emu = await spawnEmulator({ ...(dataDir ? { dataDir } : {}), args: ['--now', now] });
    useEnvironment(emu.env);
    k = kit(emu.env);
    keys = new KeyClient(`https://${VAULT}.vault.azure.net/`, k.cred);
  };
  const admin = async (method: string, path: string, body?: unknown) => {
    const token = await getToken(emu.url, emu.env);
    return httpsCall(`${emu.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  };
  const advance = async (seconds: number) => expect((await admin('PUT', '/_aksemu/clock', { advanceSeconds: seconds })).status).toBe(200);
  const now = async () => (await admin('GET', '/_aksemu/clock')).json<{ now: string }>().now;
  /** A clean HOME whose ~/.kube/config is the cluster's user credential (fetched again after a restart: new port). */
  const home = async (name: string): Promise<KubectlHome> => {
    const creds = await k.aks.managedClusters.listClusterUserCredentials(RG, name);
    const dir = mkdtempSync(join(tmpdir(), 'aksemu-kubectl-'));
    mkdirSync(join(dir, '.kube'), { mode: 0o700 });
    writeFileSync(join(dir, '.kube', 'config'), Buffer.from(creds.kubeconfigs![0]!.value!), { mode: 0o600 });
    return { home: dir, env: { HOME: dir, PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' } };
  };
  const write = (h: KubectlHome, name: string, value: string) => kubectl(h, ['create', 'secret', 'generic', name, `--from-literal=v=${value}`]);
  const read = async (h: KubectlHome, name: string) => {
    const r = await kubectl(h, ['get', 'secret', name, '-o', 'jsonpath={.data.v}']);
    return r.code === 0 ? Buffer.from(r.stdout, 'base64').toString() : `ERROR: ${r.stderr.trim()}`;
  };
  const raw = (h: KubectlHome, path: string) => kubectl(h, ['get', '--raw', path]);
  const setEnabled = (key: TestKey, enabled: boolean) => keys.updateKeyProperties(key.name, key.version, { enabled });
  const armStatus = async (name: string) => (await rawCluster(emu.url, emu.env, armIds[name]!)).properties.status;

  beforeAll(async () => {
    // 2024-03-15: Kubernetes 1.26 (KMS v1) and 1.29 (KMS v2, KMS checks out of /livez) are both offered.
    await start('2024-03-15T00:00:00Z');
    await resourceGroup(k, RG);
    await vault(k, RG, VAULT);
    const id = await identity(k, RG, 'kms-disabled-id');
    await setPolicy(k, RG, VAULT, id.principalId);
    v1Key = await importKey(k, VAULT, 'etcd-v1');
    v2Key = await importKey(k, VAULT, 'etcd-v2');
    for (const [name, key, version] of [
      ['v1-aks', v1Key, '1.26'],
      ['v2-aks', v2Key, '1.29'],
    ] as const) {
      const mc = await k.aks.managedClusters.beginCreateOrUpdateAndWait(RG, name, kmsCluster({ identityId: id.id, kid: key.kid, version }));
      expect(mc.provisioningState).toBe('Succeeded');
      armIds[name] = mc.id!;
    }
    expect((await armStatus('v1-aks')).azureKeyVaultKms.kmsApiVersion).toBe('v1');
    expect((await armStatus('v2-aks')).azureKeyVaultKms.kmsApiVersion).toBe('v2');
  }, 240_000);
  afterAll(async () => {
    const dir = emu?.dataDir;
    await emu?.stop();
    if (dir) removeDataDir(dir);
  });

  it('KMS v1: writes are refused while the key is disabled; cached DEKs serve reads until the liveness restart; enabling recovers at once', async () => {
    const h = await home('v1-aks');
    expect((await write(h, 's1', 'before')).code).toBe(0);
    expect(await read(h, 's1')).toBe('before');

    await setEnabled(v1Key, false);
    const refused = await write(h, 's2', 'while-disabled');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Internal error occurred: unable to transform key "\/registry\/secrets\/default\/s2": .*Operation encrypt is not allowed on a disabled key\./);
    expect(await read(h, 's2')).toMatch(/^ERROR: .*NotFound|not found/);
    // kube-apiserver keeps the DEKs it has seen: s1 reads without a plugin call.
    expect(await read(h, 's1')).toBe('before');

    // The KMS check fails; before 1.29 it is part of /livez, so the liveness probe restarts the API server.
    await advance(21);
    const livez = await raw(h, '/livez?verbose');
    expect(livez.code).not.toBe(0);
    expect(livez.stderr + livez.stdout).toMatch(/\[-\]kms-providers failed/);
    const check = await raw(h, '/healthz/kms-provider-0');
    expect(check.stderr).toMatch(/failed to perform encrypt section of the healthz check for KMS Provider azurekmsprovider-[0-9a-f]{8}, error: .*Operation encrypt is not allowed on a disabled key\./);
    const status = await armStatus('v1-aks');
    expect(status.provisioningError.code).toBe('AzureKeyVaultKmsPluginUnhealthy');
    expect(status.azureKeyVaultKms.apiServerRestarts).toBe(1);
    // The restarted API server has no DEK cached: s1 needs a Decrypt, which the disabled key refuses.
    expect(await read(h, 's1')).toMatch(/^ERROR: .*unable to transform key "\/registry\/secrets\/default\/s1": .*Operation decrypt is not allowed on a disabled key\./);

    // Enabled again: the next write and read work, with no restart and no wait.
    await setEnabled(v1Key, true);
    expect((await write(h, 's2', 'after')).code).toBe(0);
    expect(await read(h, 's1')).toBe('before');
    expect(await read(h, 's2')).toBe('after');
    await advance(4); // past the failed probe's cache
    expect((await raw(h, '/livez')).stdout).toBe('ok');
    expect((await armStatus('v1-aks')).azureKeyVaultKms).toMatchObject({ state: 'Healthy', apiServerRestarts: 1 });
  });

  it('KMS v1: an expired key stops writes only; existing secrets stay readable through the restart (decrypt works)', async () => {
    const h = await home('v1-aks');
    const nowSeconds = Math.floor(Date.parse(await now()) / 1000);
    await keys.updateKeyProperties(v1Key.name, v1Key.version, { expiresOn: new Date((nowSeconds - 60) * 1000) });
    try {
      const refused = await write(h, 's3', 'expired');
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/unable to transform key "\/registry\/secrets\/default\/s3": .*Operation encrypt is not allowed on an expired key\./);
      await advance(21);
      expect((await raw(h, '/livez')).code).not.toBe(0);
      expect((await armStatus('v1-aks')).azureKeyVaultKms.apiServerRestarts).toBe(2);
      expect(await read(h, 's1')).toBe('before');
    } finally {
      await keys.updateKeyProperties(v1Key.name, v1Key.version, { expiresOn: new Date((nowSeconds + 365 * 86_400) * 1000) });
    }
    expect((await write(h, 's3', 'renewed')).code).toBe(0);
  });

  it('KMS v2: Status unhealthy, the cached seed keeps writing until its write state expires; after a restart nothing works until the key is enabled', async () => {
    let h = await home('v2-aks');
    expect((await write(h, 't1', 'before')).code).toBe(0);

    await setEnabled(v2Key, false);
    // The plugin's Status (a Key Vault round trip) fails: kube-apiserver sees the provider unhealthy.
    const uid = (await rawCluster(emu.url, emu.env, armIds['v2-aks']!)).properties.resourceUID as string;
    const socket = join(emu.dataDir, 'kms', uid, `${createHash('sha256').update(v2Key.kid).digest('hex').slice(0, 16)}.sock`);
    const plugin = new KmsV2Client(`unix://${socket}`);
    try {
      await expect(plugin.status()).rejects.toThrow(/Status failed: failed to encrypt, error: Key Vault answered 403 Forbidden: Operation encrypt is not allowed on a disabled key\./);
    } finally {
      plugin.close();
    }
    await advance(21);
    for (const endpoint of ['/healthz?verbose', '/readyz?verbose']) {
      const r = await raw(h, endpoint);
      expect(r.code, endpoint).not.toBe(0);
      expect(r.stderr + r.stdout, endpoint).toMatch(/\[-\]kms-providers failed/);
    }
    // From 1.29 the KMS checks are not liveness checks: the API server is not restarted.
    const livez = await raw(h, '/livez?verbose');
    expect(livez.code, livez.stderr).toBe(0);
    expect(livez.stdout).not.toMatch(/kms-providers/);
    expect((await raw(h, '/healthz/kms-provider-0')).stderr).toMatch(/Operation encrypt is not allowed on a disabled key\./);
    const status = await armStatus('v2-aks');
    expect(status.provisioningError.code).toBe('AzureKeyVaultKmsPluginUnhealthy');
    expect(status.azureKeyVaultKms.apiServerRestarts).toBe(0);

    // Writes go on under the cached seed (no plugin call), reads too.
    expect((await write(h, 't2', 'on-cached-seed')).code).toBe(0);
    expect(await read(h, 't1')).toBe('before');
    expect(await read(h, 't2')).toBe('on-cached-seed');
    // 3 minutes after the last good Status the write state expires: writes are refused, reads still work.
    await advance(200);
    const expired = await write(h, 't3', 'too-late');
    expect(expired.code).not.toBe(0);
    expect(expired.stderr).toMatch(/Internal error occurred: unable to transform key "\/registry\/secrets\/default\/t3": .*write state for provider azurekmsprovider-[0-9a-f]{8} expired.*Operation encrypt is not allowed on a disabled key\./);
    expect(await read(h, 't2')).toBe('on-cached-seed');

    // A restart (the API server starts without a seed): writes need a new seed, reads need the stored seed decrypted.
    const at = await now();
    const dataDir = emu.dataDir;
    expect(await emu.stop()).toBe(0);
    await start(at, dataDir);
    h = await home('v2-aks');
    const noSeed = await write(h, 't3', 'after-restart');
    expect(noSeed.code).not.toBe(0);
    expect(noSeed.stderr).toMatch(/unable to transform key "\/registry\/secrets\/default\/t3": .*not ready: .*Operation encrypt is not allowed on a disabled key\./);
    expect(await read(h, 't1')).toMatch(/^ERROR: .*unable to transform key "\/registry\/secrets\/default\/t1": .*Operation decrypt is not allowed on a disabled key\./);

    // Enabled again: the next Status poll (10 s after a failure) succeeds; a new seed, and everything works.
    await setEnabled(v2Key, true);
    await advance(11);
    expect((await write(h, 't3', 'recovered')).code).toBe(0);
    expect(await read(h, 't1')).toBe('before');
    expect(await read(h, 't2')).toBe('on-cached-seed');
    expect(await read(h, 't3')).toBe('recovered');
    await advance(4);
    expect((await raw(h, '/readyz')).stdout).toBe('ok');
    expect((await armStatus('v2-aks')).azureKeyVaultKms.state).toBe('Healthy');
  }, 180_000);
});
