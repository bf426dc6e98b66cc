/**
 * Acceptance: reimages drain their nodes as AKS's upgrade does (SPEC W-3, W-14), watched with the real `kubectl`:
 * enabling FIPS on a pool evicts its Deployment's pods node by node within their disruption budget, and they end
 * Running again on FIPS nodes; a budget that allows no disruption keeps the first node's pods, and after the drain
 * timeout (30 emulated minutes) the pool's operation fails with AKS's UpgradeFailed; the blocked node is then made
 * schedulable again (undrainableNodeBehavior Schedule) or left cordoned and quarantined (Cordon).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../../testkit/optional.js';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { createArmCluster } from '../../testkit/kube/arm-cluster.js';
import { kubectlHome, waitFor, type KubectlHome, type TestEmulator, startEmulatorWithFixtures, kubectlOk } from '../../testkit/kube/kube-env.js';
import { armClient, type ArmClient } from '../../testkit/containerservice.js';
import { httpsCall, getToken } from '../../testkit/http.js';

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      nodeSelector:
        kubernetes.azure.com/agentpool: apps
      containers:
      - name: web
        image: nginx:1.25
`;
const budget = (maxUnavailable: number) => `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  maxUnavailable: ${maxUnavailable}
  selector:
    matchLabels:
      app: web
`;

interface PodJson {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: { phase?: string; conditions?: Array<{ type: string; status: string }> };
}

describeWith(['kubectl'], 'reimages drain nodes within disruption budgets', () => {
  let emu: TestEmulator;
  let cluster: FixtureCluster;
  let h: KubectlHome;
  let arm: ArmClient;

  const ok = (args: string[], stdin?: string) => kubectlOk(h, args, stdin);
  const webPods = async () => (JSON.parse((await ok(['get', 'pods', '-l', 'app=web', '-o', 'json'])).stdout) as { items: PodJson[] }).items;
  const running = (p: PodJson) => !p.metadata.deletionTimestamp && p.status.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const fipsNodes = async () => {
    const r = await ok(['get', 'nodes', '-l', 'kubernetes.azure.com/agentpool=apps,kubernetes.azure.com/fips_enabled=true', '-o', 'name']);
    return r.stdout.trim().split('\n').filter(Boolean).map((n) => n.replace('node/', ''));
  };
  const poolPath = () => `${arm.cluster('rg', 'drains')}/agentPools/apps`;
  const appsNodes = async () =>
    (JSON.parse((await ok(['get', 'nodes', '-l', 'kubernetes.azure.com/agentpool=apps', '-o', 'json'])).stdout) as {
      items: Array<{ metadata: { name: string; labels: Record<string, string> }; spec: { unschedulable?: boolean } }>;
    }).items;
  /** The pool's writable properties as they are. */
  const poolProperties = async () => {
    const cur = (await arm.call('GET', poolPath())).json() as { properties: Record<string, unknown> };
    const { provisioningState: _p, powerState: _s, nodeImageVersion: _n, currentOrchestratorVersion: _c, eTag: _e, ...rest } = cur.properties;
    return rest;
  };
  /** PUTs the pool with changed properties; answers the async operation's URL without waiting for it. */
  const updatePool = async (props: Record<string, unknown>) => {
    const first = await arm.call('PUT', poolPath(), { properties: { ...(await poolProperties()), ...props } });
    expect(first.status, first.text).toBeLessThan(300);
    return first.headers['azure-asyncoperation'] as string;
  };
  const operation = async (asyncUrl: string) => {
    const u = new URL(asyncUrl);
    const token = await getToken(emu.url, emu.env);
    return (await httpsCall(`${emu.url}${u.pathname}${u.search}`, { headers: { authorization: `Bearer ${token}` } })).json() as { status: string; error?: { code: string; message: string } };
  };

  /** The operation once it is no longer InProgress. */
  const ended = (asyncUrl: string, what: string, timeoutMs = 30_000) =>
    waitFor(what, async () => {
      const o = await operation(asyncUrl);
      return o.status !== 'InProgress' ? o : undefined;
    }, { timeoutMs });

  beforeAll(async () => {
    emu = await startEmulatorWithFixtures({ now: new Date('2026-05-01T00:00:00Z') });
    cluster = await createArmCluster(emu, {
      name: 'drains',
      resourceGroup: 'rg',
      properties: { kubernetesVersion: '1.33' },
      pools: [
        { name: 'nodepool1', count: 1 },
        { name: 'apps', count: 2, mode: 'User' },
      ],
    });
    h = await kubectlHome(emu, cluster);
    arm = await armClient(emu.url, emu.env);
    await ok(['apply', '-f', '-'], deployment);
    await waitFor('two running web pods', async () => ((await webPods()).filter(running).length === 2 ? true : undefined));
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('enabling FIPS on a pool drains its nodes one by one and the pods end Running on FIPS nodes (SPEC W-3, W-14)', async () => {
    await ok(['apply', '-f', '-'], budget(1));
    const before = (await webPods()).map((p) => p.metadata.name);
    expect(await fipsNodes()).toEqual([]);

    const op = await updatePool({ enableFIPS: true });
    const done = await ended(op, 'the FIPS update to finish', 60_000);
    expect(done.status, JSON.stringify(done.error)).toBe('Succeeded');

    const fips = await fipsNodes();
    expect(fips).toHaveLength(2);
    const after = await waitFor('two running web pods after the reimages', async () => {
      const ps = (await webPods()).filter(running);
      return ps.length === 2 ? ps : undefined;
    });
    // The pods were evicted (the ReplicaSet made new ones), not left bound to nodes that were reimaged under them.
    for (const p of after) {
      expect(before).not.toContain(p.metadata.name);
      expect(fips).toContain(p.spec.nodeName);
    }
    const nodes = JSON.parse((await ok(['get', 'nodes', '-l', 'kubernetes.azure.com/agentpool=apps', '-o', 'json'])).stdout) as { items: Array<{ spec: { unschedulable?: boolean } }> };
    expect(nodes.items.every((n) => !n.spec.unschedulable)).toBe(true);
  }, 120_000);

  it('a budget with maxUnavailable 0 fails the pool operation with UpgradeFailed after the drain timeout (SPEC W-14)', async () => {
    await ok(['apply', '-f', '-'], budget(0));
    await waitFor('the budget to allow no disruption', async () => {
      const st = JSON.parse((await ok(['get', 'pdb', 'web', '-o', 'json'])).stdout).status as { disruptionsAllowed: number; currentHealthy: number; observedGeneration: number };
      return st.currentHealthy === 2 && st.disruptionsAllowed === 0 && st.observedGeneration === 2 ? true : undefined;
    });
    const before = (await webPods()).map((p) => p.metadata.name).sort();

    const op = await updatePool({ enableFIPS: false });
    const cordoned = await waitFor('a node of the pool to be cordoned for its drain', async () => {
      const r = JSON.parse((await ok(['get', 'nodes', '-l', 'kubernetes.azure.com/agentpool=apps', '-o', 'json'])).stdout) as { items: Array<{ metadata: { name: string }; spec: { unschedulable?: boolean } }> };
      return r.items.find((n) => n.spec.unschedulable)?.metadata.name;
    });
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await operation(op)).status).toBe('InProgress');
    expect((await webPods()).map((p) => p.metadata.name).sort()).toEqual(before);

    emu.core.clock.advance(31 * 60_000);
    const failed = await ended(op, 'the pool operation to fail');
    expect(failed.status).toBe('Failed');
    expect(failed.error?.code).toBe('UpgradeFailed');
    expect(failed.error?.message).toContain(`Drain node ${cordoned} failed when evicting pod`);
    expect(failed.error?.message).toContain("Original error: Cannot evict pod as it would violate the pod's disruption budget.");
    expect(failed.error?.message).toContain('blocked by pdb web with 0 unready pods');
    expect((await webPods()).map((p) => p.metadata.name).sort()).toEqual(before);

    // undrainableNodeBehavior Schedule (AKS's default): the blocked node takes pods again, still on its old (FIPS)
    // image, and the surge node is gone.
    const after = await appsNodes();
    expect(after.map((n) => n.metadata.name)).toHaveLength(2);
    const blocked = after.find((n) => n.metadata.name === cordoned)!;
    expect(blocked.spec.unschedulable ?? false).toBe(false);
    expect(blocked.metadata.labels['kubernetes.azure.com/fips_enabled']).toBe('true');
    expect(blocked.metadata.labels['kubernetes.azure.com/upgrade-status']).toBeUndefined();
  }, 120_000);

  it('undrainableNodeBehavior Cordon leaves the blocked node cordoned and quarantined, with a surge node kept for it (SPEC W-14)', async () => {
    const bad = await arm.call('PUT', poolPath(), { properties: { ...(await poolProperties()), upgradeSettings: { undrainableNodeBehavior: 'Drain' } } });
    expect(bad.status).toBe(400);
    expect((bad.json() as { error: { code: string; target?: string } }).error.code).toBe('InvalidParameter');

    const names = (await appsNodes()).map((n) => n.metadata.name);
    const op = await updatePool({ enableFIPS: false, upgradeSettings: { undrainableNodeBehavior: 'Cordon' } });
    const cordoned = await waitFor('a node of the pool to be cordoned for its drain', async () => (await appsNodes()).find((n) => names.includes(n.metadata.name) && n.spec.unschedulable)?.metadata.name);
    emu.core.clock.advance(31 * 60_000);
    const failed = await ended(op, 'the pool operation to fail');
    // One surge node stands in for the one blocked node: the operation fails (it would end Canceled without).
    expect(failed.status).toBe('Failed');
    expect(failed.error?.code).toBe('UpgradeFailed');

    const after = await appsNodes();
    const blocked = after.find((n) => n.metadata.name === cordoned)!;
    expect(blocked.spec.unschedulable).toBe(true);
    expect(blocked.metadata.labels['kubernetes.azure.com/upgrade-status']).toBe('Quarantined');
    const surge = after.filter((n) => !names.includes(n.metadata.name));
    expect(surge).toHaveLength(1);
    expect(surge[0]!.spec.unschedulable ?? false).toBe(false);
    expect(surge[0]!.metadata.labels['kubernetes.azure.com/fips_enabled']).toBeUndefined();
  }, 120_000);
});
