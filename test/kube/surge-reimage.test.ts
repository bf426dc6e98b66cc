/**
 * Acceptance: reimages use surge nodes as AKS's upgrade settings say (SPEC C-16), watched with the real `kubectl`:
 * a pool's `maxSurge` surge nodes join it with the next instance names and the new image before its old nodes go,
 * old nodes are drained and reimaged a batch of that size at a time, drained pods land on the surge nodes, an empty
 * node soaks for `nodeSoakDurationInMinutes` on the emulated clock, and the surge nodes are drained and deleted at
 * the end, the pool keeping its count. maxSurge "0" needs a maxUnavailable above 0, which then rebuilds nodes in
 * place without surge nodes.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../../testkit/optional.js';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { createArmCluster } from '../../testkit/kube/arm-cluster.js';
import { kubectlHome, kubectlStream, waitFor, type KubectlHome, type TestEmulator, startEmulatorWithFixtures, kubectlOk } from '../../testkit/kube/kube-env.js';
import { armClient, type ArmClient } from '../../testkit/containerservice.js';
import { httpsCall, getToken } from '../../testkit/http.js';

const soloDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: solo
spec:
  replicas: 2
  selector:
    matchLabels:
      app: solo
  template:
    metadata:
      labels:
        app: solo
    spec:
      nodeSelector:
        kubernetes.azure.com/agentpool: solo
      containers:
      - name: web
        image: nginx:1.25
`;
const soloBudget = `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: solo
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app: solo
`;

/** One line of `kubectl get nodes -w --output-watch-events`: the event and the node as it was. */
interface NodeEvent {
  type: string;
  name: string;
  unschedulable: boolean;
  fips: boolean;
  ready: boolean;
  image: string;
}

const NODE_EVENTS = '{.type}|{.object.metadata.name}|{.object.spec.unschedulable}|{.object.metadata.labels.kubernetes\\.azure\\.com/fips_enabled}|{.object.status.conditions[?(@.type=="Ready")].status}|{.object.metadata.labels.kubernetes\\.azure\\.com/node-image-version}{"\\n"}';
const POD_EVENTS = '{.type}|{.object.metadata.name}|{.object.spec.nodeName}|{.object.status.phase}{"\\n"}';

function nodeEvents(out: string): NodeEvent[] {
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [type, name, unschedulable, fips, ready, image] = l.split('|');
      return { type: type!, name: name!, unschedulable: unschedulable === 'true', fips: fips === 'true', ready: ready === 'True', image: image ?? '' };
    });
}

/** The largest number of the `names` nodes out of service at once: from their cordon until Ready again with `image`. */
function maxOutAtOnce(events: NodeEvent[], names: string[], image: string): number {
  const out = new Set<string>();
  let max = 0;
  for (const e of events) {
    if (!names.includes(e.name)) continue;
    if (e.unschedulable || !e.ready) out.add(e.name);
    else if (e.image === image) out.delete(e.name);
    max = Math.max(max, out.size);
  }
  return max;
}

describeWith(['kubectl'], 'reimages with surge nodes', () => {
  let emu: TestEmulator;
  let cluster: FixtureCluster;
  let h: KubectlHome;
  let arm: ArmClient;

  const ok = (args: string[], stdin?: string) => kubectlOk(h, args, stdin);
  const poolPath = (pool: string) => `${arm.cluster('rg', 'surges')}/agentPools/${pool}`;
  const getPool = async (pool: string) => (await arm.call('GET', poolPath(pool))).json() as { properties: Record<string, unknown> };
  /** PUTs the pool with changed properties; answers the response (the async operation's URL when accepted). */
  const putPool = async (pool: string, props: Record<string, unknown>) => {
    const { provisioningState: _p, powerState: _s, nodeImageVersion: _n, currentOrchestratorVersion: _c, eTag: _e, ...rest } = (await getPool(pool)).properties;
    return arm.call('PUT', poolPath(pool), { properties: { ...rest, ...props } });
  };
  const operation = async (asyncUrl: string) => {
    const u = new URL(asyncUrl);
    const token = await getToken(emu.url, emu.env);
    return (await httpsCall(`${emu.url}${u.pathname}${u.search}`, { headers: { authorization: `Bearer ${token}` } })).json() as { status: string; error?: { code: string; message: string } };
  };
  const finished = async (asyncUrl: string) =>
    waitFor('the pool operation to finish', async () => {
      const o = await operation(asyncUrl);
      return o.status !== 'InProgress' ? o : undefined;
    }, { timeoutMs: 90_000 });
  const poolNodes = async (pool: string) =>
    (await ok(['get', 'nodes', '-l', `kubernetes.azure.com/agentpool=${pool}`, '-o', 'name'])).stdout.trim().split('\n').filter(Boolean).map((n) => n.replace('node/', '')).sort();
  /** Runs a pool update while kubectl watches the pool's nodes; answers the operation and the node events seen. */
  const watchedUpdate = async (pool: string, props: Record<string, unknown>) => {
    const watch = kubectlStream(h, ['get', 'nodes', '-l', `kubernetes.azure.com/agentpool=${pool}`, '-w', '--output-watch-events', '-o', `jsonpath=${NODE_EVENTS}`]);
    try {
      await waitFor('the node watch to list the pool', async () => (nodeEvents(watch.output()).length > 0 ? true : undefined));
      const put = await putPool(pool, props);
      expect(put.status, put.text).toBeLessThan(300);
      const op = await finished(put.headers['azure-asyncoperation'] as string);
      const image = (await getPool(pool)).properties.nodeImageVersion as string;
      await waitFor('the watch to see the last node event', async () => {
        const evs = nodeEvents(watch.output());
        return evs.length > 0 && evs[evs.length - 1]!.type !== 'ADDED' ? true : undefined;
      });
      await new Promise((r) => setTimeout(r, 500));
      return { op, image, events: nodeEvents(watch.output()) };
    } finally {
      watch.child.kill();
    }
  };

  beforeAll(async () => {
    emu = await startEmulatorWithFixtures({ now: new Date('2026-05-01T00:00:00Z') });
    cluster = await createArmCluster(emu, {
      name: 'surges',
      resourceGroup: 'rg',
      properties: { kubernetesVersion: '1.33' },
      pools: [
        { name: 'nodepool1', count: 1 },
        { name: 'wide', count: 4, mode: 'User', upgradeSettings: { maxSurge: '2' } },
        { name: 'solo', count: 1, mode: 'User' },
      ],
    });
    h = await kubectlHome(emu, cluster);
    arm = await armClient(emu.url, emu.env);
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('maxSurge "2" on a 4-node pool adds 2 FIPS surge nodes and reimages 2 nodes at a time (SPEC C-16)', async () => {
    const before = await poolNodes('wide');
    expect(before).toHaveLength(4);
    const prefix = before[0]!.slice(0, -6);
    expect(before).toEqual(['000000', '000001', '000002', '000003'].map((s) => prefix + s));

    const { op, image, events } = await watchedUpdate('wide', { enableFIPS: true });
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    expect(image).toMatch(/fips/i);

    // The surge nodes take the next free instance names and boot the new (FIPS) image.
    const surge = [...new Set(events.map((e) => e.name))].filter((n) => !before.includes(n)).sort();
    expect(surge).toEqual([prefix + '000004', prefix + '000005']);
    for (const name of surge) {
      const first = events.find((e) => e.name === name)!;
      expect(first.type).toBe('ADDED');
      expect(first.fips).toBe(true);
      expect(first.image).toBe(image);
    }
    // They join before any old node is cordoned, and leave (deleted) after every old node is back.
    const firstCordon = events.findIndex((e) => before.includes(e.name) && e.unschedulable);
    expect(firstCordon).toBeGreaterThan(-1);
    for (const name of surge) expect(events.findIndex((e) => e.name === name)).toBeLessThan(firstCordon);
    const lastOldBack = events.map((e, i) => ({ e, i })).filter(({ e }) => before.includes(e.name) && e.ready && !e.unschedulable && e.image === image);
    const deletions = events.map((e, i) => ({ e, i })).filter(({ e }) => e.type === 'DELETED');
    expect(deletions.map(({ e }) => e.name).sort()).toEqual(surge);
    for (const d of deletions) expect(d.i).toBeGreaterThan(lastOldBack[lastOldBack.length - 1]!.i);

    // Batches of the surge size: nodes 0 and 1 are cordoned together, 2 and 3 only once 0 and 1 are back.
    const cordonOrder = [...new Set(events.filter((e) => before.includes(e.name) && e.unschedulable).map((e) => e.name))];
    expect(cordonOrder).toEqual(before);
    const cordonedAt = (name: string) => events.findIndex((e) => e.name === name && e.unschedulable);
    const backAt = (name: string) => events.findIndex((e) => e.name === name && e.ready && !e.unschedulable && e.image === image);
    expect(cordonedAt(before[1]!)).toBeLessThan(backAt(before[0]!));
    expect(cordonedAt(before[2]!)).toBeGreaterThan(Math.max(backAt(before[0]!), backAt(before[1]!)));
    expect(maxOutAtOnce(events, before, image)).toBe(2);

    // The pool keeps its count: the same four nodes, all on the FIPS image, and no surge node left.
    expect(await poolNodes('wide')).toEqual(before);
    expect((await getPool('wide')).properties.count).toBe(4);
    const nodes = JSON.parse((await ok(['get', 'nodes', '-l', 'kubernetes.azure.com/agentpool=wide', '-o', 'json'])).stdout) as { items: Array<{ metadata: { labels: Record<string, string> }; spec: { unschedulable?: boolean } }> };
    for (const n of nodes.items) {
      expect(n.metadata.labels['kubernetes.azure.com/fips_enabled']).toBe('true');
      expect(n.spec.unschedulable).toBeUndefined();
    }
  }, 150_000);

  it("drained pods land on the pool's surge node while its only node is cordoned, and come back when it leaves (SPEC C-16)", async () => {
    await ok(['apply', '-f', '-'], soloDeployment);
    await ok(['apply', '-f', '-'], soloBudget);
    const [node] = await poolNodes('solo');
    const surgeNode = node!.slice(0, -6) + '000001';
    await waitFor('two running solo pods', async () => {
      const r = await ok(['get', 'pods', '-l', 'app=solo', '-o', 'jsonpath={range .items[*]}{.status.phase}{"\\n"}{end}']);
      return r.stdout.split('\n').filter((p) => p === 'Running').length === 2 ? true : undefined;
    });
    const pods = kubectlStream(h, ['get', 'pods', '-l', 'app=solo', '-w', '--output-watch-events', '-o', `jsonpath=${POD_EVENTS}`]);
    try {
      // The default upgrade settings (maxSurge 10%, rounded up) give a 1-node pool one surge node.
      expect((await getPool('solo')).properties.upgradeSettings).toEqual({ maxSurge: '10%' });
      const { op, events } = await watchedUpdate('solo', { enableFIPS: true });
      expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
      expect([...new Set(events.map((e) => e.name))].sort()).toEqual([node, surgeNode]);
      expect(events.filter((e) => e.type === 'DELETED').map((e) => e.name)).toEqual([surgeNode]);

      const seen = pods.output().split('\n').filter(Boolean).map((l) => l.split('|'));
      const onSurge = new Set(seen.filter(([, , nodeName, phase]) => nodeName === surgeNode && phase === 'Running').map(([, name]) => name));
      expect(onSurge.size).toBe(2);
      const final = await waitFor('two running solo pods back on the reimaged node', async () => {
        const r = JSON.parse((await ok(['get', 'pods', '-l', 'app=solo', '-o', 'json'])).stdout) as { items: Array<{ metadata: { name: string; deletionTimestamp?: string }; spec: { nodeName?: string }; status: { phase?: string } }> };
        const live = r.items.filter((p) => !p.metadata.deletionTimestamp && p.status.phase === 'Running');
        return live.length === 2 && live.every((p) => p.spec.nodeName === node) ? live : undefined;
      });
      // The surge node's pods were evicted when it left: the ones running now were made afterwards.
      for (const p of final) expect(onSurge.has(p.metadata.name)).toBe(false);
      expect(await poolNodes('solo')).toEqual([node]);
    } finally {
      pods.child.kill();
    }
  }, 150_000);

  it('an empty node soaks for nodeSoakDurationInMinutes on the emulated clock before its reimage (SPEC C-16)', async () => {
    const [node] = await poolNodes('solo');
    const put = await putPool('solo', { enableFIPS: false, upgradeSettings: { maxSurge: '1', nodeSoakDurationInMinutes: 10 } });
    expect(put.status, put.text).toBeLessThan(300);
    const op = put.headers['azure-asyncoperation'] as string;
    await waitFor('the node to be cordoned and emptied onto the surge node', async () => {
      const n = JSON.parse((await ok(['get', 'node', node!, '-o', 'json'])).stdout) as { spec: { unschedulable?: boolean } };
      const r = await ok(['get', 'pods', '-l', 'app=solo', '--field-selector', `spec.nodeName=${node}`, '-o', 'name']);
      return n.spec.unschedulable && r.stdout.trim() === '' ? true : undefined;
    });
    // Soaking: still cordoned on the old (FIPS) image, the operation running, however long we wait in real time.
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await operation(op)).status).toBe('InProgress');
    const soaking = JSON.parse((await ok(['get', 'node', node!, '-o', 'json'])).stdout) as { metadata: { labels: Record<string, string> }; spec: { unschedulable?: boolean } };
    expect(soaking.spec.unschedulable).toBe(true);
    expect(soaking.metadata.labels['kubernetes.azure.com/fips_enabled']).toBe('true');

    emu.core.clock.advance(11 * 60_000);
    const done = await finished(op);
    expect(done.status, JSON.stringify(done.error)).toBe('Succeeded');
    expect(await poolNodes('solo')).toEqual([node]);
    const after = JSON.parse((await ok(['get', 'node', node!, '-o', 'json'])).stdout) as { metadata: { labels: Record<string, string> } };
    expect(after.metadata.labels['kubernetes.azure.com/fips_enabled']).toBeUndefined();
  }, 150_000);

  it('maxSurge "0" needs a maxUnavailable above 0, which rebuilds nodes in place one at a time without surge nodes (SPEC C-16)', async () => {
    const refused = await putPool('wide', { upgradeSettings: { maxSurge: '0' } });
    expect(refused.status).toBe(400);
    expect(refused.json().error.code).toBe('InvalidParameter');
    expect(refused.json().error.message).toContain('one of maxSurge and maxUnavailable must be greater than 0');
    const malformed = await putPool('wide', { upgradeSettings: { maxSurge: 'two' } });
    expect(malformed.status).toBe(400);
    expect(malformed.json().error.target).toBe('agentPoolProfile.upgradeSettings.maxSurge');

    const before = await poolNodes('wide');
    const { op, image, events } = await watchedUpdate('wide', { enableFIPS: false, upgradeSettings: { maxSurge: '0', maxUnavailable: '1' } });
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    expect([...new Set(events.map((e) => e.name))].sort()).toEqual(before);
    expect(events.some((e) => e.type === 'DELETED')).toBe(false);
    expect(maxOutAtOnce(events, before, image)).toBe(1);
    expect(await poolNodes('wide')).toEqual(before);
  }, 150_000);
});
