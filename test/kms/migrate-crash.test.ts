/**
 * Acceptance: a SIGKILL of `aksemu start` during `aksemu aks encryption migrate` of 10,000 secrets, then a
 * restart: the persisted migration resumes where its last committed batch ended and finishes; no secret is lost or
 * unreadable, and every one is under the new key with its value intact.
 */
import { execFile } from 'node:child_process';
import { Agent, request } from 'node:https';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../src/config/data-dir.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { CLI, spawnEmulator, useEnvironment, type SpawnedEmulator } from '../../testkit/emulator.js';
import { getToken, httpsCall, testCa } from '../../testkit/http.js';
import { identity, importKey, kit, kmsCluster, resourceGroup, setPolicy, vault, type Kit } from './fixtures.js';

const run = promisify(execFile);
const SECRETS = 10_000;

async function aksemu(args: string[]) {
  try {
    const r = await run(process.execPath, [CLI, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** POSTs `count` secrets through the cluster's API, 32 at a time over keep-alive connections. */
async function createSecrets(base: string, token: string, count: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 32, ca: testCa() });
  const u = new URL(base);
  const post = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `s-${String(i).padStart(5, '0')}` }, data: { v: Buffer.from(`value-${i}`).toString('base64') } });
      const req = request({ method: 'POST', hostname: u.hostname, port: u.port, path: `${u.pathname}/api/v1/namespaces/default/secrets`, agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`create ${i}: ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  let next = 0;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < count) await post(next++);
  }));
  agent.destroy();
}

describe('SIGKILL during a 10,000-secret migration', () => {
  let emu: SpawnedEmulator;
  let k: Kit;
  let clusterId: string;
  const rg = 'kms-crash';
  const target = () => ['-g', rg, '-n', 'crash-aks', '--data-dir', emu.dataDir];

  beforeAll(async () => {
    emu = await spawnEmulator({ args: ['--now', '2025-09-01T00:00:00Z'] });
    useEnvironment(emu.env);
    k = kit(emu.env);
    await resourceGroup(k, rg);
    await vault(k, rg, 'kv-kms-crash');
    const id = await identity(k, rg, 'crash-id');
    await setPolicy(k, rg, 'kv-kms-crash', id.principalId);
    const key = await importKey(k, 'kv-kms-crash', 'etcd-key');
    const mc = await k.aks.managedClusters.beginCreateOrUpdateAndWait(rg, 'crash-aks', kmsCluster({ identityId: id.id }));
    clusterId = mc.id!;
    const token = await getToken(emu.url, emu.env);
    const cred = await httpsCall(`${emu.url}${clusterId}/listClusterUserCredential?api-version=2026-04-01`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const cfg = parse(Buffer.from(cred.json().kubeconfigs[0].value, 'base64').toString('utf8'));
    await createSecrets(`${cfg.clusters[0].cluster.server}/_k8s/${cfg.clusters[0].cluster['tls-server-name']}`, cfg.users[0].user.token, SECRETS);
    await k.aks.managedClusters.beginCreateOrUpdateAndWait(rg, 'crash-aks', { ...mc, securityProfile: { azureKeyVaultKms: { enabled: true, keyId: key.kid, keyVaultNetworkAccess: 'Public' } } });
  }, 300_000);
  afterAll(async () => {
    await emu?.stop();
  });

  it('resumes after the kill and finishes: nothing lost, nothing unreadable, everything under the new key', async () => {
    const before = JSON.parse((await aksemu(['aks', 'encryption', 'status', ...target(), '-o', 'json'])).stdout);
    expect(before).toMatchObject({ total: SECRETS, plaintext: SECRETS, stale: SECRETS, unreadable: 0 });

    // Throttled so that the kill lands in the middle (at full speed the whole migration takes well under a second).
    const started = await aksemu(['aks', 'encryption', 'migrate', ...target(), '--no-wait', '--max-per-second', '4000']);
    expect(started.code, started.stderr).toBe(0);
    const token = await getToken(emu.url, emu.env);
    const progress = async () => (await httpsCall(`${emu.url}/_aksemu/aks/encryption/migrate?resourceGroup=${rg}&name=crash-aks`, { headers: { authorization: `Bearer ${token}` } })).json();
    for (let i = 0; i < 400 && (await progress()).processed < 2000; i++) await new Promise((r) => setTimeout(r, 10));
    await emu.kill();

    // What the kill left at rest: a migration in the middle, some secrets re-encrypted, the rest still plaintext.
    const { dataDir } = emu;
    const store = new SqliteStore(paths.sqlite(dataDir), { readonly: true });
    let rec: any;
    try {
      const kv = await store.get(`/aks/kms/${(await store.range('/aks/kms/', { keysOnly: true })).items[0]!.key.split('/')[3]}/migration`);
      rec = JSON.parse(kv!.value.toString('utf8'));
    } finally {
      await store.close();
    }
    expect(rec.state).toBe('Running');
    expect(rec.processed).toBeGreaterThan(0);
    expect(rec.processed).toBeLessThan(SECRETS);

    emu = await spawnEmulator({ dataDir, args: ['--now', '2025-09-01T00:00:00Z'] });
    useEnvironment(emu.env);
    // The CLI attaches to the migration the restart resumed and waits for its end.
    const finished = await aksemu(['aks', 'encryption', 'migrate', ...target()]);
    expect(finished.code, finished.stderr).toBe(0);
    const done = JSON.parse(finished.stdout);
    expect(done).toMatchObject({ id: rec.id, state: 'Succeeded', processed: SECRETS, rewritten: SECRETS, failed: 0 });

    const after = JSON.parse((await aksemu(['aks', 'encryption', 'status', ...target(), '-o', 'json'])).stdout);
    expect(after).toMatchObject({ total: SECRETS, plaintext: 0, stale: 0, unreadable: 0 });
    expect(after.keys).toHaveLength(1);
    expect(after.keys[0]).toMatchObject({ keyName: 'etcd-key', role: 'write', secrets: SECRETS });

    // Every value is intact through the API (one page of 10,000).
    const t2 = await getToken(emu.url, emu.env);
    const cred = await httpsCall(`${emu.url}${clusterId}/listClusterUserCredential?api-version=2026-04-01`, { method: 'POST', headers: { authorization: `Bearer ${t2}` } });
    const cfg = parse(Buffer.from(cred.json().kubeconfigs[0].value, 'base64').toString('utf8'));
    const list = await httpsCall(`${cfg.clusters[0].cluster.server}/_k8s/${cfg.clusters[0].cluster['tls-server-name']}/api/v1/namespaces/default/secrets?limit=20000`, { headers: { authorization: `Bearer ${cfg.users[0].user.token}` } });
    expect(list.status).toBe(200);
    const items = list.json().items as Array<{ metadata: { name: string }; data: { v: string } }>;
    expect(items).toHaveLength(SECRETS);
    expect(items.every((s) => Buffer.from(s.data.v, 'base64').toString() === `value-${Number(s.metadata.name.slice(2))}`)).toBe(true);
  }, 300_000);
});
