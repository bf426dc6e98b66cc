/**
 * Benchmarks of the aksemu CLI:
 * - the walkthrough (scripts/walkthrough.sh: the three seed articles, ~60 CLI and kubectl commands) on a fresh
 *   instance at --speed instant, wall time per run, start-up of the instance included (target < 15 s);
 * - the latency of single CLI invocations on a warm instance: a process per command, as in a script (start-up,
 *   module loading, the HTTPS round trips and the output).
 */
import { execFile, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT, freshDataDir, spawnEmulator } from './support.js';

export interface WalkthroughRun {
  ms: number;
  /** CPU time of the whole run (the instance, every aksemu and kubectl process): what load on the machine does not change. */
  cpuMs: number;
  /** The machine's 1-minute load average when the run started (2 cores are shared with other work). */
  load: number;
  ok: boolean;
  commands: number;
}

/** bash's `times`: the second line is the CPU time of the shell's children ("0m11.132s 0m1.421s"). */
function childrenCpuMs(timesOutput: string): number {
  const line = timesOutput.trim().split('\n').at(-1) ?? '';
  const secs = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return secs.length === 2 ? (secs[0]! + secs[1]!) * 1000 : NaN;
}

/** Runs scripts/walkthrough.sh (which starts its own fresh instance) `runs` times. */
export async function benchWalkthrough(runs = 3): Promise<WalkthroughRun[]> {
  const out: WalkthroughRun[] = [];
  for (let i = 0; i < runs; i++) {
    const load = loadavg()[0]!;
    const t0 = process.hrtime.bigint();
    const res = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const script = `bash ${JSON.stringify(join(ROOT, 'scripts', 'walkthrough.sh'))}; rc=$?; times >&2; exit $rc`;
      const child = spawn('bash', ['-c', script], { env: { ...process.env, AKSEMU_DATA_DIR: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    out.push({ ms, cpuMs: childrenCpuMs(res.stderr), load, ok: res.code === 0 && res.stdout.includes('walkthrough: all steps done.'), commands: (res.stdout.match(/^\$ /gm) ?? []).length });
  }
  return out;
}

function time(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    execFile(process.execPath, [CLI, ...args], { env }, (err) => (err ? reject(err) : resolve(Number(process.hrtime.bigint() - t0) / 1e6)));
  });
}

export interface CommandLatency {
  command: string;
  p50: number;
  p95: number;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

/** Latency of single invocations (a new process each) against a warm instance with one cluster. */
export async function benchCommands(iterations = 15): Promise<CommandLatency[]> {
  const dataDir = freshDataDir();
  const emu = await spawnEmulator(dataDir, ['--speed', 'instant']);
  const env = { ...process.env, AKSEMU_DATA_DIR: dataDir, HOME: dataDir };
  try {
    await time(['group', 'create', '-n', 'rg', '-l', 'eastus', '-o', 'none'], env);
    await time(['aks', 'create', '-g', 'rg', '-n', 'c1', '--node-count', '1', '--generate-ssh-keys', '-o', 'none'], env);
    const commands: string[][] = [
      ['--version'],
      ['group', 'list', '-o', 'none'],
      ['group', 'show', '-n', 'rg', '-o', 'table'],
      ['aks', 'show', '-g', 'rg', '-n', 'c1', '--query', 'agentPoolProfiles[].{Name:name enableFips:enableFips}', '-o', 'table'],
      ['aks', 'nodepool', 'update', '-g', 'rg', '--cluster-name', 'c1', '-n', 'nodepool1', '--labels', 'a=b', '-o', 'none'],
    ];
    const out: CommandLatency[] = [];
    for (const c of commands) {
      const samples: number[] = [];
      for (let i = 0; i < iterations; i++) samples.push(await time(c, env));
      out.push({ command: `aksemu ${c.join(' ')}`, p50: pct(samples, 50), p95: pct(samples, 95) });
    }
    return out;
  } finally {
    await emu.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function formatCliBench(walk: WalkthroughRun[], commands: CommandLatency[]): string {
  const ms = walk.map((w) => w.ms);
  const lines = [
    '| walkthrough (scripts/walkthrough.sh, fresh instance, --speed instant) | runs | commands | min | median | max | CPU (median) | load at start | all green | target |',
    '|---|---|---|---|---|---|---|---|---|---|',
    `| the three seed articles | ${walk.length} | ${walk[0]?.commands ?? 0} | ${(Math.min(...ms) / 1000).toFixed(1)} s | ${(pct(ms, 50) / 1000).toFixed(1)} s | ${(Math.max(...ms) / 1000).toFixed(1)} s | ${(pct(walk.map((w) => w.cpuMs), 50) / 1000).toFixed(1)} s | ${walk.map((w) => w.load.toFixed(1)).join(', ')} | ${walk.every((w) => w.ok) ? 'yes' : 'NO'} | < 15 s |`,
    '',
    '| one CLI invocation (new process, warm instance) | p50 | p95 |',
    '|---|---|---|',
    ...commands.map((c) => `| \`${c.command}\` | ${c.p50.toFixed(0)} ms | ${c.p95.toFixed(0)} ms |`),
  ];
  return lines.join('\n');
}
