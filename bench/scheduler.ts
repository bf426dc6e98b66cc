/**
 * The scheduler's placement cost (SPEC W-20, W-23, W-24): one pass placing a 1,000-replica Deployment on a
 * 1,000-node cluster spread over three zones, with 1,000 unrelated pods already running, through the pass's
 * SchedulingSnapshot (filters, scores, the per-domain counts updated as each pod is bound). The API writes of the
 * binding (one per pod, the same with or without these plugins) are not part of it: this measures the algorithm.
 */
import type { Node, Pod } from '../src/kube/api/machinery/types.js';
import { SchedulingSnapshot } from '../src/kube/controllers/scheduling-snapshot.js';

export interface SchedulerBenchRow {
  scenario: string;
  placed: number;
  pending: number;
  ms: number;
}

const ZONES = ['eastus-1', 'eastus-2', 'eastus-3'];

function nodes(count: number): Node[] {
  return Array.from({ length: count }, (_, i) => {
    const name = `aks-pool-${String(i).padStart(6, '0')}`;
    return {
      metadata: { name, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': ZONES[i % ZONES.length]!, agentpool: 'pool' } },
      spec: {},
      status: { allocatable: { cpu: '8', memory: '32Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
    };
  });
}

function pod(name: string, app: string, spec: Partial<NonNullable<Pod['spec']>>, nodeName?: string): Pod {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: { app }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: app, uid: `rs-${app}`, controller: true }] },
    spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '100m', memory: '128Mi' } } }], ...(nodeName ? { nodeName } : {}), ...spec },
  };
}

const SCENARIOS: Array<{ scenario: string; spec: Partial<NonNullable<Pod['spec']>> }> = [
  { scenario: 'no affinity or constraints (system default spreading)', spec: {} },
  {
    scenario: 'required anti-affinity on kubernetes.io/hostname',
    spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }] } } },
  },
  {
    scenario: 'zone spread DoNotSchedule maxSkew 1 + hostname ScheduleAnyway',
    spec: {
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } },
        { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'web' } } },
      ],
    },
  },
  {
    scenario: 'preferred anti-affinity per node + required affinity to a zone of cache pods',
    spec: {
      affinity: {
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' } }] },
        podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'other-0' } }, topologyKey: 'topology.kubernetes.io/zone' }] },
      },
    },
  },
];

export function benchScheduler(nodeCount = 1000, replicas = 1000): SchedulerBenchRow[] {
  const cluster = nodes(nodeCount);
  const running = Array.from({ length: 1000 }, (_, i) => pod(`other-${i}`, `other-${i % 50}`, {}, cluster[i % nodeCount]!.metadata.name));
  return SCENARIOS.map(({ scenario, spec }) => {
    const pending = Array.from({ length: replicas + 1 }, (_, i) => pod(`web-${i}`, 'web', spec));
    const start = process.hrtime.bigint();
    const snapshot = new SchedulingSnapshot(cluster, [...running, ...pending], []);
    let placed = 0;
    for (const p of pending) {
      const r = snapshot.place(p);
      if ('node' in r) {
        snapshot.bind(p, r.node);
        placed++;
      }
    }
    return { scenario, placed, pending: pending.length - placed, ms: Number(process.hrtime.bigint() - start) / 1e6 };
  });
}

export function formatSchedulerBench(rows: SchedulerBenchRow[], nodeCount = 1000, replicas = 1000): string {
  const lines = [
    `${replicas + 1} replicas of one Deployment placed in one pass on ${nodeCount} nodes in 3 zones (1,000 other pods running); API writes excluded.`,
    '',
    '| scenario | placed | left pending | time |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.scenario} | ${r.placed} | ${r.pending} | ${(r.ms / 1000).toFixed(2)} s |`),
  ];
  return lines.join('\n');
}
