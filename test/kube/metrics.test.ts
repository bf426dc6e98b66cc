/**
 * metrics.k8s.io as `kubectl top` reads it (SPEC W-25): usage computed from the simulated pods' requests, stable
 * within an emulated minute and moving after one, never above what a container requests; node usage is its pods'
 * plus the node's own daemons; pods that do not run have no metrics; the API answers in Kubernetes Status form.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../../testkit/optional.js';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { createArmCluster } from '../../testkit/kube/arm-cluster.js';
import { kubectl, kubectlHome, settle, startEmulatorWithFixtures, waitFor, type KubectlHome, type TestEmulator, kubectlOk } from '../../testkit/kube/kube-env.js';

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
      - name: api
        image: nginx:1.25
        resources:
          requests:
            cpu: 200m
            memory: 256Mi
      - name: sidecar
        image: busybox:1.36
`;

interface PodMetrics {
  metadata: { name: string; namespace: string };
  window: string;
  timestamp: string;
  containers: Array<{ name: string; usage: { cpu: string; memory: string } }>;
}

const nano = (q: string) => Number(q.replace(/n$/, ''));
const ki = (q: string) => Number(q.replace(/Ki$/, ''));

describeWith(['kubectl'], 'metrics.k8s.io and kubectl top', () => {
  let emu: TestEmulator;
  let cluster: FixtureCluster;
  let h: KubectlHome;
  const ok = async (args: string[], stdin?: string) => (await kubectlOk(h, args, stdin)).stdout;
  const raw = async (path: string) => JSON.parse(await ok(['get', '--raw', path]));

  beforeAll(async () => {
    emu = await startEmulatorWithFixtures({ now: new Date('2026-05-01T00:00:00Z') });
    cluster = await createArmCluster(emu, { name: 'top', resourceGroup: 'rg', pools: [{ name: 'nodepool1', count: 2 }] });
    h = await kubectlHome(emu, cluster);
    await ok(['apply', '-f', '-'], deployment);
    await waitFor('two running api pods', async () => {
      const pods = JSON.parse(await ok(['get', 'pods', '-l', 'app=api', '-o', 'json'])).items as Array<{ status: { phase: string } }>;
      return pods.length === 2 && pods.every((p) => p.status.phase === 'Running') ? true : undefined;
    });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('is discoverable, so kubectl top finds the metrics API', async () => {
    const group = await raw('/apis/metrics.k8s.io/v1beta1');
    expect(group.resources.map((r: { name: string; namespaced: boolean }) => [r.name, r.namespaced])).toEqual([
      ['nodes', false],
      ['pods', true],
    ]);
  });

  it('kubectl top pod shows each container within its requests, stable within a minute, moving after one', async () => {
    const list = await raw('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dapi');
    expect(list.kind).toBe('PodMetricsList');
    const items = list.items as PodMetrics[];
    expect(items).toHaveLength(2);
    for (const p of items) {
      expect(p.window).toBe('15s');
      const api = p.containers.find((c) => c.name === 'api')!;
      // 25–75% of the 200m request, 30–80% of the 256Mi request.
      expect(nano(api.usage.cpu)).toBeGreaterThanOrEqual(0.25 * 200e6);
      expect(nano(api.usage.cpu)).toBeLessThanOrEqual(0.75 * 200e6);
      expect(ki(api.usage.memory)).toBeGreaterThanOrEqual(0.3 * 256 * 1024 - 1);
      expect(ki(api.usage.memory)).toBeLessThanOrEqual(0.8 * 256 * 1024);
      const side = p.containers.find((c) => c.name === 'sidecar')!;
      expect(nano(side.usage.cpu)).toBeGreaterThan(0);
    }
    // Same emulated minute, same readings (the clock runs: a read that fell into the next minute proves nothing);
    // the next minute, new ones. Only the readings are compared: creationTimestamp is the moment of the read and
    // timestamp the end of the 15-second window, as metrics-server reports them, so both move within a minute.
    const again = (await raw('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dapi')).items as PodMetrics[];
    const minute = (p: PodMetrics) => Math.floor(Date.parse(p.timestamp) / 60_000);
    if (minute(again[0]!) === minute(items[0]!)) expect(again.map((p) => p.containers)).toEqual(items.map((p) => p.containers));
    emu.core.clock.advance(60_000);
    const later = (await raw('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dapi')).items as PodMetrics[];
    expect(later.map((p) => p.containers)).not.toEqual(items.map((p) => p.containers));

    // kubectl rounds CPU up to millicores and memory down to MiB. Readings move each emulated minute, so the table
    // is compared with the API's readings of the same minute (read before and after it).
    const { table, items: shown } = await waitFor('a kubectl top table read within one emulated minute', async () => {
      const before = await raw('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dapi');
      const out = await ok(['top', 'pod', '-l', 'app=api', '--containers']);
      const after = await raw('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dapi');
      return JSON.stringify(before.items) === JSON.stringify(after.items) ? { table: out, items: after.items as PodMetrics[] } : undefined;
    });
    expect(table.split('\n')[0]).toMatch(/^POD\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
    for (const p of shown) {
      for (const c of p.containers) {
        expect(table).toMatch(new RegExp(`${p.metadata.name}\\s+${c.name}\\s+${Math.ceil(nano(c.usage.cpu) / 1e6)}m\\s+${Math.floor(ki(c.usage.memory) / 1024)}Mi`));
      }
    }
  });

  it('kubectl top node sums the pods on each node and its own daemons', async () => {
    await settle(emu, cluster);
    const nodes = (await raw('/apis/metrics.k8s.io/v1beta1/nodes')).items as Array<{ metadata: { name: string }; usage: { cpu: string; memory: string } }>;
    expect(nodes.map((n) => n.metadata.name).sort()).toEqual([...cluster.nodeNames].sort());
    const pods = (await raw('/apis/metrics.k8s.io/v1beta1/pods')).items as PodMetrics[];
    const podNodes = JSON.parse(await ok(['get', 'pods', '-A', '-o', 'json'])).items as Array<{ metadata: { name: string; namespace: string }; spec: { nodeName: string } }>;
    for (const n of nodes) {
      const onNode = pods.filter((p) => podNodes.find((q) => q.metadata.name === p.metadata.name && q.metadata.namespace === p.metadata.namespace)?.spec.nodeName === n.metadata.name);
      const cpu = onNode.reduce((s, p) => s + p.containers.reduce((t, c) => t + nano(c.usage.cpu), 0), 0);
      expect(nano(n.usage.cpu)).toBe(cpu + 50e6);
    }
    const table = await ok(['top', 'node']);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+CPU\(cores\)\s+CPU(%|\(%\))\s+MEMORY\(bytes\)\s+MEMORY(%|\(%\))/);
    for (const name of cluster.nodeNames) expect(table).toMatch(new RegExp(`${name}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%`));
  });

  it("a user with the view role reads its namespace's pod metrics, as AKS's metrics-server aggregates its reader role into view", async () => {
    await ok(['create', 'rolebinding', 'jane-view', '--clusterrole=view', '--user=jane@contoso.com', '-n', 'default']);
    const top = await kubectl(h, ['top', 'pod', '-l', 'app=api', '--as=jane@contoso.com']);
    expect(top.code, top.stderr).toBe(0);
    expect(top.stdout).toMatch(/^NAME\s+CPU\(cores\)/);
    // Node metrics are cluster-scoped: a RoleBinding does not reach them.
    const nodes = await kubectl(h, ['top', 'node', '--as=jane@contoso.com']);
    expect(nodes.code).not.toBe(0);
    expect(nodes.stderr).toContain('forbidden');
  });

  it('a pod that does not run has no metrics; unknown names and writes are refused in Status form', async () => {
    await ok(['run', 'pending', '--image=nginx:1.25', '--overrides', JSON.stringify({ spec: { nodeSelector: { nowhere: 'true' } } })]);
    const missing = await kubectl(h, ['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/pending']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('podmetrics.metrics.k8s.io "pending" not found');
    const top = await kubectl(h, ['top', 'pod', 'pending']);
    expect(top.code).not.toBe(0);
    const noNode = await kubectl(h, ['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes/aks-nowhere-1']);
    expect(noNode.code).not.toBe(0);
    const write = await kubectl(h, ['create', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods', '-f', '-'], '{}');
    expect(write.code).not.toBe(0);
    expect(write.stderr).toMatch(/MethodNotAllowed|not allowed|405/i);
  });
});
