/**
 * The clusters' Kubernetes API under load, on the default SQLite store, with an in-process emulator
 * and one test cluster:
 *
 * - create N secrets (default 10,000) over HTTPS, 16 requests in flight;
 * - list them: one unpaged GET /api/v1/secrets, and the paged listing kubectl does (limit=500 + continue);
 * - `kubectl get secrets -A -o json | kubectl replace -f -` (the seeds' storage migration): wall time, next to
 *   the pipeline's client-side cost (user+sys CPU of the two kubectl processes, from bash's `time`), so the
 *   server's share is visible;
 * - watch fan-out: W watchers (default 50) on the secrets, then U updates (default 200); delivery latency from
 *   the write's answer to each watcher's receipt, and the time until every watcher has every event.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startEmulator, type Emulator } from '../src/emulator.js';
import { bearerClient, type BearerClient } from './clients.js';
import { inParallel, percentile, removeDir } from './support.js';
import { createFixtureCluster } from '../testkit/kube/fixtures.js';

export interface KubeBenchOptions {
  secrets?: number;
  watchers?: number;
  updates?: number;
}

export interface KubeBenchRow {
  measure: string;
  value: string;
  note: string;
}

export interface KubeBenchResult {
  machine: { cpus: number; cpuModel: string; node: string };
  secrets: number;
  rows: KubeBenchRow[];
}

const ms = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} ms`;

/** Runs a shell pipeline under bash's `time`: wall seconds and user+sys CPU seconds of its processes. */
function timedPipeline(script: string, env: Record<string, string>): Promise<{ real: number; cpu: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', `TIMEFORMAT='@@TIME %R %U %S'; time ( ${script} )`], { env, maxBuffer: 64 * 1024 * 1024 }, (err, _stdout, stderr) => {
      const m = /@@TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(stderr);
      if (err || !m) return reject(new Error(`pipeline failed: ${err?.message ?? ''}\n${stderr.slice(-2000)}`));
      resolve({ real: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), stderr });
    });
  });
}

interface WatchCounter {
  received: number;
  arrivals: number[];
  close(): void;
}

function openWatch(c: BearerClient, path: string, onEvent: (obj: any) => void): Promise<WatchCounter> {
  return new Promise((resolve, reject) => {
    const u = new URL(`${c.base}${path}`);
    const counter: WatchCounter = { received: 0, arrivals: [], close: () => req.destroy() };
    const req = request({ method: 'GET', hostname: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, headers: { authorization: `Bearer ${c.token}` }, ca: c.ca, agent: false }, (res) => {
      let buf = '';
      res.on('data', (d: Buffer) => {
        buf += d.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (!line) continue;
          counter.received++;
          counter.arrivals.push(performance.now());
          onEvent(JSON.parse(line));
        }
      });
      res.on('error', () => undefined);
      resolve(counter);
    });
    req.on('error', (err) => (counter.received === 0 ? reject(err) : undefined));
    req.end();
  });
}

export async function benchKube(opts: KubeBenchOptions = {}): Promise<KubeBenchResult> {
  const N = opts.secrets ?? 10_000;
  const W = opts.watchers ?? 50;
  const U = opts.updates ?? 200;
  const dataDir = mkdtempSync(join(tmpdir(), 'aksemu-bench-kube-'));
  const cleanup = [dataDir];
  const emu: Emulator = await startEmulator({ dataDir, port: 0, logLevel: 'error' });
  const rows: KubeBenchRow[] = [];
  try {
    const cluster = await createFixtureCluster(emu.core, { name: 'bench', resourceGroup: 'bench', pools: [{ name: 'nodepool1', count: 3 }] });
    await emu.services.kube.controllers.settle(cluster.uid);
    // Credentials as a user gets them: the ARM action, with a token from the token endpoint.
    const ca = emu.core.ca.certPem;
    const principal = (await emu.core.directory.getByAppId(emu.info.defaultPrincipal.appId))!;
    const armToken = await emu.core.tokens.issue(principal, 'https://management.azure.com/');
    const arm = bearerClient(emu.url, armToken, ca);
    const cred = await arm.call('POST', `${cluster.armId}/listClusterUserCredential?api-version=2022-11-01`);
    const kubeconfig = Buffer.from(JSON.parse(cred.body).kubeconfigs[0].value, 'base64').toString('utf8');
    const cfg = parse(kubeconfig);
    const kube = bearerClient(`${cfg.clusters[0].cluster.server}/_k8s/${cfg.clusters[0].cluster['tls-server-name']}`, cfg.users[0].user.token, ca);
    const home = mkdtempSync(join(tmpdir(), 'aksemu-bench-home-'));
    cleanup.push(home);
    writeFileSync(join(home, 'kubeconfig'), kubeconfig, { mode: 0o600 });

    // 1. Create N secrets in 10 namespaces.
    for (let i = 0; i < 10; i++) await kube.call('POST', '/api/v1/namespaces', { metadata: { name: `bench-${i}` } });
    let t0 = performance.now();
    await inParallel(N, 16, async (i) => {
      const res = await kube.call('POST', `/api/v1/namespaces/bench-${i % 10}/secrets`, { metadata: { name: `secret-${i}` }, stringData: { password: `value-${i}`.padEnd(64, '.') } });
      if (res.status !== 201) throw new Error(`create answered ${res.status}: ${res.body}`);
    });
    let elapsed = performance.now() - t0;
    rows.push({ measure: `create ${N.toLocaleString('en')} secrets`, value: `${(elapsed / 1000).toFixed(1)} s`, note: `${Math.round((N / elapsed) * 1000)} creates/s, 16 in flight` });

    // 2. List latency.
    const lists: number[] = [];
    let count = 0;
    for (let i = 0; i < 5; i++) {
      t0 = performance.now();
      const res = await kube.call('GET', '/api/v1/secrets');
      lists.push(performance.now() - t0);
      count = JSON.parse(res.body).items.length;
    }
    lists.sort((a, b) => a - b);
    rows.push({ measure: `list ${count.toLocaleString('en')} secrets, one request`, value: ms(percentile(lists, 50)), note: `median of 5; min ${ms(lists[0]!)}, max ${ms(lists[lists.length - 1]!)}` });
    t0 = performance.now();
    let pages = 0;
    let cont: string | undefined;
    do {
      const res = JSON.parse((await kube.call('GET', `/api/v1/secrets?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`)).body);
      pages++;
      cont = res.metadata.continue;
    } while (cont);
    rows.push({ measure: `list ${count.toLocaleString('en')} secrets, limit=500 pages (as kubectl)`, value: ms(performance.now() - t0), note: `${pages} pages` });
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: join(home, 'kubeconfig') };

    // 3. The storage migration pipeline with the real kubectl.
    const revBefore = await emu.core.store.revision();
    // The emulator runs in this process: its CPU time over the pipeline is the server's share.
    const cpuBefore = process.cpuUsage();
    const pipe = await timedPipeline('kubectl get secrets -A -o json | kubectl replace -f - > /dev/null', env);
    const serverCpu = process.cpuUsage(cpuBefore);
    const written = (await emu.core.store.revision()) - revBefore;
    const get = await timedPipeline('kubectl get secrets -A -o json > /dev/null', env);
    rows.push({
      measure: 'kubectl get secrets -A -o json \\| kubectl replace -f -',
      value: `${pipe.real.toFixed(1)} s wall`,
      note: `kubectl's own CPU (user+sys of both processes) ${pipe.cpu.toFixed(1)} s; emulator CPU ${((serverCpu.user + serverCpu.system) / 1e6).toFixed(1)} s; ${written.toLocaleString('en')} store writes`,
    });
    rows.push({ measure: 'kubectl get secrets -A -o json (the first half alone)', value: `${get.real.toFixed(1)} s wall`, note: `kubectl CPU ${get.cpu.toFixed(1)} s` });

    // 4. Watch fan-out.
    const rv = JSON.parse((await kube.call('GET', '/api/v1/namespaces/bench-0/secrets?limit=1')).body).metadata.resourceVersion;
    const writeTimes = new Map<string, number>();
    const latencies: number[] = [];
    const watchers: WatchCounter[] = [];
    for (let i = 0; i < W; i++) {
      watchers.push(
        await openWatch(kube, `/api/v1/namespaces/bench-0/secrets?watch=true&resourceVersion=${rv}`, (ev) => {
          const sent = writeTimes.get(ev.object?.metadata?.resourceVersion);
          if (sent !== undefined) latencies.push(performance.now() - sent);
        }),
      );
    }
    t0 = performance.now();
    for (let i = 0; i < U; i++) {
      const name = `secret-${i * 10}`;
      const sent = performance.now();
      const upd = await kube.call('PUT', `/api/v1/namespaces/bench-0/secrets/${name}`, { metadata: { name, namespace: 'bench-0' }, stringData: { password: `updated-${i}` } });
      if (upd.status !== 200) throw new Error(`update answered ${upd.status}: ${upd.body}`);
      writeTimes.set(JSON.parse(upd.body).metadata.resourceVersion, sent);
    }
    const writesDone = performance.now();
    const deadline = Date.now() + 60_000;
    while (watchers.some((w) => w.received < U) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const allDelivered = performance.now();
    for (const w of watchers) w.close();
    latencies.sort((a, b) => a - b);
    const delivered = watchers.reduce((a, w) => a + Math.min(w.received, U), 0);
    rows.push({
      measure: `watch fan-out: ${W} watchers × ${U} updates`,
      value: `${((allDelivered - t0) / 1000).toFixed(2)} s`,
      note: `${delivered.toLocaleString('en')}/${(W * U).toLocaleString('en')} events delivered; ${Math.round((delivered / (allDelivered - t0)) * 1000).toLocaleString('en')} events/s; latency p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}; writes took ${ms(writesDone - t0)}`,
    });
    return { machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version }, secrets: N, rows };
  } finally {
    await emu.close();
    cleanup.forEach(removeDir);
  }
}

export function formatKubeBench(r: KubeBenchResult): string {
  const lines = [
    `Kubernetes API (SQLite store, in-process emulator; ${r.machine.cpus} CPUs, ${r.machine.cpuModel}, Node ${r.machine.node})`,
    '',
    '| measure | value | note |',
    '|---|---|---|',
    ...r.rows.map((row) => `| ${row.measure} | ${row.value} | ${row.note} |`),
  ];
  return lines.join('\n');
}
