/** Shared pieces of the benchmarks: spawning the built emulator, machine description, percentiles. */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { instanceEnvironment } from '../src/cli/commands/env.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'bin', 'aksemu.js');

export interface BenchEmulator {
  url: string;
  port: number;
  dataDir: string;
  env: Record<string, string>;
  child: ChildProcess;
  stop(): Promise<void>;
}

export function freshDataDir(seed?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'aksemu-bench-'));
  if (seed) {
    cpSync(join(seed, 'master.key'), join(dir, 'master.key'));
    cpSync(join(seed, 'ca'), join(dir, 'ca'), { recursive: true });
  }
  return dir;
}

/** Starts `aksemu start --port 0`; resolves when the ready line arrives, with the time it took. */
export async function spawnEmulator(dataDir: string, args: string[] = []): Promise<BenchEmulator & { readyMs: number }> {
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [CLI, 'start', '--data-dir', dataDir, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => {
      const m = /^aksemu ready (\S+)$/.exec(line);
      if (m) resolve(m[1]!);
      else reject(new Error(`unexpected line ${line}: ${stderr}`));
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  const readyMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    port: Number(new URL(url).port),
    dataDir,
    env: instanceEnvironment(dataDir),
    child,
    readyMs,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${process.platform} ${process.arch}`;
}

export function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** Runs `fn(0..n-1)` with `concurrency` calls in flight. */
export async function inParallel(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) await fn(i);
    }),
  );
}

/** The value of `flag` in a benchmark's arguments, which must be a positive integer (exit 2 otherwise). */
export function positiveIntFlag(args: string[], flag: string): number | undefined {
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v <= 0) {
    process.stderr.write(`${flag} needs a positive integer\n`);
    process.exit(2);
  }
  return v;
}
