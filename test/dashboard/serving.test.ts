/**
 * The dashboard's server side without a browser (SPEC U-1, I-3): its files with their content types, caching and
 * Content-Security-Policy; the sign-in code route's answers to bad input; the authorization-code grant's refusals,
 * a code redeemed by exactly one of several racing requests, an application's code giving an app-only token; only
 * a code's hash at rest; and `aksemu ui`'s usage errors.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, newDataDir, removeDataDir, startTestEmulator } from '../../testkit/emulator.js';
import { getToken, getUserToken, httpsCall } from '../../testkit/http.js';

const DASHBOARD_CLIENT = '3478f36a-9f48-46da-8157-193c1ae122e2';
const ARM_SCOPE = 'https://management.azure.com/.default';

describe('the dashboard on the front door', () => {
  let emu: Awaited<ReturnType<typeof startTestEmulator>>;
  let owner: string;
  const call = (path: string, o: { method?: string; token?: string; body?: string } = {}) =>
    httpsCall(`${emu.url}${path}`, { method: o.method ?? 'GET', headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(o.body !== undefined ? { body: o.body } : {}) });
  const code = async (token: string, lifetimeSeconds?: number) => {
    const r = await call('/_aksemu/ui/api/sign-in-codes', { method: 'POST', token, body: JSON.stringify(lifetimeSeconds === undefined ? {} : { lifetimeSeconds }) });
    expect(r.status, r.text).toBe(200);
    return new URLSearchParams(r.json().path.split('#')[1]).get('code')!;
  };
  const redeem = (form: Record<string, string>) =>
    httpsCall(`${emu.url}/_login/${emu.info.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: DASHBOARD_CLIENT, scope: ARM_SCOPE, ...form }).toString(),
    });
  const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

  beforeAll(async () => {
    emu = await startTestEmulator();
    owner = await getToken(emu.url, emu.env);
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('serves the built page with a strict CSP, hashed assets cached for good, and a JSON 404 for anything else', async () => {
    const index = await call('/_aksemu/ui/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-security-policy']).toBe("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    expect(index.headers['cache-control']).toBe('no-store');
    expect(index.text).not.toMatch(/<script>|<style>|https?:\/\//);
    const script = /src="(assets\/main-[A-Z0-9]+\.js)"/.exec(index.text)![1]!;
    const style = /href="(assets\/main-[A-Z0-9]+\.css)"/.exec(index.text)![1]!;
    const js = await call(`/_aksemu/ui/${script}`);
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    expect((await call(`/_aksemu/ui/${style}`)).headers['content-type']).toBe('text/css; charset=utf-8');
    // No file outside the built ones, whatever the path says (an encoded ../ reaches the route as it is).
    const missing = await call('/_aksemu/ui/assets/..%2F..%2Fpackage.json');
    expect(missing.status).toBe(404);
    expect(missing.json().error.code).toBe('NotFound');
    const bare = await call('/_aksemu/ui');
    expect(bare.status).toBe(308);
    expect(bare.headers.location).toBe('/_aksemu/ui/');
  });

  it('gives sign-in codes to signed-in callers only, and answers bad input with a 400', async () => {
    expect((await call('/_aksemu/ui/api/sign-in-codes', { method: 'POST', body: '{}' })).status).toBe(401);
    for (const body of ['{', '[1]', '{"lifetimeSeconds":0}', '{"lifetimeSeconds":601}', '{"lifetimeSeconds":"60"}', '{"lifetimeSeconds":1.5}']) {
      const r = await call('/_aksemu/ui/api/sign-in-codes', { method: 'POST', token: owner, body });
      expect(r.status, body).toBe(400);
      expect(r.json().error.code).toBe('InvalidRequestContent');
    }
    const before = await emu.core.store.count('/identity/sign-in-codes/');
    const c = await code(owner);
    expect(await emu.core.store.count('/identity/sign-in-codes/')).toBe(before + 1);
    // Only the code's hash is at rest: neither the key nor the record holds the code.
    const { items } = await emu.core.store.range('/identity/sign-in-codes/');
    for (const kv of items) expect(`${kv.key} ${kv.value.toString('utf8')}`).not.toContain(c);
  });

  it('redeems a code once for a token of its asker, and refuses other clients, secrets and missing codes', async () => {
    const aad = (r: Awaited<ReturnType<typeof redeem>>) => ({ status: r.status, error: r.json().error, codes: r.json().error_codes });
    expect(aad(await redeem({ code: await code(owner), client_id: '04b07795-8ddb-461a-bbee-02f9e1bf7b46' }))).toEqual({ status: 400, error: 'unauthorized_client', codes: [700016] });
    expect(aad(await redeem({ code: await code(owner), client_secret: 'x' }))).toEqual({ status: 401, error: 'invalid_client', codes: [700025] });
    expect(aad(await redeem({}))).toEqual({ status: 400, error: 'invalid_request', codes: [900144] });
    expect(aad(await redeem({ code: 'not-a-code' }))).toEqual({ status: 400, error: 'invalid_grant', codes: [54005] });
    // Racing redemptions: exactly one gets the token.
    const c = await code(owner);
    const answers = await Promise.all(Array.from({ length: 6 }, () => redeem({ code: c })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400, 400, 400, 400, 400]);
    // The instance's service principal asked: an app-only token of that principal.
    const app = claims(answers.find((a) => a.status === 200)!.json().access_token);
    expect(app).toMatchObject({ idtyp: 'app', oid: emu.info.defaultPrincipal.objectId, aud: 'https://management.azure.com/' });
    // The default user asked: a user token of the user, through the dashboard's client.
    const user = await getUserToken(emu.url, emu.env);
    const u = await redeem({ code: await code(user) });
    expect(u.status, u.text).toBe(200);
    expect(claims(u.json().access_token)).toMatchObject({ idtyp: 'user', oid: emu.info.defaultUser.objectId, appid: DASHBOARD_CLIENT, appidacr: '0' });
    expect(u.json().refresh_token).toBeUndefined();
  });
});

describe('aksemu ui: usage errors', () => {
  const run = promisify(execFile);
  const ui = async (args: string[]) => {
    try {
      await run(process.execPath, [CLI, 'ui', '--no-open', ...args]);
      return { code: 0, stderr: '' };
    } catch (err) {
      const e = err as { code: number; stderr: string };
      return { code: e.code, stderr: e.stderr };
    }
  };

  it('refuses a bad --expires-in, and says when no instance runs in the data directory', async () => {
    const dir = newDataDir();
    try {
      const bad = await ui(['--expires-in', '0', '--data-dir', dir]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--expires-in must be a whole number of seconds from 1 to 600, not '0'/);
      const none = await ui(['--data-dir', dir]);
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/No aksemu instance has been started with the data directory/);
    } finally {
      removeDataDir(dir);
    }
  });
});
