/**
 * SPEC: etcd killed (SIGKILL) under concurrent traffic of ARM, a cluster's Kubernetes API (writes, lists and
 * watches) and Key Vault, kept down 12 s and started again, with the emulator left running throughout. While the
 * store is down every answer is a success or that service's own 503 with Retry-After (ARM ServiceUnavailable, a
 * Kubernetes Status — also as a watch's ERROR event —, Key Vault's error JSON) that does not name the store's
 * address: never a 500, never a hang past the client's deadline, never the end of the process. Afterwards the
 * traffic succeeds again by itself, a watch opened before the outage catches up, the cluster's controllers run a new
 * pod, and every acknowledged write reads back with its latest acknowledged value (a write answered 503 may or may
 * not have been applied, so a later value is allowed, an earlier one is a lost write).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmulatorOnEtcd, type EtcdEmulator } from '../../testkit/etcd-emulator.js';
import { getToken } from '../../testkit/http.js';
import { createArmCluster } from '../../testkit/kube/arm-cluster.js';
import { kubeApi, openWatch, waitFor, type KubeApiClient } from '../../testkit/kube/kube-env.js';
import { describeWith } from '../../testkit/optional.js';
import { call, count, isUnavailableStatus, keepAliveAgent, newTally, NoAnswer, outcomeOf, printFigures, sleep, type Answer, type Service, type Tally } from './traffic.js';

/** The clients' deadline: above the store's own retry window (10 s), so a slow 503 is not counted as a hang. */
const DEADLINE_MS = 20_000;
/** Longer than the store's retry window, so that requests waiting for etcd give up and every service answers 503s. */
const OUTAGE_MS = 12_000;
const WRITERS = 2;

interface Series {
  service: Service;
  name: string;
  attempted: number;
  acked: number;
  /** The value a read shows now, as a sequence number (undefined: absent or unreadable). */
  read(): Promise<number | undefined>;
}

describeWith(['etcd'], 'etcd killed and restarted under traffic, through the emulator', () => {
  let running: EtcdEmulator | undefined;
  let emu: EtcdEmulator['emu'];
  let etcd: EtcdEmulator['etcd'];
  let armToken: string;
  let vaultToken: string;
  let kubeClient: KubeApiClient;
  const agent = keepAliveAgent(32);
  const sub = () => emu.env.AZURE_SUBSCRIPTION_ID!;
  const arm = (method: string, path: string, body?: unknown) =>
    call(`${emu.url}${path}`, { method, body, agent, timeoutMs: DEADLINE_MS, headers: { authorization: `Bearer ${armToken}` } });
  const kube = (method: string, path: string, body?: unknown) =>
    call(`${kubeClient.base}${path}`, { method, body, agent, timeoutMs: DEADLINE_MS, headers: { authorization: `Bearer ${kubeClient.token}` } });
  const vault = (method: string, path: string, body?: unknown) =>
    call(`${emu.url}/_vault/kv-outage${path}${path.includes('?') ? '&' : '?'}api-version=7.4`, { method, body, agent, timeoutMs: DEADLINE_MS, headers: { authorization: `Bearer ${vaultToken}` } });
  const groupPath = (name: string) => `/subscriptions/${sub()}/resourcegroups/${name}?api-version=2021-04-01`;

  beforeAll(async () => {
    running = await startEmulatorOnEtcd('/aksemu-faults-outage');
    ({ emu, etcd } = running);
    armToken = await getToken(emu.url, emu.env);
    vaultToken = await getToken(emu.url, emu.env, 'https://vault.azure.net/.default');
    const cluster = await createArmCluster(emu, { name: 'outage-aks', resourceGroup: 'outage', pools: [{ name: 'nodepool1', count: 1 }] });
    kubeClient = await kubeApi(emu, cluster);
    const oid = JSON.parse(Buffer.from(armToken.split('.')[1]!, 'base64url').toString()).oid as string;
    const tenantId = emu.env.AZURE_TENANT_ID!;
    const v = await arm('PUT', `/subscriptions/${sub()}/resourceGroups/outage/providers/Microsoft.KeyVault/vaults/kv-outage?api-version=2022-07-01`, {
      location: 'eastus',
      properties: { tenantId, sku: { family: 'A', name: 'standard' }, accessPolicies: [{ tenantId, objectId: oid, permissions: { keys: ['all'] } }] },
    });
    expect(v.status, v.text).toBeLessThan(300);
  }, 90_000);
  afterAll(async () => {
    agent.destroy();
    await running?.close();
  });

  it('answers 503s in each service’s format while etcd is down, recovers by itself, and loses no acknowledged write', async () => {
    const tallies: Record<Service, Tally> = { arm: newTally(), kube: newTally(), keyvault: newTally() };
    const series: Series[] = [];
    const keyVersions: Array<{ name: string; version: string }> = [];
    const ciphertexts: Array<{ kid: string; plaintext: string; ciphertext: string }> = [];
    const firstUnavailable: Partial<Record<Service, number>> = {};
    const firstSuccessAfter: Partial<Record<Service, number>> = {};
    let killedAt = 0;
    let restartCalledAt = 0;
    let stop = false;

    let slowestMs = 0;
    /** Every 503 body and watch ERROR event, to check that none names the store's address. */
    const unavailableBodies: string[] = [];
    /** Makes a call, counts its outcome and keeps the times the fault figures need. */
    const record = async (service: Service, what: string, fn: () => Promise<Answer>) => {
      const started = Date.now();
      const outcome = await outcomeOf(fn);
      const ok = count(tallies[service], service, what, outcome);
      const now = Date.now();
      slowestMs = Math.max(slowestMs, now - started);
      if (!ok && 'status' in outcome && outcome.status === 503) {
        unavailableBodies.push(outcome.text);
        if (killedAt && firstUnavailable[service] === undefined) firstUnavailable[service] = now;
      }
      if (ok && restartCalledAt && firstSuccessAfter[service] === undefined) firstSuccessAfter[service] = now;
      return ok;
    };
    /** A client pause after a refusal (shorter than Retry-After, to see the recovery as it happens). */
    const backOff = () => sleep(100);

    // Series: resource group tags (ARM), configmaps and secrets (Kubernetes); one writer each, sequence numbers up.
    const seqOf = (s: unknown) => (typeof s === 'string' && /^\d+$/.test(s) ? Number(s) : undefined);
    for (let w = 0; w < WRITERS; w++) {
      const rg = `outage-tags-${w}`;
      expect((await arm('PUT', groupPath(rg), { location: 'eastus', tags: { seq: '0' } })).status).toBe(201);
      series.push({ service: 'arm', name: rg, attempted: 0, acked: 0, read: async () => seqOf((await arm('GET', groupPath(rg))).json().tags?.seq) });
      for (const kind of ['configmaps', 'secrets'] as const) {
        const name = `${kind === 'configmaps' ? 'cm' : 'sec'}-${w}`;
        const doc = (seq: number) => ({
          apiVersion: 'v1',
          kind: kind === 'configmaps' ? 'ConfigMap' : 'Secret',
          metadata: { name, namespace: 'default' },
          data: { seq: kind === 'configmaps' ? String(seq) : Buffer.from(String(seq)).toString('base64') },
        });
        expect((await kube('POST', `/api/v1/namespaces/default/${kind}`, doc(0))).status).toBe(201);
        series.push({
          service: 'kube',
          name: `${kind}/${name}`,
          attempted: 0,
          acked: 0,
          read: async () => {
            const got = await kube('GET', `/api/v1/namespaces/default/${kind}/${name}`);
            if (got.status !== 200) return undefined;
            const v = got.json().data?.seq;
            return seqOf(kind === 'configmaps' ? v : Buffer.from(String(v), 'base64').toString());
          },
        });
      }
    }
    const put = (s: Series, seq: number) => {
      if (s.service === 'arm') return arm('PUT', groupPath(s.name), { location: 'eastus', tags: { seq: String(seq) } });
      const [kind, name] = s.name.split('/') as ['configmaps' | 'secrets', string];
      const data = { seq: kind === 'configmaps' ? String(seq) : Buffer.from(String(seq)).toString('base64') };
      return kube('PUT', `/api/v1/namespaces/default/${kind}/${name}`, { apiVersion: 'v1', kind: kind === 'configmaps' ? 'ConfigMap' : 'Secret', metadata: { name, namespace: 'default' }, data });
    };
    const seriesWriter = async (s: Series) => {
      while (!stop) {
        const seq = ++s.attempted;
        if (await record(s.service, `PUT ${s.name}`, () => put(s, seq))) s.acked = seq;
        else await backOff();
      }
    };
    // Key Vault: new key versions, and encryptions with the version just made.
    const vaultWriter = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const created = await record('keyvault', `create k-${w}`, () => vault('POST', `/keys/k-${w}/create`, { kty: 'RSA', key_size: 2048 }));
        if (!created) {
          await backOff();
          continue;
        }
        const kid: string = created.json().key.kid;
        keyVersions.push({ name: `k-${w}`, version: kid.split('/').pop()! });
        const plaintext = `writer ${w} value ${i}`;
        const enc = await record('keyvault', `encrypt k-${w}`, () => vault('POST', `/keys/k-${w}/${kid.split('/').pop()}/encrypt`, { alg: 'RSA-OAEP-256', value: Buffer.from(plaintext).toString('base64url') }));
        if (enc) ciphertexts.push({ kid, plaintext, ciphertext: enc.json().value });
        else await backOff();
      }
    };

    // Readers beside the writers: a list per service, counted apart (they acknowledge nothing).
    const reads: Record<Service, Tally> = { arm: newTally(), kube: newTally(), keyvault: newTally() };
    const reader = async (service: Service, what: string, fn: () => Promise<Answer>) => {
      while (!stop) {
        const ok = count(reads[service], service, what, await outcomeOf(fn));
        await sleep(ok ? 20 : 100);
      }
    };
    // Watches of one second each from a fixed resourceVersion: each ends normally, or with an ERROR event that is the
    // same 503 Status when the store does not answer.
    const watches = newTally();
    const watchFrom = (await kube('GET', '/api/v1/namespaces/default/configmaps')).json().metadata.resourceVersion as string;
    const watcher = async () => {
      while (!stop) {
        const o = await outcomeOf(() => kube('GET', `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${watchFrom}&timeoutSeconds=1`));
        if (o instanceof NoAnswer || o.status !== 200) {
          if (!count(watches, 'kube', 'watch', o)) await backOff();
          continue;
        }
        const errors = o.text.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.type === 'ERROR');
        if (errors.length === 0) watches.acknowledged++;
        else if (errors.every((e) => isUnavailableStatus(e.object))) {
          watches.unavailable++;
          unavailableBodies.push(JSON.stringify(errors));
          await backOff();
        } else watches.unexpected.push(`kube watch: ${JSON.stringify(errors).slice(0, 300)}`);
      }
    };
    const readers = [
      reader('arm', 'list resource groups', () => arm('GET', `/subscriptions/${sub()}/resourcegroups?api-version=2021-04-01`)),
      reader('kube', 'list configmaps', () => kube('GET', '/api/v1/namespaces/default/configmaps')),
      reader('keyvault', 'list keys', () => vault('GET', '/keys')),
      watcher(),
    ];
    const writers = [...series.map(seriesWriter), ...Array.from({ length: WRITERS }, (_, w) => vaultWriter(w)), ...readers];
    await waitFor('acknowledged writes of every service before the fault', () => tallies.arm.acknowledged > 10 && tallies.kube.acknowledged > 10 && tallies.keyvault.acknowledged > 4, { timeoutMs: 30_000 });
    const before = { arm: tallies.arm.acknowledged, kube: tallies.kube.acknowledged, keyvault: tallies.keyvault.acknowledged };

    // A client's watch, following changes (a MODIFIED event proves it) when etcd dies.
    const watch = await openWatch(kubeClient, '/api/v1/namespaces/default/configmaps?watch=true');
    let watchEndedAt = 0;
    void watch.ended.then(() => (watchEndedAt = Date.now()));
    await waitFor('the watch to follow changes', () => watch.events.some((e) => e.type === 'MODIFIED'));
    killedAt = Date.now();
    await etcd.kill(0, 'SIGKILL');
    await sleep(OUTAGE_MS);
    restartCalledAt = Date.now();
    await etcd.restart(0);
    const etcdHealthyAt = Date.now();
    const watchEventsAtRestart = watch.events.length;
    await waitFor('a success of every service after the restart', () => firstSuccessAfter.arm && firstSuccessAfter.kube && firstSuccessAfter.keyvault, { timeoutMs: 45_000 });
    // A little more traffic after the recovery, then stop.
    await sleep(500);
    stop = true;
    await Promise.all(writers);
    // Every acknowledged write reads back: the latest acknowledged value or a later attempted one, never an older.
    const lost: string[] = [];
    const finalSeq = new Map<string, number | undefined>();
    for (const s of series) {
      const seq = await s.read();
      finalSeq.set(s.name, seq);
      if (seq === undefined || seq < s.acked || seq > s.attempted) lost.push(`${s.name}: read ${seq}, last acknowledged ${s.acked}, last attempted ${s.attempted}`);
    }
    for (const { name, version } of keyVersions) {
      const got = await vault('GET', `/keys/${name}/${version}`);
      if (got.status !== 200) lost.push(`key ${name}/${version}: ${got.status}`);
    }
    for (const c of ciphertexts) {
      const version = c.kid.split('/').pop()!;
      const name = c.kid.split('/').at(-2)!;
      const dec = await vault('POST', `/keys/${name}/${version}/decrypt`, { alg: 'RSA-OAEP-256', value: c.ciphertext });
      if (dec.status !== 200 || Buffer.from(dec.json().value, 'base64url').toString() !== c.plaintext) lost.push(`ciphertext under ${name}/${version}: ${dec.status}`);
    }
    // The watch opened before the outage is still open and catches up with every configmap's final value; a watch
    // opened afterwards from an older resourceVersion replays from there and follows new changes.
    const lastValue = (name: string) => watch.events.filter((e) => e.type === 'MODIFIED' && e.object.metadata.name === name).at(-1)?.object.data.seq;
    const caughtUp = await waitFor('the watch open across the outage to show the final values', () => series.filter((s) => s.name.startsWith('configmaps/')).every((s) => lastValue(s.name.split('/')[1]!) === String(finalSeq.get(s.name))), { timeoutMs: 10_000 }).catch(() => false);
    const watchEnded = watchEndedAt; // close() below ends it too
    const watchEventsAfter = watch.events.length - watchEventsAtRestart;
    watch.close();
    const rewatch = await openWatch(kubeClient, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${watch.events[0]!.object.metadata.resourceVersion}`);
    const probe = await kube('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-outage' }, data: { seen: 'yes' } });
    expect(probe.status, probe.text).toBe(201);
    const rewatched = await waitFor('the new configmap on a watch opened after the outage', () => rewatch.events.some((e) => e.type === 'ADDED' && e.object.metadata.name === 'after-outage'), { timeoutMs: 10_000 }).catch(() => false);
    rewatch.close();
    // The emulator process (this one) is still serving, and says its store is healthy again.
    const status = await call(`${emu.url}/_aksemu/status`, { agent, timeoutMs: DEADLINE_MS, headers: { authorization: `Bearer ${armToken}` } });
    // The background workers came back too: the cluster's scheduler and kubelet run a pod created after the outage.
    const pod = await kube('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'after-outage' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    expect(pod.status, pod.text).toBe(201);
    const podStarted = Date.now();
    const running = await waitFor('the pod created after the outage to run', async () => {
      const p = (await kube('GET', '/api/v1/namespaces/default/pods/after-outage')).json();
      return p.status?.phase === 'Running' ? p : undefined;
    }, { timeoutMs: 30_000 }).catch(() => undefined);
    const podSeconds = Math.round((Date.now() - podStarted) / 100) / 10;
    // ... and the Key Vault audit log's backlog drains.
    const audit = await waitFor('the Key Vault audit backlog to drain', async () => {
      const st = await call(`${emu.url}/_aksemu/status`, { agent, timeoutMs: DEADLINE_MS, headers: { authorization: `Bearer ${armToken}` } });
      return st.status === 200 && st.json().keyVaultAudit.pending === 0 ? st.json().keyVaultAudit : undefined;
    }, { timeoutMs: 30_000 }).catch(() => undefined);

    const writeTallies = Object.values(tallies);
    const readTallies = Object.values(reads);
    const all = [...writeTallies, ...readTallies, watches];
    const total = (ts: Tally[], f: (t: Tally) => number) => ts.reduce((n, t) => n + f(t), 0);
    const bySvc = (f: (t: Tally) => number) => ({ arm: f(tallies.arm), kube: f(tallies.kube), keyvault: f(tallies.keyvault) });
    const seconds = (at: number | undefined, from: number) => (at === undefined ? null : Math.round((at - from) / 100) / 10);
    const first503 = Math.min(...Object.values(firstUnavailable).filter((x): x is number => x !== undefined));
    printFigures('etcd-outage', {
      store: 'etcd (1 member)',
      outageSeconds: OUTAGE_MS / 1000,
      acknowledged: total(writeTallies, (t) => t.acknowledged),
      acknowledgedByService: bySvc((t) => t.acknowledged),
      acknowledgedBeforeKill: before,
      answers503: total(writeTallies, (t) => t.unavailable),
      answers503ByService: bySvc((t) => t.unavailable),
      reads: { succeeded: total(readTallies, (t) => t.acknowledged), answered503: total(readTallies, (t) => t.unavailable) },
      watches: { completed: watches.acknowledged, ended503: watches.unavailable },
      // Reads and writes together:
      other5xx: total(all, (t) => t.unexpected.filter((u) => / 5\d\d /.test(u)).length),
      otherUnexpected: total(all, (t) => t.unexpected.length),
      deadlinesMissed: total(all, (t) => t.deadlines),
      transportErrors: total(all, (t) => t.transport),
      slowestAnswerSeconds: seconds(slowestMs, 0),
      lost: lost.length,
      watchAcrossOutage: watchEnded ? `ended ${seconds(watchEnded, killedAt)} s after the kill` : `stayed open, ${watchEventsAfter} events after the restart${caughtUp ? ', caught up' : ''}`,
      secondsPodAfterOutageToRunning: running ? podSeconds : null,
      keyVaultAuditAfter: audit ?? null,
      secondsKillToFirst503: Number.isFinite(first503) ? seconds(first503, killedAt) : null,
      secondsKillToFirst503ByService: { arm: seconds(firstUnavailable.arm, killedAt), kube: seconds(firstUnavailable.kube, killedAt), keyvault: seconds(firstUnavailable.keyvault, killedAt) },
      secondsEtcdRestartToHealthy: seconds(etcdHealthyAt, restartCalledAt),
      secondsRestartToFirstSuccess: seconds(Math.min(firstSuccessAfter.arm!, firstSuccessAfter.kube!, firstSuccessAfter.keyvault!), restartCalledAt),
      secondsRestartToFirstSuccessByService: { arm: seconds(firstSuccessAfter.arm, restartCalledAt), kube: seconds(firstSuccessAfter.kube, restartCalledAt), keyvault: seconds(firstSuccessAfter.keyvault, restartCalledAt) },
    });

    expect(all.flatMap((t) => t.unexpected)).toEqual([]);
    // A 503 says what to do, not where the store is.
    const addresses = [...etcd.endpoints, '/aksemu-faults-outage'];
    expect(unavailableBodies.filter((b) => addresses.some((a) => b.includes(a)))).toEqual([]);
    expect(total(all, (t) => t.deadlines)).toBe(0);
    expect(total(all, (t) => t.transport)).toBe(0);
    expect(lost).toEqual([]);
    expect(status.status, status.text).toBe(200);
    expect(status.json().store).toMatchObject({ kind: 'etcd', healthy: true });
    expect(watchEnded, 'the watch open across the outage ended').toBe(0);
    expect(caughtUp, 'the watch open across the outage caught up with the final values').toBe(true);
    expect(rewatch.status).toBe(200);
    expect(rewatched, 'a watch opened after the outage follows new changes').toBe(true);
    expect(watch.events.concat(rewatch.events).filter((e) => e.type !== 'MODIFIED' && e.type !== 'ADDED')).toEqual([]);
    expect(running?.spec.nodeName, 'a pod created after the outage is scheduled and runs').toBeTruthy();
    expect(audit).toBeDefined();
    // The outage was seen by every service, as its own 503, within 15 s of the kill.
    for (const t of writeTallies) expect(t.unavailable).toBeGreaterThan(0);
    expect(first503 - killedAt).toBeLessThan(15_000);
  }, 120_000);
});
