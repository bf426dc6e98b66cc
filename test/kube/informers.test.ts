/**
 * The controllers' watch-fed caches (src/kube/controllers/informers.ts) over a real SQLite store: a kind is listed
 * once and followed by the store's watch, this process's writes are read back at once (before the watch delivers
 * them, so a controller never acts twice on its own stale view), a change told twice or late never undoes a newer
 * one, and the objects handed out are frozen snapshots under vitest. Events batched by `Registry.createMany` land
 * in one store transaction.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Clock } from '../../src/runtime/clock.js';
import { openStore } from '../../src/store/open-store.js';
import { putJson } from '../../src/store/json.js';
import type { Store } from '../../src/store/store.js';
import { clusterRecordKey, registryKey, type ClusterRecord } from '../../src/clusters/cluster-registry.js';
import { encodeObject } from '../../src/clusters/stored-object.js';
import { loadSchema } from '../../src/kube/api/machinery/schema.js';
import type { ConfigMap, Namespace } from '../../src/kube/api/machinery/types.js';
import { Registry } from '../../src/kube/api/registry/registry.js';
import { configmaps, events, namespaces } from '../../src/kube/resources/index.js';
import { ObjectStorage } from '../../src/kube/storage/object-storage.js';
import { LocalWrites } from '../../src/kube/storage/local-writes.js';
import { ClusterInformers } from '../../src/kube/controllers/informers.js';
import { EventBatch } from '../../src/kube/controllers/events.js';
import { StorageTransformers } from '../../src/encryption/transformers.js';

const START = new Date('2026-03-01T10:00:00Z');

let dir: string;
let store: Store;
let cluster: ClusterRecord;
let localWrites: LocalWrites;
let informers: ClusterInformers;
let changes: number;

function newRegistry(): Registry {
  return new Registry(new ObjectStorage(store, cluster, new StorageTransformers(), localWrites), new Clock(START));
}

const names = async () => (await informers.list<ConfigMap>(configmaps)).map((c) => `${c.metadata.name}=${c.data?.v}`);
const nextTick = () => new Promise((r) => setImmediate(r));

beforeEach(async () => {
  await loadSchema();
  dir = mkdtempSync(join(tmpdir(), 'aksemu-informers-'));
  store = await openStore('sqlite', dir);
  cluster = { uid: 'c0ffee00-0000-4000-8000-000000000002', armId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/k', fqdn: 'k-abc.hcp.westeurope.azmk8s.io', createdAt: START.toISOString() };
  await putJson(store, clusterRecordKey(cluster.uid), cluster);
  localWrites = new LocalWrites();
  await newRegistry().create(namespaces, undefined, { metadata: { name: 'default' } } as Namespace);
  await newRegistry().create<ConfigMap>(configmaps, 'default', { metadata: { name: 'b' }, data: { v: '1' } } as ConfigMap);
  changes = 0;
  informers = new ClusterInformers({ store, localWrites, storage: () => newRegistry().storage }, cluster.uid, [configmaps, namespaces], () => changes++, (err) => {
    throw err;
  });
  await informers.start();
});

afterEach(async () => {
  informers.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the controllers informers', () => {
  it('lists what the store holds, in key order, and follows another writer through the watch', async () => {
    expect(await names()).toEqual(['b=1']);
    // Written past the registry (another process sharing the store): only the watch tells.
    await store.put(registryKey(cluster.uid, 'configmaps', 'default', 'a'), encodeObject({ metadata: { name: 'a', namespace: 'default', uid: 'u-a' }, data: { v: '2' } }));
    expect(await names()).toEqual(['b=1']);
    await nextTick();
    expect(changes).toBeGreaterThan(0);
    expect(await names()).toEqual(['a=2', 'b=1']);
    await store.delete(registryKey(cluster.uid, 'configmaps', 'default', 'a'));
    await nextTick();
    expect(await names()).toEqual(['b=1']);
  });

  it("reads this process's writes at once, before the watch delivers them, and applies each change once", async () => {
    const reg = newRegistry();
    const b = (await informers.list<ConfigMap>(configmaps))[0]!;
    await reg.update(configmaps, 'default', 'b', { ...b, data: { v: '3' } });
    await reg.create<ConfigMap>(configmaps, 'default', { metadata: { name: 'c' }, data: { v: '4' } } as ConfigMap);
    // Usually the watch has delivered nothing yet (on a loaded machine it may have): either way the reads see them.
    expect(await names()).toEqual(['b=3', 'c=4']);
    await reg.delete(configmaps, 'default', 'c');
    expect(await names()).toEqual(['b=3']);
    // Now the watch delivers the same changes, the create of c after its delete: c stays deleted.
    await nextTick();
    expect(changes).toBeGreaterThan(0);
    expect(await names()).toEqual(['b=3']);
    expect((await informers.list<ConfigMap>(configmaps))[0]!.metadata.resourceVersion).toBe((await reg.get<ConfigMap>(configmaps, 'default', 'b')).metadata.resourceVersion);
  });

  it('hands out frozen snapshots (a controller must build a new object to change one)', async () => {
    const [b] = await informers.list<ConfigMap>(configmaps);
    expect(() => {
      (b as { data: Record<string, string> }).data.v = 'changed';
    }).toThrow(TypeError);
    // The list itself is the caller's: sorting or replacing its items leaves the cache as it was.
    const list = await informers.list<ConfigMap>(configmaps);
    list.pop();
    expect(await names()).toEqual(['b=1']);
  });

  it('writes a batch of events in one store transaction, and leaves out one its namespace refuses', async () => {
    const reg = newRegistry();
    const before = await store.revision();
    const batch = new EventBatch(reg);
    const involved = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'default', uid: 'u-b' } };
    for (const reason of ['One', 'Two', 'Three']) batch.record({ involved, type: 'Normal', reason, message: reason, component: 'test' });
    batch.record({ involved: { ...involved, metadata: { ...involved.metadata, namespace: 'missing' } }, type: 'Normal', reason: 'Lost', message: 'no namespace', component: 'test' });
    await batch.flush();
    expect(await store.revision()).toBe(before + 1);
    const listed = (await reg.list<{ reason: string; count: number; metadata: { resourceVersion?: string } } & ConfigMap>(events, undefined)).items;
    expect(listed.map((e) => e.reason).sort()).toEqual(['One', 'Three', 'Two']);
    expect(listed.every((e) => e.count === 1 && e.metadata.resourceVersion === String(before + 1))).toBe(true);
  });
});
