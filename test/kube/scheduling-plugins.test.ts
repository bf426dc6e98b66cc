/**
 * The scheduler's InterPodAffinity (SPEC W-23) and PodTopologySpread (SPEC W-24) as pure rules: one pass
 * (SchedulingSnapshot) places pods one after the other on a small cluster, counting each bound pod for the next,
 * and explains a pod no node fits in kube-scheduler's words.
 */
import { describe, expect, it } from 'vitest';
import type { Namespace, Node, Pod } from '../../src/kube/api/machinery/types.js';
import { SchedulingSnapshot } from '../../src/kube/controllers/scheduling-snapshot.js';

type Spec = Partial<NonNullable<Pod['spec']>>;

const node = (name: string, zone: string | undefined, labels: Record<string, string> = {}): Node => ({
  metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(zone ? { 'topology.kubernetes.io/zone': zone } : {}), ...labels } },
  spec: {},
  status: { allocatable: { cpu: '4', memory: '16Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
});

let serial = 0;
const pod = (labels: Record<string, string>, spec: Spec = {}, opts: { namespace?: string; nodeName?: string; owner?: string } = {}): Pod => {
  const name = `p${serial++}`;
  return {
    metadata: {
      name,
      namespace: opts.namespace ?? 'default',
      uid: `uid-${name}`,
      labels,
      ...(opts.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: opts.owner, uid: opts.owner, controller: true }] } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'nginx' }], ...(opts.nodeName ? { nodeName: opts.nodeName } : {}), ...spec },
  };
};

const antiAffinity = (topologyKey: string, app = 'web'): Spec => ({
  affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app } }, topologyKey }] } },
});

/** Places `pending` in order in one pass; answers each pod's node name or FailedScheduling message. */
function schedule(nodes: Node[], existing: Pod[], pending: Pod[], namespaces: Namespace[] = []): string[] {
  const snapshot = new SchedulingSnapshot(nodes, [...existing, ...pending], namespaces);
  return pending.map((p) => {
    const r = snapshot.place(p);
    if (!('node' in r)) return r.message;
    snapshot.bind(p, r.node);
    return r.node.metadata.name!;
  });
}

const zoneOf = (nodes: Node[], name: string) => nodes.find((n) => n.metadata.name === name)?.metadata.labels?.['topology.kubernetes.io/zone'];

describe('InterPodAffinity (SPEC W-23)', () => {
  const three = [node('n1', 'eastus-1'), node('n2', 'eastus-2'), node('n3', 'eastus-3')];

  it('spreads replicas with required anti-affinity on the hostname one per node, and explains the extra one', () => {
    const placed = schedule(three, [], Array.from({ length: 4 }, () => pod({ app: 'web' }, antiAffinity('kubernetes.io/hostname'))));
    expect(new Set(placed.slice(0, 3))).toEqual(new Set(['n1', 'n2', 'n3']));
    expect(placed[3]).toBe(
      "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
    );
  });

  it("keeps a pod off the domains where an existing pod's anti-affinity selects it (symmetry)", () => {
    const guard = pod({ app: 'db' }, antiAffinity('topology.kubernetes.io/zone', 'web'), { nodeName: 'n1' });
    const onlyN1 = { nodeSelector: { 'kubernetes.io/hostname': 'n1' } };
    expect(schedule(three, [guard], [pod({ app: 'web' }, onlyN1)])).toEqual([
      "0/3 nodes are available: 1 node(s) didn't satisfy existing pods anti-affinity rules, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.",
    ]);
    // A pod the anti-affinity does not select may go there.
    expect(schedule(three, [guard], [pod({ app: 'api' }, onlyN1)])).toEqual(['n1']);
  });

  it('places a pod with required affinity in the topology domain of the pods it selects, or nowhere', () => {
    const nodes = [node('a1', 'zone-a'), node('a2', 'zone-a'), node('b1', 'zone-b')];
    const cache = pod({ app: 'cache' }, {}, { nodeName: 'b1' });
    const withCache: Spec = { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: 'topology.kubernetes.io/zone' }] } } };
    expect(schedule(nodes, [cache], [pod({ app: 'web' }, withCache)])).toEqual(['b1']);
    expect(schedule(nodes, [], [pod({ app: 'web' }, withCache)])).toEqual([
      "0/3 nodes are available: 3 node(s) didn't match pod affinity rules. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    ]);
    // The first of a group with affinity to itself goes anywhere; the next ones follow it into its zone.
    const selfAffine: Spec = { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'topology.kubernetes.io/zone' }] } } };
    const placed = schedule(nodes, [], [pod({ app: 'web' }, selfAffine), pod({ app: 'web' }, selfAffine), pod({ app: 'web' }, selfAffine)]);
    expect(new Set(placed.map((n) => zoneOf(nodes, n))).size).toBe(1);
    // A node without the topology key never satisfies a required affinity term.
    const bare = [node('x', undefined)];
    expect(schedule(bare, [pod({ app: 'cache' }, {}, { nodeName: 'x' })], [pod({ app: 'web' }, withCache)])[0]).toMatch(/1 node\(s\) didn't match pod affinity rules/);
  });

  it("selects pods in the pod's own namespace unless namespaces or a namespaceSelector say otherwise", () => {
    const other = pod({ app: 'web' }, {}, { namespace: 'other', nodeName: 'n1' });
    const terms = (extra: object): Spec => ({
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname', ...extra }] } },
      nodeSelector: { 'kubernetes.io/hostname': 'n1' },
    });
    const namespaces: Namespace[] = [{ metadata: { name: 'other', labels: { team: 'x' } } }, { metadata: { name: 'default', labels: {} } }];
    expect(schedule(three, [other], [pod({ app: 'web' }, terms({}))], namespaces)).toEqual(['n1']);
    expect(schedule(three, [other], [pod({ app: 'web' }, terms({ namespaces: ['other'] }))], namespaces)[0]).toMatch(/1 node\(s\) didn't match pod anti-affinity rules/);
    expect(schedule(three, [other], [pod({ app: 'web' }, terms({ namespaceSelector: { matchLabels: { team: 'x' } } }))], namespaces)[0]).toMatch(/didn't match pod anti-affinity rules/);
    expect(schedule(three, [other], [pod({ app: 'web' }, terms({ namespaceSelector: {} }))], namespaces)[0]).toMatch(/didn't match pod anti-affinity rules/);
    expect(schedule(three, [other], [pod({ app: 'web' }, terms({ namespaceSelector: { matchLabels: { team: 'y' } } }))], namespaces)).toEqual(['n1']);
  });

  it('merges matchLabelKeys into the selector: only pods of the same value count', () => {
    const old = pod({ app: 'web', 'pod-template-hash': 'old' }, {}, { nodeName: 'n1' });
    const spec: Spec = {
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, matchLabelKeys: ['pod-template-hash'], topologyKey: 'kubernetes.io/hostname' }] } },
      nodeSelector: { 'kubernetes.io/hostname': 'n1' },
    };
    expect(schedule(three, [old], [pod({ app: 'web', 'pod-template-hash': 'new' }, spec)])).toEqual(['n1']);
    expect(schedule(three, [old], [pod({ app: 'web', 'pod-template-hash': 'old' }, spec)])[0]).toMatch(/anti-affinity/);
  });

  it('scores preferred affinity towards, and preferred anti-affinity away from, the selected pods', () => {
    const cache = pod({ app: 'cache' }, {}, { nodeName: 'n3' });
    const busy = (n: string) => [pod({ app: 'x' }, {}, { nodeName: n }), pod({ app: 'x' }, {}, { nodeName: n })];
    const prefer = (kind: 'podAffinity' | 'podAntiAffinity'): Spec => ({
      affinity: { [kind]: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: 'kubernetes.io/hostname' } }] } },
    });
    expect(schedule(three, [cache], [pod({ app: 'web' }, prefer('podAffinity'))])).toEqual(['n3']);
    // n3 is the emptiest node, but the anti-affinity preference sends the pod elsewhere.
    expect(schedule(three, [cache, ...busy('n1'), ...busy('n2')], [pod({ app: 'web' })])).toEqual(['n3']);
    expect(schedule(three, [cache, ...busy('n1'), ...busy('n2')], [pod({ app: 'web' }, prefer('podAntiAffinity'))])).toEqual(['n1']);
    // An existing pod's preferred affinity to the incoming pod draws it too (the score goes both ways).
    const fan = pod({ app: 'fan' }, { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' } }] } } }, { nodeName: 'n2' });
    expect(schedule(three, [fan, pod({ app: 'x' }, {}, { nodeName: 'n1' })], [pod({ app: 'web' })])).toEqual(['n2']);
  });
});

describe('PodTopologySpread (SPEC W-24)', () => {
  const spread = (topologyKey: string, maxSkew: number, extra: object = {}): Spec => ({
    topologySpreadConstraints: [{ maxSkew, topologyKey, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } }, ...extra }],
  });

  it('keeps the skew across zones within maxSkew, filling the emptier zone first', () => {
    // Zone a has three nodes, zone b one: without the constraint most replicas would land in zone a.
    const nodes = [node('a1', 'zone-a'), node('a2', 'zone-a'), node('a3', 'zone-a'), node('b1', 'zone-b')];
    const placed = schedule(nodes, [], Array.from({ length: 6 }, () => pod({ app: 'web' }, spread('topology.kubernetes.io/zone', 1))));
    const perZone = (n: string[]) => n.reduce((m, x) => m.set(zoneOf(nodes, x)!, (m.get(zoneOf(nodes, x)!) ?? 0) + 1), new Map<string, number>());
    expect(Object.fromEntries(perZone(placed))).toEqual({ 'zone-a': 3, 'zone-b': 3 });
  });

  it('explains a pod whose only node would break the skew, and a node missing the topology label', () => {
    // b1 is tainted: the pod cannot go there, but its zone still counts (nodeTaintsPolicy Ignore by default).
    const tainted = { ...node('b1', 'zone-b'), spec: { taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] } };
    const nodes = [node('a1', 'zone-a'), tainted];
    const existing = [pod({ app: 'web' }, {}, { nodeName: 'a1' })];
    // zone-a has 1, zone-b 0: a second in zone-a makes the skew 2.
    expect(schedule(nodes, existing, [pod({ app: 'web' }, spread('topology.kubernetes.io/zone', 1))])).toEqual([
      "0/2 nodes are available: 1 node(s) didn't match pod topology spread constraints, 1 node(s) had untolerated taint {dedicated: x}. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.",
    ]);
    // A pod the selector does not count is free to go there.
    expect(schedule(nodes, existing, [pod({ app: 'api' }, spread('topology.kubernetes.io/zone', 1))])).toEqual(['a1']);
    // With nodeTaintsPolicy Honor the tainted node's zone is no domain: zone-a alone, skew 1.
    expect(schedule(nodes, existing, [pod({ app: 'web' }, spread('topology.kubernetes.io/zone', 1, { nodeTaintsPolicy: 'Honor' }))])).toEqual(['a1']);
    const onBare = { ...spread('topology.kubernetes.io/zone', 1), nodeSelector: { 'kubernetes.io/hostname': 'bare' } };
    expect(schedule([node('a1', 'zone-a'), node('bare', undefined)], existing, [pod({ app: 'web' }, onBare)])).toEqual([
      "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) didn't match pod topology spread constraints (missing required label). preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
    ]);
  });

  it('counts the global minimum as 0 while fewer than minDomains domains exist', () => {
    const nodes = [node('a1', 'zone-a'), node('b1', 'zone-b')];
    const placed = schedule(nodes, [], Array.from({ length: 3 }, () => pod({ app: 'web' }, spread('topology.kubernetes.io/zone', 1, { minDomains: 3 }))));
    expect(new Set(placed.slice(0, 2))).toEqual(new Set(['a1', 'b1']));
    expect(placed[2]).toBe(
      "0/2 nodes are available: 2 node(s) didn't match pod topology spread constraints. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.",
    );
    // Without minDomains the third replica is allowed (skew 2 - 1 = 1).
    expect(schedule(nodes, [], Array.from({ length: 3 }, () => pod({ app: 'web' }, spread('topology.kubernetes.io/zone', 1)))).every((n) => n === 'a1' || n === 'b1')).toBe(true);
  });

  it('only counts domains of nodes the pod could go to (nodeAffinityPolicy Honor), unless told to Ignore', () => {
    // zone-c's node is outside the pod's nodeSelector: with Honor it is no domain, so zone-a and zone-b take turns.
    const nodes = [node('a1', 'zone-a', { tier: 'web' }), node('b1', 'zone-b', { tier: 'web' }), node('c1', 'zone-c')];
    const honor = { ...spread('topology.kubernetes.io/zone', 1), nodeSelector: { tier: 'web' } };
    expect(schedule(nodes, [], [pod({ app: 'web' }, honor), pod({ app: 'web' }, honor), pod({ app: 'web' }, honor)]).sort()).toEqual(['a1', 'a1', 'b1']);
    // With Ignore, the empty zone-c stays the global minimum: no zone may take a second replica.
    const ignore = { ...spread('topology.kubernetes.io/zone', 1, { nodeAffinityPolicy: 'Ignore' }), nodeSelector: { tier: 'web' } };
    const placed = schedule(nodes, [], [pod({ app: 'web' }, ignore), pod({ app: 'web' }, ignore), pod({ app: 'web' }, ignore)]);
    expect(placed.slice(0, 2).sort()).toEqual(['a1', 'b1']);
    expect(placed[2]).toMatch(/^0\/3 nodes are available: 1 node\(s\) didn't match Pod's node affinity\/selector, 2 node\(s\) didn't match pod topology spread constraints\./);
  });

  it('counts only pods of the same matchLabelKeys values (a new ReplicaSet spreads on its own)', () => {
    const tainted = { ...node('b1', 'zone-b'), spec: { taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] } };
    const nodes = [node('a1', 'zone-a'), tainted];
    const old = [pod({ app: 'web', 'pod-template-hash': 'old' }, {}, { nodeName: 'a1' }), pod({ app: 'web', 'pod-template-hash': 'old' }, {}, { nodeName: 'a1' })];
    const spec = spread('topology.kubernetes.io/zone', 1, { matchLabelKeys: ['pod-template-hash'] });
    expect(schedule(nodes, old, [pod({ app: 'web', 'pod-template-hash': 'new' }, spec)])).toEqual(['a1']);
    expect(schedule(nodes, old, [pod({ app: 'web', 'pod-template-hash': 'old' }, spec)])[0]).toMatch(/1 node\(s\) didn't match pod topology spread constraints/);
  });

  it('prefers the emptier domain for ScheduleAnyway constraints without refusing any node', () => {
    const nodes = [node('a1', 'zone-a'), node('a2', 'zone-a'), node('b1', 'zone-b')];
    const soft: Spec = { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'web' } } }] };
    const existing = [pod({ app: 'web' }, {}, { nodeName: 'a1' })];
    expect(schedule(nodes, existing, [pod({ app: 'web' }, soft)])).toEqual(['b1']);
    const onlyA = { ...soft, nodeSelector: { 'kubernetes.io/hostname': 'a1' } };
    expect(schedule(nodes, existing, [pod({ app: 'web' }, onlyA)])).toEqual(['a1']);
  });

  it("spreads a workload's replicas over zones by the system default constraints", () => {
    // Four nodes in zone-a, one in zone-b: the defaults (zone maxSkew 5, ScheduleAnyway) put a replica in zone-b early.
    const nodes = [node('a1', 'zone-a'), node('a2', 'zone-a'), node('a3', 'zone-a'), node('a4', 'zone-a'), node('b1', 'zone-b')];
    const placed = schedule(nodes, [], Array.from({ length: 2 }, () => pod({ app: 'web' }, {}, { owner: 'rs-web' })));
    expect(placed.map((n) => zoneOf(nodes, n)).sort()).toEqual(['zone-a', 'zone-b']);
  });
});
