/**
 * SPEC R-2 with KMS (K-2, A-3): `aksemu start` on its SQLite store is killed with SIGKILL while eight clients
 * create, replace and delete secrets of a KMS v2 cluster as fast as it answers. After the kill, the raw store holds
 * every acknowledged write as kube-apiserver's KMS v2 envelope under the cluster's key (decrypted here with the
 * test's own copy of the private key); after a restart on the same data directory the API (through the KMS plugin
 * and Key Vault) and the real kubectl read exactly those values. A write the kill cut off may or may not be there;
 * an acknowledged one is never missing and never older.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { paths } from '../../src/config/data-dir.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { spawnEmulator, type SpawnedEmulator } from '../../testkit/emulator.js';
import { kubectl } from '../../testkit/kube/kube-env.js';
import { describeWith } from '../../testkit/optional.js';
import { decryptSecret, kidHash, rawSecret } from '../kms/at-rest.js';
import { kmsFixture, kubeEndpoint, kubectlFor, type KmsFixture } from './kms-cluster.js';
import { call, count, keepAliveAgent, newTally, NoAnswer, outcomeOf, printFigures } from './traffic.js';

const WRITERS = 8;
const NAMES_PER_WRITER = 6;
/** Acknowledged writes before the kill: a few hundred. */
const KILL_AFTER = 400;
const DEADLINE_MS = 20_000;

/** One secret's history as its only writer made it: each attempted state in order (null: deleted). */
interface History {
  name: string;
  states: Array<string | null>;
  /** Index in `states` of the last acknowledged write (-1: never acknowledged: absent). */
  acked: number;
}

/** The states a read may show after the kill: the last acknowledged one, or one attempted after it. */
function allowed(h: History): Array<string | null> {
  return h.acked < 0 ? [null, ...h.states] : h.states.slice(h.acked);
}

describeWith(['kubectl'], 'SIGKILL of aksemu start under secret writes to a KMS v2 cluster (SQLite)', () => {
  let emu: SpawnedEmulator;
  let f: KmsFixture;
  const agent = keepAliveAgent(WRITERS * 2);

  beforeAll(async () => {
    emu = await spawnEmulator();
    f = await kmsFixture(emu, 'faults-kms', 'kv-faults-kms', 'crash-aks');
  }, 90_000);
  afterAll(async () => {
    agent.destroy();
    await emu?.stop();
  });

  it('keeps every acknowledged secret write, encrypted under the key and readable after the restart', async () => {
    const { base, token } = await kubeEndpoint(emu, f);
    const tally = newTally();
    const histories: History[] = [];
    const ops = { create: 0, replace: 0, delete: 0 };
    let killed = false;
    const secretUrl = (name?: string) => `${base}/api/v1/namespaces/default/secrets${name ? `/${name}` : ''}`;
    const doc = (name: string, value: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default' }, data: { v: Buffer.from(value).toString('base64') } });
    const send = (method: string, url: string, body?: unknown) => call(url, { method, body, agent, timeoutMs: DEADLINE_MS, headers: { authorization: `Bearer ${token}` } });

    const writer = async (w: number) => {
      const mine = Array.from({ length: NAMES_PER_WRITER }, (_, j): History => ({ name: `w${w}-s${j}`, states: [], acked: -1 }));
      histories.push(...mine);
      for (let i = 0; !killed; i++) {
        const h = mine[i % NAMES_PER_WRITER]!;
        const current = h.acked < 0 ? null : h.states[h.acked]!;
        // Create when absent; otherwise mostly replace, sometimes delete.
        const op = current === null ? 'create' : i % 7 === 3 ? 'delete' : 'replace';
        const value = op === 'delete' ? null : `${h.name}#${i}:${randomBytes(6).toString('hex')}`;
        h.states.push(value);
        const outcome = await outcomeOf(() =>
          op === 'create' ? send('POST', secretUrl(), doc(h.name, value!)) : op === 'replace' ? send('PUT', secretUrl(h.name), doc(h.name, value!)) : send('DELETE', secretUrl(h.name)),
        );
        if (outcome instanceof NoAnswer && killed) return; // cut off by the kill: not acknowledged
        if (count(tally, 'kube', `${op} ${h.name}`, outcome)) {
          h.acked = h.states.length - 1;
          ops[op]++;
        } else return; // anything but a success before the kill is a failure the assertions report
      }
    };
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
    while (tally.acknowledged < KILL_AFTER && tally.unexpected.length === 0 && tally.deadlines + tally.transport === 0) await new Promise((r) => setTimeout(r, 2));
    const killedAt = Date.now();
    killed = true;
    await emu.kill();
    await Promise.all(writers);
    expect(tally.unexpected).toEqual([]);
    expect(tally.deadlines).toBe(0);

    // What the kill left at rest: every present secret is a KMS v2 envelope under the key; its value is allowed.
    const { dataDir } = emu;
    const atRest = new Map<string, string | null>();
    const notKms: string[] = [];
    const store = new SqliteStore(paths.sqlite(dataDir), { readonly: true });
    try {
      for (const h of histories) {
        const present = await store.get(`/clusters/${f.uid}/registry/secrets/default/${h.name}`);
        if (!present) {
          atRest.set(h.name, null);
          continue;
        }
        const raw = await rawSecret(store, f.uid, 'default', h.name);
        if (raw.format !== 'kms-v2' || raw.keyId !== kidHash(f.key.kid)) notKms.push(`${h.name}: ${raw.format} ${raw.keyId}`);
        atRest.set(h.name, Buffer.from(decryptSecret(raw, `/registry/secrets/default/${h.name}`, f.key.privateKey).data.v, 'base64').toString());
      }
    } finally {
      await store.close();
    }
    const lostAtRest = histories.filter((h) => !allowed(h).includes(atRest.get(h.name)!)).map((h) => `${h.name}: at rest ${atRest.get(h.name)}, allowed ${JSON.stringify(allowed(h))}`);

    // Restart on the same data directory: the API decrypts through the KMS plugin and Key Vault.
    emu = await spawnEmulator({ dataDir });
    const readyAt = Date.now();
    const again = await kubeEndpoint(emu, f);
    const throughApi = new Map<string, string | null>();
    let firstReadAt = 0;
    for (const h of histories) {
      const got = await call(`${again.base}/api/v1/namespaces/default/secrets/${h.name}`, { agent, timeoutMs: DEADLINE_MS, headers: { authorization: `Bearer ${again.token}` } });
      firstReadAt ||= Date.now();
      expect([200, 404], got.text).toContain(got.status);
      throughApi.set(h.name, got.status === 404 ? null : Buffer.from(got.json().data.v, 'base64').toString());
    }
    const mismatched = histories.filter((h) => throughApi.get(h.name) !== atRest.get(h.name)).map((h) => `${h.name}: API ${throughApi.get(h.name)}, at rest ${atRest.get(h.name)}`);

    // The real kubectl lists them all, every one readable, the same values.
    const listed = await kubectl(await kubectlFor(emu, f), ['get', 'secrets', '-o', 'json']);
    expect(listed.code, listed.stderr).toBe(0);
    const byKubectl = new Map((listed.json().items as Array<{ metadata: { name: string }; data: { v: string } }>).map((s) => [s.metadata.name, Buffer.from(s.data.v, 'base64').toString()]));
    const kubectlMismatch = histories.filter((h) => (byKubectl.get(h.name) ?? null) !== throughApi.get(h.name)).map((h) => h.name);

    const inFlight = histories.filter((h) => h.states.length - 1 > h.acked).length;
    printFigures('kms-secrets-crash', {
      store: 'sqlite',
      writers: WRITERS,
      acknowledged: tally.acknowledged,
      acknowledgedByOp: ops,
      cutOffByKill: inFlight,
      cutOffApplied: histories.filter((h) => h.states.length - 1 > h.acked && atRest.get(h.name) !== (h.acked < 0 ? null : h.states[h.acked])).length,
      other5xx: tally.unexpected.filter((u) => / 5\d\d /.test(u)).length,
      notKmsAtRest: notKms.length,
      lost: lostAtRest.length,
      apiMismatch: mismatched.length,
      secondsKillToReady: Math.round((readyAt - killedAt) / 100) / 10,
      secondsKillToFirstRead: Math.round((firstReadAt - killedAt) / 100) / 10,
    });

    expect(tally.acknowledged).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(ops.delete).toBeGreaterThan(0);
    expect(notKms).toEqual([]);
    expect(lostAtRest).toEqual([]);
    expect(mismatched).toEqual([]);
    expect(kubectlMismatch).toEqual([]);
  }, 120_000);
});
