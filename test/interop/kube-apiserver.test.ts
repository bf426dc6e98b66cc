/**
 * The real kube-apiserver (k8s.io/kubernetes v1.37.2, the module test/interop/kube-apiserver/ pins) on Debian's
 * etcd, with an EncryptionConfiguration pointing at the KMS v2 plugin socket of an aksemu cluster (SPEC ):
 *
 * - a secret kube-apiserver writes is in etcd under aksemu's provider prefix and key id, and aksemu's transformers
 *   (src/encryption, through the same socket) decrypt it to the bytes the test's own decryption finds;
 * - a secret aksemu wrote, put into etcd under the same key, is served by kube-apiserver; under another key it
 *   fails kube-apiserver's authentication.
 *
 * aksemu's Kubernetes API keeps objects as JSON; kube-apiserver stores core objects as protobuf ("k8s\0" +
 * runtime.Unknown), which aksemu's API does not read (docs/compatibility.md), so the first direction stops at the
 * transformer. The build takes minutes on a cold cache (docs/compatibility.md): this runs only with
 * AKSEMU_INTEROP_KUBE_APISERVER=1 and is not part of `npm test`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderChain } from '../../src/encryption/chain.js';
import { IdentityProvider } from '../../src/encryption/identity.js';
import { KmsV2Client } from '../../src/encryption/kms-api/client.js';
import { KmsV2Provider } from '../../src/encryption/kms-v2.js';
import { EtcdCluster, freePorts } from '../../testkit/etcd.js';
import { goBinary } from '../../testkit/interop/go-build.js';
import { removeDataDir, startTestEmulator, useEnvironment } from '../../testkit/emulator.js';
import { kubectl, kubectlHome, type KubectlHome } from '../../testkit/kube/kube-env.js';
import { waitFor } from '../../testkit/wait.js';
import { kidHash, openSecret, rawSecret } from '../kms/at-rest.js';
import { identity, importKey, kit, kmsCluster, rawCluster, resourceGroup, setPolicy, vault, type TestKey } from '../kms/fixtures.js';

const enabled = process.env.AKSEMU_INTEROP_KUBE_APISERVER === '1';
if (!enabled) process.stderr.write('SKIP the real kube-apiserver: set AKSEMU_INTEROP_KUBE_APISERVER=1 (builds k8s.io/kubernetes v1.37.2)\n');
const RG = 'interop-kas';
const VAULT = 'kv-interop-kas';
const TOKEN = 'interop-admin-token';

describe.skipIf(!enabled)('the real kube-apiserver v1.37.2 with aksemu’s KMS v2 plugin', () => {
  let emu: Awaited<ReturnType<typeof startTestEmulator>>;
  let etcd: EtcdCluster;
  let client: Etcd3;
  let kas: ChildProcess;
  let kasUrl: string;
  let uid: string;
  let h: KubectlHome;
  let key: TestKey;
  let provider: string;
  let socket: string;
  const log: string[] = [];
  const work = mkdtempSync(join(tmpdir(), 'aksemu-kas-'));

  /** kube-apiserver's REST API with the static token, trusting the serving certificate it made for itself. */
  const api = (method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const req = request(`${kasUrl}${path}`, { method, ca: readFileSync(join(work, 'certs', 'apiserver.crt')), headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.end(body ? JSON.stringify(body) : undefined);
    });

  beforeAll(async () => {
    const binary = await goBinary('kube-apiserver', 'k8s.io/kubernetes/cmd/kube-apiserver', 'kube-apiserver');
    emu = await startTestEmulator({ now: new Date('2024-03-15T00:00:00Z') });
    useEnvironment(emu.env);
    const k = kit(emu.env);
    await resourceGroup(k, RG);
    await vault(k, RG, VAULT);
    const id = await identity(k, RG, 'interop-kas-id');
    await setPolicy(k, RG, VAULT, id.principalId);
    key = await importKey(k, VAULT, 'etcd-kas');
    await k.aks.managedClusters.beginCreateOrUpdateAndWait(RG, 'kas-aks', kmsCluster({ identityId: id.id, kid: key.kid, version: '1.29' }));
    const raw = await rawCluster(emu.url, emu.env, `/subscriptions/${k.sub}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/kas-aks`);
    uid = raw.properties.resourceUID;
    h = await kubectlHome(emu as never, { uid, armId: raw.id, fqdn: raw.properties.fqdn, name: 'kas-aks', resourceGroup: RG, nodeNames: [] } as never);
    provider = raw.properties.status.azureKeyVaultKms.providers[0].name;
    socket = join(emu.dataDir, 'kms', uid, `${createHash('sha256').update(key.kid).digest('hex').slice(0, 16)}.sock`);

    etcd = await EtcdCluster.start();
    client = new Etcd3({ hosts: `http://${etcd.members[0]!.endpoint}` });
    const sa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(work, 'sa.key'), sa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(work, 'sa.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(work, 'tokens.csv'), `${TOKEN},admin,admin-uid,system:masters\n`);
    writeFileSync(
      join(work, 'enc.yaml'),
      [
        'apiVersion: apiserver.config.k8s.io/v1',
        'kind: EncryptionConfiguration',
        'resources:',
        '  - resources: [secrets]',
        '    providers:',
        '      - kms:',
        '          apiVersion: v2',
        `          name: ${provider}`,
        `          endpoint: unix://${socket}`,
        '          timeout: 10s',
        '      - identity: {}',
        '',
      ].join('\n'),
    );
    const [port] = await freePorts(1);
    kasUrl = `https://127.0.0.1:${port}`;
    kas = spawn(
      binary,
      [
        `--etcd-servers=http://${etcd.members[0]!.endpoint}`,
        `--secure-port=${port}`,
        '--bind-address=127.0.0.1',
        `--cert-dir=${join(work, 'certs')}`,
        `--service-account-key-file=${join(work, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(work, 'sa.key')}`,
        '--service-account-issuer=https://kubernetes.default.svc',
        `--token-auth-file=${join(work, 'tokens.csv')}`,
        '--authorization-mode=RBAC',
        `--encryption-provider-config=${join(work, 'enc.yaml')}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        // Debian's etcd 3.4.23 predates the progress-notification fix kube-apiserver's watch cache relies on.
        '--watch-cache=false',
        '--v=1',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    kas.stderr!.on('data', (d: Buffer) => {
      log.push(d.toString());
      if (log.length > 200) log.shift();
    });
    await waitFor('kube-apiserver ready', async () => (await api('GET', '/readyz').catch(() => ({ status: 0 }))).status === 200, { timeoutMs: 120_000 }).catch(async (err: Error) => {
      const readyz = await api('GET', '/readyz?verbose').catch((e: Error) => ({ status: 0, text: e.message }));
      throw new Error(`${err.message}: ${readyz.status} ${readyz.text}\n${log.filter((l) => !/Error getting keys/.test(l)).join('').slice(-4000)}`);
    });
  }, 300_000);
  afterAll(async () => {
    kas?.kill('SIGKILL');
    client?.close();
    await etcd?.stop();
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('a secret kube-apiserver writes is in etcd in the KMS v2 format under aksemu’s provider and key, and aksemu’s transformers decrypt it', async () => {
    const created = await api('POST', '/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'from-kas' }, data: { v: Buffer.from('written by kube-apiserver').toString('base64') } });
    expect(created.status, created.text).toBe(201);
    const stored = await client.get('/registry/secrets/default/from-kas').buffer();
    expect(stored!.subarray(0, `k8s:enc:kms:v2:${provider}:`.length).toString()).toBe(`k8s:enc:kms:v2:${provider}:`);
    await emu.core.store.put(`/clusters/${uid}/registry/secrets/default/from-kas`, stored!);
    const at = await rawSecret(emu.core.store, uid, 'default', 'from-kas');
    expect(at.keyId).toBe(kidHash(key.kid));
    // kube-apiserver stores secrets as protobuf ("k8s\0" + runtime.Unknown); the test's own decryption opens it...
    const expected = openSecret(at, '/registry/secrets/default/from-kas', key.privateKey);
    expect(expected.subarray(0, 4).toString('latin1')).toBe('k8s\0');
    expect(expected.includes(Buffer.from('written by kube-apiserver'))).toBe(true);
    // ...and so do aksemu's transformers, as a cluster's API applies them, through the plugin's socket.
    const chain = new ProviderChain([new KmsV2Provider(provider, new KmsV2Client(`unix://${socket}`), () => Date.now()), new IdentityProvider()]);
    try {
      const read = await chain.fromStorage(stored!, '/registry/secrets/default/from-kas');
      expect(read.plain.equals(expected)).toBe(true);
      expect(read.stale).toBe(false);
      await expect(chain.fromStorage(stored!, '/registry/secrets/default/moved')).rejects.toThrow(/cipher: message authentication failed/);
    } finally {
      chain.close();
    }
  });

  it('a secret aksemu wrote, put into etcd under its key, is served by kube-apiserver', async () => {
    expect((await kubectl(h, ['create', 'secret', 'generic', 'from-aksemu', '--from-literal=v=written by aksemu'])).code).toBe(0);
    const at = await rawSecret(emu.core.store, uid, 'default', 'from-aksemu');
    await client.put('/registry/secrets/default/from-aksemu').value(at.raw);
    const got = await api('GET', '/api/v1/namespaces/default/secrets/from-aksemu');
    expect(got.status, got.text).toBe(200);
    expect(Buffer.from(JSON.parse(got.text).data.v, 'base64').toString()).toBe('written by aksemu');
    // Under another key the same bytes fail kube-apiserver's authentication.
    await client.put('/registry/secrets/default/moved').value(at.raw);
    const moved = await api('GET', '/api/v1/namespaces/default/secrets/moved');
    expect(moved.status).toBe(500);
    expect(moved.text).toMatch(/cipher: message authentication failed/);
  });
});
