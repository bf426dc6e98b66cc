/**
 * How long clients wait between polls of a long-running operation: the emulator's hints (`Retry-After` in whole
 * seconds, never 0, for az; `Retry-After-Ms` for clients that read the finer one) and the order in which the
 * aksemu CLI reads them (the Azure SDK for JavaScript's order: milliseconds first).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryAfter } from '../../src/cli/az/client/arm.js';
import { removeDataDir, startTestEmulator } from '../../testkit/emulator.js';
import { getToken, httpsCall } from '../../testkit/http.js';

const headers = (h: Record<string, string>) => ({ header: (name: string) => h[name] });

describe('the CLI reads poll hints as the Azure SDK for JavaScript does', () => {
  it('prefers retry-after-ms, then x-ms-retry-after-ms, then Retry-After in seconds, else 1 s', () => {
    expect(retryAfter(headers({ 'retry-after-ms': '50', 'retry-after': '1' }))).toBe(50);
    expect(retryAfter(headers({ 'x-ms-retry-after-ms': '75', 'retry-after': '1' }))).toBe(75);
    expect(retryAfter(headers({ 'retry-after': '3' }))).toBe(3000);
    expect(retryAfter(headers({}))).toBe(1000);
    expect(retryAfter(headers({ 'retry-after-ms': 'soon', 'retry-after': '2' }))).toBe(2000);
  });
});

describe('the emulator hints at instant speed', () => {
  let emu: Awaited<ReturnType<typeof startTestEmulator>>;
  beforeAll(async () => {
    emu = await startTestEmulator();
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('a resource group delete answers 202 with Retry-After 1 (az reads 0 as absent) and Retry-After-Ms 50', async () => {
    const token = await getToken(emu.url, emu.env);
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const rg = `${emu.url}/subscriptions/${emu.env.AZURE_SUBSCRIPTION_ID}/resourcegroups/polling?api-version=2021-04-01`;
    expect((await httpsCall(rg, { method: 'PUT', headers: auth, body: JSON.stringify({ location: 'eastus' }) })).status).toBe(201);
    const del = await httpsCall(rg, { method: 'DELETE', headers: auth });
    expect(del.status).toBe(202);
    expect(del.headers['retry-after']).toBe('1');
    expect(del.headers['retry-after-ms']).toBe('50');
  });
});
