/**
 * SPEC P-2, X-3, X-4: Azure's own KMS plugin — Azure/kubernetes-kms v0.11.0, the code AKS runs beside
 * kube-apiserver, built from the Go module proxy by test/interop/azure-kms-plugin/ — against aksemu's Key Vault,
 * and in place of aksemu's own plugin on a cluster.
 *
 * The plugin runs as its own process, configured as on an AKS node: azure.json with a service principal's client
 * secret, `--keyvault-name/--key-name/--key-version`, Azure's public cloud endpoints, reaching aksemu only through
 * the standard proxy and CA settings (HTTPS_PROXY, SSL_CERT_FILE). The service principal holds only "Key Vault
 * Crypto User" on the RBAC vault (the key is created by the instance's default user as "Key Vault Crypto
 * Officer"). The test talks to the plugin with the project's KMS gRPC clients, checks its results with its own copy
 * of the key's private half, and reads the vault's audit log. Then a cluster's key is switched between Azure's
 * plugin and aksemu's with `aksemu aks encryption plugin`, and what each writes at rest is compared.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KeyClient } from '@azure/keyvault-keys';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KmsV1Client, KmsV2Client } from '../../src/encryption/kms-api/client.js';
import { CLI, removeDataDir, startTestEmulator, useEnvironment } from '../../testkit/emulator.js';
import { getToken, httpsCall, httpGet } from '../../testkit/http.js';
import { kubectlHome, type KubectlHome } from '../../testkit/kube/kube-env.js';
import { describeWith } from '../../testkit/optional.js';
import { waitFor } from '../../testkit/wait.js';
import { decryptSecret, encryptedObject, kidHash, rawSecret } from '../kms/at-rest.js';
import { assignRole, identity, importKey, kit, kmsCluster, rawCluster, resourceGroup, ROLE, type Kit, type TestKey } from '../kms/fixtures.js';
import { rsaUnwrap } from '../kms/support.js';
import { azurePluginBinary, freePort, kmsVault, startAzurePlugin, writeAzureJson, type KmsVault, secretsThrough } from './azure-kms-plugin-support.js';

const run = promisify(execFile);
type Emu = Awaited<ReturnType<typeof startTestEmulator>>;

const RG = 'interop-kms';
const VAULT = 'kv-interop-azkms';
/** The upstream plugin's annotation keys (pkg/plugin/keyvault.go of Azure/kubernetes-kms). */
const AZURE_ANNOTATIONS = ['algorithm.azure.akv.io', 'date.azure.akv.io', 'version.azure.akv.io', 'x-ms-keyvault-region.azure.akv.io', 'x-ms-request-id.azure.akv.io'];
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
/** Key Vault's ciphertext of an RSA-2048 key as base64url text: what Azure's plugin hands kube-apiserver. */
const RSA2048_TEXT = /^[A-Za-z0-9_-]{342}$/;

interface AuditEvent {
  operationName: string;
  resultType: string;
  httpStatusCode: number;
  keyName?: string;
  keyVersion?: string;
  identity: { claim: { oid: string; appid: string } };
  properties: { requestUri: string; clientInfo?: string; isRbacAuthorized?: boolean };
}

describeWith(['go'], 'Azure’s KMS plugin (Azure/kubernetes-kms v0.11.0) against aksemu’s Key Vault', () => {
  let emu: Emu;
  let k: Kit;
  let binary: string;
  let key: TestKey;
  let spOid: string;
  const dir = mkdtempSync(join(tmpdir(), 'aksemu-azkms-'));
  const plugins: ChildProcess[] = [];

  const plugin = (name: string, keyVersion: string, port: number) => startAzurePlugin({ binary, dir, env: emu.env, vault: VAULT, keyName: key.name, started: plugins }, name, keyVersion, port);

  const audit = async (): Promise<AuditEvent[]> => {
    const token = await getToken(emu.url, emu.env);
    const res = await httpsCall(`${emu.url}/_aksemu/keyvault/vaults/${VAULT}/audit`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return res.json<{ value: AuditEvent[] }>().value;
  };
  const bySp = (events: AuditEvent[]) => events.filter((e) => e.identity.claim.appid === emu.env.AZURE_CLIENT_ID);

  let azure: string;
  let healthzPort: number;
  /** The instance's default user, as a Key Vault credential (the key's creator, "Key Vault Crypto Officer"). */
  let asUser: KmsVault['asUser'];

  beforeAll(async () => {
    binary = await azurePluginBinary();
    emu = await startTestEmulator({ now: new Date('2025-09-01T00:00:00Z') });
    useEnvironment(emu.env);
    k = kit(emu.env);
    await resourceGroup(k, RG);
    ({ key, spOid, asUser } = await kmsVault(k, emu, RG, VAULT, 'azure-kms-key'));
    writeAzureJson(dir, emu.env);
    healthzPort = await freePort();
    azure = await plugin('azure', key.version, healthzPort);
  }, 600_000);

  afterAll(async () => {
    for (const p of plugins) p.kill('SIGTERM');
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('v1beta1: Version, Encrypt (RSA1_5 through Key Vault), Decrypt', async () => {
    const v1 = new KmsV1Client(azure, 15_000);
    try {
      expect(await v1.version()).toMatchObject({ version: 'v1beta1', runtime_name: 'Microsoft AzureKMS' });
      const dek = Buffer.from('a 32-byte DEK for the v1 round..');
      const cipher = await v1.encrypt(dek);
      expect(cipher.toString()).toMatch(RSA2048_TEXT);
      expect(rsaUnwrap(key.privateKey, cipher, 'RSA1_5').equals(dek)).toBe(true);
      expect((await v1.decrypt(cipher)).equals(dek)).toBe(true);
    } finally {
      v1.close();
    }
  });

  it('v2: Status, Encrypt (RSA-OAEP-256 with Azure’s key_id and annotations), Decrypt', async () => {
    const v2 = new KmsV2Client(azure, 15_000);
    try {
      expect(await v2.status()).toEqual({ version: 'v2beta1', healthz: 'ok', key_id: kidHash(key.kid) });
      const seed = Buffer.from('a 32-byte seed for the v2 round.');
      const enc = await v2.encrypt(seed);
      expect(enc.key_id).toBe(createHash('sha256').update(`https://${VAULT}.vault.azure.net/keys/${key.name}/${key.version}`).digest('hex'));
      expect(Object.keys(enc.annotations).sort()).toEqual(AZURE_ANNOTATIONS);
      const a = Object.fromEntries(Object.entries(enc.annotations).map(([n, b]) => [n, b.toString()]));
      expect(a['algorithm.azure.akv.io']).toBe('RSA-OAEP-256');
      expect(a['version.azure.akv.io']).toBe('1');
      expect(a['date.azure.akv.io']).toMatch(HTTP_DATE);
      expect(a['x-ms-request-id.azure.akv.io']).toMatch(/\S/);
      expect(a['x-ms-keyvault-region.azure.akv.io']).toMatch(/\S/);
      expect(enc.ciphertext.toString()).toMatch(RSA2048_TEXT);
      expect(rsaUnwrap(key.privateKey, enc.ciphertext, 'RSA-OAEP-256').equals(seed)).toBe(true);
      expect((await v2.decrypt({ ciphertext: enc.ciphertext, keyId: enc.key_id, annotations: enc.annotations })).equals(seed)).toBe(true);
      // The plugin's own checks before a decrypt: another key_id is refused without a Key Vault call.
      await expect(v2.decrypt({ ciphertext: enc.ciphertext, keyId: 'f'.repeat(64), annotations: enc.annotations })).rejects.toThrow(/does not match expected key id/);
    } finally {
      v2.close();
    }
  });

  it('its Key Vault calls are in the vault’s audit log, by the service principal, RBAC-authorized (SPEC K-12)', async () => {
    const mine = await waitFor('the plugin’s decrypts in the audit log', async () => {
      const events = bySp(await audit());
      return events.filter((e) => e.operationName === 'KeyDecrypt').length >= 2 ? events : undefined;
    });
    const crypto = mine.filter((e) => e.operationName === 'KeyEncrypt' || e.operationName === 'KeyDecrypt');
    expect(crypto.filter((e) => e.operationName === 'KeyEncrypt').length).toBeGreaterThanOrEqual(3); // v1, v2 Status, v2 Encrypt
    for (const e of crypto) {
      expect(e.identity.claim.oid).toBe(spOid);
      expect(e.keyName).toBe(key.name);
      expect(e.keyVersion).toBe(key.version);
      expect(e.properties.isRbacAuthorized).toBe(true);
      expect(e.properties.clientInfo).toContain(' k8s-kms-keyvault/'); // Azure's plugin's part of the Go SDK's user agent
    }
    expect(crypto.every((e) => e.resultType === 'Success')).toBe(true);
  });

  it('its health endpoint answers 200 ok (a v1 and a v2 round trip through Key Vault)', async () => {
    expect(await httpGet(`http://127.0.0.1:${healthzPort}/healthz`)).toEqual({ status: 200, text: 'ok' });
  });

  it('a key version that does not exist: the plugin starts, and every Encrypt and Status fails with Key Vault’s 404', async () => {
    const missing = await plugin('missing-version', '0123456789abcdef0123456789abcdef', await freePort());
    const v1 = new KmsV1Client(missing, 15_000);
    const v2 = new KmsV2Client(missing, 15_000);
    try {
      await expect(v1.encrypt(Buffer.alloc(32, 1))).rejects.toThrow(/failed to encrypt.*(404|KeyNotFound)/s);
      await expect(v2.status()).rejects.toThrow(/404|KeyNotFound/);
      const failed = await waitFor('the refused encrypt in the audit log', async () => bySp(await audit()).find((e) => e.properties.requestUri.includes('/0123456789abcdef0123456789abcdef/encrypt')));
      expect(failed).toMatchObject({ resultType: 'Failure', httpStatusCode: 404 });
    } finally {
      v1.close();
      v2.close();
    }
  });

  describeWith(['kubectl'], 'bring your own plugin: a cluster’s key served by Azure’s plugin or aksemu’s, interchangeably (SPEC X-4)', () => {
    let h: KubectlHome;
    let uid: string;
    let clusterId: string;
    /** The cluster's user-assigned identity: what aksemu's own plugin calls Key Vault as. */
    let clusterIdentity: string;
    const provider = () => `azurekmsprovider-${kidHash(key.kid).slice(0, 8)}`;

    const cli = async (args: string[]) => {
      try {
        const { stdout } = await run(process.execPath, [CLI, 'aks', 'encryption', 'plugin', '-g', RG, '-n', 'byo-aks', '--data-dir', emu.dataDir, ...args]);
        return { code: 0, out: JSON.parse(stdout) as { plugin: string; provider: string; keyId: string }, err: '' };
      } catch (e) {
        return { code: (e as { code: number }).code, out: undefined, err: (e as { stderr: string }).stderr };
      }
    };
    const admin = async (method: string, body?: unknown) => {
      const token = await getToken(emu.url, emu.env);
      return httpsCall(`${emu.url}/_aksemu/aks/encryption/plugin?resourceGroup=${RG}&name=byo-aks`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    };
    const { create, read } = secretsThrough(() => h);
    const atRest = async (name: string) => {
      const v = await rawSecret(emu.core.store, uid, 'default', name);
      expect(v.format).toBe('kms-v2');
      expect(v.provider).toBe(provider());
      // The test's own decryption with its copy of the key: the value is what kubectl wrote.
      expect(Buffer.from(decryptSecret(v, `/registry/secrets/default/${name}`, key.privateKey).data.v, 'base64').toString()).toBe(`${name}-value`);
      return encryptedObject(v);
    };

    beforeAll(async () => {
      const id = await identity(k, RG, 'byo-identity');
      clusterIdentity = id.principalId;
      await assignRole(k, `/subscriptions/${k.sub}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/${VAULT}`, id.principalId, ROLE.cryptoUser);
      const mc = await k.aks.managedClusters.beginCreateOrUpdateAndWait(RG, 'byo-aks', kmsCluster({ identityId: id.id, kid: key.kid }));
      expect(mc.provisioningState).toBe('Succeeded');
      clusterId = mc.id!;
      const raw = await rawCluster(emu.url, emu.env, clusterId);
      expect(raw.properties.status.azureKeyVaultKms.kmsApiVersion).toBe('v2');
      uid = raw.properties.resourceUID;
      h = await kubectlHome(emu as never, { uid, armId: clusterId, fqdn: raw.properties.fqdn, name: 'byo-aks', resourceGroup: RG, nodeNames: [] } as never);
    }, 240_000);
    afterAll(() => {
      if (h) rmSync(h.home, { recursive: true, force: true });
    });

    it('refuses a socket that is not a KMS plugin of this key with a 400, and changes nothing', async () => {
      await create('before-byo');
      expect((await admin('GET')).json()).toMatchObject({ plugin: 'builtin', provider: provider(), keyId: kidHash(key.kid) });
      const generation = (await emu.core.store.get(`/aks/kms/${uid}`))!.modRevision;

      const notKms: Server = createServer((s) => s.end('not a KMS plugin\n'));
      const notKmsPath = join(dir, 'not-kms.socket');
      await new Promise<void>((r) => notKms.listen(notKmsPath, r));
      const wrongVersion = await plugin('wrong-version', 'fedcba9876543210fedcba9876543210', await freePort());
      try {
        for (const [body, message] of [
          [{ socket: 'tcp://127.0.0.1:1234' }, /must be a unix socket address/],
          [{ socket: `unix://${join(dir, 'nothing-here.socket')}` }, /There is no KMS plugin socket/],
          [{ socket: `unix://${join(dir, 'azure.json')}` }, /is not a unix socket/],
          [{ socket: `unix://${notKmsPath}` }, /did not answer KMS v2 Status/],
          [{ socket: wrongVersion }, /did not answer KMS v2 Status.*(404|KeyNotFound)/s],
          [{ builtin: true, socket: azure }, /either/],
          [{}, /either/],
        ] as const) {
          const res = await admin('PUT', body);
          expect(res.status, JSON.stringify(body)).toBe(400);
          expect(res.json<{ error: { code: string; message: string } }>().error.message).toMatch(message);
        }
        const viaCli = await cli(['--socket', `unix://${notKmsPath}`]);
        expect(viaCli.code).not.toBe(0);
        expect(viaCli.err).toMatch(/\(InvalidKmsPlugin\) The KMS plugin at .* did not answer KMS v2 Status/);
      } finally {
        notKms.close();
      }
      // Authorized like the other `aks encryption` routes: the cluster's identity (no aksemu right) is refused.
      const { stdout } = await run(process.execPath, [CLI, 'env', '--data-dir', emu.dataDir, '--identity', 'byo-identity']);
      const idEnv = Object.fromEntries([...stdout.matchAll(/^export ([A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.replace(/^'(.*)'$/, '$1')]));
      const msi = await httpsCall(`${idEnv.IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=${encodeURIComponent('https://management.azure.com/')}`, { headers: { 'x-identity-header': idEnv.IDENTITY_HEADER! } });
      expect(msi.status, msi.text).toBe(200);
      const refused = await httpsCall(`${emu.url}/_aksemu/aks/encryption/plugin?resourceGroup=${RG}&name=byo-aks`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${msi.json<{ access_token: string }>().access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ socket: azure }),
      });
      expect(refused.status).toBe(403);
      expect(refused.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'AuthorizationFailed', message: expect.stringContaining("'Aksemu.Emulator/encryption/plugin/action'") });
      expect((await emu.core.store.get(`/aks/kms/${uid}`))!.modRevision).toBe(generation);
      expect((await admin('GET')).json()).toMatchObject({ plugin: 'builtin' });
      expect(await read('before-byo')).toBe('before-byo-value');
    });

    it('Azure’s plugin writes and reads the cluster’s secrets; aksemu’s reads them back and writes; Azure’s reads all', async () => {
      // aksemu's plugin → Azure's: the API server restarts, so even the older secret's seed is decrypted by Azure's.
      const before = (await audit()).length;
      const toAzure = await cli(['--socket', azure]);
      expect(toAzure.out).toMatchObject({ plugin: azure, provider: provider(), keyId: kidHash(key.kid) });
      expect(await read('before-byo')).toBe('before-byo-value');
      await create('by-azure-1');
      await create('by-azure-2');
      expect(await read('by-azure-1')).toBe('by-azure-1-value');
      const since = await waitFor('Azure’s plugin’s calls for the cluster in the audit log', async () => {
        const calls = bySp((await audit()).slice(before));
        return calls.some((e) => e.operationName === 'KeyDecrypt') && calls.some((e) => e.operationName === 'KeyEncrypt') ? calls : undefined;
      });
      expect(since.every((e) => e.properties.clientInfo?.includes(' k8s-kms-keyvault/'))).toBe(true);
      const status = (await rawCluster(emu.url, emu.env, clusterId)).properties.status.azureKeyVaultKms;
      expect(status.providers[0]).toMatchObject({ name: provider(), plugin: azure, healthy: true });

      // Azure's → aksemu's, with the same key: what Azure's plugin wrapped, aksemu's unwraps (as the cluster's
      // identity, in the audit log).
      const beforeBuiltin = (await audit()).length;
      expect((await cli(['--builtin'])).out).toMatchObject({ plugin: 'builtin', provider: provider() });
      expect(await read('by-azure-1')).toBe('by-azure-1-value');
      expect(await read('by-azure-2')).toBe('by-azure-2-value');
      await create('by-aksemu');
      await waitFor('aksemu’s plugin’s decrypt as the cluster identity', async () =>
        (await audit()).slice(beforeBuiltin).some((e) => e.identity.claim.oid === clusterIdentity && e.operationName === 'KeyDecrypt' && e.resultType === 'Success'),
      );

      // And back: every secret reads through Azure's plugin.
      expect((await cli(['--socket', azure])).out).toMatchObject({ plugin: azure });
      for (const name of ['before-byo', 'by-azure-1', 'by-azure-2', 'by-aksemu']) expect(await read(name)).toBe(`${name}-value`);
    });

    it('what each plugin puts in the EncryptedObject is the same: key_id, annotation keys and fixed values, encDEK format', async () => {
      const a = await atRest('by-azure-1');
      const b = await atRest('by-aksemu');
      for (const o of [a, b]) {
        expect(o.keyID).toBe(kidHash(key.kid));
        expect(o.encryptedDEKSourceType).toBe(1); // HKDF_SHA256_XNONCE_AES_GCM_SEED: kube-apiserver's KMS v2 seed
        expect(o.encryptedDEKSource.toString()).toMatch(RSA2048_TEXT);
        expect(Object.keys(o.annotations).sort()).toEqual(AZURE_ANNOTATIONS);
        expect(o.annotations['date.azure.akv.io']!.toString()).toMatch(HTTP_DATE);
        expect(o.annotations['x-ms-request-id.azure.akv.io']!.toString()).toMatch(/\S/);
      }
      for (const fixed of ['algorithm.azure.akv.io', 'version.azure.akv.io', 'x-ms-keyvault-region.azure.akv.io']) {
        expect(b.annotations[fixed]!.toString(), fixed).toBe(a.annotations[fixed]!.toString());
      }
      // The request ids have the same shape (Key Vault's, passed through unchanged by both plugins).
      const shape = (s: string) => s.replace(/[0-9a-f]/g, 'h');
      expect(shape(b.annotations['x-ms-request-id.azure.akv.io']!.toString())).toBe(shape(a.annotations['x-ms-request-id.azure.akv.io']!.toString()));
    });

    it('the setting belongs to the key: after a rotation the new key is on aksemu’s plugin, the previous one still reads through Azure’s', async () => {
      const next = await importKey(k, VAULT, 'azure-kms-key-2', new KeyClient(`https://${VAULT}.vault.azure.net/`, asUser));
      const mc = await k.aks.managedClusters.get(RG, 'byo-aks');
      await k.aks.managedClusters.beginCreateOrUpdateAndWait(RG, 'byo-aks', { ...mc, securityProfile: { ...mc.securityProfile, azureKeyVaultKms: { ...mc.securityProfile!.azureKeyVaultKms, keyId: next.kid } } });
      expect((await cli([])).out).toMatchObject({ plugin: 'builtin', keyId: kidHash(next.kid) });
      const providers = (await rawCluster(emu.url, emu.env, clusterId)).properties.status.azureKeyVaultKms.providers as Array<{ kid: string; role: string; plugin?: string }>;
      expect(providers.map((p) => [p.kid, p.role, p.plugin ?? 'builtin'])).toEqual([
        [next.kid, 'write', 'builtin'],
        [key.kid, 'read', azure],
      ]);
      await create('after-rotation');
      expect((await rawSecret(emu.core.store, uid, 'default', 'after-rotation')).keyId).toBe(kidHash(next.kid));
      for (const name of ['before-byo', 'by-azure-1', 'by-aksemu']) expect(await read(name)).toBe(`${name}-value`);
    });
  });
});
