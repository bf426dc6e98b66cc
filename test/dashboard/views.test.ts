/**
 * The dashboard's views against the APIs they read, in a real browser (Debian's chromium, headless): the posture
 * table following a pool scaled through ARM, a node's boot
 * and attestation, KMS encryption status following a secret created with kubectl and a migration without reload,
 * the Key Vault audit log with filters, Defender-style alerts, the emulated clock (SPEC U-1).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { removeDataDir } from '../../testkit/emulator.js';
import { kubectl, kubectlHome, type KubectlHome } from '../../testkit/kube/kube-env.js';
import { describeWith } from '../../testkit/optional.js';
import { importKey, kit } from '../kms/fixtures.js';
import { launchChromium, signInLink } from '../../testkit/dashboard/browser.js';
import { cspViolations, openLink, screenshot, tableRows } from './browser.js';
import { postureInstance, type Posture } from './fixture.js';

describeWith(['chromium', 'kubectl'], 'dashboard views', () => {
  let p: Posture;
  let browser: Browser;
  let page: Page;
  let kube: KubectlHome;
  let nodes: any[];
  const nodeOf = (pool: string) => nodes.find((n) => n.pool === pool)!.name as string;
  const q = () => `cluster=${p.cluster}&resourceGroup=${p.rg}`;
  const go = async (hash: string) => {
    await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
  };
  /** A value the page keeps until it is loaded again: still there means no reload happened. */
  const markPage = () => page.evaluate<void>('window.__notReloaded = true');
  const notReloaded = () => page.evaluate<boolean>('window.__notReloaded === true');
  /** The text of the element `selector` picks, polled until it matches (the page follows changes on its own). */
  const text = (selector: string) => page.locator(selector).first().textContent({ timeout: 1000 }).catch(() => null);

  beforeAll(async () => {
    p = await postureInstance('views');
    const raw = (await p.arm(`${p.clusterId}?api-version=2026-04-01`)).json();
    nodes = (await p.arm(`/_aksemu/nodes?${q()}`)).json().value;
    kube = await kubectlHome(p.emu as never, { uid: raw.properties.resourceUID, armId: p.clusterId, fqdn: raw.properties.fqdn, name: p.cluster, resourceGroup: p.rg, nodeNames: [] } as never);
    browser = await launchChromium();
    page = await openLink(browser, await signInLink(p.emu.dataDir));
    await page.getByRole('heading', { name: `Cluster ${p.cluster}` }).waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await p?.emu.close();
    if (p) removeDataDir(p.emu.dataDir);
  });

  it('the posture table follows a pool scaled through ARM elsewhere, without reload', async () => {
    const caption = `Node pool posture of ${p.cluster}`;
    const nodesCol = 2;
    const count = async () => (await tableRows(page, caption)).find((r) => r[0] === 'vtpm')![nodesCol];
    expect(await count()).toBe('1');
    await markPage();
    const pool = (await p.arm(`${p.clusterId}/agentPools/vtpm?api-version=2026-04-01`)).json();
    const put = await p.arm(`${p.clusterId}/agentPools/vtpm?api-version=2026-04-01`, p.owner, 'PUT', { properties: { ...pool.properties, count: 2 } });
    expect(put.status, put.text).toBeLessThan(300);
    await expect.poll(count, { timeout: 10_000 }).toBe('2');
    const listed = (await p.arm(`/_aksemu/nodes?${q()}`)).json().value.filter((n: any) => n.pool === 'vtpm').map((n: any) => n.name);
    await expect.poll(async () => (await tableRows(page, `Nodes of ${p.cluster}`)).filter((r) => r[1] === 'vtpm').length, { timeout: 10_000 }).toBe(listed.length);
    expect(await notReloaded()).toBe(true);
    nodes = (await p.arm(`/_aksemu/nodes?${q()}`)).json().value;
  });

  it("a node's page: the components Secure Boot checked, the PCR values and the attestation, as the boot log answers them", async () => {
    const name = nodeOf('tl');
    await page.getByRole('link', { name, exact: true }).click();
    await page.getByRole('heading', { name: `Node ${name}` }).waitFor();
    const log = (await p.arm(`/_aksemu/nodes/${name}/boot-log?${q()}`)).json();
    const steps = await tableRows(page, 'Components Secure Boot checked');
    expect(steps.map((r) => [r[1], r[2]])).toEqual(log.boot.steps.map((s: any) => [s.label, s.verification]));
    const pcrs = await tableRows(page, /vTPM PCR values/);
    expect(Object.fromEntries(pcrs.map(([pcr, value]) => [pcr, value]))).toEqual(log.pcrs);
    expect(Object.keys(log.pcrs).length).toBeGreaterThan(0);
    // A fresh quote verified by the instance, then the last attestation (live) as the boot log now tells it.
    await markPage();
    await page.getByRole('button', { name: 'Quote and verify now' }).click();
    const fresh = await tableRows(page, 'Verification of the fresh quote');
    expect(fresh.length).toBeGreaterThan(0);
    expect(fresh.every((r) => r[1] === 'passed')).toBe(true);
    const after = (await p.arm(`/_aksemu/nodes/${name}/boot-log?${q()}`)).json();
    await expect.poll(() => text('[data-field="attestation"]'), { timeout: 5000 }).toBe(`At ${after.attestation.at}: ${after.attestation.healthy ? 'healthy' : 'FAILED'}`);
    expect((await tableRows(page, 'Verification of the last quote')).map((r) => r[0])).toEqual(after.attestation.checks.map((c: any) => c.check));
    expect(await notReloaded()).toBe(true);
  });

  it('the KMS page shows the counts of `aks encryption status` and follows a secret created with kubectl without reload', async () => {
    await go(`#/kms?rg=${p.rg}&cluster=${p.cluster}`);
    const total = page.locator('[data-field="total"]');
    await total.waitFor();
    const status = async () => (await p.arm(`/_aksemu/aks/encryption?resourceGroup=${p.rg}&name=${p.cluster}`)).json();
    const before = await status();
    expect(await total.textContent()).toBe(String(before.total));
    expect(await page.locator('[data-field="plaintext"]').textContent()).toBe(String(before.plaintext));
    expect(await page.locator('[data-field="writer"]').textContent()).toBe(before.writer);
    await markPage();
    const created = await kubectl(kube, ['create', 'secret', 'generic', 'live-one', '--from-literal=v=1']);
    expect(created.code, created.stderr).toBe(0);
    await expect.poll(() => text('[data-field="total"]'), { timeout: 5000 }).toBe(String(before.total + 1));
    expect(await notReloaded()).toBe(true);
    const rows = await tableRows(page, 'Secrets per key version');
    const now = await status();
    expect(rows.filter((r) => r[0] !== '(plaintext)').map((r) => [r[6], r[3]])).toEqual(now.keys.map((k: any) => [k.keyVersion, String(k.secrets)]));
    expect(now.keys.find((k: any) => k.keyVersion === p.key.version)?.secrets).toBeGreaterThan(0);
  });

  it('a key rotation makes secrets stale, and a migration shows on the page as it runs and ends', async () => {
    // More secrets on the first key than a migration rewrites in one transaction (120), so that at 60 a second it
    // runs for a couple of seconds.
    const list = { apiVersion: 'v1', kind: 'List', items: Array.from({ length: 200 }, (_, i) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `batch-${i}` }, stringData: { v: String(i) } })) };
    const applied = await kubectl(kube, ['apply', '-f', '-'], JSON.stringify(list));
    expect(applied.code, applied.stderr).toBe(0);
    await markPage();
    const k = kit(p.emu.env);
    const next = await importKey(k, p.vaultName, p.key.name);
    const cur = await k.aks.managedClusters.get(p.rg, p.cluster);
    await k.aks.managedClusters.beginCreateOrUpdateAndWait(p.rg, p.cluster, { ...cur, securityProfile: { azureKeyVaultKms: { enabled: true, keyId: next.kid, keyVaultNetworkAccess: 'Public' } } });
    const stale = (await p.arm(`/_aksemu/aks/encryption?resourceGroup=${p.rg}&name=${p.cluster}`)).json().stale;
    expect(stale).toBeGreaterThan(0);
    await expect.poll(() => text('[data-field="stale"]'), { timeout: 5000 }).toBe(String(stale));
    const started = await p.arm(`/_aksemu/aks/encryption/migrate?resourceGroup=${p.rg}&name=${p.cluster}&maxPerSecond=60`, p.owner, 'POST');
    expect(started.status, started.text).toBe(202);
    await expect.poll(() => text('h3#migration'), { timeout: 5000 }).toBe('Storage migration: Running');
    const midway = Number(await page.locator('#migration-progress').getAttribute('value'));
    expect(midway).toBeLessThan(Number(await page.locator('#migration-progress').getAttribute('max')));
    await screenshot(page, 'kms-migration');
    await expect.poll(() => text('h3#migration'), { timeout: 30_000 }).toBe('Storage migration: Succeeded');
    const done = (await p.arm(`/_aksemu/aks/encryption/migrate?resourceGroup=${p.rg}&name=${p.cluster}`)).json();
    expect(done.state).toBe('Succeeded');
    expect(await page.locator('#migration-progress').getAttribute('value')).toBe(String(done.processed));
    await expect.poll(() => text('[data-field="stale"]'), { timeout: 5000 }).toBe('0');
    expect(await notReloaded()).toBe(true);
  });

  it('the Key Vault audit log shows what `keyvault audit` reads, and filters it', async () => {
    await go(`#/audit?vault=${p.vaultName}`);
    const caption = new RegExp(`^Audit events of ${p.vaultName}`);
    await page.getByRole('table', { name: caption }).waitFor();
    const events = (await p.arm(`/_aksemu/keyvault/vaults/${p.vaultName}/audit?top=200`)).json().value as any[];
    expect(events.length).toBeGreaterThan(0);
    const rows = await tableRows(page, caption);
    // Newest first: the page's rows are the API's events reversed (the feed may have added some meanwhile).
    const latest = (await p.arm(`/_aksemu/keyvault/vaults/${p.vaultName}/audit?top=200`)).json().value as any[];
    expect(rows.map((r) => [r[0], r[1], r[2]])).toEqual(latest.slice().reverse().map((e) => [e.time, e.operationName, e.resultType]));
    await page.getByLabel('Result').selectOption('Success');
    await page.getByLabel('Operation contains').fill('Decrypt');
    const filtered = await tableRows(page, caption);
    const wanted = latest.filter((e) => e.resultType === 'Success' && e.operationName.toLowerCase().includes('decrypt'));
    expect(wanted.length).toBeGreaterThan(0);
    expect(filtered.length).toBe(wanted.length);
    expect(filtered.every((r) => /decrypt/i.test(r[1]!) && r[2] === 'Success')).toBe(true);
    await screenshot(page, 'audit');
  });

  it('alerts are the ones `alerts list` reads; a tampered kernel halts the boot and the node page says why', async () => {
    await go('#/alerts');
    const caption = /^Integrity alerts/;
    await page.getByRole('table', { name: caption }).waitFor();
    const alerts = (await p.arm('/_aksemu/alerts')).json().value as any[];
    expect(alerts.length).toBeGreaterThan(0);
    const rows = await tableRows(page, caption);
    expect(rows.map((r) => [r[2], r[3]])).toEqual(alerts.map((a) => [a.properties.alertDisplayName, a.properties.compromisedEntity]));
    await screenshot(page, 'alerts');

    const name = nodeOf('tl');
    await go(`#/node?rg=${p.rg}&cluster=${p.cluster}&name=${name}`);
    await page.getByRole('heading', { name: `Node ${name}` }).waitFor();
    await markPage();
    const t = await p.arm(`/_aksemu/nodes/${name}/tamper?${q()}`, p.owner, 'POST', { component: 'kernel' });
    expect(t.status, t.text).toBe(200);
    const halted = page.locator('[data-field="halted"]');
    await halted.waitFor({ timeout: 10_000 });
    const log = (await p.arm(`/_aksemu/nodes/${name}/boot-log?${q()}`)).json();
    expect(await halted.textContent()).toBe(`Boot halted at ${log.boot.halted.label}: ${log.boot.halted.detail} (${log.boot.halted.reason})`);
    expect(await notReloaded()).toBe(true);
    await screenshot(page, 'node-tampered');
  });

  it('the emulated clock, as /_aksemu/clock tells it, follows a change within a second or two', async () => {
    await go('#/clock');
    const shown = page.locator('[data-field="emulated-now"]');
    await shown.waitFor();
    const set = await p.arm('/_aksemu/clock', p.owner, 'PUT', { now: '2031-02-03T04:05:06Z' });
    expect(set.status, set.text).toBe(200);
    await expect.poll(() => text('[data-field="emulated-now"]'), { timeout: 3000 }).toMatch(/^2031-02-03T04:0/);
    const now = (await p.arm('/_aksemu/clock')).json().now as string;
    expect(Date.parse(now) - Date.parse((await shown.textContent())!)).toBeLessThan(3000);
  });

  it('every view ran under the strict Content-Security-Policy without a refusal (the chart included)', async () => {
    // The page was opened once and has shown every view above: its own script, style and requests only.
    expect(await page.locator('.chart canvas').count()).toBe(0);
    await page.evaluate(`location.hash = '#/kms?rg=${p.rg}&cluster=${p.cluster}'`);
    await page.locator('.chart canvas').waitFor();
    expect(cspViolations(page)).toEqual([]);
  });
});
