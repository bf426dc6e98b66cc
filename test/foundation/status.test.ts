/**
 * SPEC R-1: `/_aksemu/status` answers promptly in aksemu's own format, says whether the store answers without
 * naming where it is, and reports the Key Vault audit log's backlog; a store that is down is a 503 with
 * Retry-After within about a second, ARM answers its own 503 ServiceUnavailable meanwhile, and the status recovers by
 * itself when the store returns.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmulatorOnEtcd, type EtcdEmulator } from '../../testkit/etcd-emulator.js';
import { getToken, httpsCall } from '../../testkit/http.js';
import { describeWith } from '../../testkit/optional.js';
import { waitFor } from '../../testkit/wait.js';

describeWith(['etcd'], 'instance status', () => {
  let etcd: EtcdEmulator['etcd'];
  let emu: EtcdEmulator['emu'];
  let running: EtcdEmulator | undefined;
  let token: string;
  let vaultToken: string;
  const status = () => httpsCall(`${emu.url}/_aksemu/status`, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    running = await startEmulatorOnEtcd('/aksemu-status');
    ({ etcd, emu } = running);
    token = await getToken(emu.url, emu.env);
    vaultToken = await getToken(emu.url, emu.env, 'https://vault.azure.net/.default');
    const oid = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).oid as string;
    const sub = emu.info.subscriptionId;
    const put = (path: string, body: unknown) =>
      httpsCall(`${emu.url}/subscriptions/${sub}${path}`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await put('/resourcegroups/status?api-version=2021-04-01', { location: 'eastus' })).status).toBe(201);
    const vault = await put('/resourceGroups/status/providers/Microsoft.KeyVault/vaults/kv-status?api-version=2022-07-01', {
      location: 'eastus',
      properties: { tenantId: emu.env.AZURE_TENANT_ID, sku: { family: 'A', name: 'standard' }, accessPolicies: [{ tenantId: emu.env.AZURE_TENANT_ID, objectId: oid, permissions: { keys: ['all'] } }] },
    });
    expect(vault.status, vault.text).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await running?.close();
  });

  it('reports the store and the audit backlog, without the store address', async () => {
    const res = await status();
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body.store).toMatchObject({ kind: 'etcd', healthy: true });
    expect(body.store.revision).toBeGreaterThan(0);
    expect(body.keyVaultAudit).toEqual({ pending: 0, failures: 0 });
    for (const endpoint of etcd.endpoints) expect(res.text).not.toContain(endpoint.replace(/^https?:\/\//, ''));
  });

  it('answers 503 with Retry-After within about a second while the store is down, and 200 again once it is back', async () => {
    await etcd.kill(0);
    const started = Date.now();
    const down = await status();
    const took = Date.now() - started;
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('1');
    expect(down.json().store).toMatchObject({ kind: 'etcd', healthy: false });
    expect(took).toBeLessThan(2500);
    for (const endpoint of etcd.endpoints) expect(down.text).not.toContain(endpoint.replace(/^https?:\/\//, ''));
    // ARM answers in its own format and as promptly: 503 ServiceUnavailable with Retry-After, not a 500 after the
    // store client's whole retry budget.
    const armStarted = Date.now();
    const arm = await httpsCall(`${emu.url}/subscriptions/${emu.info.subscriptionId}/resourcegroups/anyGroup?api-version=2021-04-01`, { headers: { authorization: `Bearer ${token}` } });
    expect(arm.status, arm.text).toBe(503);
    expect(arm.headers['retry-after']).toBe('5');
    expect(arm.json().error.code).toBe('ServiceUnavailable');
    expect(Date.now() - armStarted).toBeLessThan(1_500);
    // Key Vault too, even when the store fails while the vault is being looked up (before the request is audited).
    const kv = await httpsCall(`${emu.url}/_vault/kv-status/keys/k1/create?api-version=7.4`, {
      method: 'POST',
      headers: { authorization: `Bearer ${vaultToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kty: 'EC', crv: 'P-256' }),
    });
    expect(kv.status, kv.text).toBe(503);
    expect(kv.headers['retry-after']).toBe('5');
    expect(kv.json().error.code).toBe('ServiceUnavailable');
    await etcd.restart(0);
    await etcd.waitHealthy();
    await waitFor('the status to recover', async () => (await status()).status === 200, { timeoutMs: 30_000 });
  }, 60_000);
});
