/**
 * Optional components (Debian's etcd, az, tpm2-tools, ...): a test that needs one skips with a visible reason when
 * it is missing on a developer's machine, and fails under CI (CI=true), where .ci/run must have installed it.
 */
import { execFileSync } from 'node:child_process';
import { describe } from 'vitest';
import { currentAz } from './az.js';
import { pythonSdk } from './python-sdk.js';

export const inCI = process.env.CI === 'true' || process.env.CI === '1';

export function haveCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `describe` when nothing is missing; otherwise a visible skip with the reason locally, and a failure under CI. */
function describeUnless(reason: string | undefined, name: string, fn: () => void): void {
  if (reason === undefined) {
    describe(name, fn);
    return;
  }
  if (inCI) {
    describe(name, () => {
      throw new Error(`${name}: ${reason}, but it is missing under CI`);
    });
    return;
  }
  process.stderr.write(`SKIP ${name}: ${reason}\n`);
  describe.skip(`${name} [skipped: ${reason}]`, fn);
}

/** `describe` when every command exists; otherwise a visible skip locally and a failure under CI. */
export function describeWith(commands: string[], name: string, fn: () => void): void {
  const missing = commands.filter((c) => !haveCommand(c));
  describeUnless(missing.length === 0 ? undefined : `needs ${missing.join(', ')} (installed by .ci/run)`, name, fn);
}

/**
 * `describe` when a folder of reference data (found through an environment variable) exists; otherwise a visible
 * skip naming the variable locally, and a failure under CI.
 */
export function describeWithFolder(folder: { path: string | undefined; variable: string }, name: string, fn: () => void): void {
  describeUnless(folder.path ? undefined : `needs the reference folder named by ${folder.variable}`, name, fn);
}

/** `describe` when the current az CLI is installed (AKSEMU_AZ_CURRENT names it; .ci/run installs it); a skip or CI failure otherwise. */
export function describeWithCurrentAz(name: string, fn: () => void): void {
  describeUnless(currentAz() ? undefined : 'needs the current az CLI named by AKSEMU_AZ_CURRENT (installed by .ci/run)', name, fn);
}

/** `describe` when the Azure SDKs for Python are installed (AKSEMU_PYSDK_PYTHON names their python; .ci/run installs them). */
export function describeWithPythonSdks(name: string, fn: () => void): void {
  describeUnless(pythonSdk() ? undefined : 'needs the Azure SDKs for Python, whose python AKSEMU_PYSDK_PYTHON names (installed by .ci/run)', name, fn);
}
