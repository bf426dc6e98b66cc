// Bundles the dashboard (ui/) into dist/ui with esbuild: one script and one style sheet with content hashes in their
// names (so they may be cached for good), and index.html naming them. Run by `npm run build`; no CDN, works offline.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'ui');
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });
const result = await build({
  entryPoints: [join(root, 'ui', 'src', 'main.tsx')],
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  platform: 'browser',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: true,
  entryNames: '[name]-[hash]',
  outdir: join(out, 'assets'),
  metafile: true,
  logLevel: 'warning',
});
const outputs = Object.keys(result.metafile.outputs).map((f) => basename(f));
const script = outputs.find((f) => f.endsWith('.js'));
const style = outputs.find((f) => f.endsWith('.css'));
if (!script || !style) throw new Error(`the dashboard bundle lacks a script or a style sheet: ${outputs.join(', ')}`);
const html = readFileSync(join(root, 'ui', 'index.html'), 'utf8').replace('{{SCRIPT}}', script).replace('{{STYLE}}', style);
writeFileSync(join(out, 'index.html'), html);
