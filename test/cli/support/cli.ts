/** Runs the built `aksemu` CLI against an instance, as a user's shell would (AKSEMU_DATA_DIR, its own HOME). */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'vitest';
import { CLI, ROOT } from '../../support/emulator.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json<T = any>(): T;
}

export interface CliEnv {
  dataDir: string;
  home: string;
  extra?: Record<string, string>;
}

export function cliEnv(e: CliEnv): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: e.home,
    LANG: 'C.UTF-8',
    AKSEMU_DATA_DIR: e.dataDir,
    ...e.extra,
  };
}

export function aksemu(e: CliEnv, args: string[], input?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env: cliEnv(e), timeout: 120_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) });
    });
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

/** Runs a shell command line (the seeds' `$(...)` substitutions, pipes) with `aksemu` on PATH as a function. */
export function shell(e: CliEnv, script: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { env: cliEnv(e) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr, json: () => JSON.parse(stdout) }));
  });
}

/**
 * Commands whose backend is another issue's module: they run when that module is built into this tree
 * (dist/), and skip visibly otherwise.
 */

/** Whether another issue's module is built into this tree (dist/). */
export function backendBuilt(modulePath: string): boolean {
  return existsSync(join(ROOT, 'dist', 'src', modulePath));
}

export function describeWithBackend(modulePath: string, name: string, fn: () => void): void {
  if (backendBuilt(modulePath)) {
    describe(name, fn);
    return;
  }
  process.stderr.write(`SKIP ${name}: the backend (src/${modulePath}) is not in this tree yet\n`);
  describe.skip(`${name} [skipped: backend src/${modulePath} not in this tree]`, fn);
}
