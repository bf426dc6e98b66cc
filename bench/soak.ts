/**
 * Soak: an in-process emulator (SQLite store, real Key Vault RSA, the real KMS plugins) under a steady mixed load
 * for a while, sampling the process's resident memory (`process.memoryUsage().rss`) to see that it stays flat once
 * warmed up. Two clusters, KMS v2 (1.28) and KMS v1 (1.26), each with:
 *
 * - writers updating a fixed set of secrets (so the store's live data stays the same size) and readers reading them,
 *   through the Kubernetes API over HTTPS;
 * - watches on the secrets, each closed and reopened every 20 s (as informers re-list and re-watch);
 * - a list of the namespace every 10 s;
 * - a key rotation every minute (a new key version, the cluster PUT with its key id), alternating between the
 *   clusters, so plugins, providers and caches are replaced over and over.
 *
 * The first quarter of the run (at least a minute) is warm-up; the figures are the RSS range after it and the slope
 * of a least-squares line through the samples after it, and the same for the V8 heap that survives a full
 * collection (run right after each RSS sample), which a leak would make climb without the GC's sawtooth. The emulator and this load generator share the process (the
 * load generator keeps only counters).
 */
import { request } from 'node:https';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { BearerClient } from './clients.js';
import { cluster, ok, setup, type Setup } from './kms.js';
import { removeDir } from './support.js';

export interface SoakOptions {
  durationMin?: number;
  /** Seconds between RSS samples. */
  sampleSec?: number;
  secrets?: number;
}

export interface SoakSample {
  atSec: number;
  rssMb: number;
  heapUsedMb: number;
  /** The V8 heap still in use right after a full collection: what the process keeps. */
  retainedHeapMb: number;
}

/** V8's full collection, enabled at run time (the benchmark runner is not started with --expose-gc). */
function fullGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export interface SoakResult {
  machine: { cpus: number; cpuModel: string; node: string };
  durationMin: number;
  warmupSec: number;
  samples: SoakSample[];
  ops: Record<string, number>;
  errors: number;
  firstErrors: string[];
}

const MB = 1024 * 1024;

/** A watch that counts the events it gets and keeps nothing else. */
function watch(c: BearerClient, path: string, onEvent: () => void): { close(): void } {
  const u = new URL(`${c.base}${path}`);
  const req = request({ method: 'GET', hostname: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, headers: { authorization: `Bearer ${c.token}` }, ca: c.ca, agent: false }, (res) => {
    let tail = '';
    res.on('data', (d: Buffer) => {
      const text = tail + d.toString('utf8');
      const lines = text.split('\n');
      tail = lines.pop() ?? '';
      for (const line of lines) if (line) onEvent();
    });
    res.on('error', () => undefined);
  });
  req.on('error', () => undefined);
  req.end();
  return { close: () => req.destroy() };
}

export async function benchSoak(opts: SoakOptions = {}): Promise<SoakResult> {
  const durationMin = opts.durationMin ?? 30;
  const sampleMs = (opts.sampleSec ?? 5) * 1000;
  const N = opts.secrets ?? 300;
  const dataDir = mkdtempSync(join(tmpdir(), 'aksemu-bench-soak-'));
  const s: Setup = await setup(dataDir);
  const ops: Record<string, number> = { write: 0, read: 0, list: 0, watchEvents: 0, watchOpens: 0, rotations: 0 };
  let errors = 0;
  const firstErrors: string[] = [];
  const fail = (what: string, detail: string) => {
    errors++;
    if (firstErrors.length < 5) firstErrors.push(`${what}: ${detail.slice(0, 300)}`);
  };
  /** One request of the load: its answer, or undefined when it failed (counted as an error, the loop goes on). */
  const attempt = async (what: string, p: Promise<{ status: number; body: string }>, want: number) => {
    try {
      const r = await p;
      if (r.status === want) return r;
      fail(what, `${r.status} ${r.body}`);
    } catch (err) {
      fail(what, (err as Error).message);
    }
    return undefined;
  };
  try {
    const clusters = [
      { name: 'soak-v2', ...(await cluster(s, 'soak-v2', '1.28', true)) },
      { name: 'soak-v1', ...(await cluster(s, 'soak-v1', '1.26', true)) },
    ];
    for (const c of clusters) {
      await ok(c.kube.call('POST', '/api/v1/namespaces', { metadata: { name: 'soak' } }), 'namespace');
      for (let i = 0; i < N; i++) await ok(c.kube.call('POST', '/api/v1/namespaces/soak/secrets', { metadata: { name: `s-${i}` }, stringData: { v: `0-${i}` } }), 'secret');
    }

    const t0 = performance.now();
    const end = t0 + durationMin * 60_000;
    const running = () => performance.now() < end;
    const samples: SoakSample[] = [];
    const gc = fullGc();
    const sample = () => {
      const before = process.memoryUsage();
      gc();
      const after = process.memoryUsage();
      samples.push({ atSec: Math.round((performance.now() - t0) / 1000), rssMb: before.rss / MB, heapUsedMb: before.heapUsed / MB, retainedHeapMb: after.heapUsed / MB });
    };
    sample();
    const sampler = setInterval(sample, sampleMs);

    let generation = 0;
    const loops: Promise<void>[] = [];
    for (const c of clusters) {
      for (let w = 0; w < 4; w++) {
        loops.push(
          (async () => {
            for (let i = w; running(); i += 4) {
              const name = `s-${i % N}`;
              if (await attempt('write', c.kube.call('PUT', `/api/v1/namespaces/soak/secrets/${name}`, { metadata: { name, namespace: 'soak' }, stringData: { v: `${i}-${name}` } }), 200)) ops.write!++;
            }
          })(),
          (async () => {
            for (let i = w; running(); i += 4) {
              if (await attempt('read', c.kube.call('GET', `/api/v1/namespaces/soak/secrets/s-${(i * 7) % N}`), 200)) ops.read!++;
            }
          })(),
          (async () => {
            // A watch per loop, reopened every 20 s from the current resource version.
            while (running()) {
              const list = await attempt('list for a watch', c.kube.call('GET', '/api/v1/namespaces/soak/secrets?limit=1'), 200);
              const rv = list ? JSON.parse(list.body).metadata.resourceVersion : '';
              const wch = watch(c.kube, `/api/v1/namespaces/soak/secrets?watch=true&resourceVersion=${rv}`, () => ops.watchEvents!++);
              ops.watchOpens!++;
              await new Promise((r) => setTimeout(r, 20_000 + w * 1000));
              wch.close();
            }
          })(),
        );
      }
      loops.push(
        (async () => {
          while (running()) {
            await new Promise((r) => setTimeout(r, 10_000));
            if (await attempt('list', c.kube.call('GET', '/api/v1/namespaces/soak/secrets'), 200)) ops.list!++;
          }
        })(),
      );
    }
    loops.push(
      (async () => {
        for (;;) {
          await new Promise((r) => setTimeout(r, 60_000));
          if (!running()) return;
          const c = clusters[generation++ % clusters.length]!;
          try {
            const key = await ok(s.kv.call('POST', '/keys/etcd-key/create?api-version=7.4', { kty: 'RSA', key_size: 2048 }), 'key version');
            const id = `/subscriptions/${s.sub}/resourceGroups/bench/providers/Microsoft.ContainerService/managedClusters/${c.name}`;
            const doc = await ok(s.arm.call('GET', `${id}?api-version=2026-04-01`), 'cluster');
            await ok(s.arm.call('PUT', `${id}?api-version=2026-04-01`, { ...doc, properties: { ...doc.properties, securityProfile: { azureKeyVaultKms: { enabled: true, keyId: key.key.kid, keyVaultNetworkAccess: 'Public' } } } }), 'rotate');
            for (let i = 0; i < 3000; i++) {
              const state = (await ok(s.arm.call('GET', `${id}?api-version=2026-04-01`), 'cluster')).properties.provisioningState;
              if (state === 'Succeeded') break;
              if (state === 'Failed') throw new Error('rotation failed');
              await new Promise((r) => setTimeout(r, 20));
            }
            ops.rotations!++;
          } catch (err) {
            fail('rotation', (err as Error).message);
          }
        }
      })(),
    );
    await Promise.all(loops);
    clearInterval(sampler);
    sample();
    return {
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
      durationMin,
      warmupSec: Math.max(60, (durationMin * 60) / 4),
      samples,
      ops,
      errors,
      firstErrors,
    };
  } finally {
    await s.emu.close();
    removeDir(dataDir);
  }
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export function formatSoakBench(r: SoakResult): string {
  const after = r.samples.filter((x) => x.atSec >= r.warmupSec);
  const rss = after.map((x) => x.rssMb);
  const heap = after.map((x) => x.heapUsedMb);
  const retained = after.map((x) => x.retainedHeapMb);
  const perMin = (ys: number[]) => slope(after.map((x) => x.atSec / 60), ys);
  const f = (n: number) => n.toFixed(1);
  const seconds = r.durationMin * 60;
  const rate = (n: number) => `${Math.round(n).toLocaleString('en')} (${f(n / seconds)}/s)`;
  const lines = [
    `Soak: ${r.durationMin} min, in-process emulator (SQLite store), clusters on KMS v2 and KMS v1; ${r.machine.cpus} CPUs, ${r.machine.cpuModel}, Node ${r.machine.node}`,
    '',
    '| measure | value |',
    '|---|---|',
    `| operations | writes ${rate(r.ops.write!)}, reads ${rate(r.ops.read!)}, lists ${r.ops.list}, watch events ${r.ops.watchEvents} over ${r.ops.watchOpens} watches, key rotations ${r.ops.rotations} |`,
    `| errors | ${r.errors}${r.firstErrors.length ? `: ${r.firstErrors.join('; ')}` : ''} |`,
    `| RSS after warm-up (${r.warmupSec} s) | min ${f(Math.min(...rss))} MB, max ${f(Math.max(...rss))} MB, slope ${perMin(rss).toFixed(2)} MB/min over ${after.length} samples |`,
    `| V8 heap used after warm-up | min ${f(Math.min(...heap))} MB, max ${f(Math.max(...heap))} MB, slope ${perMin(heap).toFixed(2)} MB/min |`,
    `| V8 heap retained (after a full GC) after warm-up | min ${f(Math.min(...retained))} MB, max ${f(Math.max(...retained))} MB, slope ${perMin(retained).toFixed(2)} MB/min |`,
    '',
    `RSS samples (s: MB): ${r.samples.map((x) => `${x.atSec}: ${Math.round(x.rssMb)}`).join(', ')}`,
    '',
    `Retained heap samples (s: MB): ${r.samples.map((x) => `${x.atSec}: ${Math.round(x.retainedHeapMb)}`).join(', ')}`,
  ];
  return lines.join('\n');
}
