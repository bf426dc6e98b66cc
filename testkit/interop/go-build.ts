/**
 * Builds a Go program of the interop harness (test/interop/<module>/, each with its own pinned go.mod) once per
 * content of its module, outside the clone: module downloads and the build cache are Go's own (GOMODCACHE,
 * GOCACHE), the binary goes to ~/.cache/aksemu/interop/<module>-<hash>/. A warm run finds the binary and builds
 * nothing; a changed go.mod, go.sum or source file builds a new one.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../root.js';

const run = promisify(execFile);

/** test/interop/<module>: the harness's Go modules. */
export function interopModuleDir(module: string): string {
  return join(repoRoot(), 'test', 'interop', module);
}

function cacheRoot(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'aksemu', 'interop');
}

/** Hash of every file of the module (go.mod, go.sum, sources, local replacements), so any change rebuilds. */
function moduleHash(dir: string): string {
  const hash = createHash('sha256');
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(relative(dir, path)).update('\0').update(readFileSync(path)).update('\0');
    }
  };
  walk(dir);
  return hash.digest('hex').slice(0, 16);
}

/**
 * A program of the harness: `pkg` (as `go build` takes it) of module test/interop/<module>, named `name`; a
 * `testBinary` is a package's compiled tests (`go test -c`), as Kubernetes' e2e suite is run.
 */
export interface GoProgram {
  module: string;
  pkg: string;
  name: string;
  testBinary?: boolean;
}

/** Azure's KMS plugin (Azure/kubernetes-kms), pinned by test/interop/azure-kms-plugin/go.mod. */
export const AZURE_KMS_PLUGIN: GoProgram = { module: 'azure-kms-plugin', pkg: 'github.com/Azure/kubernetes-kms/cmd/server', name: 'azure-kms-plugin' };
/** A driver over kube-apiserver's envelope encryption code (k8s.io/apiserver), test/interop/envelope/. */
export const ENVELOPE_DRIVER: GoProgram = { module: 'envelope', pkg: './cmd/envelope', name: 'envelope' };
/** The real kube-apiserver (k8s.io/kubernetes), opt-in: its cold build takes minutes of two cores. */
export const KUBE_APISERVER: GoProgram = { module: 'kube-apiserver', pkg: 'k8s.io/kubernetes/cmd/kube-apiserver', name: 'kube-apiserver' };
/** Kubernetes' e2e suite at the same release (its conformance specs), opt-in: a cold build takes about 10 minutes. */
export const E2E_SUITE: GoProgram = { module: 'e2e', pkg: 'k8s.io/kubernetes/test/e2e', name: 'e2e.test', testBinary: true };
/** What `npm test` runs; .ci/run builds these before the suite (testkit/interop/build-programs.ts). */
export const DEFAULT_SUITE_PROGRAMS = [AZURE_KMS_PLUGIN, ENVELOPE_DRIVER];

/**
 * The path of the program, built from its module. The first call per content builds (minutes when the module
 * cache is cold); later ones find the binary.
 */
export async function goBinary({ module, pkg, name, testBinary }: GoProgram): Promise<string> {
  const dir = interopModuleDir(module);
  const outDir = join(cacheRoot(), `${module}-${moduleHash(dir)}`);
  const out = join(outDir, name);
  if (existsSync(out)) return out;
  mkdirSync(outDir, { recursive: true });
  const partial = `${out}.partial-${process.pid}`;
  // -mod=readonly: go.sum is the pin; a build never rewrites the repository's files. Modules come from the Go
  // module proxy; should one ever be fetched from its repository instead, git fails rather than asking for a login.
  const command = testBinary ? ['test', '-c'] : ['build'];
  await run('go', [...command, '-mod=readonly', '-trimpath', '-o', partial, pkg], {
    cwd: dir,
    env: { ...process.env, GOFLAGS: '-buildvcs=false', GIT_TERMINAL_PROMPT: '0' },
    maxBuffer: 16 * 1024 * 1024,
  }).catch((err: Error & { stderr?: string }) => {
    throw new Error(`go ${command.join(' ')} ${pkg} in test/interop/${module} failed: ${err.stderr ?? err.message}`);
  });
  renameSync(partial, out); // atomic: a concurrent test file sees either no binary or a whole one
  return out;
}
