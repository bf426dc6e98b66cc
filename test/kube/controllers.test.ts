/**
 * The cluster's controllers (SPEC C-4, K-7): kube-system workloads per the cluster's
 * configuration, the scheduler (nodeSelector, node affinity, taints/tolerations, resources, with
 * kube-scheduler's FailedScheduling words), the kubelet simulation (only Ready nodes start pods), pod garbage
 * collection, and all of it resuming from the store after a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryKey } from '../../src/clusters/cluster-registry.js';
import { upsertObject } from '../../src/clusters/stored-object.js';
import { startEmulator } from '../../src/emulator.js';
import { newDataDir } from '../../testkit/emulator.js';
import { instanceEnvironment } from '../../src/cli/commands/env.js';
import { nodeObject, setNodeReady, type FixtureCluster } from '../../testkit/kube/fixtures.js';
import { addCluster, kubeApi, settle, startEmulatorWithFixtures, waitFor, type KubeApiClient, type TestEmulator } from '../../testkit/kube/kube-env.js';

const pod = (name: string, spec: Record<string, unknown> = {}) => ({ metadata: { name }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }], ...spec } });

describe('cluster controllers', () => {
  let emu: TestEmulator;
  let cluster: FixtureCluster;
  let api: KubeApiClient;

  beforeAll(async () => {
    emu = await startEmulatorWithFixtures();
    cluster = await addCluster(emu, {
      name: 'sched',
      resourceGroup: 'rg',
      pools: [
        { name: 'nodepool1', count: 1 },
        { name: 'gpu', count: 1, mode: 'User', taints: [{ key: 'sku', value: 'gpu', effect: 'NoSchedule' }] },
        { name: 'spare', count: 1, mode: 'User', ready: false },
      ],
    });
    api = await kubeApi(emu, cluster);
  });
  afterAll(async () => {
    await emu?.close();
  });

  const get = async (name: string) => (await api.call('GET', `/api/v1/namespaces/default/pods/${name}`)).json();
  const node = (pool: string) => cluster.nodeNames.find((n) => n.startsWith(`aks-${pool}-`))!;
  const scheduledMessage = async (name: string) => (await get(name)).status.conditions?.find((c: any) => c.type === 'PodScheduled')?.message;

  it('honours taints and tolerations, and reports untolerated taints', async () => {
    await api.call('POST', '/api/v1/namespaces/default/pods', pod('gpu-without', { nodeSelector: { agentpool: 'gpu' } }));
    await api.call('POST', '/api/v1/namespaces/default/pods', pod('gpu-with', { nodeSelector: { agentpool: 'gpu' }, tolerations: [{ key: 'sku', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }));
    await settle(emu, cluster);
    expect((await get('gpu-with')).spec.nodeName).toBe(node('gpu'));
    expect((await get('gpu-with')).status.phase).toBe('Running');
    expect((await get('gpu-without')).status.phase).toBe('Pending');
    expect(await scheduledMessage('gpu-without')).toBe(
      "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) had untolerated taint {sku: gpu}. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
  });

  it('applies required node affinity (matchExpressions and matchFields) and resource requests', async () => {
    await api.call('POST', '/api/v1/namespaces/default/pods', pod('affine', {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'agentpool', operator: 'NotIn', values: ['nodepool1'] }, { key: 'kubernetes.io/os', operator: 'Exists' }] }] } } },
      tolerations: [{ operator: 'Exists' }],
    }));
    await api.call('POST', '/api/v1/namespaces/default/pods', pod('pinned', {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node('nodepool1')] }] }] } } },
    }));
    await api.call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'greedy' }, spec: { containers: [{ name: 'c', image: 'x:1', resources: { requests: { cpu: '64' } } }], tolerations: [{ operator: 'Exists' }] } });
    await settle(emu, cluster);
    // "affine" tolerates everything but the not-ready spare pool's node cannot start it; the gpu node can.
    expect([node('gpu'), node('spare')]).toContain((await get('affine')).spec.nodeName);
    expect((await get('pinned')).spec.nodeName).toBe(node('nodepool1'));
    expect(await scheduledMessage('greedy')).toBe('0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.');
  });

  it('starts pods only on Ready nodes and schedules pending pods when a node becomes Ready', async () => {
    await api.call('POST', '/api/v1/namespaces/default/pods', pod('spare-pod', { nodeSelector: { agentpool: 'spare' } }));
    await api.call('POST', '/api/v1/namespaces/default/pods', pod('bound-early', { nodeName: node('spare') }));
    await settle(emu, cluster);
    expect((await get('spare-pod')).status.phase).toBe('Pending');
    expect((await get('spare-pod')).spec.nodeName).toBeUndefined();
    expect((await get('bound-early')).status.phase).toBe('Pending');
    await setNodeReady(emu.core, cluster.uid, node('spare'), true);
    await waitFor('spare-pod running', async () => (await get('spare-pod')).status.phase === 'Running');
    expect((await get('spare-pod')).spec.nodeName).toBe(node('spare'));
    await waitFor('bound-early running', async () => (await get('bound-early')).status.phase === 'Running');
    // The node goes NotReady again: its pods are reported not Ready.
    await setNodeReady(emu.core, cluster.uid, node('spare'), false);
    await waitFor('spare-pod not ready', async () => (await get('spare-pod')).status.conditions.find((c: any) => c.type === 'Ready').status === 'False');
    await setNodeReady(emu.core, cluster.uid, node('spare'), true);
  });

  it('rejects a pod bound by nodeName that its node cannot take, as the kubelet\'s admission does (SPEC W-20)', async () => {
    await api.call('POST', '/api/v1/namespaces/default/pods', pod('misplaced', { nodeName: node('nodepool1'), nodeSelector: { agentpool: 'gpu' } }));
    await api.call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'oversized' }, spec: { nodeName: node('nodepool1'), containers: [{ name: 'c', image: 'x:1', resources: { requests: { cpu: '64' } } }] } });
    await api.call('POST', '/api/v1/namespaces/default/pods', pod('fits', { nodeName: node('nodepool1') }));
    await waitFor('misplaced rejected', async () => (await get('misplaced')).status.phase === 'Failed');
    expect((await get('misplaced')).status).toMatchObject({ reason: 'NodeAffinity', message: "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector" });
    await waitFor('oversized rejected', async () => (await get('oversized')).status.phase === 'Failed');
    const oversized = (await get('oversized')).status;
    expect(oversized.reason).toBe('OutOfcpu');
    expect(oversized.message).toMatch(/^Pod was rejected: Node didn't have enough resource: cpu, requested: 64000, used: \d+, capacity: \d+$/);
    await waitFor('fits running', async () => (await get('fits')).status.phase === 'Running');
    const events = (await api.call('GET', '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Doversized')).json().items;
    expect(events.map((e: any) => [e.type, e.reason, e.source.component])).toContainEqual(['Warning', 'OutOfcpu', 'kubelet']);
  });

  it('runs a DaemonSet pod on a new node and collects the pods of a node that is gone', async () => {
    const ds = async () => (await api.call('GET', '/api/v1/namespaces/kube-system/pods?labelSelector=component%3Dkube-proxy')).json().items;
    expect((await ds()).length).toBe(3);
    const extra = nodeObject({ uid: cluster.uid, resourceGroup: 'rg', name: 'sched', location: 'eastus', version: '1.32.4', subscriptionId: emu.core.subscriptionId }, { name: 'nodepool1', count: 1 }, '99999999', 7, 40);
    await upsertObject(emu.core.store, registryKey(cluster.uid, 'nodes', undefined, extra.metadata.name), () => emu.core.clock.now(), () => extra);
    await waitFor('a kube-proxy pod on the new node', async () => (await ds()).some((p: any) => p.spec.nodeName === extra.metadata.name && p.status.phase === 'Running'));
    await api.call('POST', '/api/v1/namespaces/default/pods', pod('on-extra', { nodeName: extra.metadata.name }));
    await waitFor('on-extra running', async () => (await get('on-extra')).status.phase === 'Running');
    await emu.core.store.delete(registryKey(cluster.uid, 'nodes', undefined, extra.metadata.name));
    await waitFor('on-extra collected', async () => (await api.call('GET', '/api/v1/namespaces/default/pods/on-extra')).status === 404);
    await waitFor('its kube-proxy pod gone', async () => (await ds()).every((p: any) => p.spec.nodeName !== extra.metadata.name));
  });

  it('mirrors each node\'s heartbeat into its lease in kube-node-lease', async () => {
    const leases = (await api.call('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases')).json().items;
    expect(leases.map((l: any) => l.metadata.name).sort()).toEqual([...cluster.nodeNames].sort());
    const n = (await api.call('GET', `/api/v1/nodes/${leases[0].metadata.name}`)).json();
    expect(leases[0].spec).toMatchObject({ holderIdentity: n.metadata.name, leaseDurationSeconds: 40 });
    expect(Date.parse(leases[0].spec.renewTime)).toBe(Date.parse(n.status.conditions.find((c: any) => c.type === 'Ready').lastHeartbeatTime));
    expect(leases[0].metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: n.metadata.name, uid: n.metadata.uid }]);
  });

  it('places the add-ons on the system node pool (preferred node affinity)', async () => {
    const dns = (await api.call('GET', '/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-dns')).json().items;
    expect(dns).toHaveLength(2);
    expect(dns.map((p: any) => p.spec.nodeName)).toEqual([node('nodepool1'), node('nodepool1')]);
    expect(dns[0].spec.priorityClassName).toBe('system-cluster-critical');
    expect(dns[0].spec.priority).toBe(2000000000);
  });

  it('runs konnectivity-agent unless the cluster uses API Server VNet Integration (SPEC K-7)', async () => {
    const konnectivity = async (a: KubeApiClient) => (await a.call('GET', '/api/v1/namespaces/kube-system/pods?labelSelector=app%3Dkonnectivity-agent')).json().items;
    expect(await konnectivity(api)).toHaveLength(2);
    const vnet = await addCluster(emu, { name: 'vnet', resourceGroup: 'rg', vnetIntegration: true, pools: [{ name: 'nodepool1', count: 1 }] });
    const vapi = await kubeApi(emu, vnet);
    expect(await konnectivity(vapi)).toHaveLength(0);
    expect((await vapi.call('GET', '/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-dns')).json().items).toHaveLength(2);
    // Turning VNet Integration on removes the agents (the cluster's ARM document drives the controllers).
    const doc = (await emu.core.arm.resources.get(cluster.armId))!.value;
    await emu.core.arm.resources.put({ ...doc, properties: { ...doc.properties, apiServerAccessProfile: { enableVnetIntegration: true } } });
    await waitFor('the konnectivity agents gone', async () => (await konnectivity(api)).length === 0);
  });
});

describe('controllers resume after a restart', () => {
  it('starts a pod that was scheduled before the emulator stopped', async () => {
    const dataDir = newDataDir();
    const start = async (speed: 'instant' | 'realistic') => {
      const e = await startEmulator({ dataDir, port: 0, speed });
      return Object.assign(e, { dataDir, env: instanceEnvironment(dataDir) }) as TestEmulator;
    };
    let emu = await start('realistic');
    let cluster: FixtureCluster;
    try {
      cluster = await addCluster(emu, { name: 'resume', resourceGroup: 'rg', pools: [{ name: 'nodepool1', count: 1 }] });
      const api = await kubeApi(emu, cluster);
      expect((await api.call('POST', '/api/v1/namespaces/default/pods', pod('slow'))).status).toBe(201);
      await waitFor('slow scheduled', async () => (await api.call('GET', '/api/v1/namespaces/default/pods/slow')).json().spec.nodeName);
      // Realistic speed: the container start takes seconds; stop before it happens. Meanwhile the kubelet has
      // admitted the pod: its container is waiting in ContainerCreating (SPEC W-21).
      await waitFor('slow admitted', async () => (await api.call('GET', '/api/v1/namespaces/default/pods/slow')).json().status.containerStatuses);
      const admitted = (await api.call('GET', '/api/v1/namespaces/default/pods/slow')).json();
      expect(admitted.status.phase).toBe('Pending');
      expect(admitted.status.containerStatuses[0]).toMatchObject({ name: 'c', ready: false, started: false, state: { waiting: { reason: 'ContainerCreating' } } });
      expect(admitted.status.conditions.find((c: any) => c.type === 'ContainersReady')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [c]' });
      expect(admitted.status.conditions.find((c: any) => c.type === 'PodScheduled').status).toBe('True');
    } finally {
      await emu.close();
    }
    emu = await start('instant');
    try {
      const api = await kubeApi(emu, cluster!);
      await waitFor('slow running after the restart', async () => (await api.call('GET', '/api/v1/namespaces/default/pods/slow')).json().status.phase === 'Running');
    } finally {
      await emu.close();
    }
  });
});

describe('readiness probes', () => {
  it('keeps a container unready until its probe\'s initialDelaySeconds have passed on the emulated clock (SPEC W-21)', async () => {
    const emu = await startEmulatorWithFixtures();
    try {
      const cluster = await addCluster(emu, { name: 'probes', resourceGroup: 'rg', pools: [{ name: 'nodepool1', count: 1 }] });
      const api = await kubeApi(emu, cluster);
      const probe = { httpGet: { path: '/healthz', port: 8080 }, initialDelaySeconds: 300 };
      await api.call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'probed' }, spec: { containers: [{ name: 'web', image: 'nginx:1.27', readinessProbe: probe }, { name: 'side', image: 'busybox:1.36' }] } });
      const get = async () => (await api.call('GET', '/api/v1/namespaces/default/pods/probed')).json();
      await waitFor('probed running', async () => (await get()).status.phase === 'Running');
      const running = await get();
      expect(running.status.containerStatuses.map((s: any) => [s.name, s.ready, s.imageID.includes('@sha256:'), s.containerID.startsWith('containerd://')])).toEqual([
        ['web', false, true, true],
        ['side', true, true, true],
      ]);
      expect(running.status.conditions.find((c: any) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [web]' });
      emu.core.clock.advance(301 * 1000);
      await waitFor('web ready', async () => (await get()).status.conditions.find((c: any) => c.type === 'Ready').status === 'True');
      const ready = await get();
      expect(ready.status.containerStatuses.every((s: any) => s.ready)).toBe(true);
      expect(ready.status.conditions.find((c: any) => c.type === 'ContainersReady').status).toBe('True');
    } finally {
      await emu.close();
    }
  });
});

describe('event expiry', () => {
  it('deletes events an hour (of emulated time) after their last occurrence', async () => {
    const emu = await startEmulatorWithFixtures();
    try {
      const cluster = await addCluster(emu, { name: 'ttl', resourceGroup: 'rg', pools: [{ name: 'nodepool1', count: 1 }] });
      const api = await kubeApi(emu, cluster);
      const count = async () => (await api.call('GET', '/api/v1/events')).json().items.length;
      expect(await count()).toBeGreaterThan(0);
      emu.core.clock.advance(61 * 60 * 1000);
      await waitFor('the old events to expire', async () => (await count()) === 0);
    } finally {
      await emu.close();
    }
  });
});

describe('a deleted cluster', () => {
  it('leaves nothing under its prefix and its API answers 404', async () => {
    const { createArmCluster } = await import('../../testkit/kube/arm-cluster.js');
    const { armClient } = await import('../../testkit/containerservice.js');
    const emu = await startEmulatorWithFixtures();
    try {
      const cluster = await createArmCluster(emu, { name: 'gone', resourceGroup: 'rg', pools: [{ name: 'nodepool1', count: 2 }] });
      const api = await kubeApi(emu, cluster);
      // Keep the controllers busy while the cluster is deleted.
      for (let i = 0; i < 5; i++) await api.call('POST', '/api/v1/namespaces/default/pods', pod(`p${i}`));
      const arm = await armClient(emu.url, emu.env);
      const del = await arm.run('DELETE', arm.cluster('rg', 'gone'));
      expect(del.status).toBe('Succeeded');
      await emu.core.tasks.idle();
      await new Promise((r) => setTimeout(r, 200));
      expect(await emu.core.store.count(`/clusters/${cluster.uid}/`)).toBe(0);
      const res = await api.call('GET', '/api/v1/namespaces');
      expect(res.status).toBe(404);
      expect(res.json().kind).toBe('Status');
    } finally {
      await emu.close();
    }
  });
});
