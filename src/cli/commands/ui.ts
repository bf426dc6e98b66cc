/**
 * `aksemu ui [--data-dir D] [--no-open] [--expires-in SECONDS]`: a one-time sign-in link to the running instance's
 * dashboard for the account the CLI acts as (the instance's default user, or the account `aksemu login` chose).
 * The CLI asks the instance for a code for itself with its own token; the page redeems the code once for a token of
 * that principal, so the dashboard shows exactly what that account may read. Opens the link where a browser exists.
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { paths, resolveDataDir } from '../../config/data-dir.js';
import { locateInstance } from '../az/client/instance.js';
import { CommandError, UsageError } from '../errors.js';
import { callInstanceApi } from './node.js';

/** The program that opens a URL in the desktop's browser, if this machine has a desktop. */
function browserOpener(): string | undefined {
  if (process.platform === 'darwin') return 'open';
  if (process.platform === 'win32') return undefined;
  return process.env.DISPLAY || process.env.WAYLAND_DISPLAY ? 'xdg-open' : undefined;
}

function openInBrowser(url: string): boolean {
  const opener = browserOpener();
  if (!opener) return false;
  try {
    const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}

export function registerUi(program: Command): void {
  program
    .command('ui')
    .description("print (and open) a one-time sign-in link to the instance's security posture dashboard")
    .option('--no-open', 'print the link only, do not open a browser')
    .option('--expires-in <seconds>', 'how long the link may be used, 1 to 600 seconds', '120')
    .option('--data-dir <dir>', 'instance data directory (default: $AKSEMU_DATA_DIR or ~/.local/share/aksemu)')
    .action(async (opts: { open: boolean; expiresIn: string; dataDir?: string }) => {
      if (!/^\d+$/.test(opts.expiresIn) || Number(opts.expiresIn) < 1 || Number(opts.expiresIn) > 600) {
        throw new UsageError(`--expires-in must be a whole number of seconds from 1 to 600, not '${opts.expiresIn}'`);
      }
      const dataDir = resolveDataDir(opts.dataDir);
      let baseUrl: string;
      try {
        baseUrl = locateInstance(dataDir).baseUrl;
      } catch (err) {
        throw new CommandError((err as Error).message);
      }
      const r = (await callInstanceApi({ dataDir }, 'POST', '/_aksemu/ui/api/sign-in-codes', { lifetimeSeconds: Number(opts.expiresIn) })) as { path: string; expiresOn: string; principal: string };
      const link = `${baseUrl}${r.path}`;
      process.stdout.write(`${link}\n`);
      process.stderr.write(`One-time sign-in link for ${r.principal}, valid until ${r.expiresOn}. The browser must trust the instance's CA (${paths.caCert(dataDir)}) or be told to accept its certificate.\n`);
      if (opts.open && openInBrowser(link)) process.stderr.write('Opened in the browser.\n');
    });
}
