/**
 * The dashboard in a real browser, for its tests and its benchmark: Debian's chromium driven headless by
 * playwright-core, and a sign-in link from the real `aksemu ui` command.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { CLI } from '../emulator.js';

const run = promisify(execFile);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
}

/** `aksemu ui --no-open` against the instance: the link it prints (stdout's one line). */
export async function signInLink(dataDir: string, extra: string[] = []): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI, 'ui', '--no-open', '--data-dir', dataDir, ...extra]);
  return stdout.trim();
}

/**
 * A new browser context (its own sessionStorage) on `link`. The instance's certificate comes from its own local CA,
 * which this browser profile does not trust: the context accepts it, as a user told to would.
 */
export async function openSignInLink(browser: Browser, link: string, onConsole?: (m: ConsoleMessage) => void): Promise<Page> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  if (onConsole) page.on('console', onConsole);
  await page.goto(link);
  return page;
}
