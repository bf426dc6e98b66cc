/**
 * Runs seed commands as a reader would paste them into bash: `az` is the aksemu CLI or, in a session driven by the
 * real az, that az binary with the instance's `aksemu env` settings (a shell function either way, so `$(az ...)`
 * substitutions and pipes work); `kubectl` is the real kubectl with the kubeconfig `aks get-credentials` wrote, and
 * the variables the article defines (`export KEY_ID=$(az ...)`) carry over to later commands.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI } from '../../../testkit/emulator.js';

export interface ShellResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ShellSession {
  dataDir: string;
  home: string;
  /** The directory commands run in (relative paths such as ./newMOTD.txt). */
  cwd: string;
  vars: Record<string, string>;
  /** The real az to run as `az` (absolute path), instead of the aksemu CLI. */
  az?: string;
  /** Environment the real az needs (the instance's `aksemu env` settings, its directory first on PATH). */
  env?: Record<string, string>;
}

function quote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

function prelude(s: ShellSession): string {
  const lines = [
    'set -o pipefail',
    s.az ? `az() { ${quote(s.az)} "$@"; }` : `az() { ${quote(process.execPath)} ${quote(CLI)} "$@"; }`,
    `aksemu() { ${quote(process.execPath)} ${quote(CLI)} "$@"; }`,
    `cd ${quote(s.cwd)}`,
  ];
  for (const [k, v] of Object.entries(s.vars)) lines.push(`export ${k}=${quote(v)}`);
  return lines.join('\n');
}

function env(s: ShellSession): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: s.home,
    LANG: 'C.UTF-8',
    AKSEMU_DATA_DIR: s.dataDir,
    ...s.env,
  };
}

function exec(args: string[], s: ShellSession, stdin: string | undefined, timeoutMs: number): Promise<ShellResult> {
  return new Promise((resolve) => {
    const child = spawn(args[0]!, args.slice(1), { env: env(s), cwd: s.cwd });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr: signal ? `${stderr}\n(killed by ${signal} after ${timeoutMs} ms)` : stderr });
    });
    // A command that exits before reading its input closes the pipe: that is its business, not an error here.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin ?? '');
  });
}

export interface RunOptions {
  stdin?: string;
  /** Run on a terminal (script(1)): for commands that ask for confirmation, answered from stdin. */
  tty?: boolean;
  timeoutMs?: number;
}

/** Runs one command line; an assignment (`[export] NAME=$(...)`) also records NAME's value in the session. */
export async function runCommand(s: ShellSession, command: string, opts: RunOptions = {}): Promise<ShellResult> {
  const assign = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(command);
  // `export X=$(cmd)` always succeeds in bash; `X=$(cmd)` has cmd's status, so a failure inside is seen.
  const body = assign ? `${assign[1]}=${assign[2]} && export ${assign[1]} && printf '%s' "$${assign[1]}"` : command;
  const script = `${prelude(s)}\n${body}\n`;
  const file = join(s.cwd, `.step-${process.pid}.sh`);
  writeFileSync(file, script, { mode: 0o700 });
  const timeout = opts.timeoutMs ?? 120_000;
  const res = opts.tty
    ? await exec(['script', '-qec', `bash ${file}`, '/dev/null'], s, opts.stdin, timeout)
    : await exec(['bash', file], s, opts.stdin, timeout);
  if (assign && res.code === 0) s.vars[assign[1]!] = res.stdout;
  return res;
}
