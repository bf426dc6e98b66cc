/** Runs the built `aksemu` CLI against an instance, as a user's shell would (AKSEMU_DATA_DIR, its own HOME). */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'vitest';
import { CLI, ROOT } from '../../../testkit/emulator.js';

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
 * Every backend of the CLI's commands is part of this tree; these helpers once let the CLI's tests run before
 * the other issues' modules had landed. A missing module is now a build error, never a skip.
 */
export function backendBuilt(modulePath: string): boolean {
  if (!existsSync(join(ROOT, 'dist', 'src', modulePath))) throw new Error(`dist/src/${modulePath} is missing: run npm run build`);
  return true;
}

export function describeWithBackend(modulePath: string, name: string, fn: () => void): void {
  backendBuilt(modulePath);
  describe(name, fn);
}
