/**
 * The scheduler and the simulated pods as a user sees them with the real kubectl (SPEC W-20, W-21, W-22): a
 * cluster created through ARM with a system pool tainted CriticalAddonsOnly, a FIPS pool and a plain pool; pods
 * placed by nodeSelector and tolerations, an unschedulable pod explained in kube-scheduler's words and scheduled
 * once a matching pool is added, and the simulated container logs (`logs`, `-f`, `--since`, `--tail`,
 * `--timestamps`, `--previous`).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../../testkit/optional.js';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { createArmCluster } from '../../testkit/kube/arm-cluster.js';
import { armClient, linuxPool } from '../../testkit/containerservice.js';
import { kubectl, kubectlHome, kubectlStream, settle, startEmulatorWithFixtures, waitFor, type KubectlHome, type TestEmulator } from '../../testkit/kube/kube-env.js';

const manifest = (name: string, spec: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
${spec}
  containers:
  - name: app
    image: mcr.microsoft.com/dotnet/runtime-deps:8.0
    command: ["/app/server", "--port", "8080"]
`;

describeWith(['kubectl'], 'the scheduler and simulated pods through kubectl', () => {
  let emu: TestEmulator;
  let cluster: FixtureCluster;
  let h: KubectlHome;
  const apply = async (name: string, spec: string) => {
    const r = await kubectl(h, ['apply', '-f', '-'], manifest(name, spec));
    expect(r.code, r.stderr).toBe(0);
  };
  const podJson = async (name: string) => (await kubectl(h, ['get', 'pod', name, '-o', 'json'])).json();

  beforeAll(async () => {
    emu = await startEmulatorWithFixtures({ now: new Date('2026-05-01T00:00:00Z') });
    cluster = await createArmCluster(emu, {
      name: 'workloads',
      resourceGroup: 'rg',
      properties: { kubernetesVersion: '1.33' },
      pools: [
        { name: 'nodepool1', count: 1, nodeTaints: ['CriticalAddonsOnly=true:NoSchedule'] },
        { name: 'fipsnp', count: 2, enableFIPS: true, mode: 'User' },
        { name: 'plain', count: 2, mode: 'User' },
      ],
    });
    h = await kubectlHome(emu, cluster);
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('places a pod with the FIPS nodeSelector on a FIPS node, shown by get -o wide', async () => {
    await apply('fips-app', '  nodeSelector:\n    kubernetes.azure.com/fips_enabled: "true"');
    await settle(emu, cluster);
    const pod = await podJson('fips-app');
    expect(pod.spec.nodeName).toMatch(/^aks-fipsnp-/);
    const wide = await kubectl(h, ['get', 'pod', 'fips-app', '-o', 'wide']);
    expect(wide.code, wide.stderr).toBe(0);
    const [header, row] = wide.stdout.trim().split('\n');
    const cols = header!.split(/\s{2,}/);
    expect(cols.slice(0, 7)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE']);
    const cells = row!.split(/\s+/);
    expect(cells[2]).toBe('Running');
    expect(cells[6]).toBe(pod.spec.nodeName);
    expect(cells[5]).toBe(pod.status.podIP);
    // Pods that behave like pods: the kubelet's conditions and container status with image and container ids.
    expect(pod.status.conditions.map((c: any) => `${c.type}=${c.status}`).sort()).toEqual(['ContainersReady=True', 'Initialized=True', 'PodReadyToStartContainers=True', 'PodScheduled=True', 'Ready=True']);
    expect(pod.status.containerStatuses[0].imageID).toMatch(/^mcr\.microsoft\.com\/dotnet\/runtime-deps@sha256:[0-9a-f]{64}$/);
    expect(pod.status.containerStatuses[0].containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
  });

  it('keeps every replica of a Deployment pinned to FIPS nodes on them through rollout, scale and undo (SPEC W-4, W-6, W-20)', async () => {
    const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: regulated
spec:
  replicas: 4
  selector:
    matchLabels:
      app: regulated
  template:
    metadata:
      labels:
        app: regulated
    spec:
      nodeSelector:
        kubernetes.azure.com/fips_enabled: "true"
      containers:
      - name: app
        image: ${image}
`;
    const ok = async (args: string[], stdin?: string) => {
      const r = await kubectl(h, args, stdin);
      expect(r.code, r.stderr).toBe(0);
      return r;
    };
    const fipsNodes = new Set((await ok(['get', 'nodes', '-l', 'kubernetes.azure.com/fips_enabled=true', '-o', 'name'])).stdout.trim().split('\n').map((n) => n.replace('node/', '')));
    expect(fipsNodes.size).toBe(2);
    const placed = async () => {
      const pods = JSON.parse((await ok(['get', 'pods', '-l', 'app=regulated', '-o', 'json'])).stdout).items as Array<{ metadata: { deletionTimestamp?: string }; spec: { nodeName?: string; containers: Array<{ image: string }> } }>;
      return pods.filter((p) => !p.metadata.deletionTimestamp);
    };
    await ok(['apply', '-f', '-'], deployment('mcr.microsoft.com/azurelinux/base/nginx:1.25'));
    await ok(['rollout', 'status', 'deployment/regulated', '--timeout=60s']);
    let pods = await placed();
    expect(pods).toHaveLength(4);
    for (const p of pods) expect(fipsNodes.has(p.spec.nodeName!)).toBe(true);

    await ok(['scale', 'deployment/regulated', '--replicas=6']);
    await ok(['rollout', 'status', 'deployment/regulated', '--timeout=60s']);
    pods = await waitFor('six replicas', async () => ((await placed()).length === 6 ? placed() : undefined));
    for (const p of pods) expect(fipsNodes.has(p.spec.nodeName!)).toBe(true);

    await ok(['apply', '-f', '-'], deployment('mcr.microsoft.com/azurelinux/base/nginx:1.26').replace('replicas: 4', 'replicas: 6'));
    await ok(['rollout', 'status', 'deployment/regulated', '--timeout=60s']);
    await ok(['rollout', 'undo', 'deployment/regulated']);
    await ok(['rollout', 'status', 'deployment/regulated', '--timeout=60s']);
    pods = await waitFor('six replicas of the first image', async () => {
      const now = await placed();
      return now.length === 6 && now.every((p) => p.spec.containers[0]!.image.endsWith(':1.25')) ? now : undefined;
    });
    for (const p of pods) expect(fipsNodes.has(p.spec.nodeName!)).toBe(true);
  });

  it('prints the simulated container log, with --timestamps, --tail, --since and --previous as the kubelet answers them', async () => {
    const pod = await podJson('fips-app');
    const node = pod.spec.nodeName;
    const logs = await kubectl(h, ['logs', 'fips-app']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout.split('\n')).toEqual([
      `aksemu: simulated container "app" of pod default/fips-app started on node ${node} with image mcr.microsoft.com/dotnet/runtime-deps:8.0`,
      `aksemu: image ${pod.status.containerStatuses[0].imageID}, container ${pod.status.containerStatuses[0].containerID}`,
      'aksemu: would run: /app/server --port 8080',
      '',
    ]);
    // Deterministic: the same request answers the same lines.
    expect((await kubectl(h, ['logs', 'pod/fips-app', '-c', 'app'])).stdout).toBe(logs.stdout);
    const stamped = await kubectl(h, ['logs', 'fips-app', '--timestamps', '--tail=1']);
    expect(stamped.stdout).toBe(`${pod.status.containerStatuses[0].state.running.startedAt.replace('Z', '.000000000Z')} aksemu: would run: /app/server --port 8080\n`);
    const previous = await kubectl(h, ['logs', 'fips-app', '--previous']);
    expect(previous.code).toBe(1);
    expect(previous.stderr.trim()).toBe('Error from server (BadRequest): previous terminated container "app" in pod "fips-app" not found');
    // kubectl checks the container name itself; the API answers a raw request in kube-apiserver's words.
    const wrong = await kubectl(h, ['get', '--raw', '/api/v1/namespaces/default/pods/fips-app/log?container=nope']);
    expect(wrong.stderr.trim()).toBe('Error from server (BadRequest): container nope is not valid for pod fips-app');
    const since = await kubectl(h, ['get', '--raw', '/api/v1/namespaces/default/pods/fips-app/log?sinceSeconds=0']);
    expect(since.stderr).toContain('must be greater than 0');
  });

  it('follows the log with -f as the emulated clock runs, and ends when the pod is deleted', async () => {
    await apply('follow-me', '  nodeSelector:\n    kubernetes.azure.com/fips_enabled: "true"');
    await settle(emu, cluster);
    const node = (await podJson('follow-me')).spec.nodeName;
    const f = kubectlStream(h, ['logs', '-f', 'follow-me']);
    try {
      await waitFor('the first lines', async () => f.output().includes('aksemu: would run: /app/server --port 8080'));
      expect(f.output()).not.toContain('uptime');
      emu.core.clock.advance(125_000);
      await waitFor('two minutes of lines', async () => f.output().includes('(uptime 2m0s)'));
      expect(f.output().split('\n').slice(3, 5)).toEqual([
        `aksemu: container "app" running on node ${node} (uptime 1m0s)`,
        `aksemu: container "app" running on node ${node} (uptime 2m0s)`,
      ]);
      // --since selects by the emulated time the lines were written.
      const recent = await kubectl(h, ['logs', 'follow-me', '--since=30s']);
      expect(recent.stdout).toBe(`aksemu: container "app" running on node ${node} (uptime 2m0s)\n`);
      const del = await kubectl(h, ['delete', 'pod', 'follow-me', '--wait=false']);
      expect(del.code, del.stderr).toBe(0);
      expect(await Promise.race([f.exited, new Promise((r) => setTimeout(() => r('still following'), 15_000))])).toBe(0);
    } finally {
      f.child.kill();
    }
  });

  it('lets a pod that tolerates CriticalAddonsOnly onto the tainted system pool, and keeps one that does not off it', async () => {
    await apply('tolerant', '  nodeSelector:\n    agentpool: nodepool1\n  tolerations:\n  - key: CriticalAddonsOnly\n    operator: Exists');
    await apply('intolerant', '  nodeSelector:\n    agentpool: nodepool1');
    await settle(emu, cluster);
    expect((await podJson('tolerant')).spec.nodeName).toMatch(/^aks-nodepool1-/);
    const intolerant = await podJson('intolerant');
    expect(intolerant.spec.nodeName).toBeUndefined();
    expect(intolerant.status.conditions.find((c: any) => c.type === 'PodScheduled')).toMatchObject({ status: 'False', reason: 'Unschedulable' });
    expect(intolerant.status.conditions.find((c: any) => c.type === 'PodScheduled').message).toBe(
      "0/5 nodes are available: 1 node(s) had untolerated taint {CriticalAddonsOnly: true}, 4 node(s) didn't match Pod's node affinity/selector. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.",
    );
  });

  it('keeps pods off cordoned nodes and schedules them when the nodes are uncordoned', async () => {
    const plain = cluster.nodeNames.filter((n) => n.startsWith('aks-plain-'));
    expect(plain).toHaveLength(2);
    for (const n of plain) expect((await kubectl(h, ['cordon', n])).code).toBe(0);
    await apply('on-plain', '  nodeSelector:\n    agentpool: plain');
    await settle(emu, cluster);
    const pending = await podJson('on-plain');
    expect(pending.spec.nodeName).toBeUndefined();
    expect(pending.status.conditions.find((c: any) => c.type === 'PodScheduled').message).toBe(
      "0/5 nodes are available: 1 node(s) had untolerated taint {CriticalAddonsOnly: true}, 2 node(s) didn't match Pod's node affinity/selector, 2 node(s) were unschedulable. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.",
    );
    expect((await kubectl(h, ['uncordon', plain[1]!])).code).toBe(0);
    await waitFor('on-plain running', async () => (await podJson('on-plain')).status.phase === 'Running');
    expect((await podJson('on-plain')).spec.nodeName).toBe(plain[1]);
    expect((await kubectl(h, ['uncordon', plain[0]!])).code).toBe(0);
  });

  it('keeps a pod no node fits Pending and says why in kube-scheduler\'s words, then schedules it when a matching pool is added', async () => {
    const big = (await kubectl(h, ['apply', '-f', '-'], manifest('too-big', '  nodeSelector:\n    kubernetes.azure.com/fips_enabled: "true"').replace('    command:', '    resources:\n      requests:\n        cpu: "4"\n    command:')));
    expect(big.code, big.stderr).toBe(0);
    await settle(emu, cluster);
    const message =
      "0/5 nodes are available: 1 node(s) had untolerated taint {CriticalAddonsOnly: true}, 2 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/5 nodes are available: 2 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.";
    const pending = await podJson('too-big');
    expect(pending.status.phase).toBe('Pending');
    expect(pending.status.conditions.find((c: any) => c.type === 'PodScheduled')).toMatchObject({ status: 'False', reason: 'Unschedulable', message });
    const events = await kubectl(h, ['get', 'events', '--field-selector', 'involvedObject.name=too-big,reason=FailedScheduling', '-o', 'json']);
    expect(events.json().items.map((e: any) => [e.type, e.source.component, e.message])).toEqual([['Warning', 'default-scheduler', message]]);
    const table = await kubectl(h, ['get', 'events', '--field-selector', 'involvedObject.name=too-big']);
    expect(table.stdout).toMatch(/Warning\s+FailedScheduling\s+pod\/too-big\s+0\/5 nodes are available/);
    const describe = await kubectl(h, ['describe', 'pod', 'too-big']);
    expect(describe.stdout).toMatch(/Status:\s+Pending/);
    expect(describe.stdout).toMatch(new RegExp(`Warning\\s+FailedScheduling\\s+\\S+\\s+default-scheduler\\s+${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));

    // A FIPS pool of a larger VM size appears: its node fits, and the pending pod is scheduled there.
    const arm = await armClient(emu.url, emu.env);
    const added = await arm.run('PUT', `${arm.cluster('rg', 'workloads')}/agentPools/bigfips`, { properties: linuxPool('bigfips', { count: 1, vmSize: 'Standard_D8s_v3', enableFIPS: true, mode: 'User' }) });
    expect(added.status).toBe('Succeeded');
    await waitFor('too-big running', async () => (await podJson('too-big')).status.phase === 'Running');
    expect((await podJson('too-big')).spec.nodeName).toMatch(/^aks-bigfips-/);
    const scheduled = await kubectl(h, ['get', 'events', '--field-selector', 'involvedObject.name=too-big,reason=Scheduled', '-o', 'json']);
    expect(scheduled.json().items[0].message).toMatch(/^Successfully assigned default\/too-big to aks-bigfips-/);
  });
});
