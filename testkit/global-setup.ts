/**
 * Runs once, in the main vitest process, before any test file's process starts.
 *
 * Node reads NODE_EXTRA_CA_CERTS only when a process starts, so the Azure SDK tests (which run inside the test
 * processes, configured only through the environment as a user's shell would be) need to trust the emulator's
 * CA before they start. Every test emulator's data directory is therefore seeded with one shared test CA (and
 * master key) made here; its certificate is what the test processes trust.
 *
 * Everything the tests write to the temporary directory (data directories, HOMEs, kubeconfigs, and what the
 * emulators, az and kubectl they spawn write there) goes into one directory per run, through TMPDIR, removed when
 * the run ends. Its name is short on purpose: unix socket paths under it (KMS plugins) must stay under 108 bytes.
 *
 * The in-process test emulators run from TypeScript sources, where no script for the KMS plugins' thread exists
 * (the build puts one beside the compiled emulator): one is bundled here from the sources with esbuild for the
 * tests of that thread (AKSEMU_TEST_PLUGIN_WORKER, read by testkit/emulator.ts). It lives under
 * node_modules/.cache, where its npm imports resolve.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { build } from 'esbuild';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paths } from '../src/config/data-dir.js';
import { LocalCa } from '../src/tls/local-ca.js';
import { Sealer, createMasterKey } from '../src/secrets/sealer.js';
import { repoRoot } from './root.js';

export default async function setup(): Promise<() => void> {
  const root = repoRoot();
  if (!existsSync(join(root, 'dist', 'src', 'cli', 'main.js')) || !existsSync(join(root, 'dist', 'bundle', 'main.js'))) {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  }
  const run = mkdtempSync(join(tmpdir(), 'ak-'));
  process.env.TMPDIR = run;
  const seed = mkdtempSync(join(run, 'aksemu-test-seed-'));
  const sealer = new Sealer(createMasterKey(paths.masterKey(seed)));
  await LocalCa.loadOrCreate(seed, sealer);
  process.env.AKSEMU_TEST_SEED = seed;
  process.env.NODE_EXTRA_CA_CERTS = paths.caCert(seed);
  const cache = join(root, 'node_modules', '.cache', 'aksemu-test');
  mkdirSync(cache, { recursive: true });
  const worker = join(cache, `plugin-thread-worker-${basename(run)}.mjs`);
  await build({ entryPoints: [join(root, 'src', 'kms', 'plugin-thread-worker.ts')], outfile: worker, bundle: true, platform: 'node', target: 'node20', format: 'esm', packages: 'external', logLevel: 'warning' });
  process.env.AKSEMU_TEST_PLUGIN_WORKER = worker;
  return () => {
    rmSync(run, { recursive: true, force: true });
    rmSync(worker, { force: true });
  };
}
