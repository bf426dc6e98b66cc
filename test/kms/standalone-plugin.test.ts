/**
 * SPEC X-3, K-12: `aksemu kms-plugin` as its own process, authenticated as a user-assigned
 * managed identity from the standard SDK environment (`aksemu env --identity`), serving the real KMS v1beta1 and v2
 * gRPC APIs on a unix socket against aksemu's Key Vault — what a real kube-apiserver would talk to. Every plugin
 * call is one Key Vault encrypt/decrypt by that identity in the vault's audit log; the health endpoint follows the
 * key's state.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { KeyVaultManagementClient } from '@azure/arm-keyvault';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { KeyClient } from '@azure/keyvault-keys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsV1Client, KmsV2Client } from '../../src/encryption/kms-api/client.js';
import { CLI, spawnEmulator, useEnvironment, type SpawnedEmulator } from '../../testkit/emulator.js';
import { getToken, httpsCall, httpGet } from '../../testkit/http.js';
import { createVault, defaultCredential } from '../keyvault/helpers.js';
import { newRsaKey, rsaUnwrap, tempSocket } from './support.js';

const run = promisify(execFile);

async function identityEnv(dataDir: string, identity: string): Promise<Record<string, string>> {
  const { stdout } = await run(process.execPath, [CLI, 'env', '--data-dir', dataDir, '--identity', identity]);
  const env: Record<string, string> = {};
  for (const line of stdout.trim().split('\n')) {
    const m = /^export ([A-Z_a-z]+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1');
  }
  delete env.AZURE_CLIENT_SECRET;
  return env;
}

describe('aksemu kms-plugin against aksemu’s Key Vault, as a managed identity', () => {
  let emu: SpawnedEmulator;
  let plugin: ChildProcess;
  let ready: string;
  let kid: string;
  let privateKey: ReturnType<typeof newRsaKey>['privateKey'];
  let identity: { principalId: string };
  let v1: KmsV1Client;
  let v2: KmsV2Client;
  const socket = tempSocket('azurekms.socket');
  const vaultName = 'kms-standalone-kv';

  beforeAll(async () => {
    emu = await spawnEmulator();
    useEnvironment(emu.env);
    const sub = emu.env.AZURE_SUBSCRIPTION_ID!;
    await createVault(emu.env, 'kms-rg', vaultName);
    const msi = new ManagedServiceIdentityClient(defaultCredential(emu.env), sub);
    const created = await msi.userAssignedIdentities.createOrUpdate('kms-rg', 'kms-plugin-id', { location: 'eastus' });
    identity = { principalId: created.principalId! };
    // The seed: az keyvault set-policy --key-permissions decrypt encrypt --object-id $IDENTITY_OBJECT_ID
    await new KeyVaultManagementClient(defaultCredential(emu.env), sub).vaults.updateAccessPolicy('kms-rg', vaultName, 'add', {
      properties: { accessPolicies: [{ tenantId: emu.env.AZURE_TENANT_ID!, objectId: identity.principalId, permissions: { keys: ['decrypt', 'encrypt'] } }] },
    });
    // A key whose private half the test also holds, to decrypt independently.
    const pair = newRsaKey();
    privateKey = pair.privateKey;
    const jwk = pair.privateKey.export({ format: 'jwk' }) as Record<string, string>;
    const keys = new KeyClient(`https://${vaultName}.vault.azure.net/`, defaultCredential(emu.env));
    const imported = await keys.importKey('kms-key', { kty: 'RSA', n: Buffer.from(jwk.n!, 'base64url'), e: Buffer.from(jwk.e!, 'base64url'), d: Buffer.from(jwk.d!, 'base64url'), p: Buffer.from(jwk.p!, 'base64url'), q: Buffer.from(jwk.q!, 'base64url'), dp: Buffer.from(jwk.dp!, 'base64url'), dq: Buffer.from(jwk.dq!, 'base64url'), qi: Buffer.from(jwk.qi!, 'base64url'), keyOps: ['encrypt', 'decrypt'] });
    kid = imported.id!;
    expect(createPublicKey({ key: { kty: 'RSA', n: Buffer.from(imported.key!.n!).toString('base64url'), e: 'AQAB' }, format: 'jwk' }).equals(pair.publicKey)).toBe(true);

    const env = { ...process.env, ...(await identityEnv(emu.dataDir, 'kms-plugin-id')) } as Record<string, string>;
    delete env.AZURE_CLIENT_SECRET;
    plugin = spawn(process.execPath, [CLI, 'kms-plugin', '--key-id', kid, '--listen-addr', `unix://${socket}`, '--healthz-port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    plugin.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    ready = await new Promise<string>((resolve, reject) => {
      createInterface({ input: plugin.stdout! }).once('line', resolve);
      plugin.once('exit', (code) => reject(new Error(`kms-plugin exited ${code}: ${stderr}`)));
    });
    v1 = new KmsV1Client(`unix://${socket}`, 15_000);
    v2 = new KmsV2Client(`unix://${socket}`, 15_000);
  });

  afterAll(async () => {
    v1?.close();
    v2?.close();
    plugin?.kill('SIGTERM');
    await emu?.stop();
  });

  it('announces its socket, key_id (hex SHA-256 of the kid) and health endpoint', () => {
    const keyId = createHash('sha256').update(kid).digest('hex');
    expect(ready).toMatch(new RegExp(`^kms-plugin ready unix://${socket.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} key_id=${keyId} healthz=http://127\\.0\\.0\\.1:\\d+/healthz$`));
  });

  it('v1: Version, Encrypt (RSA1_5, Key Vault’s base64url text), Decrypt', async () => {
    expect(await v1.version()).toMatchObject({ version: 'v1beta1', runtime_name: 'Microsoft AzureKMS' });
    const dek = Buffer.alloc(32, 9);
    const cipher = await v1.encrypt(dek);
    expect(cipher.toString()).toMatch(/^[A-Za-z0-9_-]{342}$/); // 256 bytes of RSA-2048 ciphertext
    expect(rsaUnwrap(privateKey, cipher, 'RSA1_5').equals(dek)).toBe(true);
    expect((await v1.decrypt(cipher)).equals(dek)).toBe(true);
  });

  it('v2: Status, Encrypt with Azure’s annotations from Key Vault’s response, Decrypt', async () => {
    const keyId = createHash('sha256').update(kid).digest('hex');
    expect(await v2.status()).toEqual({ version: 'v2beta1', healthz: 'ok', key_id: keyId });
    const enc = await v2.encrypt(Buffer.from('a-seed-of-32-bytes..............'));
    expect(enc.key_id).toBe(keyId);
    const a = Object.fromEntries(Object.entries(enc.annotations).map(([k, v]) => [k, v.toString()]));
    expect(a['version.azure.akv.io']).toBe('1');
    expect(a['algorithm.azure.akv.io']).toBe('RSA-OAEP-256');
    expect(a['x-ms-keyvault-region.azure.akv.io']).toBe('aksemu');
    expect(Number.isNaN(Date.parse(a['date.azure.akv.io']!))).toBe(false);
    expect(a['x-ms-request-id.azure.akv.io']).toMatch(/\S/);
    expect(rsaUnwrap(privateKey, enc.ciphertext, 'RSA-OAEP-256').toString()).toBe('a-seed-of-32-bytes..............');
    expect((await v2.decrypt({ ciphertext: enc.ciphertext, keyId: enc.key_id, annotations: enc.annotations })).toString()).toBe('a-seed-of-32-bytes..............');
  });

  it('every plugin call is a Key Vault encrypt/decrypt by the identity in the audit log (SPEC K-12)', async () => {
    const token = await getToken(emu.url, emu.env);
    const res = await httpsCall(`${emu.url}/_aksemu/keyvault/vaults/${vaultName}/audit`, { headers: { authorization: `Bearer ${token}` } });
    const events = res.json<{ value: Array<{ operationName: string; identity: { claim: { oid: string } }; keyName?: string; resultType: string }> }>().value;
    const mine = events.filter((e) => e.identity.claim.oid === identity.principalId);
    // v1 encrypt+decrypt, v2 status (encrypt+decrypt), v2 encrypt+decrypt; never a key read.
    expect(mine.filter((e) => e.operationName === 'KeyEncrypt').length).toBeGreaterThanOrEqual(3);
    expect(mine.filter((e) => e.operationName === 'KeyDecrypt').length).toBeGreaterThanOrEqual(3);
    expect(mine.every((e) => (e.operationName === 'KeyEncrypt' || e.operationName === 'KeyDecrypt') && e.keyName === 'kms-key' && e.resultType === 'Success')).toBe(true);
  });

  it('the health endpoint follows the key: disabled key → 503 with Key Vault’s reason (Status fails), enabled again → ok', async () => {
    const port = /healthz=http:\/\/127\.0\.0\.1:(\d+)/.exec(ready)![1];
    expect(await httpGet(`http://127.0.0.1:${port}/healthz`)).toEqual({ status: 200, text: 'ok' });
    expect((await httpGet(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    const keys = new KeyClient(`https://${vaultName}.vault.azure.net/`, defaultCredential(emu.env));
    const version = kid.split('/').pop()!;
    await keys.updateKeyProperties('kms-key', version, { enabled: false });
    try {
      const h = await httpGet(`http://127.0.0.1:${port}/healthz`);
      expect(h.status).toBe(503);
      expect(h.text).toMatch(/failed to encrypt.*Operation encrypt is not allowed on a disabled key/);
      await expect(v2.status()).rejects.toThrow(/Status failed: failed to encrypt, error: Key Vault answered 403 Forbidden: Operation encrypt is not allowed on a disabled key\./);
      // v1 Encrypt (a write's DEK) is refused as well; nothing of the key is usable.
      await expect(v1.encrypt(Buffer.from('dek'))).rejects.toThrow(/Encrypt failed: failed to encrypt, error: Key Vault answered 403 Forbidden: Operation encrypt is not allowed on a disabled key\./);
    } finally {
      await keys.updateKeyProperties('kms-key', version, { enabled: true });
    }
    expect(await httpGet(`http://127.0.0.1:${port}/healthz`)).toEqual({ status: 200, text: 'ok' });
  });

  it('refuses a versionless key id and a non-unix address with a usage error', async () => {
    const bad = await run(process.execPath, [CLI, 'kms-plugin', '--key-id', `https://${vaultName}.vault.azure.net/keys/kms-key`, '--listen-addr', `unix://${socket}.2`]).catch((e: { code: number; stderr: string }) => e);
    expect((bad as { code: number }).code).toBe(2);
    expect((bad as { stderr: string }).stderr).toMatch(/versioned key id/);
    const bad2 = await run(process.execPath, [CLI, 'kms-plugin', '--key-id', kid, '--listen-addr', 'tcp://127.0.0.1:9000']).catch((e: { code: number; stderr: string }) => e);
    expect((bad2 as { code: number }).code).toBe(2);
    expect((bad2 as { stderr: string }).stderr).toMatch(/unix socket address/);
  });
});
