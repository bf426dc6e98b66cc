/**
 * kube-apiserver's own envelope encryption code against aksemu's KMS plugin and storage transformers (SPEC A-3,
 * X-3). The Go driver of test/interop/envelope/ loads an EncryptionConfiguration with k8s.io/apiserver's
 * encryptionconfig (v0.37.2), as kube-apiserver does, pointing at the unix sockets of the plugins aksemu runs for a
 * cluster; its KMS v1 and v2 transformers reach the plugin only through that socket.
 *
 * - upstream → aksemu: values upstream's transformer writes under `/registry/secrets/<ns>/<name>` are put into
 *   aksemu's store under that key and read back with the real kubectl;
 * - aksemu → upstream: secrets created with kubectl decrypt with upstream's code to exactly the bytes the test's own
 *   decryption (test/kms/at-rest.ts, with its copy of the Key Vault key) finds;
 * - KMS v1 (a 1.26 cluster) and KMS v2 (1.29), each across a key rotation, after which upstream's configuration
 *   lists the new provider first and the previous one after it, as kube-apiserver's is;
 * - the etcd key is the authenticated data: a value under another key, or with one byte changed, fails in both.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { removeDataDir, startTestEmulator, useEnvironment } from '../../testkit/emulator.js';
import { goBinary, ENVELOPE_DRIVER } from '../../testkit/interop/go-build.js';
import { kubectl, kubectlHome, type KubectlHome } from '../../testkit/kube/kube-env.js';
import { describeWith } from '../../testkit/optional.js';
import { kidHash, openSecret, rawSecret } from '../kms/at-rest.js';
import { identity, importKey, kit, kmsCluster, rawCluster, resourceGroup, setPolicy, vault, type Kit, type TestKey } from '../kms/fixtures.js';

type Emu = Awaited<ReturnType<typeof startTestEmulator>>;

interface UpstreamRequest {
  op: 'encrypt' | 'decrypt';
  context: string;
  data: Buffer;
}
type UpstreamResult = { data: Buffer; stale: boolean; error?: undefined } | { error: string };

interface ProviderStatus {
  name: string;
  kid: string;
  api: 'v1' | 'v2';
  role: 'write' | 'read';
}

const RG = 'interop-envelope';
const VAULT = 'kv-interop-env';
const GCM_FAILURE = /cipher: message authentication failed/;

describeWith(['go', 'kubectl'], 'kube-apiserver’s envelope code (k8s.io/apiserver v0.37.2) against aksemu’s KMS plugin and transformers', () => {
  let driver: string;
  let emu: Emu;
  let k: Kit;
  const keys: Record<'v1' | 'v1b' | 'a' | 'b', TestKey> = {} as never;
  const clusters: Record<string, { uid: string; armId: string; h: KubectlHome }> = {};
  const work = mkdtempSync(join(tmpdir(), 'aksemu-interop-envelope-'));

  /** kube-apiserver's EncryptionConfiguration for a cluster: its providers in aksemu's order, identity last. */
  const encryptionConfig = async (cluster: string): Promise<{ path: string; providers: ProviderStatus[] }> => {
    const { uid, armId } = clusters[cluster]!;
    const providers = (await rawCluster(emu.url, emu.env, armId)).properties.status.azureKeyVaultKms.providers as ProviderStatus[];
    // The plugins' sockets, as src/kms/README.md lays them out: <dataDir>/kms/<uid>/<first 16 hex of key_id>.sock.
    const endpoint = (kid: string) => `unix://${join(emu.dataDir, 'kms', uid, `${createHash('sha256').update(kid).digest('hex').slice(0, 16)}.sock`)}`;
    const lines = [
      'apiVersion: apiserver.config.k8s.io/v1',
      'kind: EncryptionConfiguration',
      'resources:',
      '  - resources: [secrets]',
      '    providers:',
      ...providers.flatMap((p) => [
        '      - kms:',
        `          apiVersion: ${p.api}`,
        `          name: ${p.name}`,
        `          endpoint: ${endpoint(p.kid)}`,
        ...(p.api === 'v1' ? ['          cachesize: 1000'] : []),
        '          timeout: 10s',
      ]),
      '      - identity: {}',
    ];
    const path = join(work, `${cluster}-${providers.map((p) => p.name).join('-')}.yaml`);
    writeFileSync(path, `${lines.join('\n')}\n`);
    return { path, providers };
  };

  /** One run of upstream's transformers over a batch of values. */
  const upstream = (config: string, requests: UpstreamRequest[]): Promise<UpstreamResult[]> =>
    new Promise((resolve, reject) => {
      const child = execFile(driver, ['batch', '--config', config], { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) => {
        if (err) return reject(new Error(`envelope driver: ${err.message}\n${stderr}`));
        const results = JSON.parse(stdout) as Array<{ data?: string; stale?: boolean; error?: string }>;
        resolve(results.map((r) => (r.error !== undefined ? { error: r.error } : { data: Buffer.from(r.data ?? '', 'base64'), stale: r.stale ?? false })));
      });
      child.stdin!.end(JSON.stringify(requests.map((r) => ({ op: r.op, context: r.context, data: r.data.toString('base64') }))));
    });
  const one = async (config: string, request: UpstreamRequest): Promise<UpstreamResult> => (await upstream(config, [request]))[0]!;
  const ok = (r: UpstreamResult): { data: Buffer; stale: boolean } => {
    if (r.error !== undefined) throw new Error(`upstream failed: ${r.error}`);
    return r;
  };

  const etcdKey = (ns: string, name: string) => `/registry/secrets/${ns}/${name}`;
  const storeKey = (cluster: string, ns: string, name: string) => `/clusters/${clusters[cluster]!.uid}${etcdKey(ns, name)}`;
  const stored = async (cluster: string, name: string) => (await emu.core.store.get(storeKey(cluster, 'default', name)))!.value;
  const put = (cluster: string, name: string, value: Buffer) => emu.core.store.put(storeKey(cluster, 'default', name), value);
  const create = async (cluster: string, name: string, value: string) => {
    const r = await kubectl(clusters[cluster]!.h, ['create', 'secret', 'generic', name, `--from-literal=v=${value}`]);
    expect(r.code, r.stderr).toBe(0);
  };
  const read = async (cluster: string, name: string) => {
    const r = await kubectl(clusters[cluster]!.h, ['get', 'secret', name, '-o', 'jsonpath={.data.v}']);
    return r.code === 0 ? Buffer.from(r.stdout, 'base64').toString() : `ERROR: ${r.stderr.trim()}`;
  };
  /**
   * The value with one byte of its AES-GCM ciphertext changed: v1's last byte (the tag), or v2's first byte after
   * the info and nonce in EncryptedObject.encryptedData (protobuf field 1, first: tag 0x0a, a varint length).
   */
  const tamper = (raw: Buffer): Buffer => {
    const out = Buffer.from(raw);
    const prefix = /^k8s:enc:kms:(v1|v2):[^:]+:/.exec(raw.subarray(0, 200).toString('latin1'))!;
    if (prefix[1] === 'v1') {
      out[out.length - 1]! ^= 0x01;
      return out;
    }
    let at = prefix[0].length;
    expect(out[at++]).toBe(0x0a);
    while (out[at++]! & 0x80);
    out[at + 32 + 12]! ^= 0x01;
    return out;
  };
  /** A Secret object as aksemu stores it (its bytes taken from a stored secret), renamed and with a new value. */
  const objectLike = (template: Buffer, name: string, value: string): Buffer => {
    const obj = JSON.parse(template.toString('utf8'));
    obj.metadata.name = name;
    obj.metadata.uid = crypto.randomUUID();
    obj.data = { v: Buffer.from(value).toString('base64') };
    return Buffer.from(JSON.stringify(obj));
  };

  beforeAll(async () => {
    // The first build per content of the Go module takes minutes on a cold cache (testkit/interop/go-build.ts).
    driver = await goBinary(ENVELOPE_DRIVER);
    // 2024-03-15: Kubernetes 1.26 (KMS v1) and 1.29 (KMS v2) are both offered.
    emu = await startTestEmulator({ now: new Date('2024-03-15T00:00:00Z') });
    useEnvironment(emu.env);
    k = kit(emu.env);
    await resourceGroup(k, RG);
    await vault(k, RG, VAULT);
    const id = await identity(k, RG, 'interop-envelope-id');
    await setPolicy(k, RG, VAULT, id.principalId);
    keys.v1 = await importKey(k, VAULT, 'etcd-v1');
    keys.v1b = await importKey(k, VAULT, 'etcd-v1b');
    keys.a = await importKey(k, VAULT, 'etcd-a');
    keys.b = await importKey(k, VAULT, 'etcd-b');
    for (const [name, key, version] of [
      ['v1-aks', keys.v1, '1.26'],
      ['v2-aks', keys.a, '1.29'],
    ] as const) {
      await k.aks.managedClusters.beginCreateOrUpdateAndWait(RG, name, kmsCluster({ identityId: id.id, kid: key.kid, version }));
      const raw = await rawCluster(emu.url, emu.env, `/subscriptions/${k.sub}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/${name}`);
      const uid = raw.properties.resourceUID as string;
      const h = await kubectlHome(emu as never, { uid, armId: raw.id, fqdn: raw.properties.fqdn, name, resourceGroup: RG, nodeNames: [] } as never);
      clusters[name] = { uid, armId: raw.id, h };
    }
  }, 900_000);
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  for (const [cluster, format, keyName] of [
    ['v1-aks', 'kms-v1', 'v1'],
    ['v2-aks', 'kms-v2', 'a'],
  ] as const) {
    it(`${format}: secrets aksemu wrote decrypt with upstream’s transformer to exactly the stored object`, async () => {
      const { path, providers } = await encryptionConfig(cluster);
      expect(providers.map((p) => [p.api, p.role, p.kid])).toEqual([[format === 'kms-v1' ? 'v1' : 'v2', 'write', keys[keyName].kid]]);
      await create(cluster, 'from-aksemu', `${format} written by aksemu`);
      const at = await rawSecret(emu.core.store, clusters[cluster]!.uid, 'default', 'from-aksemu');
      expect(at.format).toBe(format);
      const expected = openSecret(at, etcdKey('default', 'from-aksemu'), keys[keyName].privateKey);
      const [plain, twice] = await upstream(path, [
        { op: 'decrypt', context: etcdKey('default', 'from-aksemu'), data: at.raw },
        { op: 'decrypt', context: etcdKey('default', 'from-aksemu'), data: at.raw },
      ]);
      expect(ok(plain!).data.equals(expected)).toBe(true);
      expect(ok(plain!).stale).toBe(false);
      expect(ok(twice!).data.equals(expected)).toBe(true); // the second from upstream's DEK / seed cache
      expect(JSON.parse(ok(plain!).data.toString()).data.v).toBe(Buffer.from(`${format} written by aksemu`).toString('base64'));
    });

    it(`${format}: values upstream’s transformer wrote through aksemu’s plugin are read by aksemu (kubectl)`, async () => {
      const { path, providers } = await encryptionConfig(cluster);
      const template = ok(await one(path, { op: 'decrypt', context: etcdKey('default', 'from-aksemu'), data: await stored(cluster, 'from-aksemu') })).data;
      const plain = objectLike(template, 'from-upstream', `${format} written by k8s.io/apiserver`);
      const enc = ok(await one(path, { op: 'encrypt', context: etcdKey('default', 'from-upstream'), data: plain })).data;
      // In aksemu's provider's prefix, under the cluster's key: the test's own decryption agrees.
      const prefix = `k8s:enc:kms:${format.slice(4)}:${providers[0]!.name}:`;
      expect(enc.subarray(0, prefix.length).toString()).toBe(prefix);
      expect(openSecret({ format, raw: enc }, etcdKey('default', 'from-upstream'), keys[keyName].privateKey).equals(plain)).toBe(true);
      await put(cluster, 'from-upstream', enc);
      const back = await rawSecret(emu.core.store, clusters[cluster]!.uid, 'default', 'from-upstream');
      expect(back.format).toBe(format);
      if (format === 'kms-v2') expect(back.keyId).toBe(kidHash(keys[keyName].kid));
      expect(await read(cluster, 'from-upstream')).toBe(`${format} written by k8s.io/apiserver`);
    });

    it(`${format}: the etcd key is the authenticated data and a changed byte fails, in both directions`, async () => {
      const { path } = await encryptionConfig(cluster);
      const aksemuValue = await stored(cluster, 'from-aksemu');
      const upstreamValue = await stored(cluster, 'from-upstream');
      const [moved, changed] = await upstream(path, [
        { op: 'decrypt', context: etcdKey('default', 'elsewhere'), data: aksemuValue },
        { op: 'decrypt', context: etcdKey('default', 'from-aksemu'), data: tamper(aksemuValue) },
      ]);
      expect(moved!.error).toMatch(GCM_FAILURE);
      expect(changed!.error).toMatch(GCM_FAILURE);

      // aksemu refuses upstream's value under another key, and with one byte changed.
      await put(cluster, 'moved-from-upstream', upstreamValue);
      expect(await read(cluster, 'moved-from-upstream')).toMatch(/^ERROR: .*unable to transform key "\/registry\/secrets\/default\/moved-from-upstream": cipher: message authentication failed/);
      await put(cluster, 'from-upstream', tamper(upstreamValue));
      expect(await read(cluster, 'from-upstream')).toMatch(/^ERROR: .*unable to transform key "\/registry\/secrets\/default\/from-upstream": cipher: message authentication failed/);
      // The value as upstream wrote it, under its own key, reads again.
      await put(cluster, 'from-upstream', upstreamValue);
      expect(await read(cluster, 'from-upstream')).toBe(`${format} written by k8s.io/apiserver`);
    });
  }

  for (const [cluster, format, from, to] of [
    ['v1-aks', 'kms-v1', 'v1', 'v1b'],
    ['v2-aks', 'kms-v2', 'a', 'b'],
  ] as const) {
    it(`${format} across a key rotation: the configuration lists the new provider first; old and new values read both ways`, async () => {
      const api = format === 'kms-v1' ? 'v1' : 'v2';
      const before = await encryptionConfig(cluster);
      const mc = await k.aks.managedClusters.get(RG, cluster);
      await k.aks.managedClusters.beginCreateOrUpdateAndWait(RG, cluster, { ...mc, securityProfile: { azureKeyVaultKms: { enabled: true, keyId: keys[to].kid, keyVaultNetworkAccess: 'Public' } } });
      const after = await encryptionConfig(cluster);
      expect(after.providers.map((p) => [p.api, p.role, p.kid])).toEqual([
        [api, 'write', keys[to].kid],
        [api, 'read', keys[from].kid],
      ]);
      expect(after.providers[1]!.name).toBe(before.providers[0]!.name);

      // aksemu writes under the new key; upstream reads that, and the values from before (stale: not the writer's).
      await create(cluster, 'after-rotation', 'written on the new key');
      const fresh = await rawSecret(emu.core.store, clusters[cluster]!.uid, 'default', 'after-rotation');
      expect(fresh.provider).toBe(after.providers[0]!.name);
      if (format === 'kms-v2') expect(fresh.keyId).toBe(kidHash(keys[to].kid));
      const [newValue, oldAksemu, oldUpstream] = await upstream(after.path, [
        { op: 'decrypt', context: etcdKey('default', 'after-rotation'), data: fresh.raw },
        { op: 'decrypt', context: etcdKey('default', 'from-aksemu'), data: await stored(cluster, 'from-aksemu') },
        { op: 'decrypt', context: etcdKey('default', 'from-upstream'), data: await stored(cluster, 'from-upstream') },
      ]);
      expect(ok(newValue!).data.equals(openSecret(fresh, etcdKey('default', 'after-rotation'), keys[to].privateKey))).toBe(true);
      expect(ok(newValue!).stale).toBe(false);
      expect(JSON.parse(ok(oldAksemu!).data.toString()).data.v).toBe(Buffer.from(`${format} written by aksemu`).toString('base64'));
      expect(ok(oldAksemu!).stale).toBe(true);
      expect(JSON.parse(ok(oldUpstream!).data.toString()).data.v).toBe(Buffer.from(`${format} written by k8s.io/apiserver`).toString('base64'));
      expect(ok(oldUpstream!).stale).toBe(true);

      // Upstream writes under the new key; aksemu reads it, and still reads what upstream wrote before the rotation.
      const plain = objectLike(ok(newValue!).data, 'upstream-after-rotation', 'upstream on the new key');
      const enc = ok(await one(after.path, { op: 'encrypt', context: etcdKey('default', 'upstream-after-rotation'), data: plain })).data;
      await put(cluster, 'upstream-after-rotation', enc);
      const at = await rawSecret(emu.core.store, clusters[cluster]!.uid, 'default', 'upstream-after-rotation');
      expect(at.provider).toBe(after.providers[0]!.name);
      expect(openSecret(at, etcdKey('default', 'upstream-after-rotation'), keys[to].privateKey).equals(plain)).toBe(true);
      expect(await read(cluster, 'upstream-after-rotation')).toBe('upstream on the new key');
      expect(await read(cluster, 'from-upstream')).toBe(`${format} written by k8s.io/apiserver`);

      // The configuration from before the rotation has no provider for the new key's values.
      expect((await one(before.path, { op: 'decrypt', context: etcdKey('default', 'after-rotation'), data: fresh.raw })).error).toMatch(/no matching prefix found/);
    });
  }
});
