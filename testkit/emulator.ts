/**
 * Test emulators: real `aksemu start` processes (spawned from the built CLI, as a user runs them) or in-process
 * instances, each on its own temporary data directory seeded with the shared test CA (see global-setup.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { paths } from '../src/config/data-dir.js';
import { instanceEnvironment } from '../src/cli/commands/env.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../src/emulator.js';
import { repoRoot } from './root.js';

export const ROOT = repoRoot();
export const CLI = join(ROOT, 'bin', 'aksemu.js');

/**
 * The KMS plugins' thread script bundled from the sources by global-setup.ts, for an in-process emulator whose
 * plugins should run on their own thread (it runs from TypeScript, where the build's script does not exist).
 */
export function testPluginWorker(): Pick<EmulatorOptions, 'kmsPluginWorker'> {
  const script = process.env.AKSEMU_TEST_PLUGIN_WORKER;
  return script ? { kmsPluginWorker: pathToFileURL(script) } : {};
}

/** A fresh data directory holding the shared test CA and master key. */
export function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aksemu-test-'));
  const seed = process.env.AKSEMU_TEST_SEED;
  if (seed) {
    cpSync(paths.masterKey(seed), paths.masterKey(dir));
    cpSync(join(seed, 'ca'), join(dir, 'ca'), { recursive: true });
  }
  return dir;
}

export interface SpawnedEmulator {
  url: string;
  port: number;
  dataDir: string;
  process: ChildProcess;
  /** The `aksemu env` settings for this instance. */
  env: Record<string, string>;
  stderr(): string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
}

export interface SpawnOptions {
  dataDir?: string;
  args?: string[];
  /** Extra environment for the emulator process. */
  env?: Record<string, string>;
  /**
   * A command that runs the emulator (`node bin/aksemu.js start ...` is appended to it) and must exec it, so that
   * the emulator keeps the child's pid: e.g. `unshare` giving it a small file system of its own.
   */
  wrapper?: string[];
}

/** Starts `aksemu start --port 0` and waits for its ready line. */
export async function spawnEmulator(opts: SpawnOptions = {}): Promise<SpawnedEmulator> {
  const dataDir = opts.dataDir ?? newDataDir();
  const [command, ...prefix] = [...(opts.wrapper ?? []), process.execPath];
  const child = spawn(command!, [...prefix, CLI, 'start', '--data-dir', dataDir, '--port', '0', ...(opts.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`aksemu did not become ready in 30 s:\n${stderr}`)), 30_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      const m = /^aksemu ready (https:\/\/\S+)$/.exec(line);
      if (m) resolve(m[1]!);
      else reject(new Error(`unexpected first line on stdout: ${line}\n${stderr}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`aksemu exited with ${code} before it was ready:\n${stderr}`));
    });
  });
  const port = Number(new URL(url).port);
  return {
    url,
    port,
    dataDir,
    process: child,
    env: instanceEnvironment(dataDir),
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** An in-process emulator (faster to start; shares the test process). */
export async function startTestEmulator(opts: Partial<EmulatorOptions> = {}): Promise<Emulator & { dataDir: string; env: Record<string, string> }> {
  const dataDir = opts.dataDir ?? newDataDir();
  const emulator = await startEmulator({ port: 0, ...opts, dataDir });
  return Object.assign(emulator, { dataDir, env: instanceEnvironment(dataDir) });
}

/** Points this process's Azure SDK clients at an instance, as `eval "$(aksemu env)"` would a shell. */
export function useEnvironment(env: Record<string, string>): void {
  for (const name of ['HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy', 'AZURE_TENANT_ID', 'AZURE_SUBSCRIPTION_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET']) {
    process.env[name] = env[name];
  }
}

export function removeDataDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
