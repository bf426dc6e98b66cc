/**
 * The dashboard in a real browser (Debian's chromium, headless): `aksemu ui` prints a one-time sign-in link, the
 * page redeems its code for a token of the CLI's account and drops the code from the address bar, and the posture
 * table shows what ARM answers for each node pool. A link works once, and not after it expired (SPEC U-1, I-3).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { removeDataDir } from '../../testkit/emulator.js';
import { describeWith } from '../../testkit/optional.js';
import { launchChromium, signInLink } from '../../testkit/dashboard/browser.js';
import { columnIndex, openLink, screenshot, tableRows, yesNo } from './browser.js';
import { postureInstance, type Posture } from './fixture.js';

describeWith(['chromium'], 'dashboard: sign-in and the posture table', () => {
  let p: Posture;
  let browser: Browser;

  beforeAll(async () => {
    p = await postureInstance('posture');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await p?.emu.close();
    if (p) removeDataDir(p.emu.dataDir);
  });

  it('the sign-in link opens the dashboard as the default user; the code leaves the URL, the token stays in the tab', async () => {
    const link = await signInLink(p.emu.dataDir);
    expect(link).toMatch(new RegExp(`^${p.emu.url}/_aksemu/ui/#code=[A-Za-z0-9_-]{43}&tenant=${p.emu.info.tenantId}$`));
    const page = await openLink(browser, link);
    await page.getByRole('heading', { name: `Cluster ${p.cluster}` }).waitFor();
    expect(await page.locator('header .who strong').textContent()).toBe(p.emu.info.defaultUser.userPrincipalName);
    expect(page.url()).not.toContain('code=');
    expect(page.url()).toBe(`${p.emu.url}/_aksemu/ui/#/`);
    const stored = await page.evaluate<string>("Object.values(sessionStorage).join(' ')");
    const token = JSON.parse(stored).token as string;
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    // A token of the default user itself, through the dashboard's client: the principal is the real one.
    expect(claims.oid).toBe(p.emu.info.defaultUser.objectId);
    expect(claims.idtyp).toBe('user');
    expect((await p.arm(`/subscriptions/${p.emu.info.subscriptionId}/resourcegroups?api-version=2021-04-01`, token)).status).toBe(200);
    await page.context().close();
  });

  it("the posture table shows each pool's FIPS, Secure Boot, vTPM, version and image as ARM answers them", async () => {
    const page = await openLink(browser, await signInLink(p.emu.dataDir));
    const caption = `Node pool posture of ${p.cluster}`;
    const rows = await tableRows(page, caption);
    const pools = (await p.arm(`${p.clusterId}/agentPools?api-version=2026-04-01`)).json().value as any[];
    expect(rows.map((r) => r[0]).sort()).toEqual(pools.map((x) => x.name).sort());
    const col = async (h: string) => columnIndex(page, caption, h);
    const [fips, secureBoot, vtpm, version, image] = [await col('FIPS'), await col('Secure Boot'), await col('vTPM'), await col('Kubernetes version'), await col('OS image')];
    for (const pool of pools) {
      const row = rows.find((r) => r[0] === pool.name)!;
      expect(row[fips]).toBe(yesNo(pool.properties.enableFIPS));
      expect(row[secureBoot]).toBe(yesNo(pool.properties.securityProfile?.enableSecureBoot));
      expect(row[vtpm]).toBe(yesNo(pool.properties.securityProfile?.enableVTPM));
      expect(row[version]).toBe(pool.properties.currentOrchestratorVersion);
      expect(row[image]).toContain(pool.properties.nodeImageVersion);
    }
    // The fixture's pools differ, so a column that showed one value for all would fail above.
    expect(new Set(rows.map((r) => r[fips]))).toEqual(new Set(['No', 'Yes']));
    expect(new Set(rows.map((r) => r[secureBoot]))).toEqual(new Set(['No', 'Yes']));
    const cluster = (await p.arm(`${p.clusterId}?api-version=2026-04-01`)).json();
    const kms = cluster.properties.securityProfile.azureKeyVaultKms;
    expect(await page.locator('[data-field="kms-key"]').textContent()).toBe(`${p.vaultName}/${p.key.name}, version ${p.key.version}`);
    expect(kms.keyId).toBe(p.key.kid);
    expect(await page.locator('[data-field="kms-network"]').textContent()).toBe(kms.keyVaultNetworkAccess);
    const nodes = (await p.arm(`/_aksemu/nodes?cluster=${p.cluster}&resourceGroup=${p.rg}`)).json().value as any[];
    const nodeCaption = `Nodes of ${p.cluster}`;
    const nodeRows = await tableRows(page, nodeCaption);
    expect(nodeRows.map((r) => r[0]).sort()).toEqual(nodes.map((n) => n.name).sort());
    // Each node's own facts (what its firmware and kernel report), not its pool's settings.
    const nodeCol = async (h: string) => columnIndex(page, nodeCaption, h);
    const [nFips, nSecureBoot, nVtpm] = [await nodeCol('FIPS'), await nodeCol('Secure Boot'), await nodeCol('vTPM')];
    const firmware = (v: string) => (v === 'unsupported' ? 'Unsupported' : yesNo(v === 'enabled'));
    for (const n of nodes) {
      const row = nodeRows.find((r) => r[0] === n.name)!;
      expect([row[nFips], row[nSecureBoot], row[nVtpm]], n.name).toEqual([yesNo(n.fipsEnabled), firmware(n.facts.secureBoot), yesNo(n.facts.vtpm)]);
    }
    expect(new Set(nodeRows.map((r) => r[nSecureBoot]))).toEqual(new Set(['No', 'Yes']));
    await screenshot(page, 'clusters');
    await page.context().close();
  });

  it('is usable from the keyboard, with landmarks and labelled tables: skip link, sign-out, then the views', async () => {
    const page = await openLink(browser, await signInLink(p.emu.dataDir));
    await page.getByRole('heading', { name: `Cluster ${p.cluster}` }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Views' }).getByRole('link').allTextContents()).toEqual(['Clusters', 'KMS encryption', 'Key Vault audit', 'Alerts', 'Clock']);
    expect(await page.getByRole('main').count()).toBe(1);
    expect(await page.getByRole('table', { name: `Node pool posture of ${p.cluster}` }).getByRole('columnheader').count()).toBe(8);
    const focused = () => page.evaluate<string>("document.activeElement ? (document.activeElement.id || document.activeElement.textContent || '').trim() : ''");
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate<string>('document.activeElement.id')).toBe('main');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    expect(await focused()).toBe('KMS encryption');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'KMS encryption', exact: true }).waitFor();
    await page.getByLabel('Cluster').waitFor();
    expect(await page.evaluate<string>('document.activeElement.id')).toBe('main');
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('document.activeElement.id')).toBe('cluster-pick');
    expect(await page.getByLabel('Cluster').count()).toBe(1);
    await page.context().close();
  });

  it('a link works once: opened again, the sign-in is refused and nothing is shown', async () => {
    const link = await signInLink(p.emu.dataDir);
    const first = await openLink(browser, link);
    await first.getByRole('heading', { name: `Cluster ${p.cluster}` }).waitFor();
    const again = await openLink(browser, link);
    const alert = again.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/Sign-in refused: AADSTS54005: The provided authorization code is invalid or was already redeemed/);
    expect(await again.getByRole('heading', { name: `Cluster ${p.cluster}` }).count()).toBe(0);
    expect(await again.evaluate<number>('sessionStorage.length')).toBe(0);
    await first.context().close();
    await again.context().close();
  });

  it('a token the instance no longer accepts sends the user back to `aksemu ui`', async () => {
    const page = await openLink(browser, await signInLink(p.emu.dataDir));
    await page.getByRole('heading', { name: `Cluster ${p.cluster}` }).waitFor();
    // The stored token's signature no longer matches (as a token of another instance, or a forged one).
    await page.evaluate(`(() => { const k = Object.keys(sessionStorage)[0]; const s = JSON.parse(sessionStorage.getItem(k)); s.token = s.token.slice(0, -4) + 'AAAA'; sessionStorage.setItem(k, JSON.stringify(s)); })()`);
    await page.reload();
    await page.getByRole('status').filter({ hasText: 'Your sign-in has expired or was refused' }).first().waitFor();
    expect(await page.getByRole('heading', { name: `Cluster ${p.cluster}` }).count()).toBe(0);
    await page.context().close();
  });

  it('an expired link is refused', async () => {
    const link = await signInLink(p.emu.dataDir, ['--expires-in', '1']);
    await new Promise((r) => setTimeout(r, 1500));
    const page = await openLink(browser, link);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/Sign-in refused: AADSTS70008: The provided authorization code has expired/);
    await page.context().close();
  });
  it('a large cluster shows its first 100 nodes at once and the rest on request, as the node API lists them', async () => {
    const poolPath = `${p.clusterId}/agentPools/vtpm?api-version=2026-04-01`;
    const pool = (await p.arm(poolPath)).json();
    const put = await p.arm(poolPath, p.owner, 'PUT', { properties: { ...pool.properties, count: 105 } });
    expect(put.status, put.text).toBeLessThan(300);
    const q = `cluster=${p.cluster}&resourceGroup=${p.rg}`;
    const names = async () => ((await p.arm(`/_aksemu/nodes?${q}`)).json().value as Array<{ name: string }>).map((n) => n.name);
    await expect.poll(async () => (await names()).length, { timeout: 60_000 }).toBe(107);
    const listed = await names();
    const page = await openLink(browser, await signInLink(p.emu.dataDir));
    const caption = `Nodes of ${p.cluster}`;
    const first = await tableRows(page, caption);
    expect(first.map((r) => r[0])).toEqual(listed.slice(0, 100));
    expect(await page.getByText('Showing 100 of 107 nodes.').count()).toBe(1);
    await page.getByRole('button', { name: 'Show all 107 nodes' }).click();
    await expect.poll(async () => (await tableRows(page, caption)).map((r) => r[0]), { timeout: 10_000 }).toEqual(listed);
    expect(await page.getByRole('button', { name: /Show all/ }).count()).toBe(0);
    await page.context().close();
  }, 120_000);
});
