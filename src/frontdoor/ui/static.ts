/**
 * The dashboard's files: what `npm run build` bundled from ui/ into dist/ui (index.html, one script, one style
 * sheet), served as they are under `/_aksemu/ui/`. They hold no data; the page asks the authenticated APIs for
 * everything it shows. A strict Content-Security-Policy allows only the bundle's own script and style and requests
 * to this origin: no inline script, nothing from elsewhere.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface UiFile {
  body: Buffer;
  contentType: string;
}

/**
 * The built dashboard (`dist/ui`), found by walking up from this module: the code runs from dist/bundle (the CLI),
 * dist/src (compiled) or src (tests), all below the project's root. Undefined when it was not built.
 */
export function findUiDirectory(): string | undefined {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'dist', 'ui');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  }
  return undefined;
}

/** Every file of the built dashboard by its path under /_aksemu/ui/ ('' is index.html), read once at start. */
export function loadUiFiles(dir: string | undefined): Map<string, UiFile> {
  const files = new Map<string, UiFile>();
  if (!dir) return files;
  const walk = (sub: string) => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else if (CONTENT_TYPES[extname(entry.name)]) files.set(rel, { body: readFileSync(join(dir, rel)), contentType: CONTENT_TYPES[extname(entry.name)]! });
    }
  };
  walk('');
  const index = files.get('index.html');
  if (index) files.set('', index);
  return files;
}
