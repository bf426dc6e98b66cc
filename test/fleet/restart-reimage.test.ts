/**
 * Acceptance: a restart in the middle of a reimage resumes it and leaves no node half-reimaged.
 *
 * A real `aksemu start --speed realistic` process (a node reimage takes two emulated minutes) is moved through time
 * with the admin clock API, killed with SIGKILL while the second of three nodes is being reimaged (the pool's default
 * maxSurge, 10%, gives it one surge node first, SPEC C-16), and started again on the same data directory; the
 * reimage then completes, every node runs the new image, each reimaged once, and the surge node is gone.
 */
import { waitFor } from '../../testkit/wait.js';
import { afterAll, expect, it } from 'vitest';
import { describe } from 'vitest';
import { getToken, httpsCall } from '../../testkit/http.js';
import { removeDataDir, spawnEmulator, type SpawnedEmulator } from '../../testkit/emulator.js';
import { armClient, clusterBody, linuxPool } from '../../testkit/containerservice.js';

const ARGS = ['--speed', 'realistic', '--now', '2025-09-01T00:00:00Z'];

interface NodeInfo {
  name: string;
  pool: string;
  state: string;
  ready: boolean;
  nodeImageVersion: string;
  bootCount: number;
  surge?: boolean;
  labels: Record<string, string>;
  facts?: { fipsEnabledFile?: string };
}

describe('restart in the middle of a reimage', () => {
  let emu: SpawnedEmulator | undefined;
  let dataDir: string | undefined;
  afterAll(async () => {
    await emu?.stop();
    if (dataDir) removeDataDir(dataDir);
  });

  it('resumes after SIGKILL and finishes with every node on the new image', async () => {
    emu = await spawnEmulator({ args: ARGS });
    dataDir = emu.dataDir;
    let token = await getToken(emu.url, emu.env);
    let a = await armClient(emu.url, emu.env);
    const advance = async (seconds: number) => {
      const r = await httpsCall(`${emu!.url}/_aksemu/clock`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ advanceSeconds: seconds }) });
      expect(r.status, r.text).toBe(200);
    };
    const nodes = async (): Promise<NodeInfo[]> => {
      const r = await httpsCall(`${emu!.url}/_aksemu/nodes?cluster=c1`, { headers: { authorization: `Bearer ${token}` } });
      expect(r.status, r.text).toBe(200);
      return r.json<{ value: NodeInfo[] }>().value.filter((n) => n.pool === 'np');
    };
    const poolState = async () => (await a.call('GET', `${a.cluster('rg', 'c1')}/agentPools/np`)).json().properties;
    const until = (what: string, cond: () => Promise<boolean>, stepSeconds: number) =>
      waitFor(what, cond, { timeoutMs: 60_000, intervalMs: 30, ...(stepSeconds > 0 ? { between: () => advance(stepSeconds) } : {}) });

    await a.call('PUT', `/subscriptions/${a.sub}/resourcegroups/rg`, { location: 'eastus' }, '2021-04-01');
    const create = await a.call('PUT', a.cluster('rg', 'c1'), clusterBody({ pools: [linuxPool('nodepool1', { count: 1 }), linuxPool('np', { mode: 'User', count: 3 })] }));
    expect(create.status, create.text).toBe(201);
    expect(create.json().properties.provisioningState).toBe('Creating');
    await until('the cluster', async () => (await a.call('GET', a.cluster('rg', 'c1'))).json().properties.provisioningState === 'Succeeded', 60);
    const oldImage = (await poolState()).nodeImageVersion as string;
    expect((await nodes()).map((n) => n.bootCount)).toEqual([1, 1, 1]);

    // Enable FIPS: a surge node boots first (90 emulated seconds); then the first node goes down, and two emulated
    // minutes later the second one follows.
    const put = await a.call('PUT', `${a.cluster('rg', 'c1')}/agentPools/np`, { properties: linuxPool('np', { mode: 'User', count: 3, enableFIPS: true }) });
    expect(put.status, put.text).toBe(200);
    expect(put.json().properties.provisioningState).toBe('Updating');
    const newImage = put.json().properties.nodeImageVersion as string;
    expect(newImage).toMatch(/fips/);
    await until('the surge node to boot', async () => (await nodes()).map((n) => `${n.name.slice(-1)}:${n.state}`).join() === '0:Running,1:Running,2:Running,3:Creating', 0);
    await advance(95);
    await until('the first node to be reimaging', async () => (await nodes()).filter((n) => n.state === 'Reimaging').map((n) => n.name.slice(-1)).join() === '0', 0);
    await advance(125);
    await until('the second node to be reimaging', async () => {
      const ns = await nodes();
      return ns[0]!.state === 'Running' && ns[0]!.nodeImageVersion === newImage && ns[1]!.state === 'Reimaging';
    }, 0);
    const mid = await nodes();
    expect(mid.map((n) => n.state)).toEqual(['Running', 'Reimaging', 'Running', 'Running']);
    expect(mid[1]!.ready).toBe(false);
    expect(mid[2]!.nodeImageVersion).toBe(oldImage);
    expect(mid[3]).toMatchObject({ surge: true, nodeImageVersion: newImage, bootCount: 1 });

    await emu.kill();
    emu = await spawnEmulator({ dataDir, args: ARGS });
    token = await getToken(emu.url, emu.env);
    a = await armClient(emu.url, emu.env);
    // After the restart the reimage is still where it was.
    expect((await nodes()).map((n) => n.state)).toEqual(['Running', 'Reimaging', 'Running', 'Running']);
    expect((await poolState()).provisioningState).toBe('Updating');

    await until('the pool to finish', async () => (await poolState()).provisioningState === 'Succeeded', 60);
    const done = await nodes();
    expect(done.map((n) => n.name.slice(-1))).toEqual(['0', '1', '2']);
    for (const n of done) {
      expect(n.state).toBe('Running');
      expect(n.ready).toBe(true);
      expect(n.nodeImageVersion).toBe(newImage);
      expect(n.labels['kubernetes.azure.com/node-image-version']).toBe(newImage);
      expect(n.labels['kubernetes.azure.com/fips_enabled']).toBe('true');
      expect(n.facts?.fipsEnabledFile).toBe('1');
      // Created once, reimaged exactly once: nothing was redone or skipped.
      expect(n.bootCount).toBe(2);
    }
  });
});
