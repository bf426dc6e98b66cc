/**
 * (SPEC A-3) a cluster's objects live in the store under kube-apiserver's etcd keys within the
 * cluster's prefix, through the storage-transformer seam; `aksemu store list PREFIX` prints the keys and
 * `aksemu store get KEY --raw` writes the exact stored bytes, on SQLite and on etcd (where etcdctl shows the
 * same bytes), for a running instance's --data-dir.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StorageTransformer } from '../../src/encryption/types.js';
import { CLI } from '../../testkit/emulator.js';
import { EtcdCluster } from '../../testkit/etcd.js';
import { describeWith } from '../../testkit/optional.js';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { addCluster, kubeApi, startEmulatorWithFixtures, type KubeApiClient, type TestEmulator } from '../../testkit/kube/kube-env.js';

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'buffer', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp', ETCDCTL_API: '3' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr: stderr.toString() });
    });
  });
}

async function checkStoreCli(emu: TestEmulator, cluster: FixtureCluster, api: KubeApiClient): Promise<Buffer> {
  await api.call('POST', '/api/v1/namespaces', { metadata: { name: 'team-a' } });
  for (const [ns, name] of [['default', 'alpha'], ['team-a', 'beta']]) {
    expect((await api.call('POST', `/api/v1/namespaces/${ns}/secrets`, { metadata: { name }, stringData: { password: `${name}-pw` } })).status).toBe(201);
  }
  const prefix = `/clusters/${cluster.uid}/registry/secrets/`;
  const list = await run(process.execPath, [CLI, 'store', 'list', prefix, '--data-dir', emu.dataDir]);
  expect(list.code, list.stderr).toBe(0);
  expect(list.stdout.toString().trim().split('\n')).toEqual([`${prefix}default/alpha`, `${prefix}team-a/beta`]);
  const nodes = await run(process.execPath, [CLI, 'store', 'list', `/clusters/${cluster.uid}/registry/minions/`, '--data-dir', emu.dataDir]);
  expect(nodes.stdout.toString().trim().split('\n')).toEqual(cluster.nodeNames.map((n) => `/clusters/${cluster.uid}/registry/minions/${n}`).sort());
  const raw = await run(process.execPath, [CLI, 'store', 'get', `${prefix}default/alpha`, '--raw', '--data-dir', emu.dataDir]);
  expect(raw.code, raw.stderr).toBe(0);
  const stored = JSON.parse(raw.stdout.toString('utf8'));
  // kube-apiserver's storage form: the object's JSON without resourceVersion.
  expect(stored).toMatchObject({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', data: { password: Buffer.from('alpha-pw').toString('base64') }, metadata: { name: 'alpha', namespace: 'default' } });
  expect(stored.metadata.resourceVersion).toBeUndefined();
  expect(stored.stringData).toBeUndefined();
  const missing = await run(process.execPath, [CLI, 'store', 'get', `${prefix}default/none`, '--raw', '--data-dir', emu.dataDir]);
  expect(missing.code).toBe(1);
  return raw.stdout;
}

describe('cluster objects at rest', () => {
  describe('on SQLite', () => {
    let emu: TestEmulator;
    let cluster: FixtureCluster;
    let api: KubeApiClient;
    beforeAll(async () => {
      emu = await startEmulatorWithFixtures();
      cluster = await addCluster(emu, { name: 'atrest', resourceGroup: 'rg', pools: [{ name: 'nodepool1', count: 2 }] });
      api = await kubeApi(emu, cluster);
    });
    afterAll(async () => {
      await emu?.close();
    });

    it('keeps secrets under /registry/secrets/<ns>/<name> and shows them with aksemu store list/get', async () => {
      await checkStoreCli(emu, cluster, api);
    });

    it('sends every write through the storage transformer and marks stale reads, so get | replace rewrites them', async () => {
      // A transformer that wraps values in a versioned envelope; objects written before it are "stale".
      const seen: string[] = [];
      const wrap: StorageTransformer = {
        name: 'test-envelope',
        toStorage: async (plain, etcdKey) => {
          seen.push(etcdKey);
          return Buffer.concat([Buffer.from('test:v1:'), plain]);
        },
        fromStorage: async (stored) =>
          stored.subarray(0, 8).toString() === 'test:v1:' ? { plain: stored.subarray(8), stale: false } : { plain: stored, stale: true },
      };
      emu.services.kube.transformers.register((c, resource) => (c.uid === cluster.uid && resource === 'secrets' ? wrap : undefined));
      const key = `/clusters/${cluster.uid}/registry/secrets/default/alpha`;
      expect((await emu.core.store.get(key))!.value.subarray(0, 8).toString()).not.toBe('test:v1:');
      const got = (await api.call('GET', '/api/v1/namespaces/default/secrets/alpha')).json();
      expect(got.metadata.name).toBe('alpha');
      const replaced = await api.call('PUT', '/api/v1/namespaces/default/secrets/alpha', got);
      expect(replaced.status).toBe(200);
      expect(seen).toEqual(['/registry/secrets/default/alpha']);
      const raw = (await emu.core.store.get(key))!.value;
      expect(raw.subarray(0, 8).toString()).toBe('test:v1:');
      expect(JSON.parse(raw.subarray(8).toString()).metadata.name).toBe('alpha');
      expect((await api.call('GET', '/api/v1/namespaces/default/secrets/alpha')).json().data).toEqual(got.data);
      // Other resources are untouched by a secrets-only transformer.
      const cm = await emu.core.store.get(`/clusters/${cluster.uid}/registry/configmaps/default/kube-root-ca.crt`);
      expect(cm!.value[0]).toBe('{'.charCodeAt(0));
    });
  });

  describeWith(['etcd', 'etcdctl'], 'on etcd', () => {
    let etcd: EtcdCluster;
    let emu: TestEmulator;
    let cluster: FixtureCluster;
    beforeAll(async () => {
      etcd = await EtcdCluster.start({ members: 1 });
      emu = await startEmulatorWithFixtures({ store: `etcd://${etcd.endpoints[0]}/aksemu-kube` });
      cluster = await addCluster(emu, { name: 'onetcd', resourceGroup: 'rg', pools: [{ name: 'nodepool1', count: 1 }] });
    });
    afterAll(async () => {
      await emu?.close();
      await etcd?.stop();
    });

    it('shows the same bytes with aksemu store get --raw as etcdctl get --print-value-only', async () => {
      const api = await kubeApi(emu, cluster);
      const bytes = await checkStoreCli(emu, cluster, api);
      const etcdctl = await run('etcdctl', ['--endpoints', etcd.endpoints[0]!, 'get', `/aksemu-kube/clusters/${cluster.uid}/registry/secrets/default/alpha`, '--print-value-only']);
      expect(etcdctl.code, etcdctl.stderr).toBe(0);
      expect(etcdctl.stdout.equals(Buffer.concat([bytes, Buffer.from('\n')]))).toBe(true);
      // The Kubernetes API works the same on etcd: watch, list, conflicts.
      const list = (await api.call('GET', '/api/v1/secrets')).json();
      expect(list.items.map((s: any) => s.metadata.name).sort()).toEqual(['alpha', 'beta']);
      expect((await api.call('GET', '/api/v1/namespaces/kube-system/pods')).json().items.length).toBeGreaterThan(0);
    });
  });
});
