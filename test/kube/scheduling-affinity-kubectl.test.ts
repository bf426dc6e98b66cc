/**
 * Pod anti-affinity and topology spread as a user sees them with the real kubectl (SPEC W-23, W-24): a cluster
 * created through ARM with zonal pools (availabilityZones, so nodes carry `topology.kubernetes.io/zone` =
 * `eastus-1`...), a Deployment with required anti-affinity on the hostname that puts one replica per node and leaves
 * the extra one Pending with kube-scheduler's FailedScheduling words until the pool grows, and a Deployment spread
 * evenly over the zones by a DoNotSchedule constraint although the zones have different numbers of nodes.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../../testkit/optional.js';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { createArmCluster } from '../../testkit/kube/arm-cluster.js';
import { armClient, linuxPool } from '../../testkit/containerservice.js';
import { kubectl, kubectlHome, settle, startEmulatorWithFixtures, waitFor, type KubectlHome, type TestEmulator } from '../../testkit/kube/kube-env.js';

const ZONE = 'topology.kubernetes.io/zone';

const deployment = (name: string, replicas: number, podSpec: string) => `apiVersion: apps/v1
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
${podSpec}
      containers:
      - name: app
        image: mcr.microsoft.com/azurelinux/base/nginx:1.25
`;

describeWith(['kubectl'], 'pod anti-affinity and topology spread through kubectl', () => {
  let emu: TestEmulator;
  let cluster: FixtureCluster;
  let h: KubectlHome;
  const podsOf = async (app: string) => (await kubectl(h, ['get', 'pods', '-l', `app=${app}`, '-o', 'json'])).json().items as any[];

  beforeAll(async () => {
    emu = await startEmulatorWithFixtures({ now: new Date('2026-05-01T00:00:00Z') });
    cluster = await createArmCluster(emu, {
      name: 'zonal',
      resourceGroup: 'rg',
      properties: { kubernetesVersion: '1.33' },
      pools: [
        { name: 'nodepool1', count: 1, nodeTaints: ['CriticalAddonsOnly=true:NoSchedule'] },
        { name: 'front', count: 3, mode: 'User', availabilityZones: ['1', '2', '3'] },
        { name: 'back', count: 4, mode: 'User', availabilityZones: ['1', '2'] },
      ],
    });
    h = await kubectlHome(emu, cluster);
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('labels the nodes of zonal pools with their zone, and the others with zone 0', async () => {
    const r = await kubectl(h, ['get', 'nodes', '-L', ZONE, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const zones = Object.fromEntries(r.json().items.map((n: any) => [n.metadata.name, n.metadata.labels[ZONE]]));
    const of = (pool: string) => Object.entries(zones).filter(([n]) => n.startsWith(`aks-${pool}-`)).map(([, z]) => z).sort();
    expect(of('nodepool1')).toEqual(['0']);
    expect(of('front')).toEqual(['eastus-1', 'eastus-2', 'eastus-3']);
    expect(of('back')).toEqual(['eastus-1', 'eastus-1', 'eastus-2', 'eastus-2']);
    const table = await kubectl(h, ['get', 'nodes', '-L', ZONE]);
    expect(table.stdout.split('\n')[0]).toMatch(/ZONE$/);
  });

  it('refuses an unknown zone and a change of a pool\'s zones through ARM', async () => {
    const arm = await armClient(emu.url, emu.env);
    const pools = `${arm.cluster('rg', 'zonal')}/agentPools`;
    const unknown = await arm.call('PUT', `${pools}/other`, { properties: linuxPool('other', { count: 1, mode: 'User', availabilityZones: ['4'] }) });
    expect(unknown.status).toBe(400);
    expect(unknown.json().error.code).toBe('InvalidParameter');
    const moved = await arm.call('PUT', `${pools}/front`, { properties: linuxPool('front', { count: 3, mode: 'User', availabilityZones: ['1'] }) });
    expect(moved.status).toBe(400);
    expect(moved.json().error.code).toBe('PropertyChangeNotAllowed');
    expect((await arm.call('GET', `${pools}/front`)).json().properties.availabilityZones).toEqual(['1', '2', '3']);
  });

  it('puts one replica per node with required anti-affinity on the hostname, and leaves the extra one Pending in kube-scheduler\'s words', async () => {
    const spec = `      nodeSelector:
        agentpool: front
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector:
              matchLabels:
                app: web
            topologyKey: kubernetes.io/hostname`;
    const applied = await kubectl(h, ['apply', '-f', '-'], deployment('web', 4, spec));
    expect(applied.code, applied.stderr).toBe(0);
    await settle(emu, cluster);
    await waitFor('3 web replicas running', async () => (await podsOf('web')).filter((p) => p.status.phase === 'Running').length === 3);
    const pods = await podsOf('web');
    const running = pods.filter((p) => p.spec.nodeName);
    expect(new Set(running.map((p) => p.spec.nodeName)).size).toBe(3);
    const pending = pods.filter((p) => !p.spec.nodeName);
    expect(pending).toHaveLength(1);
    const message =
      "0/8 nodes are available: 1 node(s) had untolerated taint {CriticalAddonsOnly: true}, 3 node(s) didn't match pod anti-affinity rules, 4 node(s) didn't match Pod's node affinity/selector. preemption: 0/8 nodes are available: 3 No preemption victims found for incoming pod, 5 Preemption is not helpful for scheduling.";
    expect(pending[0].status.conditions.find((c: any) => c.type === 'PodScheduled')).toMatchObject({ status: 'False', reason: 'Unschedulable', message });
    const name = pending[0].metadata.name;
    const events = await kubectl(h, ['get', 'events', '--field-selector', `involvedObject.name=${name},reason=FailedScheduling`, '-o', 'json']);
    expect(events.json().items.map((e: any) => [e.type, e.source.component, e.message])).toEqual([['Warning', 'default-scheduler', message]]);
    const describe = await kubectl(h, ['describe', 'pod', name]);
    expect(describe.stdout).toMatch(/Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0\/8 nodes are available: .*3 node\(s\) didn't match pod anti-affinity rules/);

    // The pool grows by a node: the pending replica goes there, the only node without a web pod.
    const arm = await armClient(emu.url, emu.env);
    const scaled = await arm.run('PUT', `${arm.cluster('rg', 'zonal')}/agentPools/front`, { properties: linuxPool('front', { count: 4, mode: 'User', availabilityZones: ['1', '2', '3'] }) });
    expect(scaled.status).toBe('Succeeded');
    await waitFor('the fourth web replica running', async () => (await podsOf('web')).filter((p) => p.status.phase === 'Running').length === 4);
    const after = await podsOf('web');
    expect(new Set(after.map((p) => p.spec.nodeName)).size).toBe(4);
    expect(after.find((p) => p.metadata.name === name).spec.nodeName).not.toBe(undefined);
  });

  it('spreads a Deployment evenly over the zones with a DoNotSchedule constraint, whatever the number of nodes per zone', async () => {
    // The user nodes: four in eastus-1 (two of back, two of front since the scale-up), three in eastus-2, one in
    // eastus-3. Six replicas spread per node would leave eastus-3 with one at most; spread per zone it takes two.
    // The nodeSelector keeps the system pool's zone 0 out of the domains (nodeAffinityPolicy Honor).
    const spec = `      nodeSelector:
        kubernetes.azure.com/mode: user
      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: ${ZONE}
        whenUnsatisfiable: DoNotSchedule
        labelSelector:
          matchLabels:
            app: spread`;
    const applied = await kubectl(h, ['apply', '-f', '-'], deployment('spread', 6, spec));
    expect(applied.code, applied.stderr).toBe(0);
    await settle(emu, cluster);
    await waitFor('6 spread replicas running', async () => (await podsOf('spread')).filter((p) => p.status.phase === 'Running').length === 6);
    const nodes = (await kubectl(h, ['get', 'nodes', '-o', 'json'])).json().items as any[];
    const zoneOf = new Map(nodes.map((n) => [n.metadata.name, n.metadata.labels[ZONE]]));
    const perZone: Record<string, number> = {};
    for (const p of await podsOf('spread')) perZone[zoneOf.get(p.spec.nodeName)!] = (perZone[zoneOf.get(p.spec.nodeName)!] ?? 0) + 1;
    expect(perZone).toEqual({ 'eastus-1': 2, 'eastus-2': 2, 'eastus-3': 2 });

    // A seventh replica may go to any zone (skew 1); an eighth in the same zone would not, so it goes elsewhere.
    expect((await kubectl(h, ['scale', 'deployment', 'spread', '--replicas=8'])).code).toBe(0);
    await waitFor('8 spread replicas running', async () => (await podsOf('spread')).filter((p) => p.status.phase === 'Running').length === 8);
    const counts: Record<string, number> = {};
    for (const p of await podsOf('spread')) counts[zoneOf.get(p.spec.nodeName)!] = (counts[zoneOf.get(p.spec.nodeName)!] ?? 0) + 1;
    expect(Math.max(...Object.values(counts)) - Math.min(...Object.values(counts))).toBeLessThanOrEqual(1);
  });

  it('refuses invalid spread constraints and affinity terms with kube-apiserver\'s field errors', async () => {
    const bad = `apiVersion: v1
kind: Pod
metadata:
  name: bad
spec:
  affinity:
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector:
          matchLabels:
            app: bad
        topologyKey: ""
  topologySpreadConstraints:
  - maxSkew: 0
    topologyKey: ${ZONE}
    whenUnsatisfiable: DoNotSchedule
  - maxSkew: 1
    topologyKey: ${ZONE}
    whenUnsatisfiable: DoNotSchedule
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: Sometimes
    minDomains: 2
  containers:
  - name: app
    image: nginx
`;
    const r = await kubectl(h, ['apply', '-f', '-'], bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('The Pod "bad" is invalid: ');
    for (const detail of [
      'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value: can not be empty',
      'spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero',
      `spec.topologySpreadConstraints[1]: Duplicate value: "{${ZONE}, DoNotSchedule}"`,
      'spec.topologySpreadConstraints[2].whenUnsatisfiable: Unsupported value: "Sometimes": supported values: "DoNotSchedule", "ScheduleAnyway"',
      'spec.topologySpreadConstraints[2].minDomains: Invalid value: 2: can only use minDomains if whenUnsatisfiable=DoNotSchedule, not Sometimes',
    ]) {
      expect(r.stderr).toContain(detail);
    }
  });
});
