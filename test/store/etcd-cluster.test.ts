/**
 * A 3-member etcd cluster on loopback loses members in the middle of a burst of writes through one EtcdStore that
 * knows all three endpoints: first the leader is SIGKILLed, later (after it has rejoined) a follower. Every write
 * the store acknowledged must afterwards be readable, with its value and revision, through the surviving members;
 * every write that was not acknowledged must have failed with StoreUnavailableError (never hang, never vanish).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EtcdStore } from '../../src/store/etcd-store.js';
import { StoreUnavailableError } from '../../src/store/store.js';
import { EtcdCluster } from '../../testkit/etcd.js';
import { describeWith } from '../../testkit/optional.js';

interface Ack {
  value: string;
  revision: number;
}

const WORKERS = 6;
const PER_PHASE = 250;
const WATCHERS = 4;

describeWith(['etcd'], 'etcd 3-member cluster losing members mid-burst', () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await EtcdCluster.start({ members: 3 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('loses no acknowledged write when the leader and then a follower are SIGKILLed', async () => {
    const store = new EtcdStore(cluster.endpoints, '/burst', { callTimeoutMs: 3_000, retryTimeoutMs: 8_000 });
    /** Keys written once (unconditional puts and conditional creates): value and revision as acknowledged. */
    const once = new Map<string, Ack>();
    /** Per worker, a counter updated with compare-and-swap: the last acknowledged value and revision. */
    const counters = new Map<string, Ack>();
    const failures: unknown[] = [];
    const unexpected: string[] = [];
    let acks = 0;
    let stop = false;

    const worker = async (w: number) => {
      const counterKey = `/n/${w}`;
      let counterRev = 0; // what we believe the counter's mod revision is (0: absent)
      let counterValue = 0;
      for (let i = 0; !stop; i++) {
        try {
          switch (i % 3) {
            case 0: {
              const key = `/u/${w}/${i}`;
              const res = await store.put(key, Buffer.from(`u${w}.${i}`));
              once.set(key, { value: `u${w}.${i}`, revision: res.revision });
              break;
            }
            case 1: {
              const key = `/c/${w}/${i}`;
              const res = await store.put(key, Buffer.from(`c${w}.${i}`), { ifModRevision: 0 });
              if (!res.succeeded) unexpected.push(`create of fresh key ${key} failed its condition`);
              else once.set(key, { value: `c${w}.${i}`, revision: res.revision });
              break;
            }
            default: {
              const next = counterValue + 1;
              const res = await store.put(counterKey, Buffer.from(String(next)), { ifModRevision: counterRev });
              if (res.succeeded) {
                counterRev = res.revision;
                counterValue = next;
                counters.set(counterKey, { value: String(next), revision: res.revision });
              } else {
                // Only this worker writes its counter: a conflict means an earlier update whose outcome was
                // unknown did commit. Continue from what is there.
                if (!res.current) throw new Error(`counter ${counterKey} vanished`);
                counterRev = res.current.modRevision;
                counterValue = Number(res.current.value.toString());
              }
            }
          }
          acks++;
        } catch (err) {
          failures.push(err);
          if (i % 3 === 2) {
            // The update may or may not have happened: find out before the next compare-and-swap.
            while (!stop) {
              try {
                const cur = await store.get(counterKey);
                counterRev = cur?.modRevision ?? 0;
                counterValue = cur ? Number(cur.value.toString()) : 0;
                break;
              } catch (readErr) {
                failures.push(readErr);
              }
            }
          }
        }
      }
    };

    const waitAcks = async (n: number, what: string) => {
      const target = acks + n;
      const deadline = Date.now() + 25_000;
      while (acks < target) {
        if (Date.now() > deadline) throw new Error(`only ${acks - (target - n)} of ${n} writes acknowledged ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };

    // Watches through their own clients (each on whichever member the pool picks), following the whole burst:
    // when their member dies they must resume on another one without losing or repeating an event.
    const watchers = await Promise.all(
      Array.from({ length: WATCHERS }, async () => {
        const client = new EtcdStore(cluster.endpoints, '/burst', { retryTimeoutMs: 8_000 });
        const seen: Array<{ key: string; revision: number }> = [];
        const errors: Error[] = [];
        const watch = await client.watch(
          '/',
          { fromRevision: (await client.revision()) + 1 },
          (events) => seen.push(...events.map((e) => ({ key: e.kv.key, revision: e.kv.modRevision }))),
          (err) => errors.push(err),
        );
        return { client, seen, errors, watch };
      }),
    );

    const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
    let victims: number[] = [];
    try {
      await waitAcks(PER_PHASE, 'before any member was killed');

      const leader = await cluster.waitLeader();
      await cluster.kill(leader, 'SIGKILL');
      victims.push(leader);
      const acksAtFirstKill = acks;
      await waitAcks(PER_PHASE, 'after the leader was killed');
      const newLeader = await cluster.waitLeader();
      expect(newLeader).not.toBe(leader);

      await cluster.restart(leader);
      victims = [];
      await waitAcks(PER_PHASE / 2, 'after the old leader rejoined');

      const current = await cluster.waitLeader();
      const follower = [0, 1, 2].find((i) => i !== current)!;
      await cluster.kill(follower, 'SIGKILL');
      victims.push(follower);
      await waitAcks(PER_PHASE, 'after a follower was killed');
      expect(acks).toBeGreaterThan(acksAtFirstKill + PER_PHASE * 2);
    } finally {
      stop = true;
      await Promise.all(workers);
    }
    await store.close();
    const kinds = new Map<string, number>();
    for (const err of failures) {
      const msg = (err instanceof Error ? err.message : String(err)).replace(/127\.0\.0\.1:\d+/g, 'H').replace(/\/[\w/.]+/g, 'K');
      kinds.set(msg.slice(0, 160), (kinds.get(msg.slice(0, 160)) ?? 0) + 1);
    }
    process.stderr.write(
      `etcd cluster burst: ${acks} writes acknowledged, ${failures.length} failed` +
        [...kinds].map(([m, c]) => `\n  ${c} x ${m}`).join('') +
        '\n',
    );

    // Every failure is a StoreUnavailableError: nothing else, and nothing was silently dropped.
    for (const err of failures) expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(unexpected).toEqual([]);
    expect(failures.length).toBeLessThan(acks / 5);

    // Every watch saw every acknowledged write once, in revision order.
    const ender = new EtcdStore(cluster.liveEndpoints, '/burst');
    const end = await ender.put('/end', Buffer.from('end'));
    await ender.close();
    for (const [i, w] of watchers.entries()) {
      const deadline = Date.now() + 20_000;
      while (!w.seen.some((e) => e.key === '/end') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      w.watch.cancel();
      await w.client.close();
      expect(w.errors, `watch ${i}`).toEqual([]);
      expect(w.seen.at(-1), `watch ${i}`).toEqual({ key: '/end', revision: end.revision });
      const pairs = new Set(w.seen.map((e) => `${e.key}@${e.revision}`));
      expect(pairs.size, `watch ${i} repeated events`).toBe(w.seen.length);
      for (let j = 1; j < w.seen.length; j++) expect(w.seen[j]!.revision).toBeGreaterThanOrEqual(w.seen[j - 1]!.revision);
      const missed = [...once].filter(([key, ack]) => !pairs.has(`${key}@${ack.revision}`));
      expect(missed.slice(0, 5), `watch ${i} missed events`).toEqual([]);
    }

    // Read back through the survivors only.
    const survivors = cluster.members.filter((m) => !victims.includes(m.index)).map((m) => m.endpoint);
    expect(survivors).toHaveLength(2);
    const check = new EtcdStore(survivors, '/burst');
    try {
      let lost = 0;
      const wrong: string[] = [];
      const keys = [...once.keys()];
      for (let i = 0; i < keys.length; i += 64) {
        const batch = keys.slice(i, i + 64);
        const got = await Promise.all(batch.map((k) => check.get(k)));
        batch.forEach((key, j) => {
          const kv = got[j];
          const ack = once.get(key)!;
          if (!kv) lost++;
          else if (kv.value.toString() !== ack.value || kv.modRevision !== ack.revision) {
            wrong.push(`${key}: ${kv.value.toString()}@${kv.modRevision}, acknowledged ${ack.value}@${ack.revision}`);
          }
        });
      }
      expect(lost).toBe(0);
      expect(wrong).toEqual([]);
      for (const [key, ack] of counters) {
        const kv = await check.get(key);
        expect(kv, key).toBeDefined();
        // Later updates may have committed without an acknowledgement, never fewer.
        expect(Number(kv!.value.toString())).toBeGreaterThanOrEqual(Number(ack.value));
        expect(kv!.modRevision).toBeGreaterThanOrEqual(ack.revision);
      }
      // Listing agrees with point reads: every acknowledged key is in the range, in order.
      const listed = new Set<string>();
      let after: string | undefined;
      for (;;) {
        const page = await check.range('/', { limit: 500, keysOnly: true, ...(after ? { after } : {}) });
        for (const kv of page.items) listed.add(kv.key);
        if (!page.more) break;
        after = page.items[page.items.length - 1]!.key;
      }
      for (const key of once.keys()) expect(listed.has(key), key).toBe(true);
    } finally {
      await check.close();
    }
  }, 90_000);
});
