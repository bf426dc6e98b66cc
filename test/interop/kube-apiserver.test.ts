/**
 * The real kube-apiserver (k8s.io/kubernetes v1.37.2, the module test/interop/kube-apiserver/ pins) on Debian's
 * etcd, with an EncryptionConfiguration pointing at the KMS plugin socket of an aksemu cluster, once for a KMS v1
 * cluster (1.26; kube-apiserver with --feature-gates=KMSv1=true) and once for KMS v2 (1.29) (SPEC ):
 *
 * - a secret kube-apiserver writes is in etcd under aksemu's provider prefix and key id, and aksemu's transformers
 *   (src/encryption, through the same socket) decrypt it to the bytes the test's own decryption finds;
 * - a secret aksemu wrote, put into etcd under the same key, is served by kube-apiserver; under another key it
 *   fails kube-apiserver's authentication.
 *
 * aksemu's Kubernetes API keeps objects as JSON; kube-apiserver stores core objects as protobuf ("k8s\0" +
 * runtime.Unknown), which aksemu's API reads for Secrets, ConfigMaps and ServiceAccounts (docs/compatibility.md):
 * kubectl through aksemu serves the secret kube-apiserver wrote. The build takes minutes on a cold cache (docs/compatibility.md): this runs only with
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
import { KmsV1Client, KmsV2Client } from '../../src/encryption/kms-api/client.js';
import { KmsV1Provider } from '../../src/encryption/kms-v1.js';
import { KmsV2Provider } from '../../src/encryption/kms-v2.js';
import { EtcdCluster, freePorts } from '../../testkit/etcd.js';
import { goBinary, KUBE_APISERVER } from '../../testkit/interop/go-build.js';
import { removeDataDir, startTestEmulator, useEnvironment } from '../../testkit/emulator.js';
import { kubectl, kubectlHome, type KubectlHome } from '../../testkit/kube/kube-env.js';
import { waitFor } from '../../testkit/wait.js';
import { kidHash, openSecret, rawSecret } from '../kms/at-rest.js';
import { identity, importKey, kit, kmsCluster, rawCluster, resourceGroup, setPolicy, vault, type Kit, type TestKey } from '../kms/fixtures.js';

const enabled = process.env.AKSEMU_INTEROP_KUBE_APISERVER === '1';
if (!enabled) process.stderr.write('SKIP the real kube-apiserver: set AKSEMU_INTEROP_KUBE_APISERVER=1 (builds k8s.io/kubernetes v1.37.2)\n');
const RG = 'interop-kas';
const VAULT = 'kv-interop-kas';
const TOKEN = 'interop-admin-token';

describe.skipIf(!enabled)('the real kube-apiserver v1.37.2 with aksemu’s KMS plugin', () => {
  let binary: string;
  let emu: Awaited<ReturnType<typeof startTestEmulator>>;
  let etcd: EtcdCluster;
  let client: Etcd3;
  let k: Kit;
  let identityId: string;
  const work = mkdtempSync(join(tmpdir(), 'aksemu-kas-'));

  beforeAll(async () => {
    binary = await goBinary(KUBE_APISERVER);
    // 2024-03-15: Kubernetes 1.26 (KMS v1) and 1.29 (KMS v2) are both offered.
    emu = await startTestEmulator({ now: new Date('2024-03-15T00:00:00Z') });
    useEnvironment(emu.env);
    k = kit(emu.env);
    await resourceGroup(k, RG);
    await vault(k, RG, VAULT);
    const id = await identity(k, RG, 'interop-kas-id');
    await setPolicy(k, RG, VAULT, id.principalId);
    identityId = id.id;
    etcd = await EtcdCluster.start();
    client = new Etcd3({ hosts: `http://${etcd.members[0]!.endpoint}` });
    const sa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(work, 'sa.key'), sa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(work, 'sa.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(work, 'tokens.csv'), `${TOKEN},admin,admin-uid,system:masters\n`);
  }, 1_800_000);
  afterAll(async () => {
    client?.close();
    await etcd?.stop();
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  for (const api of ['v1', 'v2'] as const) {
    describe(`KMS ${api}`, () => {
      let kas: ChildProcess;
      let kasUrl: string;
      let uid: string;
      let h: KubectlHome;
      let key: TestKey;
      let provider: string;
      let socket: string;
      const log: string[] = [];
      const certs = join(work, `certs-${api}`);

      /** kube-apiserver's REST API with the static token, trusting the serving certificate it made for itself. */
      const call = (method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> =>
        new Promise((resolve, reject) => {
          const req = request(`${kasUrl}${path}`, { method, ca: readFileSync(join(certs, 'apiserver.crt')), headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
          });
          req.on('error', reject);
          req.end(body ? JSON.stringify(body) : undefined);
        });
      /** aksemu's transformers for the cluster's provider, through the plugin's socket, as its API applies them. */
      const aksemuChain = () =>
        new ProviderChain([
          api === 'v1' ? new KmsV1Provider(provider, new KmsV1Client(`unix://${socket}`)) : new KmsV2Provider(provider, new KmsV2Client(`unix://${socket}`), () => Date.now()),
          new IdentityProvider(),
        ]);

      beforeAll(async () => {
        const name = `kas-${api}`;
        key = await importKey(k, VAULT, `etcd-${api}`);
        await k.aks.managedClusters.beginCreateOrUpdateAndWait(RG, name, kmsCluster({ identityId, kid: key.kid, version: api === 'v1' ? '1.26' : '1.29' }));
        const raw = await rawCluster(emu.url, emu.env, `/subscriptions/${k.sub}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/${name}`);
        uid = raw.properties.resourceUID;
        h = await kubectlHome(emu as never, { uid, armId: raw.id, fqdn: raw.properties.fqdn, name, resourceGroup: RG, nodeNames: [] } as never);
        provider = raw.properties.status.azureKeyVaultKms.providers[0].name;
        socket = join(emu.dataDir, 'kms', uid, `${createHash('sha256').update(key.kid).digest('hex').slice(0, 16)}.sock`);
        const config = join(work, `enc-${api}.yaml`);
        writeFileSync(
          config,
          [
            'apiVersion: apiserver.config.k8s.io/v1',
            'kind: EncryptionConfiguration',
            'resources:',
            '  - resources: [secrets]',
            '    providers:',
            '      - kms:',
            `          apiVersion: ${api}`,
            `          name: ${provider}`,
            `          endpoint: unix://${socket}`,
            ...(api === 'v1' ? ['          cachesize: 1000'] : []),
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
            `--cert-dir=${certs}`,
            `--service-account-key-file=${join(work, 'sa.pub')}`,
            `--service-account-signing-key-file=${join(work, 'sa.key')}`,
            '--service-account-issuer=https://kubernetes.default.svc',
            `--token-auth-file=${join(work, 'tokens.csv')}`,
            '--authorization-mode=RBAC',
            `--encryption-provider-config=${config}`,
            '--service-cluster-ip-range=10.0.0.0/24',
            // Debian's etcd 3.4.23 predates the progress-notification fix kube-apiserver's watch cache relies on.
            '--watch-cache=false',
            // KMS v1 is off by default since 1.29; AKS's 1.26 clusters use it.
            ...(api === 'v1' ? ['--feature-gates=KMSv1=true'] : []),
            '--v=1',
          ],
          { stdio: ['ignore', 'ignore', 'pipe'] },
        );
        kas.stderr!.on('data', (d: Buffer) => {
          log.push(d.toString());
          if (log.length > 200) log.shift();
        });
        await waitFor('kube-apiserver ready', async () => (await call('GET', '/readyz').catch(() => ({ status: 0 }))).status === 200, { timeoutMs: 120_000 }).catch(async (err: Error) => {
          const readyz = await call('GET', '/readyz?verbose').catch((e: Error) => ({ status: 0, text: e.message }));
          throw new Error(`${err.message}: ${readyz.status} ${readyz.text}\n${log.filter((l) => !/Error getting keys/.test(l)).join('').slice(-4000)}`);
        });
      }, 300_000);
      afterAll(async () => {
        kas?.kill('SIGKILL');
        // The next kube-apiserver has only its own provider: secrets it cannot read would fail its informers.
        await client.delete().prefix('/registry/secrets/');
      });

      it(`a secret kube-apiserver writes is in etcd in the KMS ${api} format under aksemu’s provider, and aksemu’s transformers decrypt it`, async () => {
        const name = `from-kas-${api}`;
        const etcdKey = `/registry/secrets/default/${name}`;
        const created = await call('POST', '/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name }, data: { v: Buffer.from('written by kube-apiserver').toString('base64') } });
        expect(created.status, created.text).toBe(201);
        const stored = (await client.get(etcdKey).buffer())!;
        const prefix = `k8s:enc:kms:${api}:${provider}:`;
        expect(stored.subarray(0, prefix.length).toString()).toBe(prefix);
        await emu.core.store.put(`/clusters/${uid}${etcdKey}`, stored);
        const at = await rawSecret(emu.core.store, uid, 'default', name);
        if (api === 'v2') expect(at.keyId).toBe(kidHash(key.kid));
        // kube-apiserver stores secrets as protobuf ("k8s\0" + runtime.Unknown); the test's own decryption opens it...
        const expected = openSecret(at, etcdKey, key.privateKey);
        expect(expected.subarray(0, 4).toString('latin1')).toBe('k8s\0');
        expect(expected.includes(Buffer.from('written by kube-apiserver'))).toBe(true);
        // ...and so do aksemu's transformers, through the plugin's socket; not under another etcd key.
        const chain = aksemuChain();
        try {
          const read = await chain.fromStorage(stored, etcdKey);
          expect(read.plain.equals(expected)).toBe(true);
          expect(read.stale).toBe(false);
          await expect(chain.fromStorage(stored, '/registry/secrets/default/moved')).rejects.toThrow(/cipher: message authentication failed/);
        } finally {
          chain.close();
        }
        // aksemu's Kubernetes API serves it too: kube-apiserver's protobuf Secret, decrypted through the same plugin.
        const served = await kubectl(h, ['get', 'secret', name, '-o', 'json']);
        expect(served.code, served.stderr).toBe(0);
        const secret = served.json<{ metadata: { name: string; uid: string; managedFields?: unknown[] }; data: Record<string, string>; type: string }>();
        expect(secret.data.v).toBe(Buffer.from('written by kube-apiserver').toString('base64'));
        expect(secret.type).toBe('Opaque');
        expect(secret.metadata.uid).toBe(JSON.parse(created.text).metadata.uid);
      });

      it('a secret aksemu wrote, put into etcd under its key, is served by kube-apiserver; under another key it fails', async () => {
        const name = `from-aksemu-${api}`;
        expect((await kubectl(h, ['create', 'secret', 'generic', name, '--from-literal=v=written by aksemu'])).code).toBe(0);
        const at = await rawSecret(emu.core.store, uid, 'default', name);
        expect(at.format).toBe(`kms-${api}`);
        await client.put(`/registry/secrets/default/${name}`).value(at.raw);
        const got = await call('GET', `/api/v1/namespaces/default/secrets/${name}`);
        expect(got.status, got.text).toBe(200);
        expect(Buffer.from(JSON.parse(got.text).data.v, 'base64').toString()).toBe('written by aksemu');
        await client.put(`/registry/secrets/default/moved-${api}`).value(at.raw);
        const moved = await call('GET', `/api/v1/namespaces/default/secrets/moved-${api}`);
        expect(moved.status).toBe(500);
        expect(moved.text).toMatch(/cipher: message authentication failed/);
      });
    });
  }
});
