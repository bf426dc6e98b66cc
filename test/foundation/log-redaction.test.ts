/**
 * SPEC Z-4: a client secret sent in a query string is refused as Entra ID refuses it (it reads credentials from
 * the body only), and no credential in a URL reaches the log.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/frontdoor/log-redaction.js';
import { removeDataDir, startTestEmulator } from '../../testkit/emulator.js';
import { httpsCall } from '../../testkit/http.js';

describe('credentials in URLs', () => {
  let emu: Awaited<ReturnType<typeof startTestEmulator>>;
  const lines: string[] = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    emu = await startTestEmulator({ logger: pino({ level: 'info' }, sink) });
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('redacts the sensitive query parameters and keeps the rest', () => {
    expect(redactUrl('/x?api-version=1&client_secret=s3cr3t&Access_Token=t0k&code=c&scope=a%20b')).toBe('/x?api-version=1&client_secret=REDACTED&Access_Token=REDACTED&code=REDACTED&scope=a%20b');
    expect(redactUrl('/plain')).toBe('/plain');
    expect(redactUrl('/x?%E0%A4%A=1&password=p')).toBe('/x?%E0%A4%A=1&password=REDACTED');
  });

  it("refuses a client secret in the token request's query string with Entra ID's error, and logs no credential", async () => {
    const secret = emu.env.AZURE_CLIENT_SECRET!;
    const res = await httpsCall(`${emu.url}/_login/${emu.env.AZURE_TENANT_ID}/oauth2/v2.0/token?client_secret=${encodeURIComponent(secret)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: emu.env.AZURE_CLIENT_ID!, scope: 'https://management.azure.com/.default' }).toString(),
    });
    expect(res.status).toBe(401);
    expect(res.json().error_description).toMatch(/^AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'\./);
    await httpsCall(`${emu.url}/subscriptions?api-version=2022-12-01&access_token=leaky-token-value`);
    const log = lines.join('');
    expect(log).toContain('client_secret=REDACTED');
    expect(log).toContain('access_token=REDACTED');
    expect(log).not.toContain(secret);
    expect(log).not.toContain(encodeURIComponent(secret));
    expect(log).not.toContain('leaky-token-value');
  });
});
