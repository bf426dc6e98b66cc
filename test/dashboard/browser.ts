/**
 * What the dashboard's browser tests share beyond testkit/dashboard/browser.ts (chromium, the sign-in link): the
 * page's CSP refusals, reading a table by its caption, and the screenshots the README shows.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { openSignInLink } from '../../testkit/dashboard/browser.js';
import { ROOT } from '../../testkit/emulator.js';

/**
 * A new browser context on `link` (testkit/dashboard/browser.ts), with the page's Content-Security-Policy refusals
 * collected for cspViolations.
 */
export async function openLink(browser: Browser, link: string): Promise<Page> {
  const refused: string[] = [];
  const page = await openSignInLink(browser, link, (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) refused.push(m.text());
  });
  cspReports.set(page, refused);
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
