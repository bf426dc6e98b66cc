/**
 * Store throughput: put and get operations per second, one awaited operation at a time and with 16 in flight,
 * for the SQLite store (temporary file, WAL, synchronous=NORMAL) and for a single-member etcd started for the
 * occasion (Debian's etcd; skipped with a note when the binary is missing).
 *
 * Each measurement runs for a fixed time after a short warm-up, over 1,000 keys with 256-byte values.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdStore } from '../src/store/etcd-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { EtcdCluster } from '../testkit/etcd.js';

export interface StoreBenchOptions {
  /** Duration of each measurement (default 2,000 ms). */
  durationMs?: number;
  /** Operations in flight in the concurrent runs (default 16). */
  concurrency?: number;
  /** Value size in bytes (default 256). */
  valueBytes?: number;
  /** Distinct keys written and read (default 1,000). */
  keys?: number;
}

export interface StoreBenchFigures {
  putSequential: number;
  getSequential: number;
  putConcurrent: number;
  getConcurrent: number;
}

export interface StoreBenchBackend {
  backend: 'sqlite' | 'etcd';
  /** What was measured, e.g. "sqlite (WAL, synchronous=NORMAL)" or "etcd 3.4.23, 1 member". */
  setup: string;
  /** Operations per second; absent when skipped. */
  opsPerSecond?: StoreBenchFigures;
  skipped?: string;
}

export interface StoreBenchResult {
  machine: { cpus: number; cpuModel: string; node: string; platform: string };
  durationMs: number;
  concurrency: number;
  valueBytes: number;
  keys: number;
  backends: StoreBenchBackend[];
}

/** Runs `op` for `durationMs` with `inFlight` callers each awaiting one operation at a time; returns ops/s. */
async function measure(durationMs: number, inFlight: number, op: (i: number) => Promise<unknown>): Promise<number> {
  // warm-up
  const warm = Date.now() + Math.min(300, durationMs / 5);
  let w = 0;
  while (Date.now() < warm) await op(w++);

  let count = 0;
  const start = process.hrtime.bigint();
  const deadline = Date.now() + durationMs;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (Date.now() < deadline) {
        await op(count++);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return count / seconds;
}

async function measureStore(store: Store, o: Required<StoreBenchOptions>): Promise<StoreBenchFigures> {
  const value = Buffer.alloc(o.valueBytes, 0x61);
  const key = (i: number) => `/bench/${String(i % o.keys).padStart(6, '0')}`;
  for (let i = 0; i < o.keys; i++) await store.put(key(i), value);
  const put = (i: number) => store.put(key(i), value);
  const get = async (i: number) => {
    const kv = await store.get(key(i));
    if (!kv) throw new Error(`benchmark key ${key(i)} missing`);
  };
  return {
    putSequential: await measure(o.durationMs, 1, put),
    getSequential: await measure(o.durationMs, 1, get),
    putConcurrent: await measure(o.durationMs, o.concurrency, put),
    getConcurrent: await measure(o.durationMs, o.concurrency, get),
  };
}

function haveEtcd(): boolean {
  return spawnSync('sh', ['-c', 'command -v etcd'], { stdio: 'ignore' }).status === 0;
}

function etcdVersion(): string {
  const out = spawnSync('etcd', ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return /etcd Version: (\S+)/.exec(out)?.[1] ?? 'unknown version';
}

export async function benchStore(options: StoreBenchOptions = {}): Promise<StoreBenchResult> {
  const o: Required<StoreBenchOptions> = {
    durationMs: options.durationMs ?? 2_000,
    concurrency: options.concurrency ?? 16,
    valueBytes: options.valueBytes ?? 256,
    keys: options.keys ?? 1_000,
  };
  const cpuList = cpus();
  const result: StoreBenchResult = {
    machine: {
      cpus: cpuList.length,
      cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
    },
    ...o,
    backends: [],
  };

  const dir = mkdtempSync(join(tmpdir(), 'aksemu-bench-store-'));
  try {
    const sqlite = new SqliteStore(join(dir, 'bench.db'));
    try {
      result.backends.push({
        backend: 'sqlite',
        setup: 'SQLite file in the temp dir (WAL, synchronous=NORMAL)',
        opsPerSecond: await measureStore(sqlite, o),
      });
    } finally {
      await sqlite.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  if (!haveEtcd()) {
    result.backends.push({ backend: 'etcd', setup: 'etcd, 1 member', skipped: 'etcd binary not found (apt-get install etcd-server)' });
  } else {
    const cluster = await EtcdCluster.start({ members: 1 });
    try {
      const store = new EtcdStore(cluster.endpoints, '/bench');
      try {
        result.backends.push({
          backend: 'etcd',
          setup: `etcd ${etcdVersion()}, 1 member on loopback, data dir in the temp dir`,
          opsPerSecond: await measureStore(store, o),
        });
      } finally {
        await store.close();
      }
    } finally {
      await cluster.stop();
    }
  }
  return result;
}

/** The result as a markdown table (plus the setup lines), for BENCHMARKS.md. */
export function formatStoreBench(r: StoreBenchResult): string {
  const fmt = (n: number | undefined) => (n === undefined ? '–' : Math.round(n).toLocaleString('en-US'));
  const lines = [
    `Store put/get throughput (ops/s; ${r.keys.toLocaleString('en-US')} keys, ${r.valueBytes}-byte values, ` +
      `${r.durationMs / 1000} s per figure). Machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ` +
      `Node ${r.machine.node}, ${r.machine.platform}.`,
    '',
    `| backend | put, sequential | get, sequential | put, ${r.concurrency} in flight | get, ${r.concurrency} in flight |`,
    '|---|---:|---:|---:|---:|',
  ];
  for (const b of r.backends) {
    const f = b.opsPerSecond;
    lines.push(
      `| ${b.backend}${b.skipped ? ` (skipped: ${b.skipped})` : ''} | ${fmt(f?.putSequential)} | ${fmt(f?.getSequential)} | ` +
        `${fmt(f?.putConcurrent)} | ${fmt(f?.getConcurrent)} |`,
    );
  }
  lines.push('');
  for (const b of r.backends) lines.push(`- ${b.backend}: ${b.setup}`);
  return lines.join('\n');
}
