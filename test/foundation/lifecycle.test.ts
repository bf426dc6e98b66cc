/**
 * `aksemu start` prints one ready line, stops cleanly on SIGTERM, resumes all state on the next start
 * (including persisted work in progress), refuses a second instance on one data directory, keeps every
 * acknowledged write across SIGKILL, and runs the same on an etcd store.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, newDataDir, spawnEmulator, type SpawnedEmulator } from '../../testkit/emulator.js';
import { getToken, httpsCall, openTunnel, testCa } from '../../testkit/http.js';
import { EtcdCluster } from '../../testkit/etcd.js';
import { describeWith } from '../../testkit/optional.js';

const API = 'api-version=2022-09-01';
const running: SpawnedEmulator[] = [];
afterAll(async () => {
  for (const e of running) await e.kill();
});

async function start(dataDir?: string, args: string[] = []) {
  const emu = await spawnEmulator({ ...(dataDir ? { dataDir } : {}), args });
  running.push(emu);
  return emu;
}

async function putGroup(emu: SpawnedEmulator, token: string, name: string) {
  return httpsCall(`${emu.url}/subscriptions/${emu.env.AZURE_SUBSCRIPTION_ID}/resourcegroups/${name}?${API}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ location: 'eastus' }),
  });
}

async function groupNames(emu: SpawnedEmulator, token: string): Promise<string[]> {
  const res = await httpsCall(`${emu.url}/subscriptions/${emu.env.AZURE_SUBSCRIPTION_ID}/resourcegroups?${API}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return res.json().value.map((g: { name: string }) => g.name).sort();
}

describe('aksemu start', () => {
  it('prints exactly one ready line, exits 0 on SIGTERM, and resumes state, identity and CA on restart', async () => {
    const dataDir = newDataDir();
    const first = await start(dataDir);
    expect(first.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const token = await getToken(first.url, first.env);
    expect((await putGroup(first, token, 'kept')).status).toBe(201);
    expect(await first.stop()).toBe(0);
    const stdout = execFileSync(process.execPath, [CLI, 'env', '--data-dir', dataDir]).toString();
    expect(stdout).toContain(`export AZURE_SUBSCRIPTION_ID=${first.env.AZURE_SUBSCRIPTION_ID}`);

    const second = await start(dataDir);
    expect(second.env.AZURE_TENANT_ID).toBe(first.env.AZURE_TENANT_ID);
    expect(second.env.AZURE_CLIENT_SECRET).toBe(first.env.AZURE_CLIENT_SECRET);
    // Tokens issued before the restart still verify: the signing key was kept (sealed) in the store.
    expect(await groupNames(second, token)).toEqual(['kept']);
    await second.stop();
  });

  it('refuses a second instance on the same data directory', async () => {
    const emu = await start();
    const out = (() => {
      try {
        execFileSync(process.execPath, [CLI, 'start', '--data-dir', emu.dataDir, '--port', '0'], { stdio: 'pipe', timeout: 20_000 });
        return { code: 0, stderr: '' };
      } catch (err) {
        const e = err as { status: number; stderr: Buffer };
        return { code: e.status, stderr: e.stderr.toString() };
      }
    })();
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain('already running');
    await emu.stop();
  });

  it('rejects bad flags with a usage error and exit code 2', () => {
    for (const args of [['--port', 'x'], ['--speed', 'fast'], ['--now', 'yesterday'], ['--store', 'mysql://x']]) {
      try {
        execFileSync(process.execPath, [CLI, 'start', '--data-dir', newDataDir(), ...args], { stdio: 'pipe', timeout: 20_000 });
        expect.unreachable(`start ${args.join(' ')} should fail`);
      } catch (err) {
        const e = err as { status: number; stderr: Buffer };
        expect(e.stderr.toString()).toMatch(/^ERROR: /);
        expect(e.stderr.toString()).not.toMatch(/\n\s+at /); // no stack trace
        expect(e.status).toBe(2);
      }
    }
  });

  it('keeps private material at rest protected: 0700 data dir, 0600 keys, a name-constrained CA', async () => {
    const emu = await start();
    expect(statSync(emu.dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(`${emu.dataDir}/master.key`).mode & 0o777).toBe(0o600);
    expect(statSync(`${emu.dataDir}/ca/ca-key.sealed`).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${emu.dataDir}/ca/ca-key.sealed`).includes(Buffer.from('PRIVATE KEY'))).toBe(false);
    const ca = new X509Certificate(readFileSync(`${emu.dataDir}/ca/ca.pem`));
    expect(ca.ca).toBe(true);
    const text = execFileSync('openssl', ['x509', '-noout', '-text', '-in', `${emu.dataDir}/ca/ca.pem`]).toString();
    expect(text).toMatch(/X509v3 Name Constraints: critical/);
    expect(text).toContain('DNS:vault.azure.net');

    // Through the proxy, the leaf certificate names the requested Azure host and chains to the CA.
    const tunnel = await openTunnel(emu.port, 'myvault.vault.azure.net', 443);
    const leaf = await new Promise<X509Certificate>((resolve, reject) => {
      const s = tlsConnect({ socket: tunnel, servername: 'myvault.vault.azure.net', ca: testCa() }, () => {
        const cert = s.getPeerX509Certificate()!;
        s.destroy();
        resolve(cert);
      });
      s.on('error', reject);
    });
    expect(leaf.checkHost('myvault.vault.azure.net')).toBe('myvault.vault.azure.net');
    expect(leaf.checkIssued(ca)).toBe(true);
    await emu.stop();
  });

  it('resumes work in progress after a restart: a feature registering at realistic speed completes later', async () => {
    const dataDir = newDataDir();
    const emu = await start(dataDir, ['--speed', 'realistic', '--now', '2026-01-01T00:00:00Z']);
    const token = await getToken(emu.url, emu.env);
    const url = `${emu.url}/subscriptions/${emu.env.AZURE_SUBSCRIPTION_ID}/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/MutableFipsPreview`;
    const reg = await httpsCall(`${url}/register?api-version=2021-07-01`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(reg.json().properties.state).toBe('Registering');
    const stillRegistering = await httpsCall(`${url}?api-version=2021-07-01`, { headers: { authorization: `Bearer ${token}` } });
    expect(stillRegistering.json().properties.state).toBe('Registering');
    await emu.kill();

    // Ten minutes later in the emulated world: the persisted task runs on start and the feature is Registered.
    const again = await start(dataDir, ['--speed', 'realistic', '--now', '2026-01-01T00:10:00Z']);
    let state = '';
    for (let i = 0; i < 50 && state !== 'Registered'; i++) {
      state = (await httpsCall(`${again.url}${url.slice(emu.url.length)}?api-version=2021-07-01`, { headers: { authorization: `Bearer ${token}` } })).json().properties.state;
      if (state !== 'Registered') await new Promise((r) => setTimeout(r, 20));
    }
    expect(state).toBe('Registered');

    // The admin API moves the emulated clock too.
    const reg2 = await httpsCall(`${again.url}/subscriptions/${again.env.AZURE_SUBSCRIPTION_ID}/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/KubeletDisk/register?api-version=2021-07-01`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(reg2.json().properties.state).toBe('Registering');
    const moved = await httpsCall(`${again.url}/_aksemu/clock`, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ advanceSeconds: 600 }) });
    expect(moved.status).toBe(200);
    let state2 = '';
    for (let i = 0; i < 50 && state2 !== 'Registered'; i++) {
      state2 = (await httpsCall(`${again.url}/subscriptions/${again.env.AZURE_SUBSCRIPTION_ID}/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/KubeletDisk?api-version=2021-07-01`, { headers: { authorization: `Bearer ${token}` } })).json().properties.state;
      if (state2 !== 'Registered') await new Promise((r) => setTimeout(r, 20));
    }
    expect(state2).toBe('Registered');
    await again.stop();
  });

  it('keeps every acknowledged write when killed with SIGKILL during a burst', async () => {
    const dataDir = newDataDir();
    const emu = await start(dataDir);
    const token = await getToken(emu.url, emu.env);
    const acknowledged: string[] = [];
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await putGroup(emu, token, `burst-${w}-${i}`);
          if (res.status === 201) acknowledged.push(`burst-${w}-${i}`);
        } catch {
          return; // the connection died with the process: not acknowledged
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    while (acknowledged.length < 150) await new Promise((r) => setTimeout(r, 5));
    await emu.kill();
    stop = true;
    await Promise.all(writers);
    const again = await start(dataDir);
    const names = new Set(await groupNames(again, token));
    const lost = acknowledged.filter((n) => !names.has(n));
    expect(acknowledged.length).toBeGreaterThanOrEqual(150);
    expect(lost).toEqual([]);
    await again.stop();
  });
});

describeWith(['etcd'], 'aksemu start --store etcd://', () => {
  it('keeps all state in etcd: a restart against the same cluster resumes it', async () => {
    const etcd = await EtcdCluster.start({ members: 1 });
    try {
      const store = `etcd://${etcd.endpoints.join(',')}/aksemu-test`;
      const dataDir = newDataDir();
      const first = await start(dataDir, ['--store', store]);
      const token = await getToken(first.url, first.env);
      expect((await putGroup(first, token, 'in-etcd')).status).toBe(201);
      expect(await first.stop()).toBe(0);
      const keys = execFileSync(process.execPath, [CLI, 'store', 'list', '/arm/resourcegroups/', '--data-dir', dataDir]).toString();
      expect(keys).toContain('/in-etcd');
      const second = await start(dataDir, ['--store', store]);
      expect(await groupNames(second, token)).toEqual(['in-etcd']);
      await second.stop();
    } finally {
      await etcd.stop();
    }
  });
});
