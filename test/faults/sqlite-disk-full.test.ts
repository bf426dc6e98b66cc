/**
 * SPEC R-1: a full disk under the SQLite store is an answer, not a crash or an internal error. A real `aksemu start`
 * keeps its store on a small tmpfs of its own (a private mount namespace through `unshare`); the test fills that file
 * system through /proc/<pid>/root, then writes through ARM and Key Vault until the store refuses: every refusal is
 * that service's own 503 with Retry-After, the process stays up, nothing refused is half-applied, and once space is
 * freed writes succeed again without a restart and every acknowledged write is there.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { removeDataDir, spawnEmulator, type SpawnedEmulator } from '../../testkit/emulator.js';
import { getToken, httpsCall, type TestResponse } from '../../testkit/http.js';
import { describeWith, inCI } from '../../testkit/optional.js';
import { waitFor } from '../../testkit/wait.js';

/** Whether this machine lets a process have a tmpfs of its own (root, or unprivileged user namespaces). */
function canMountPrivateTmpfs(): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'aksemu-ns-probe-'));
  try {
    execFileSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=1m tmpfs "$0"', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes zeros to `path` until the file system is full. */
function fillUp(path: string): number {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return written;
}

describeWith(['unshare'], 'a full disk under the SQLite store', () => {
  let emu: SpawnedEmulator;
  let storeDir: string;
  let token: string;
  let vaultToken: string;
  let sub: string;
  const tags = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`tag${i}`, 'x'.repeat(250)]));
  const arm = (path: string, method = 'GET', body?: unknown) =>
    httpsCall(`${emu.url}/subscriptions/${sub}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  const group = (name: string) => arm(`/resourcegroups/${name}?api-version=2021-04-01`, 'PUT', { location: 'eastus', tags });
  const createKey = (name: string) =>
    httpsCall(`${emu.url}/_vault/kv-full/keys/${name}/create?api-version=7.4`, {
      method: 'POST',
      headers: { authorization: `Bearer ${vaultToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kty: 'RSA', key_size: 2048, tags: Object.fromEntries(Object.entries(tags).slice(0, 15)) }),
    });

  beforeAll(async () => {
    if (!canMountPrivateTmpfs()) {
      if (inCI) throw new Error('this CI machine cannot mount a private tmpfs (unshare -rm), which this test needs');
      process.stderr.write('SKIP a full disk under the SQLite store: unshare -rm cannot mount a tmpfs here\n');
      return;
    }
    storeDir = mkdtempSync(join(tmpdir(), 'aksemu-small-fs-'));
    emu = await spawnEmulator({
      args: ['--store', `sqlite:${storeDir}/store.db`],
      wrapper: ['unshare', '-rm', 'sh', '-c', 'mount -t tmpfs -o size=16m tmpfs "$0" && exec "$@"', storeDir],
    });
    sub = emu.env.AZURE_SUBSCRIPTION_ID!;
    token = await getToken(emu.url, emu.env);
    vaultToken = await getToken(emu.url, emu.env, 'https://vault.azure.net/.default');
    const oid = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).oid as string;
    expect((await arm('/resourcegroups/kept?api-version=2021-04-01', 'PUT', { location: 'eastus' })).status).toBe(201);
    const vault = await arm('/resourceGroups/kept/providers/Microsoft.KeyVault/vaults/kv-full?api-version=2022-07-01', 'PUT', {
      location: 'eastus',
      properties: { tenantId: emu.env.AZURE_TENANT_ID, sku: { family: 'A', name: 'standard' }, accessPolicies: [{ tenantId: emu.env.AZURE_TENANT_ID, objectId: oid, permissions: { keys: ['all'] } }] },
    });
    expect(vault.status, vault.text).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await emu?.kill();
    if (emu) removeDataDir(emu.dataDir);
    if (storeDir) rmSync(storeDir, { recursive: true, force: true });
  });

  it('answers 503 in each service’s format, stays up, half-applies nothing, and recovers when space is freed', async (ctx) => {
    if (!emu) return ctx.skip();
    // The emulator's view of its store's directory: the tmpfs exists only in its mount namespace.
    const ballast = `/proc/${emu.process.pid}/root${storeDir}/ballast`;
    expect(fillUp(ballast)).toBeGreaterThan(0);

    const acknowledged: string[] = [];
    const refused: string[] = [];
    let armRefusal: TestResponse | undefined;
    // SQLite may still reuse free pages and WAL space for a while: write until it must grow a file.
    for (let i = 0; i < 300 && !armRefusal; i++) {
      const res = await group(`full-${i}`);
      if (res.status === 201) acknowledged.push(`full-${i}`);
      else {
        refused.push(`full-${i}`);
        armRefusal = res;
      }
    }
    expect(armRefusal, 'no ARM write was refused on a full disk').toBeDefined();
    expect(armRefusal!.status, armRefusal!.text).toBe(503);
    expect(armRefusal!.headers['retry-after']).toBe('5');
    expect(armRefusal!.json().error.code).toBe('ServiceUnavailable');
    expect(armRefusal!.text).not.toContain(storeDir);

    let vaultRefusal: TestResponse | undefined;
    for (let i = 0; i < 100 && !vaultRefusal; i++) {
      const res = await createKey(`k${i}`);
      if (res.status !== 200) vaultRefusal = res;
    }
    expect(vaultRefusal, 'no Key Vault write was refused on a full disk').toBeDefined();
    expect(vaultRefusal!.status, vaultRefusal!.text).toBe(503);
    expect(vaultRefusal!.json().error.code).toBe('ServiceUnavailable');

    // Still up, still answering reads; the status says why writes fail, without the store's path.
    expect(emu.process.exitCode).toBeNull();
    expect((await arm('/resourcegroups/kept?api-version=2021-04-01')).status).toBe(200);
    const status = await httpsCall(`${emu.url}/_aksemu/status`, { headers: { authorization: `Bearer ${token}` } });
    expect(status.status, status.text).toBe(503);
    expect(status.json().store).toMatchObject({ kind: 'sqlite', healthy: false, problem: 'writes fail: the disk is full (SQLITE_FULL)' });
    expect(status.text, status.text).not.toContain(storeDir);

    // Space comes back: writes succeed again without a restart.
    unlinkSync(ballast);
    await waitFor('a write to succeed again', async () => (await group('after')).status === 201, { timeoutMs: 15_000 });
    expect((await httpsCall(`${emu.url}/_aksemu/status`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    for (const name of ['kept', ...acknowledged, 'after']) {
      expect((await arm(`/resourcegroups/${name}?api-version=2021-04-01`)).status, name).toBe(200);
    }
    for (const name of refused) expect((await arm(`/resourcegroups/${name}?api-version=2021-04-01`)).status, name).toBe(404);
    expect(await emu.stop()).toBe(0);
  }, 120_000);
});
