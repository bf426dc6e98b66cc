// Bundles the CLI into dist/bundle with esbuild: the project's own modules in a few files that load fast, npm
// packages left to node_modules. Two entry points: the CLI (bin/aksemu.js loads main.js) and the KMS plugins'
// thread, which src/kms/plugin-host.ts starts from the file beside the code that starts it. Run by `npm run build`.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'bundle');
rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: { main: join(root, 'src', 'cli', 'main.ts'), 'plugin-thread-worker': join(root, 'src', 'kms', 'plugin-thread-worker.ts') },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  splitting: true,
  outdir: out,
  sourcemap: true,
  logLevel: 'warning',
});
