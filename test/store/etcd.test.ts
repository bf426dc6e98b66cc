import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdStore } from '../../src/store/etcd-store.js';
import { openStore, describeStoreSpec } from '../../src/store/open-store.js';
import { StoreUnavailableError } from '../../src/store/store.js';
import { EtcdCluster, freePorts } from '../../testkit/etcd.js';
import { describeWith } from '../../testkit/optional.js';
import { storeConformance } from './conformance.js';

describeWith(['etcd'], 'EtcdStore against Debian etcd', () => {
  let cluster: EtcdCluster;
  let n = 0;
  beforeAll(async () => {
    cluster = await EtcdCluster.start({ members: 1 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  // Every test gets its own key prefix on the one etcd.
  storeConformance('etcd', async () => new EtcdStore(cluster.endpoints, `/conformance-${process.pid}-${++n}`));

  describe('EtcdStore specifics', () => {
    it('keeps stores with different key prefixes apart on one etcd', async () => {
      const a = new EtcdStore(cluster.endpoints, '/tenant-a');
      const b = new EtcdStore(cluster.endpoints, '/tenant-ab');
      try {
        await a.put('/k', Buffer.from('a'));
        await b.put('/k', Buffer.from('b'));
        await b.put('/k2', Buffer.from('b'));
        expect((await a.get('/k'))?.value.toString()).toBe('a');
        expect((await a.range('')).items.map((kv) => kv.key)).toEqual(['/k']);
        expect(await a.count('')).toBe(1);
        expect(await b.count('')).toBe(2);
        // With a key prefix every key starts with "/", so no key of a can fall under b's longer prefix.
        await expect(a.put('k', Buffer.from('x'))).rejects.toThrow(/must start with "\/"/);
        expect(await a.count('x')).toBe(0);
        await a.txn({ then: [{ type: 'deletePrefix', prefix: '' }] });
        expect(await a.count('')).toBe(0);
        expect(await b.count('')).toBe(2);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('opens through openStore with an etcd:// spec and a key prefix', async () => {
      const spec = `etcd://${cluster.endpoints.join(',')}/opened`;
      expect(describeStoreSpec(spec, '/unused')).toBe(`etcd://${cluster.endpoints[0]}/opened`);
      const store = await openStore(spec, '/unused');
      try {
        expect(store.description).toBe(`etcd://${cluster.endpoints[0]}/opened`);
        await store.put('/x', Buffer.from('1'));
        const raw = new EtcdStore(cluster.endpoints);
        try {
          expect((await raw.get('/opened/x'))?.value.toString()).toBe('1');
        } finally {
          await raw.close();
        }
      } finally {
        await store.close();
      }
    });

    it('fails with StoreUnavailableError when no member can be reached', async () => {
      const [port] = await freePorts(1);
      const store = new EtcdStore([`127.0.0.1:${port}`], '', { retryTimeoutMs: 500, callTimeoutMs: 500 });
      try {
        const started = Date.now();
        await expect(store.get('/x')).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.put('/x', Buffer.from('1'))).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.watch('/x', {}, () => undefined)).rejects.toBeInstanceOf(StoreUnavailableError);
        expect(Date.now() - started).toBeLessThan(10_000);
      } finally {
        await store.close();
      }
      await expect(
        openStore(`etcd://127.0.0.1:${port}`, '/unused', { etcd: { retryTimeoutMs: 500, callTimeoutMs: 500 } }),
      ).rejects.toBeInstanceOf(StoreUnavailableError);
    });

    it('knows within a second that etcd is gone: calls fail promptly, not after the retry budget, and recover by themselves', async () => {
      // A cluster of its own: this test stops it.
      const solo = await EtcdCluster.start({ members: 1 });
      const store = new EtcdStore(solo.endpoints, '/outage'); // the default 10 s retry budget
      try {
        await store.put('/a', Buffer.from('1'));
        await solo.kill(0, 'SIGKILL');
        const started = Date.now();
        await expect(store.get('/a')).rejects.toBeInstanceOf(StoreUnavailableError);
        const readFailedAfter = Date.now() - started;
        await expect(store.put('/b', Buffer.from('2'))).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.watch('/w/', {}, () => undefined)).rejects.toBeInstanceOf(StoreUnavailableError);
        expect(readFailedAfter).toBeLessThan(1_500);
        expect(Date.now() - started).toBeLessThan(2_500);
        await solo.restart(0);
        // The first call after the restart goes through: a call made while the store is known down checks again.
        await store.put('/b', Buffer.from('2'));
        expect((await store.get('/a'))?.value.toString()).toBe('1');
      } finally {
        await store.close();
        await solo.stop();
      }
    });

    it('keeps a watch going across a restart of etcd, without losing or repeating events', async () => {
      const store = new EtcdStore(cluster.endpoints, `/restart-${process.pid}`);
      const seen: number[] = [];
      const errors: Error[] = [];
      const w = await store.watch('/w/', {}, (events) => seen.push(...events.map((e) => e.kv.modRevision)), (e) => errors.push(e));
      try {
        const revs: number[] = [];
        for (let i = 0; i < 5; i++) revs.push((await store.put(`/w/${i}`, Buffer.from(String(i)))).revision);
        await cluster.kill(0, 'SIGKILL');
        await cluster.restart(0);
        // A write racing the store's own discovery of the outage is answered "may or may not have been applied";
        // a client waits until the store answers again, as this one does.
        const back = Date.now() + 15_000;
        for (;;) {
          try {
            await store.get('/w/0');
            break;
          } catch (err) {
            if (Date.now() > back) throw err;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        for (let i = 5; i < 10; i++) revs.push((await store.put(`/w/${i}`, Buffer.from(String(i)))).revision);
        const deadline = Date.now() + 15_000;
        while (seen.length < revs.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        expect(errors).toEqual([]);
        expect(seen).toEqual(revs);
      } finally {
        w.cancel();
        await store.close();
      }
    });
  });
});
