/**
 * The dashboard shows a principal only what the API lets it read (SPEC U-1, Z-1): a service principal with no role
 * sees no subscription, group or cluster; a Reader of one resource group sees that group's cluster posture, is told
 * it may not read its nodes (aksemu's own API needs the Emulator Operator role or Owner), and sees nothing of another
 * group; the change feed tells each caller only of changes where it may read. Each signs in through its own one-time
 * link: the code is minted with its own token, so a link never carries more rights than its asker has.
 */
import { request } from 'node:https';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { removeDataDir } from '../../testkit/emulator.js';
import { getToken } from '../../testkit/http.js';
import { describeWith } from '../../testkit/optional.js';
import { kit, vault } from '../kms/fixtures.js';
import { launchChromium } from '../../testkit/dashboard/browser.js';
import { openLink, screenshot } from './browser.js';
import { postureInstance, type Posture } from './fixture.js';

const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';

describeWith(['chromium'], 'dashboard: what each principal may see', () => {
  let p: Posture;
  let browser: Browser;
  let sub: string;
  const principals: Record<string, { token: string; objectId: string }> = {};
  const hiddenRg = 'hidden';
  const hiddenVault = 'kv-hidden-dash';

  async function principal(name: string, roles: Array<[string, string]>) {
    const sp = await p.emu.core.directory.createPrincipal({ displayName: `dash-${name}-${randomUUID().slice(0, 6)}`, type: 'ServicePrincipal' });
    const secret = `s-${randomUUID()}`;
    await p.emu.core.directory.addSecret(sp.appId, secret);
    for (const [role, scope] of roles) {
      const r = await p.arm(`${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, p.owner, 'PUT', {
        properties: { roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${role}`, principalId: sp.objectId, principalType: 'ServicePrincipal' },
      });
      expect(r.status, r.text).toBe(201);
    }
    principals[name] = { token: await getToken(p.emu.url, { ...p.emu.env, AZURE_CLIENT_ID: sp.appId, AZURE_CLIENT_SECRET: secret }), objectId: sp.objectId };
  }

  /** The principal's own sign-in link: the code is minted with its token, for itself. */
  async function signedInAs(name: string): Promise<Page> {
    const r = await p.arm('/_aksemu/ui/api/sign-in-codes', principals[name]!.token, 'POST', {});
    expect(r.status, r.text).toBe(200);
    const page = await openLink(browser, `${p.emu.url}${r.json().path}`);
    await page.getByRole('heading', { name: 'Clusters', exact: true }).waitFor();
    return page;
  }

  /** The change feed as `token` sees it for `ms` after `act` ran: the scopes it was told of. */
  function feed(token: string, act: () => Promise<void>, ms = 1500): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const u = new URL(`${p.emu.url}/_aksemu/ui/api/events`);
      const req = request({ hostname: u.hostname, port: u.port, path: u.pathname, ca: p.emu.core.ca.certPem, headers: { authorization: `Bearer ${token}` } }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`the feed answered ${res.statusCode}`));
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString('utf8')));
        res.once('data', () => {
          act().then(
            () => setTimeout(() => (req.destroy(), resolve(text.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.type === 'change').map((e) => e.scope as string))), ms),
            reject,
          );
        });
      });
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      req.end();
    });
  }

  beforeAll(async () => {
    p = await postureInstance('access');
    sub = p.emu.info.subscriptionId;
    const k = kit(p.emu.env);
    expect((await p.arm(`/subscriptions/${sub}/resourcegroups/${hiddenRg}?api-version=2021-04-01`, p.owner, 'PUT', { location: 'eastus' })).status).toBe(201);
    await vault(k, hiddenRg, hiddenVault);
    await principal('nobody', []);
    await principal('groupReader', [[READER, `/subscriptions/${sub}/resourceGroups/${p.rg}`]]);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await p?.emu.close();
    if (p) removeDataDir(p.emu.dataDir);
  });

  it('a principal without a role sees no subscription, no cluster, no vault, and is refused the alerts', async () => {
    const token = principals.nobody!.token;
    expect((await p.arm('/subscriptions?api-version=2022-12-01', token)).json().value).toEqual([]);
    const page = await signedInAs('nobody');
    await page.getByText('No subscription you can read.').waitFor();
    await page.evaluate(`location.hash = '#/alerts'`);
    const refused = page.getByRole('status').filter({ hasText: 'Not authorized to read the alerts' });
    await refused.waitFor();
    expect((await p.arm('/_aksemu/alerts', token)).status).toBe(403);
    await page.evaluate(`location.hash = '#/audit'`);
    await page.getByText('No vaults you can read.').waitFor();
    await page.evaluate(`location.hash = '#/kms'`);
    await page.getByText('No managed clusters you can read.').waitFor();
    const seen = await page.locator('body').innerText();
    for (const secret of [p.rg, p.cluster, p.vaultName, hiddenRg, hiddenVault]) expect(seen).not.toContain(secret);
    await page.evaluate(`location.hash = '#/'`);
    await page.getByText('No subscription you can read.').waitFor();
    await page.context().close();
  });

  it("a Reader of one group sees that group's cluster posture, not its nodes (refused as by the API), and nothing of another group", async () => {
    const token = principals.groupReader!.token;
    const groups = (await p.arm(`/subscriptions/${sub}/resourcegroups?api-version=2021-04-01`, token)).json().value.map((g: any) => g.name);
    expect(groups).toEqual([p.rg]);
    const page = await signedInAs('groupReader');
    await page.getByRole('table', { name: `Node pool posture of ${p.cluster}` }).waitFor();
    const headings = await page.getByRole('heading', { name: /^Resource group / }).allTextContents();
    expect(headings).toEqual(groups.map((g: string) => `Resource group ${g}`));
    const nodes = await p.arm(`/_aksemu/nodes?cluster=${p.cluster}&resourceGroup=${p.rg}`, token);
    expect(nodes.status).toBe(403);
    await page.getByRole('status').filter({ hasText: `Not authorized to read the nodes of ${p.cluster}: (${nodes.json().error.code})` }).waitFor();
    await page.evaluate(`location.hash = '#/audit'`);
    const vaultChoice = page.getByLabel('Vault');
    await vaultChoice.waitFor();
    const vaultNames = (await vaultChoice.locator('option').allTextContents()).filter((o) => o !== 'choose a vault');
    expect(vaultNames).toEqual([p.vaultName]);
    const seen = await page.locator('body').innerText();
    for (const secret of [hiddenRg, hiddenVault]) expect(seen).not.toContain(secret);
    await page.evaluate(`location.hash = '#/'`);
    await page.getByRole('table', { name: `Node pool posture of ${p.cluster}` }).waitFor();
    await screenshot(page, 'group-reader');
    await page.context().close();
  });

  it('the change feed tells each caller only of changes where it may read', async () => {
    const touch = async () => {
      for (const rg of [p.rg, hiddenRg]) {
        const r = await p.arm(`/subscriptions/${sub}/resourcegroups/${rg}?api-version=2021-04-01`, p.owner, 'PATCH', { tags: { touched: randomUUID() } });
        expect(r.status, r.text).toBe(200);
      }
    };
    const [owner, reader, nobody] = await Promise.all([feed(p.owner, touch), feed(principals.groupReader!.token, touch), feed(principals.nobody!.token, touch)]);
    const group = (rg: string) => `/subscriptions/${sub}/resourceGroups/${rg}`;
    expect(owner).toEqual(expect.arrayContaining([group(p.rg), group(hiddenRg)]));
    expect(reader).toContain(group(p.rg));
    expect(reader.every((s) => s.toLowerCase().startsWith(group(p.rg).toLowerCase()))).toBe(true);
    expect(nobody).toEqual([]);
    // The feed asks for a token like every API.
    const anonymous = await p.arm('/_aksemu/ui/api/events', '');
    expect(anonymous.status).toBe(401);
  });
});
