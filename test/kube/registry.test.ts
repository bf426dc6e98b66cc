/**
 * The generic registry (src/kube/api/registry) on its own: the real Registry over the real ObjectStorage and a
 * SQLite store in a temporary directory, without an HTTP server. Conflicts answer kube-apiserver's 409s, every
 * update path is one compare-and-swap loop that retries a concurrent write, the namespace and pod hooks of their
 * ResourceDefs drive termination and graceful deletion, and a refused write leaves the store as it was.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Clock } from '../../src/runtime/clock.js';
import { openStore } from '../../src/store/open-store.js';
import { putJson } from '../../src/store/json.js';
import type { Store } from '../../src/store/store.js';
import { clusterRecordKey, type ClusterRecord } from '../../src/clusters/cluster-registry.js';
import { KubeError } from '../../src/kube/api/machinery/errors.js';
import { loadSchema } from '../../src/kube/api/machinery/schema.js';
import type { ConfigMap, Namespace, Pod } from '../../src/kube/api/machinery/types.js';
import { bindPod } from '../../src/kube/api/registry/pod-binding.js';
import { Registry } from '../../src/kube/api/registry/registry.js';
import { openWatch, type ObjectEvent } from '../../src/kube/api/registry/watch.js';
import { parseLabelSelector } from '../../src/kube/api/machinery/selectors.js';
import { configmaps, namespaces, pods } from '../../src/kube/resources/index.js';
import { ObjectStorage } from '../../src/kube/storage/object-storage.js';
import { StorageTransformers } from '../../src/encryption/transformers.js';

const START = new Date('2026-03-01T10:00:00Z');
const STALE = 'the object has been modified; please apply your changes to the latest version and try again';

let dir: string;
let store: Store;
let clock: Clock;
let cluster: ClusterRecord;

function newRegistry(): Registry {
  return new Registry(new ObjectStorage(store, cluster, new StorageTransformers()), clock);
}

/**
 * A registry whose storage transformer lets another writer in between its read and its compare-and-swap (the
 * transformer runs just before the write), once per `interfereOnce`; `writes` counts its attempts to write.
 */
function interferingRegistry(): { registry: Registry; interfereOnce(write: () => Promise<unknown>): void; writes(): number } {
  let pending: (() => Promise<unknown>) | undefined;
  let count = 0;
  const transformers = new StorageTransformers();
  transformers.register(() => ({
    name: 'interfering',
    toStorage: async (plain) => {
      count++;
      const write = pending;
      pending = undefined;
      if (write) await write();
      return plain;
    },
    fromStorage: async (stored) => ({ plain: stored, stale: false }),
  }));
  return {
    registry: new Registry(new ObjectStorage(store, cluster, transformers), clock),
    interfereOnce: (write) => {
      pending = write;
    },
    writes: () => count,
  };
}

/** The error a promise rejects with (fails the test when it resolves). */
async function refusal(p: Promise<unknown>): Promise<KubeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KubeError);
  return err as KubeError;
}

/** Every key and value under the cluster's prefix, with the store revision: what "nothing changed" compares. */
async function snapshot(): Promise<{ revision: number; items: Array<[string, string]> }> {
  const page = await store.range(`/clusters/${cluster.uid}/`, {});
  return { revision: await store.revision(), items: page.items.map((kv) => [kv.key, kv.value.toString('utf8')]) };
}

function pod(name: string): Pod {
  return { metadata: { name }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } } as Pod;
}

beforeEach(async () => {
  await loadSchema();
  dir = mkdtempSync(join(tmpdir(), 'aksemu-registry-'));
  store = await openStore('sqlite', dir);
  clock = new Clock(START);
  cluster = { uid: 'c0ffee00-0000-4000-8000-000000000001', armId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/k', fqdn: 'k-abc.hcp.westeurope.azmk8s.io', createdAt: START.toISOString() };
  await putJson(store, clusterRecordKey(cluster.uid), cluster);
  await newRegistry().create(namespaces, undefined, { metadata: { name: 'default' } } as Namespace);
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the generic registry', () => {
  it('answers 409 AlreadyExists to a second create and 409 Conflict to an update with a stale resourceVersion', async () => {
    const reg = newRegistry();
    const first = await reg.create<ConfigMap>(configmaps, 'default', { metadata: { name: 'settings' }, data: { a: '1' } } as ConfigMap);
    expect(first.metadata.resourceVersion).toMatch(/^\d+$/);

    const dup = await refusal(reg.create(configmaps, 'default', { metadata: { name: 'settings' } } as ConfigMap));
    expect(dup.code).toBe(409);
    expect(dup.toStatus()).toMatchObject({ reason: 'AlreadyExists', message: 'configmaps "settings" already exists', details: { name: 'settings', kind: 'configmaps' } });

    const updated = await reg.update<ConfigMap>(configmaps, 'default', 'settings', { ...first, data: { a: '2' } });
    expect(Number(updated.obj.metadata.resourceVersion)).toBeGreaterThan(Number(first.metadata.resourceVersion));

    const before = await snapshot();
    const stale = await refusal(reg.update<ConfigMap>(configmaps, 'default', 'settings', { ...first, data: { a: '3' } }));
    expect(stale.code).toBe(409);
    expect(stale.toStatus()).toMatchObject({ reason: 'Conflict', message: `Operation cannot be fulfilled on configmaps "settings": ${STALE}` });
    const stalePatch = await refusal(
      reg.patch(configmaps, 'default', 'settings', 'merge', { metadata: { resourceVersion: first.metadata.resourceVersion }, data: { a: '4' } }, { fieldValidation: 'Strict' }),
    );
    expect(stalePatch.code).toBe(409);
    expect(await snapshot()).toEqual(before);
    expect((await reg.get<ConfigMap>(configmaps, 'default', 'settings')).data).toEqual({ a: '2' });
  });

  it('guaranteedUpdate reads again and retries when a concurrent write wins the compare-and-swap', async () => {
    const reg = newRegistry();
    const other = newRegistry();
    await reg.create<ConfigMap>(configmaps, 'default', { metadata: { name: 'counter' }, data: { n: '0' } } as ConfigMap);
    const seen: string[] = [];
    const result = await reg.guaranteedUpdate<ConfigMap, string>(configmaps, 'default', 'counter', async (current) => {
      const obj = structuredClone(current!.obj);
      seen.push(obj.data!.n!);
      if (seen.length === 1) {
        // Another writer changes the object between this attempt's read and its write.
        await other.update<ConfigMap>(configmaps, 'default', 'counter', { ...obj, data: { n: '10' } });
      }
      obj.data = { n: String(Number(obj.data!.n) + 1) };
      delete obj.metadata.resourceVersion;
      return { write: 'put', obj, result: (stored) => stored.data!.n! };
    });
    expect(seen).toEqual(['0', '10']);
    expect(result).toBe('11');
    expect((await reg.get<ConfigMap>(configmaps, 'default', 'counter')).data).toEqual({ n: '11' });
  });

  it('retries an unconditional update, a patch and a status update that lose to a concurrent write, but not a conditional one', async () => {
    const other = newRegistry();
    const { registry: reg, interfereOnce, writes } = interferingRegistry();
    await other.create<Pod>(pods, 'default', pod('web'));
    const label = (value: string) => () => other.patch(pods, 'default', 'web', 'merge', { metadata: { labels: { other: value } } }, { fieldValidation: 'Strict' });

    const read = await reg.get<Pod>(pods, 'default', 'web');
    const { resourceVersion: _rv, ...meta } = read.metadata;
    interfereOnce(label('1'));
    const updated = await reg.update<Pod>(pods, 'default', 'web', { ...read, metadata: { ...meta, annotations: { by: 'update' } } });
    expect(writes()).toBe(2);
    // Unconditional: the retry writes the object as sent over the concurrent write (last writer wins).
    expect(updated.obj.metadata.annotations).toEqual({ by: 'update' });
    expect(updated.obj.metadata.labels).toBeUndefined();

    interfereOnce(label('2'));
    const patched = await reg.patch<Pod>(pods, 'default', 'web', 'merge', { metadata: { annotations: { by: 'patch' } } }, { fieldValidation: 'Strict' });
    expect(writes()).toBe(4);
    // A patch applies again to the object read on the retry: the concurrent label stays.
    expect(patched.obj.metadata.labels).toEqual({ other: '2' });
    expect(patched.obj.metadata.annotations).toEqual({ by: 'patch' });

    interfereOnce(label('3'));
    const status = await reg.update<Pod>(pods, 'default', 'web', { ...read, metadata: meta, status: { phase: 'Running' } }, { subresource: 'status' });
    expect(writes()).toBe(6);
    expect(status.obj.status?.phase).toBe('Running');
    // The status subresource changes status only: metadata is the stored one but labels and annotations sent.
    expect(status.obj.metadata.annotations).toBeUndefined();

    const current = await reg.get<Pod>(pods, 'default', 'web');
    interfereOnce(label('4'));
    const stale = await refusal(reg.update<Pod>(pods, 'default', 'web', { ...current, metadata: { ...current.metadata, annotations: { by: 'conditional' } } }));
    expect(stale.code).toBe(409);
    expect(stale.message).toBe(`Operation cannot be fulfilled on pods "web": ${STALE}`);
    const after = await reg.get<Pod>(pods, 'default', 'web');
    expect(after.metadata.labels).toEqual({ other: '4' });
    expect(after.metadata.annotations).toBeUndefined();
  });

  it('holds a deleted namespace in Terminating until its finalizers are removed, and refuses new content meanwhile', async () => {
    const reg = newRegistry();
    const created = await reg.create<Namespace>(namespaces, undefined, { metadata: { name: 'team' } } as Namespace);
    expect(created.spec?.finalizers).toEqual(['kubernetes']);
    expect(created.status?.phase).toBe('Active');

    const deleting = await reg.delete<Namespace>(namespaces, undefined, 'team');
    expect(deleting.deleted).toBe(false);
    expect(deleting.obj.status?.phase).toBe('Terminating');
    expect(deleting.obj.metadata.deletionTimestamp).toBe('2026-03-01T10:00:00Z');
    expect(deleting.obj.metadata.deletionGracePeriodSeconds).toBe(0);

    // A second delete of a terminating namespace changes nothing.
    const before = await snapshot();
    expect((await reg.delete<Namespace>(namespaces, undefined, 'team')).deleted).toBe(false);
    const refused = await refusal(reg.create(configmaps, 'team', { metadata: { name: 'late' } } as ConfigMap));
    expect(refused.code).toBe(403);
    expect(refused.message).toBe('configmaps "late" is forbidden: unable to create new content in namespace team because it is being terminated');
    expect(await snapshot()).toEqual(before);

    // The namespace controller's finalize (spec.finalizers emptied) removes it.
    const ns = await reg.get<Namespace>(namespaces, undefined, 'team');
    await reg.update<Namespace>(namespaces, undefined, 'team', { ...ns, spec: { finalizers: [] } }, { subresource: 'finalize' });
    expect(await reg.tryGet(namespaces, undefined, 'team')).toBeUndefined();
  });

  it('refuses to delete the namespaces every cluster keeps', async () => {
    const reg = newRegistry();
    const before = await snapshot();
    const err = await refusal(reg.delete(namespaces, undefined, 'default'));
    expect(err.code).toBe(403);
    expect(err.message).toBe('namespaces "default" is forbidden: this namespace may not be deleted');
    expect(await snapshot()).toEqual(before);
  });

  it('deletes a pod on a node gracefully and a pod that never reached a node at once', async () => {
    const reg = newRegistry();
    await reg.create<Pod>(pods, 'default', pod('pending'));
    expect((await reg.delete<Pod>(pods, 'default', 'pending')).deleted).toBe(true);
    expect(await reg.tryGet(pods, 'default', 'pending')).toBeUndefined();

    await reg.create<Pod>(pods, 'default', pod('running'));
    await bindPod(reg, 'default', 'running', 'aks-nodepool1-0');
    const graceful = await reg.delete<Pod>(pods, 'default', 'running');
    expect(graceful.deleted).toBe(false);
    expect(graceful.obj.metadata.deletionTimestamp).toBe('2026-03-01T10:00:30Z');
    expect(graceful.obj.metadata.deletionGracePeriodSeconds).toBe(30);

    // A longer grace period than the one running changes nothing; a shorter one shortens it.
    const before = await snapshot();
    expect((await reg.delete<Pod>(pods, 'default', 'running', { gracePeriodSeconds: 60 })).obj.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(await snapshot()).toEqual(before);
    expect((await reg.delete<Pod>(pods, 'default', 'running', { gracePeriodSeconds: 5 })).obj.metadata.deletionGracePeriodSeconds).toBe(5);

    // What its kubelet does once the containers have stopped.
    expect((await reg.delete<Pod>(pods, 'default', 'running', { gracePeriodSeconds: 0 })).deleted).toBe(true);
    expect(await reg.tryGet(pods, 'default', 'running')).toBeUndefined();
  });

  it('refuses a binding of a pod already on a node and a forbidden pod update without writing anything', async () => {
    const reg = newRegistry();
    await reg.create<Pod>(pods, 'default', pod('web'));
    await bindPod(reg, 'default', 'web', 'aks-nodepool1-0');
    const before = await snapshot();

    const bound = await refusal(bindPod(reg, 'default', 'web', 'aks-nodepool1-1'));
    expect(bound.code).toBe(409);
    expect(bound.message).toBe('Operation cannot be fulfilled on pods "web": pod web is already assigned to node "aks-nodepool1-0"');

    const current = await reg.get<Pod>(pods, 'default', 'web');
    const changed = structuredClone(current);
    changed.spec!.restartPolicy = 'Never';
    const invalid = await refusal(reg.update<Pod>(pods, 'default', 'web', changed));
    expect(invalid.code).toBe(422);
    expect(invalid.toStatus()).toMatchObject({ reason: 'Invalid', details: { name: 'web', kind: 'Pod', causes: [{ field: 'spec' }] } });

    const precondition = await refusal(reg.delete(pods, 'default', 'web', { preconditions: { uid: 'not-the-uid' } }));
    expect(precondition.code).toBe(409);
    expect(precondition.message).toBe(`Operation cannot be fulfilled on pods "web": Precondition failed: UID in precondition: not-the-uid, UID in object meta: ${current.metadata.uid}`);

    const dryRun = await reg.delete<Pod>(pods, 'default', 'web', { dryRun: true });
    expect(dryRun.obj.metadata.deletionTimestamp).toBeDefined();
    expect(await snapshot()).toEqual(before);
  });

  it('watches a collection through its selector: an object that starts matching is ADDED, one that stops is DELETED', async () => {
    const reg = newRegistry();
    await reg.create<ConfigMap>(configmaps, 'default', { metadata: { name: 'a', labels: { tier: 'web' } } } as ConfigMap);
    await reg.create<ConfigMap>(configmaps, 'default', { metadata: { name: 'b' } } as ConfigMap);
    const watch = await openWatch(reg, configmaps, 'default', { resourceVersion: undefined, sendInitialEvents: undefined, labelSelector: parseLabelSelector('tier=web'), fieldSelector: [] });
    expect(watch.initial.map((o) => o.metadata.name)).toEqual(['a']);
    const seen: Array<[number, ObjectEvent | undefined]> = [];
    await watch.follow({ onChange: (rv, e) => seen.push([rv, e]), onError: (err) => { throw err; } });
    try {
      await reg.patch(configmaps, 'default', 'b', 'merge', { metadata: { labels: { tier: 'web' } } }, { fieldValidation: 'Strict' });
      await reg.patch(configmaps, 'default', 'a', 'merge', { metadata: { labels: { tier: null } } }, { fieldValidation: 'Strict' });
      await reg.patch(configmaps, 'default', 'a', 'merge', { data: { k: 'v' } }, { fieldValidation: 'Strict' });
      await reg.delete(configmaps, 'default', 'b');
      await expect.poll(async () => { await watch.idle(); return seen.length; }).toBe(4);
    } finally {
      watch.cancel();
    }
    expect(seen.map(([, e]) => e && `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED b', 'DELETED a', undefined, 'DELETED b']);
    expect(seen.map(([rv]) => rv)).toEqual([...seen.map(([rv]) => rv)].sort((x, y) => x - y));
  });
});
