/**
 * Runs a script of test/python with the official Azure SDKs for Python (the pinned virtual environment that .ci/run
 * installs and names by AKSEMU_PYSDK_PYTHON) and an instance's `aksemu env` settings and nothing else (SPEC X-2).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './root.js';

/** The python of the SDKs' virtual environment, when there is one. */
export function pythonSdk(): string | undefined {
  const bin = process.env.AKSEMU_PYSDK_PYTHON;
  return bin && existsSync(bin) ? bin : undefined;
}

export interface PythonResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `python test/python/<script> ...args` with `env` (the instance's settings) on a clean environment. */
export function runPythonScript(script: string, args: string[], env: Record<string, string>, timeoutMs = 170_000): Promise<PythonResult> {
  return new Promise((resolve) => {
    execFile(
      pythonSdk()!,
      [join(repoRoot(), 'test', 'python', script), ...args],
      {
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8', PYTHONDONTWRITEBYTECODE: '1', ...env },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
