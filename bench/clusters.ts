/**
 * Cluster benchmarks, through the ARM API of an in-process emulator at --speed instant on a temporary
 * SQLite store:
 *   - create a cluster with 10 pools × 100 nodes and wait until its operation has Succeeded and all 1,000 Nodes are
 *     Ready in the cluster registry (target ≤ 3 s);
 *   - enable FIPS on a 100-node pool and wait until every node has been reimaged onto the FIPS image.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { armClient } from './clients.js';
import { startEmulator, type Emulator } from '../src/emulator.js';
import { decodeObject } from '../src/clusters/stored-object.js';

export interface ClusterBenchRow {
  scenario: string;
  nodes: number;
  seconds: number;
  nodesPerSecond: number;
  target?: string;
}

export interface ClusterBenchResult {
  machine: { cpus: number; cpuModel: string; node: string };
  rows: ClusterBenchRow[];
}


async function readyNodes(emu: Emulator, uid: string, prefix = ''): Promise<{ total: number; ready: number; images: Set<string> }> {
  const page = await emu.core.store.range(`/clusters/${uid}/registry/minions/${prefix}`);
  let ready = 0;
  const images = new Set<string>();
  for (const kv of page.items) {
    const n = decodeObject(kv.value, kv.modRevision) as unknown as { metadata: { labels: Record<string, string> }; status: { conditions: Array<{ type: string; status: string }> } };
    if (n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True')) ready++;
    images.add(n.metadata.labels['kubernetes.azure.com/node-image-version']!);
  }
  return { total: page.items.length, ready, images };
}

export async function benchClusters(opts: { pools?: number; nodesPerPool?: number } = {}): Promise<ClusterBenchResult> {
  const pools = opts.pools ?? 10;
  const perPool = opts.nodesPerPool ?? 100;
  const dataDir = mkdtempSync(join(tmpdir(), 'aksemu-bench-clusters-'));
  const emu = await startEmulator({ dataDir, port: 0, speed: 'instant', now: new Date('2025-09-01T00:00:00Z') });
  const rows: ClusterBenchRow[] = [];
  try {
    const c = armClient(emu, dataDir);
    await c.login();
    const sub = emu.info.subscriptionId;
    await c.call('PUT', `/subscriptions/${sub}/resourcegroups/bench`, { location: 'eastus' }, '2021-04-01');
    const clusterPath = `/subscriptions/${sub}/resourceGroups/bench/providers/Microsoft.ContainerService/managedClusters/big`;
    const profiles = Array.from({ length: pools }, (_, i) => ({ name: `pool${i}`, count: perPool, vmSize: 'Standard_DS2_v2', osType: 'Linux', mode: i === 0 ? 'System' : 'User' }));

    let t0 = performance.now();
    const put = await c.call('PUT', clusterPath, { location: 'eastus', identity: { type: 'SystemAssigned' }, properties: { dnsPrefix: 'big', agentPoolProfiles: profiles } });
    if (put.status !== 201) throw new Error(`create answered ${put.status}: ${JSON.stringify(put.json)}`);
    const status = await c.wait(put.headers['azure-asyncoperation'] as string);
    const uid = put.json.properties.resourceUID as string;
    const nodes = await readyNodes(emu, uid);
    let seconds = (performance.now() - t0) / 1000;
    if (status !== 'Succeeded' || nodes.ready !== pools * perPool) throw new Error(`create ended ${status} with ${nodes.ready}/${pools * perPool} nodes Ready`);
    rows.push({ scenario: `create a cluster with ${pools} pools × ${perPool} nodes, all Ready`, nodes: nodes.ready, seconds, nodesPerSecond: nodes.ready / seconds, target: '≤ 3 s' });

    t0 = performance.now();
    const toggle = await c.call('PUT', `${clusterPath}/agentPools/pool1`, { properties: { ...profiles[1], enableFIPS: true } });
    if (toggle.status !== 200) throw new Error(`FIPS toggle answered ${toggle.status}: ${JSON.stringify(toggle.json)}`);
    const st2 = await c.wait(toggle.headers['azure-asyncoperation'] as string);
    const after = await readyNodes(emu, uid, 'aks-pool1-');
    seconds = (performance.now() - t0) / 1000;
    if (st2 !== 'Succeeded' || after.ready !== perPool || after.images.size !== 1 || ![...after.images][0]!.includes('fips')) {
      throw new Error(`FIPS toggle ended ${st2}: ${after.ready} Ready, images ${[...after.images].join(', ')}`);
    }
    rows.push({ scenario: `enable FIPS on a ${perPool}-node pool (reimage one node at a time)`, nodes: perPool, seconds, nodesPerSecond: perPool / seconds });
  } finally {
    await emu.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const cpu = cpus();
  return { machine: { cpus: cpu.length, cpuModel: cpu[0]?.model.trim() ?? 'unknown', node: process.version }, rows };
}

export function formatClusterBench(r: ClusterBenchResult): string {
  const lines = [
    `Machine: ${r.machine.cpus} CPUs (${r.machine.cpuModel}), Node ${r.machine.node}; --speed instant, SQLite store, through the ARM API.`,
    '',
    '| scenario | nodes | seconds | nodes/s | target |',
    '|---|---:|---:|---:|---|',
    ...r.rows.map((row) => `| ${row.scenario} | ${row.nodes} | ${row.seconds.toFixed(2)} | ${row.nodesPerSecond.toFixed(0)} | ${row.target ?? ''} |`),
  ];
  return lines.join('\n');
}
