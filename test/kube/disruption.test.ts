/**
 * Acceptance: policy/v1 PodDisruptionBudgets and the eviction subresource with the real `kubectl` (SPEC W-12, W-13):
 * the disruption controller's status and kubectl's columns, and `kubectl drain` blocked by a budget that allows no
 * disruption, then proceeding once the budget allows one.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../../testkit/optional.js';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { createArmCluster } from '../../testkit/kube/arm-cluster.js';
import { kubectl, kubectlHome, waitFor, type KubectlHome, type TestEmulator, startEmulatorWithFixtures, kubectlOk } from '../../testkit/kube/kube-env.js';

const deployment = (name: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
      - name: web
        image: nginx:1.25
`;

const budget = (name: string, app: string, field: string) => `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: ${name}
spec:
  ${field}
  selector:
    matchLabels:
      app: ${app}
`;

interface PodJson {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: { phase?: string; conditions?: Array<{ type: string; status: string }> };
}

describeWith(['kubectl'], 'PodDisruptionBudgets and kubectl drain', () => {
  let emu: TestEmulator;
  let cluster: FixtureCluster;
  let h: KubectlHome;

  const ok = (args: string[], stdin?: string) => kubectlOk(h, args, stdin);
  const pdbStatus = async (name: string) => (JSON.parse((await ok(['get', 'pdb', name, '-o', 'json'])).stdout) as { status: Record<string, any> }).status;
  const pods = async (app: string) => (JSON.parse((await ok(['get', 'pods', '-l', `app=${app}`, '-o', 'json'])).stdout) as { items: PodJson[] }).items;
  const ready = (p: PodJson) => !p.metadata.deletionTimestamp && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

  beforeAll(async () => {
    emu = await startEmulatorWithFixtures({ now: new Date('2026-05-01T00:00:00Z') });
    cluster = await createArmCluster(emu, { name: 'budgets', resourceGroup: 'rg', properties: { kubernetesVersion: '1.33' }, pools: [{ name: 'nodepool1', count: 2 }] });
    h = await kubectlHome(emu, cluster);
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('serves poddisruptionbudgets (pdb) in policy/v1 and keeps their status (SPEC W-12)', async () => {
    const r = await ok(['api-resources', '--api-group=policy']);
    const rows = r.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/));
    expect(rows).toContainEqual(['poddisruptionbudgets', 'pdb', 'policy/v1', 'true', 'PodDisruptionBudget']);

    await ok(['apply', '-f', '-'], deployment('api', 3));
    await ok(['apply', '-f', '-'], budget('api', 'api', 'maxUnavailable: 34%'));
    const st = await waitFor('the budget to count three healthy pods', async () => {
      const s = await pdbStatus('api');
      return s.currentHealthy === 3 ? s : undefined;
    });
    // 34% of 3 rounds up to 2 unavailable: 1 desired healthy, 2 disruptions allowed.
    expect(st).toMatchObject({ expectedPods: 3, desiredHealthy: 1, disruptionsAllowed: 2, observedGeneration: 1 });
    expect(st.conditions).toEqual([expect.objectContaining({ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods' })]);
    const table = await ok(['get', 'pdb', 'api']);
    expect(table.stdout.split('\n')[0]!.split(/\s{2,}/)).toEqual(['NAME', 'MIN AVAILABLE', 'MAX UNAVAILABLE', 'ALLOWED DISRUPTIONS', 'AGE']);
    expect(table.stdout.split('\n')[1]!.split(/\s+/).slice(0, 4)).toEqual(['api', 'N/A', '34%', '2']);

    const both = await kubectl(h, ['apply', '-f', '-'], budget('both', 'api', 'minAvailable: 1\n  maxUnavailable: 1'));
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('minAvailable and maxUnavailable cannot be both set');
    await ok(['delete', 'deploy,pdb', 'api']);
  });

  it('kubectl create pdb makes a budget (SPEC W-12)', async () => {
    const r = await ok(['create', 'pdb', 'made', '--selector=app=made', '--min-available=50%']);
    expect(r.stdout.trim()).toBe('poddisruptionbudget.policy/made created');
    const made = JSON.parse((await ok(['get', 'pdb', 'made', '-o', 'json'])).stdout) as { spec: Record<string, unknown> };
    expect(made.spec).toMatchObject({ minAvailable: '50%', selector: { matchLabels: { app: 'made' } } });
    await ok(['delete', 'pdb', 'made']);
  });

  it('blocks kubectl drain while the budget allows no disruption and drains once it does (SPEC W-13)', async () => {
    await ok(['apply', '-f', '-'], deployment('web', 2));
    await ok(['apply', '-f', '-'], budget('web', 'web', 'minAvailable: 2'));
    await waitFor('the budget to see both pods healthy', async () => ((await pdbStatus('web')).currentHealthy === 2 ? true : undefined));
    expect(await pdbStatus('web')).toMatchObject({ desiredHealthy: 2, disruptionsAllowed: 0, expectedPods: 2 });
    const node = (await pods('web'))[0]!.spec.nodeName!;
    const before = (await pods('web')).filter((p) => p.spec.nodeName === node).map((p) => p.metadata.name);

    const blocked = await kubectl(h, ['drain', node, '--ignore-daemonsets', '--pod-selector=app=web', '--timeout=7s'], undefined, 60_000);
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr + blocked.stdout).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
    // drain cordoned the node, and the pods it could not evict are still there and serving.
    const nodeObj = JSON.parse((await ok(['get', 'node', node, '-o', 'json'])).stdout) as { spec: { unschedulable?: boolean } };
    expect(nodeObj.spec.unschedulable).toBe(true);
    const still = (await pods('web')).filter((p) => p.spec.nodeName === node);
    expect(still.map((p) => p.metadata.name).sort()).toEqual([...before].sort());
    expect(still.every(ready)).toBe(true);

    await ok(['apply', '-f', '-'], budget('web', 'web', 'minAvailable: 1'));
    const drained = await kubectl(h, ['drain', node, '--ignore-daemonsets', '--pod-selector=app=web', '--timeout=60s'], undefined, 90_000);
    expect(drained.code, drained.stderr + drained.stdout).toBe(0);
    for (const name of before) expect(drained.stdout).toContain(`pod/${name} evicted`);
    expect(drained.stdout).toContain(`node/${node} drained`);
    // The ReplicaSet replaced the evicted pods on the other node.
    const after = await waitFor('two ready web pods off the drained node', async () => {
      const ps = (await pods('web')).filter(ready);
      return ps.length === 2 ? ps : undefined;
    });
    expect(after.every((p) => p.spec.nodeName !== node)).toBe(true);
    await ok(['uncordon', node]);
  });
});
