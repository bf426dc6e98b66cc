/**
 * Acceptance: apps/v1 DaemonSets with the real `kubectl` against a cluster created through ARM (SPEC W-8): one
 * pod per eligible node (taints, nodeSelector, the daemon tolerations that let it onto a cordoned node), following
 * a pool scaled up and down through ARM, a rolling update that `kubectl rollout status ds/…` sees complete, and
 * kubectl's columns.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../../testkit/optional.js';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { createArmCluster } from '../../testkit/kube/arm-cluster.js';
import { armClient, linuxPool } from '../../testkit/containerservice.js';
import { kubectl, kubectlHome, settle, startEmulatorWithFixtures, waitFor, type KubectlHome, type TestEmulator } from '../../testkit/kube/kube-env.js';

const daemonSet = (name: string, image: string, spec = '') => `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ${name}
spec:
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
${spec}      containers:
      - name: agent
        image: ${image}
`;

interface PodObj {
  metadata: { name: string; labels: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }> };
  spec: { nodeName?: string; tolerations?: Array<{ key?: string; effect?: string; operator?: string }> };
  status: { phase: string };
}

describeWith(['kubectl'], 'DaemonSets with kubectl', () => {
  let emu: TestEmulator;
  let cluster: FixtureCluster;
  let h: KubectlHome;

  const apply = async (manifest: string) => {
    const r = await kubectl(h, ['apply', '-f', '-'], manifest);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim();
  };
  const podsOf = async (name: string): Promise<PodObj[]> => {
    const r = await kubectl(h, ['get', 'pods', '-l', `app=${name}`, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    return (r.json().items as PodObj[]).filter((p) => p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet' && o.name === name && o.controller));
  };
  const nodesOf = async (selector: string): Promise<string[]> => {
    const r = await kubectl(h, ['get', 'nodes', '-l', selector, '-o', 'jsonpath={.items[*].metadata.name}']);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim().split(/\s+/).filter(Boolean).sort();
  };
  const placement = async (name: string) => (await podsOf(name)).map((p) => p.spec.nodeName).sort();
  const rolledOut = async (name: string) => {
    const r = await kubectl(h, ['rollout', 'status', `ds/${name}`, '--timeout=60s'], undefined, 90_000);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(`daemon set "${name}" successfully rolled out`);
  };

  beforeAll(async () => {
    emu = await startEmulatorWithFixtures({ now: new Date('2026-05-01T00:00:00Z') });
    cluster = await createArmCluster(emu, {
      name: 'daemons',
      resourceGroup: 'rg',
      properties: { kubernetesVersion: '1.33' },
      pools: [
        { name: 'nodepool1', count: 1, nodeTaints: ['CriticalAddonsOnly=true:NoSchedule'] },
        { name: 'users', count: 2, mode: 'User' },
      ],
    });
    h = await kubectlHome(emu, cluster);
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('lists daemonsets (ds) in apps/v1 in api-resources', async () => {
    const r = await kubectl(h, ['api-resources', '--api-group=apps']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => l.split(/\s+/))).toContainEqual(['daemonsets', 'ds', 'apps/v1', 'true', 'DaemonSet']);
  });

  it('runs one pod on every node whose taints it tolerates, bound to that node, with the daemon tolerations; rollout status completes', async () => {
    expect(await apply(daemonSet('agent', 'busybox:1.36'))).toBe('daemonset.apps/agent created');
    await rolledOut('agent');
    const users = await nodesOf('kubernetes.azure.com/agentpool=users');
    expect(users).toHaveLength(2);
    expect(await placement('agent')).toEqual(users);
    const [pod] = await podsOf('agent');
    expect(pod!.metadata.name).toMatch(/^agent-[a-z0-9]{5}$/);
    expect(pod!.metadata.labels['controller-revision-hash']).toMatch(/^[a-z0-9]+$/);
    expect(pod!.spec.tolerations).toEqual(
      expect.arrayContaining([
        { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
      ]),
    );

    // A DaemonSet that tolerates everything covers the tainted system node too.
    await apply(daemonSet('everywhere', 'busybox:1.36', '      tolerations:\n      - operator: Exists\n'));
    await rolledOut('everywhere');
    expect(await placement('everywhere')).toEqual(await nodesOf('kubernetes.azure.com/agentpool'));
    expect(await placement('everywhere')).toHaveLength(3);

    const table = await kubectl(h, ['get', 'ds', 'agent']);
    const [head, row] = table.stdout.trim().split('\n');
    expect(head!.split(/\s{2,}/)).toEqual(['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE']);
    expect(row!.split(/\s+/).slice(0, 7)).toEqual(['agent', '2', '2', '2', '2', '2', '<none>']);
  });

  it('follows a pool scaled up and down through ARM', async () => {
    const arm = await armClient(emu.url, emu.env);
    const pool = `${arm.cluster('rg', 'daemons')}/agentPools/users`;
    const up = await arm.run('PUT', pool, { properties: linuxPool('users', { count: 4, mode: 'User' }) });
    expect(up.status).toBe('Succeeded');
    const users = await nodesOf('kubernetes.azure.com/agentpool=users');
    expect(users).toHaveLength(4);
    await waitFor('a daemon pod on each new node', async () => JSON.stringify(await placement('agent')) === JSON.stringify(users));
    await rolledOut('agent');

    const down = await arm.run('PUT', pool, { properties: linuxPool('users', { count: 2, mode: 'User' }) });
    expect(down.status).toBe('Succeeded');
    const remaining = await nodesOf('kubernetes.azure.com/agentpool=users');
    expect(remaining).toHaveLength(2);
    await waitFor('daemon pods only on the remaining nodes', async () => JSON.stringify(await placement('agent')) === JSON.stringify(remaining));
    const ds = (await kubectl(h, ['get', 'ds', 'agent', '-o', 'json'])).json();
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 2, numberAvailable: 2, numberMisscheduled: 0 });
  });

  it('places pods on a cordoned node and only where the nodeSelector matches', async () => {
    const [first, second] = await nodesOf('kubernetes.azure.com/agentpool=users');
    expect((await kubectl(h, ['cordon', first!])).code).toBe(0);
    expect((await kubectl(h, ['label', 'node', second!, 'role=logs'])).code).toBe(0);
    await apply(daemonSet('cordoned', 'busybox:1.36'));
    await apply(daemonSet('logs', 'busybox:1.36', '      nodeSelector:\n        role: logs\n'));
    await rolledOut('cordoned');
    await rolledOut('logs');
    expect(await placement('cordoned')).toEqual([first, second].sort());
    expect(await placement('logs')).toEqual([second]);
    const row = (await kubectl(h, ['get', 'ds', 'logs', '--no-headers'])).stdout.trim().split(/\s+/);
    expect(row.slice(0, 7)).toEqual(['logs', '1', '1', '1', '1', '1', 'role=logs']);
    expect((await kubectl(h, ['uncordon', first!])).code).toBe(0);
  });

  it('rolls a new template out node by node (RollingUpdate), and leaves pods alone under OnDelete until they are deleted', async () => {
    const before = new Set((await podsOf('agent')).map((p) => p.metadata.name));
    await apply(daemonSet('agent', 'busybox:1.37'));
    await rolledOut('agent');
    const after = await podsOf('agent');
    expect(after).toHaveLength(2);
    for (const p of after) expect(before.has(p.metadata.name)).toBe(false);
    const hashes = new Set(after.map((p) => p.metadata.labels['controller-revision-hash']));
    expect(hashes.size).toBe(1);

    const onDelete = (image: string) => daemonSet('manual', image, '').replace('spec:\n  selector:', 'spec:\n  updateStrategy:\n    type: OnDelete\n  selector:');
    await apply(onDelete('busybox:1.36'));
    await waitFor('manual pods', async () => (await podsOf('manual')).length === 2);
    await settle(emu, cluster);
    const original = (await podsOf('manual')).map((p) => p.metadata.name).sort();
    await apply(onDelete('busybox:1.37'));
    await settle(emu, cluster);
    expect((await podsOf('manual')).map((p) => p.metadata.name).sort()).toEqual(original);
    const ds = (await kubectl(h, ['get', 'ds', 'manual', '-o', 'json'])).json();
    expect(ds.status.updatedNumberScheduled ?? 0).toBe(0);
    expect((await kubectl(h, ['delete', 'pod', original[0]!, '--wait=false'])).code).toBe(0);
    await waitFor('a replacement pod', async () => (await podsOf('manual')).filter((p) => !original.includes(p.metadata.name)).length === 1);
    const status = async () => (await kubectl(h, ['get', 'ds', 'manual', '-o', 'json'])).json().status;
    await waitFor('one pod up to date', async () => (await status()).updatedNumberScheduled === 1);
  });

  it('deletes its pods with it', async () => {
    expect((await kubectl(h, ['delete', 'ds', 'everywhere'])).code).toBe(0);
    await waitFor('pods collected', async () => (await kubectl(h, ['get', 'pods', '-l', 'app=everywhere', '-o', 'name'])).stdout.trim() === '');
  });
});
