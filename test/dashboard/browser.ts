/**
 * What the dashboard's browser tests share: Debian's chromium driven headless by playwright-core, a sign-in link
 * from the real `aksemu ui` command, reading a table by its caption, and the screenshots the README shows.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CLI, ROOT } from '../../testkit/emulator.js';

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
export async function openLink(browser: Browser, link: string): Promise<Page> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const refused: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) refused.push(m.text());
  });
  cspReports.set(page, refused);
  await page.goto(link);
  return page;
}

const cspReports = new WeakMap<Page, string[]>();

/** What the page's Content-Security-Policy refused so far (chromium reports each refusal on the console). */
export function cspViolations(page: Page): string[] {
  return cspReports.get(page) ?? [];
}

/** The cells' texts of the table with this caption, one array per body row (header cells included). */
export async function tableRows(page: Page, caption: string | RegExp): Promise<string[][]> {
  const table = page.getByRole('table', { name: caption });
  await table.waitFor();
  return table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('th, td')].map((c) => (c.textContent ?? '').trim())));
}

/** The column's index in the table with this caption, by its header text. */
export async function columnIndex(page: Page, caption: string | RegExp, header: string): Promise<number> {
  const headers = await page.getByRole('table', { name: caption }).locator('thead th').allTextContents();
  const i = headers.findIndex((h) => h.trim() === header);
  if (i < 0) throw new Error(`no column '${header}' in ${String(caption)}: ${headers.join(', ')}`);
  return i;
}

/**
 * A screenshot of the view: written to docs/images/dashboard-<name>.png (the README's) when
 * AKSEMU_UPDATE_SCREENSHOTS=1, otherwise to the temporary directory, so that a test run leaves the repository as
 * it found it (ids differ from run to run, so every run's pictures differ).
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.AKSEMU_UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'images') : join(tmpdir(), 'aksemu-dashboard-screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `dashboard-${name}.png`), fullPage: true });
}

export const yesNo = (b: boolean | undefined) => (b ? 'Yes' : 'No');
