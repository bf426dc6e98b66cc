/**
 * The Key Vault data plane on the wire: the 401 challenge exactly as the SDKs expect it, api-versions,
 * Key Vault 400 bodies for bad input (never a 500), network rules (publicNetworkAccess Disabled → 403
 * ForbiddenByConnection unless through the vault's private endpoint socket; firewall ipRules against the socket
 * address), the audit log (API and CLI), and key material sealed at rest (SPEC V-2..V-5, K-6, K-12).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../src/config/data-dir.js';
import { CLI, startTestEmulator } from '../../testkit/emulator.js';
import { getToken, httpsCall, testCa, type TestResponse } from '../../testkit/http.js';

const run = promisify(execFile);
type Emu = Awaited<ReturnType<typeof startTestEmulator>>;

describe('Key Vault data plane on the wire', () => {
  let emu: Emu;
  let arm: string;
  let vaultToken: string;
  let sub: string;
  const kv = (vault: string, path: string) => `${emu.url}/_vault/${vault}${path}`;
  const call = (vault: string, path: string, init: { method?: string; body?: unknown; token?: string | null; raw?: string } = {}) =>
    httpsCall(kv(vault, path), {
      method: init.method ?? 'GET',
      headers: {
        ...(init.token === null ? {} : { authorization: `Bearer ${init.token ?? vaultToken}` }),
        'content-type': 'application/json',
      },
      ...(init.raw !== undefined ? { body: init.raw } : init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
  const armCall = (path: string, method = 'GET', body?: unknown) =>
    httpsCall(`${emu.url}${path}`, { method, headers: { authorization: `Bearer ${arm}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const vaultPath = (name: string) => `/subscriptions/${sub}/resourceGroups/wire/providers/Microsoft.KeyVault/vaults/${name}?api-version=2022-07-01`;
  let oid: string;

  beforeAll(async () => {
    emu = await startTestEmulator();
    sub = emu.env.AZURE_SUBSCRIPTION_ID!;
    arm = await getToken(emu.url, emu.env);
    vaultToken = await getToken(emu.url, emu.env, 'https://vault.azure.net/.default');
    oid = JSON.parse(Buffer.from(arm.split('.')[1]!, 'base64url').toString()).oid;
    expect((await armCall(`/subscriptions/${sub}/resourcegroups/wire?api-version=2021-04-01`, 'PUT', { location: 'eastus' })).status).toBe(201);
    const props = { tenantId: emu.env.AZURE_TENANT_ID, sku: { family: 'A', name: 'standard' }, accessPolicies: [{ tenantId: emu.env.AZURE_TENANT_ID, objectId: oid, permissions: { keys: ['all'] } }] };
    for (const name of ['kv-wire', 'kv-private', 'kv-firewall']) {
      const res = await armCall(vaultPath(name), 'PUT', { location: 'eastus', properties: props });
      expect(res.status, res.text).toBe(200);
    }
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('answers an unauthenticated request with the Key Vault challenge', async () => {
    const res = await call('kv-wire', '/keys/k1/create?api-version=7.4', { method: 'POST', token: null, raw: '' });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(`Bearer authorization="https://login.microsoftonline.com/${emu.env.AZURE_TENANT_ID}", resource="https://vault.azure.net"`);
    expect(res.json()).toEqual({ error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } });
    const wrongAudience = await call('kv-wire', '/keys?api-version=7.4', { token: arm });
    expect(wrongAudience.status).toBe(401);
    expect(wrongAudience.json().error.message).toBe('AKV10022: Invalid audience. Expected https://vault.azure.net, found: https://management.core.windows.net/.');
    // through the proxy, with the vault's own host name
    const proxied = await httpsCall('https://kv-wire.vault.azure.net/keys?api-version=7.6', { proxyPort: emu.port });
    expect(proxied.status).toBe(401);
    expect(proxied.headers['www-authenticate']).toContain('resource="https://vault.azure.net"');
  });

  it('accepts api-versions 2015-06-01 to 2025-07-01 and the previews between 7.2 and 7.6, and refuses others with BadParameter', async () => {
    // 7.6-preview.2 is what the current az CLI sends for `az keyvault key create`; 2016-10-01 what Azure's KMS
    // plugin sends (test/interop/azure-kms-plugin.test.ts).
    for (const v of ['2015-06-01', '2016-10-01', '7.0', '7.1', '7.2', '7.3', '7.4', '7.5', '7.6', '2025-07-01', '7.3-preview', '7.6-preview.2']) expect((await call('kv-wire', `/keys?api-version=${v}`)).status).toBe(200);
    for (const v of ['2016-10-02', '6.0', '8.0', '7.6-preview.9', '7.2-preview']) {
      const res = await call('kv-wire', `/keys?api-version=${v}`);
      expect(res.status).toBe(400);
      expect(res.json()).toEqual({ error: { code: 'BadParameter', message: `The specified version (${v}) is not recognized. Consider using the latest supported version (2025-07-01).` } });
    }
    expect((await call('kv-wire', '/keys')).json().error.code).toBe('BadParameter');
  });

  it('answers bad input with Key Vault 400 bodies, never a 500', async () => {
    const created = await call('kv-wire', '/keys/rsa/create?api-version=7.4', { method: 'POST', body: { kty: 'RSA' } });
    expect(created.status).toBe(200);
    const kid: string = created.json().key.kid;
    const version = kid.split('/').pop();
    expect((await call('kv-wire', '/keys/ec/create?api-version=7.4', { method: 'POST', body: { kty: 'EC', crv: 'P-256' } })).status).toBe(200);
    const cases: Array<[string, string, unknown, RegExp]> = [
      ['/keys/x/create', 'POST', {}, /Property 'kty' is required/],
      ['/keys/x/create', 'POST', { kty: 'oct' }, /not supported by a vault/],
      ['/keys/x/create', 'POST', { kty: 'RSA', key_size: 1024 }, /key size 1024 is not supported/],
      ['/keys/x/create', 'POST', { kty: 'EC', crv: 'P-192' }, /curve 'P-192' is not supported/],
      ['/keys/x/create', 'POST', { kty: 'RSA-HSM' }, /need a Premium vault/],
      ['/keys/x/create', 'POST', { kty: 'RSA', key_ops: ['fly'] }, /Invalid key operation 'fly'/],
      ['/keys/x/create', 'POST', { kty: 'RSA', release_policy: { data: 'e30' } }, /release policies .* not supported/],
      ['/keys/bad_name!/create', 'POST', { kty: 'RSA' }, /key name 'bad_name!' is invalid/],
      [`/keys/rsa/${version}/encrypt`, 'POST', { alg: 'RSA-OAEP-257', value: 'AAAA' }, /Invalid algorithm 'RSA-OAEP-257'/],
      [`/keys/rsa/${version}/encrypt`, 'POST', { value: 'AAAA' }, /Property 'alg' is required/],
      [`/keys/rsa/${version}/encrypt`, 'POST', { alg: 'RSA-OAEP-256' }, /'value' is required/],
      [`/keys/rsa/${version}/encrypt`, 'POST', { alg: 'RSA-OAEP-256', value: 'not base64url!!' }, /not valid base64url/],
      [`/keys/rsa/${version}/encrypt`, 'POST', { alg: 'RSA-OAEP-256', value: Buffer.alloc(191).toString('base64url') }, /too long for RSA-OAEP-256 with a 2048-bit key: 191 bytes given, at most 190/],
      [`/keys/rsa/${version}/decrypt`, 'POST', { alg: 'RSA-OAEP-256', value: 'AAAA' }, /ciphertext must be 256 bytes/],
      [`/keys/rsa/${version}/decrypt`, 'POST', { alg: 'RSA-OAEP-256', value: Buffer.alloc(256, 7).toString('base64url') }, /could not be decrypted/],
      [`/keys/rsa/${version}/sign`, 'POST', { alg: 'ES256', value: Buffer.alloc(32).toString('base64url') }, /ES256 cannot be used with a key of type RSA/],
      [`/keys/rsa/${version}/sign`, 'POST', { alg: 'RS256', value: Buffer.alloc(20).toString('base64url') }, /digest for RS256 must be 32 bytes/],
      ['/keys/ec/encrypt', 'POST', { alg: 'RSA-OAEP-256', value: 'AAAA' }, /Operation encrypt is not permitted on this key|not supported by a key of type EC/],
      [`/keys/rsa/${version}/encrypt`, 'POST', '{"alg": ', /not valid JSON/],
    ];
    for (const [path, method, body, message] of cases) {
      const res = typeof body === 'string' ? await call('kv-wire', `${path}?api-version=7.4`, { method, raw: body }) : await call('kv-wire', `${path}?api-version=7.4`, { method, body });
      expect([400, 403], `${path} ${JSON.stringify(body)}: ${res.text}`).toContain(res.status);
      expect(res.json().error.message, path).toMatch(message);
      expect(typeof res.json().error.code).toBe('string');
    }
    const huge = await call('kv-wire', `/keys/rsa/${version}/encrypt?api-version=7.4`, { method: 'POST', body: { alg: 'RSA-OAEP-256', value: 'A'.repeat(300_000) } });
    expect(huge.status).toBe(400);
    expect(huge.json().error.code).toBe('BadParameter');
    const missing = await call('kv-wire', '/keys/nope?api-version=7.4');
    expect(missing.status).toBe(404);
    expect(missing.json().error.code).toBe('KeyNotFound');
  });

  it('refuses callers outside a private endpoint when public network access is disabled, and lets the endpoint through', async () => {
    const key = await call('kv-private', '/keys/kek/create?api-version=7.4', { method: 'POST', body: { kty: 'RSA' } });
    const kid: string = key.json().key.kid;
    const doc = (await armCall(vaultPath('kv-private'))).json();
    doc.properties.publicNetworkAccess = 'Disabled';
    expect((await armCall(vaultPath('kv-private'), 'PUT', doc)).status).toBe(200);
    const denied = await call('kv-private', '/keys/kek?api-version=7.4');
    expect(denied.status).toBe(403);
    expect(denied.json().error.innererror).toEqual({ code: 'ForbiddenByConnection' });
    expect(denied.json().error.message).toMatch(/^Public network access is disabled and request is not from a trusted service nor via an approved private link\.\r\nCaller: appid=/);
    // a header cannot claim the private endpoint
    const forged = await httpsCall(kv('kv-private', '/keys/kek?api-version=7.4'), { headers: { authorization: `Bearer ${vaultToken}`, 'x-forwarded-for': '10.0.0.4', 'x-ms-private-endpoint': 'true' } });
    expect(forged.status).toBe(403);

    await armCall(`/subscriptions/${sub}/resourcegroups/MC_wire_aks_eastus?api-version=2021-04-01`, 'PUT', { location: 'eastus' });
    const pe = await emu.services.keyVault.privateEndpoints.create({ subscriptionId: sub, resourceGroup: 'MC_wire_aks_eastus', name: 'kms-pe', vaultName: 'kv-private' });
    expect(pe.socketPath.startsWith(emu.dataDir)).toBe(true);
    const viaPe = await peCall(pe.socketPath, 'kv-private.vault.azure.net', `/keys/kek?api-version=7.4`, vaultToken);
    expect(viaPe.status, viaPe.text).toBe(200);
    expect(viaPe.json().key.kid).toBe(kid);
    const shown = (await armCall(vaultPath('kv-private'))).json();
    expect(shown.properties.privateEndpointConnections[0].properties.privateEndpoint.id).toBe(pe.id);
    expect(shown.properties.privateEndpointConnections[0].properties.privateLinkServiceConnectionState.status).toBe('Approved');
    // the endpoint of one vault does not open another private vault
    const wire = (await armCall(vaultPath('kv-wire'))).json();
    expect((await armCall(vaultPath('kv-wire'), 'PUT', { ...wire, properties: { ...wire.properties, publicNetworkAccess: 'Disabled' } })).status).toBe(200);
    const other = await peCall(pe.socketPath, 'kv-wire.vault.azure.net', `/keys?api-version=7.4`, vaultToken);
    expect(other.status).toBe(403);
    expect(other.json().error.innererror.code).toBe('ForbiddenByConnection');
    expect((await armCall(vaultPath('kv-wire'), 'PUT', wire)).status).toBe(200);
    // deleting the endpoint removes its socket and its connection
    await emu.services.keyVault.privateEndpoints.deleteById(pe.id);
    await expect(peCall(pe.socketPath, 'kv-private.vault.azure.net', `/keys/kek?api-version=7.4`, vaultToken)).rejects.toThrow();
    expect((await armCall(vaultPath('kv-private'))).json().properties.privateEndpointConnections).toBeUndefined();
    const again = await emu.services.keyVault.privateEndpoints.create({ subscriptionId: sub, resourceGroup: 'MC_wire_aks_eastus', name: 'kms-pe', vaultName: 'kv-private' });
    expect((await peCall(again.socketPath, 'kv-private.vault.azure.net', `/keys/kek?api-version=7.4`, vaultToken)).status).toBe(200);
    const latest = (await armCall(vaultPath('kv-private'))).json();
    await armCall(vaultPath('kv-private'), 'PUT', { ...latest, properties: { ...latest.properties, publicNetworkAccess: 'Enabled' } });
  });

  it('applies the firewall to the caller socket address', async () => {
    const doc = (await armCall(vaultPath('kv-firewall'))).json();
    doc.properties.networkAcls = { bypass: 'None', defaultAction: 'Deny', ipRules: [{ value: '10.1.0.0/16' }] };
    expect((await armCall(vaultPath('kv-firewall'), 'PUT', doc)).status).toBe(200);
    const denied = await call('kv-firewall', '/keys?api-version=7.4');
    expect(denied.status).toBe(403);
    expect(denied.json().error.innererror.code).toBe('ForbiddenByFirewall');
    expect(denied.json().error.message).toContain('Client address: 127.0.0.1');
    doc.properties.networkAcls.ipRules.push({ value: '127.0.0.1' });
    expect((await armCall(vaultPath('kv-firewall'), 'PUT', doc)).status).toBe(200);
    expect((await call('kv-firewall', '/keys?api-version=7.4')).status).toBe(200);
    const badRule = await armCall(vaultPath('kv-firewall'), 'PUT', { ...doc, properties: { ...doc.properties, networkAcls: { defaultAction: 'Deny', ipRules: [{ value: '300.1.1.1' }] } } });
    expect(badRule.status).toBe(400);
  });

  it('logs every data-plane operation and serves the log through the API and the CLI', async () => {
    const key = await call('kv-wire', '/keys/audited/create?api-version=7.4', { method: 'POST', body: { kty: 'RSA' } });
    const kid: string = key.json().key.kid;
    const enc = await call('kv-wire', `${new URL(kid).pathname}/encrypt?api-version=7.4`, { method: 'POST', body: { alg: 'RSA-OAEP-256', value: Buffer.from('dek').toString('base64url') } });
    const dec = await call('kv-wire', `${new URL(kid).pathname}/decrypt?api-version=7.4`, { method: 'POST', body: { alg: 'RSA-OAEP-256', value: enc.json().value } });
    expect(Buffer.from(dec.json().value, 'base64url').toString()).toBe('dek');
    const res = await httpsCall(`${emu.url}/_aksemu/keyvault/vaults/kv-wire/audit`, { headers: { authorization: `Bearer ${arm}` } });
    expect(res.status).toBe(200);
    const events = res.json().value as Array<Record<string, any>>;
    const decrypt = events.filter((e) => e.operationName === 'KeyDecrypt').pop()!;
    expect(decrypt).toMatchObject({ keyId: kid, keyName: 'audited', keyVersion: kid.split('/').pop(), httpStatusCode: 200, resultType: 'Success', category: 'AuditEvent' });
    expect(decrypt.identity.claim.oid).toBe(oid);
    expect(typeof decrypt.durationMs).toBe('number');
    expect(events.some((e) => e.operationName === 'KeyCreate' && e.keyName === 'audited')).toBe(true);
    expect(events.some((e) => e.operationName === 'KeyEncrypt' && e.keyId === kid)).toBe(true);
    expect(events.some((e) => e.httpStatusCode === 400 && e.resultType === 'Failure')).toBe(true);
    const denied = await httpsCall(`${emu.url}/_aksemu/keyvault/vaults/kv-wire/audit`, { headers: { authorization: `Bearer ${vaultToken}` } });
    expect(denied.status).toBe(401);
    await emu.core.store.revision(); // the API flushed the log into the store
    const { stdout } = await run(process.execPath, [CLI, 'keyvault', 'audit', '--vault-name', 'kv-wire', '--data-dir', emu.dataDir, '-o', 'table']);
    expect(stdout.split('\n')[0]).toMatch(/^Time\s+Operation\s+CallerObjectId\s+Key\s+Version\s+Status/);
    expect(stdout).toMatch(new RegExp(`KeyDecrypt\\s+${oid}\\s+audited\\s+${kid.split('/').pop()}\\s+200`));
    const json = JSON.parse((await run(process.execPath, [CLI, 'keyvault', 'audit', '--vault-name', 'kv-wire', '--data-dir', emu.dataDir, '--top', '2'])).stdout);
    expect(json).toHaveLength(2);
    const bad = await run(process.execPath, [CLI, 'keyvault', 'audit', '--vault-name', 'kv-wire', '--data-dir', emu.dataDir, '--top', 'many']).catch((e: { code: number; stderr: string }) => e);
    expect((bad as { code: number }).code).toBe(2);
    expect((bad as { stderr: string }).stderr).toContain('--top must be a positive integer');
  });

  it('treats key names case-insensitively and keeps the casing of creation', async () => {
    const first = await call('kv-wire', '/keys/CaseKey/create?api-version=7.4', { method: 'POST', body: { kty: 'RSA' } });
    const second = await call('kv-wire', '/keys/casekey/create?api-version=7.4', { method: 'POST', body: { kty: 'RSA' } });
    expect(second.json().key.kid).toMatch(/\/keys\/CaseKey\/[0-9a-f]{32}$/);
    const got = await call('kv-wire', '/keys/CASEKEY?api-version=7.4');
    expect(got.json().key.kid).toBe(second.json().key.kid);
    const enc = await call('kv-wire', `${new URL(first.json().key.kid).pathname.replace('CaseKey', 'casekey')}/encrypt?api-version=7.4`, { method: 'POST', body: { alg: 'RSA-OAEP-256', value: 'AQID' } });
    expect(enc.status).toBe(200);
    expect(enc.json().kid).toBe(first.json().key.kid);
  });

  it('answers "may this principal use this key" for other modules (SPEC K-5)', async () => {
    const kvs = emu.services.keyVault;
    await call('kv-wire', '/keys/kms/create?api-version=7.4', { method: 'POST', body: { kty: 'RSA' } });
    const tenantId = emu.env.AZURE_TENANT_ID!;
    expect((await kvs.checkKeyAccess({ keyId: 'https://kv-wire.vault.azure.net/keys/kms', principalId: oid, tenantId, operations: ['encrypt', 'decrypt'] })).missing).toEqual([]);
    const stranger = '0f0f0f0f-1111-2222-3333-444444444444';
    expect((await kvs.checkKeyAccess({ keyId: 'https://kv-wire.vault.azure.net/keys/kms', principalId: stranger, tenantId, operations: ['encrypt', 'decrypt'] })).missing).toEqual(['encrypt', 'decrypt']);
    expect((await kvs.checkKeyAccess({ keyId: 'https://no-such-vault.vault.azure.net/keys/kms', principalId: oid, tenantId, operations: ['decrypt'] })).vault).toBeUndefined();
  });

  it('keeps no private key bytes in clear in the store', async () => {
    const created = await call('kv-wire', '/keys/sealed/create?api-version=7.4', { method: 'POST', body: { kty: 'RSA' } });
    const kid: string = created.json().key.kid;
    await emu.services.keyVault.audit.flush();
    // the private key, as the emulator holds it in memory
    const loaded = await emu.services.keyVault.keys.load('kv-wire', 'sealed', kid.split('/').pop()!);
    const jwk = loaded!.privateKey.export({ format: 'jwk' });
    const d = Buffer.from(jwk.d!, 'base64url');
    const p = Buffer.from(jwk.p!, 'base64url');
    const der = loaded!.privateKey.export({ format: 'der', type: 'pkcs8' });
    const needles = [d, p, der.subarray(0, 64), der.subarray(der.length - 64)];
    const encodings = (b: Buffer) => [b, Buffer.from(b.toString('base64')), Buffer.from(b.toString('base64url')), Buffer.from(b.toString('hex'))];
    // every value in the store
    let after: string | undefined;
    let scanned = 0;
    for (;;) {
      const page = await emu.core.store.range('/', { limit: 500, ...(after ? { after } : {}) });
      for (const kv of page.items) {
        scanned++;
        for (const n of needles) for (const e of encodings(n.subarray(0, 48))) expect(kv.value.includes(e), kv.key).toBe(false);
      }
      if (!page.more) break;
      after = page.items[page.items.length - 1]!.key;
    }
    expect(scanned).toBeGreaterThan(10);
    // the sealing key lives beside the store, readable by its owner only
    expect(statSync(paths.masterKey(emu.dataDir)).mode & 0o777).toBe(0o600);
    // and the SQLite file itself (WAL checkpointed or not: read both)
    const files = [paths.sqlite(emu.dataDir), `${paths.sqlite(emu.dataDir)}-wal`];
    for (const f of files) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(f);
      } catch {
        continue;
      }
      for (const n of needles) for (const e of encodings(n.subarray(0, 48))) expect(bytes.includes(e), f).toBe(false);
    }
    // the sealed record still decrypts with the right key id and fails under another
    const digest = createHash('sha256').update('x').digest('base64url');
    const signed = await call('kv-wire', `${new URL(kid).pathname}/sign?api-version=7.4`, { method: 'POST', body: { alg: 'RS256', value: digest } });
    expect(signed.status).toBe(200);
  });
});

/** One HTTPS request through a private endpoint's unix socket (what the KMS plugin will do). */
function peCall(socketPath: string, host: string, path: string, token: string): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host,
        path,
        method: 'GET',
        headers: { authorization: `Bearer ${token}`, host },
        agent: Object.assign(new HttpsAgent(), { createConnection: () => tlsConnect({ socket: netConnect(socketPath), servername: host, ca: testCa() }) }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString(), json: () => JSON.parse(body.toString()) });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
