/**
 * Workloads at scale (SPEC W-4, W-5, W-20, W-21): a 1,000-node cluster (10 pools × 100 nodes) in an in-process
 * emulator at --speed instant on a temporary SQLite store, and one Deployment of 1,000 replicas POSTed to its
 * Kubernetes API over HTTPS. Measured from the POST's answer: every pod created by the ReplicaSet, every pod bound
 * to a node by the scheduler, and the Deployment reporting 1,000 available replicas (every pod Running and Ready).
 * Then a rolling update of the template (maxSurge 25%, maxUnavailable 25%, upstream's defaults) until the
 * Deployment is complete again. KWOK, the usual fake-kubelet reference, schedules 1,000 pods in about 10 s on a
 * laptop; the target is well below that.
 */
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startEmulator, type Emulator } from '../src/emulator.js';
import { decodeObject } from '../src/clusters/stored-object.js';
import { bearerClient, type BearerClient } from './clients.js';
import { removeDir } from './support.js';
import { createFixtureCluster } from '../testkit/kube/fixtures.js';

export interface WorkloadBenchRow {
  measure: string;
  seconds: number;
  note: string;
}

export interface WorkloadBenchResult {
  machine: { cpus: number; cpuModel: string; node: string };
  nodes: number;
  replicas: number;
  rows: WorkloadBenchRow[];
}

interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  availableReplicas?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Pods of the Deployment straight from the store: how many exist and how many are bound. Read as bytes, not
 * decoded: the poll runs in the emulator's process and must not take CPU from what it measures (decoding 1,000 pods
 * every poll did, visibly).
 */
async function podCounts(emu: Emulator, uid: string): Promise<{ total: number; bound: number }> {
  const page = await emu.core.store.range(`/clusters/${uid}/registry/pods/default/`);
  let bound = 0;
  let total = 0;
  for (const kv of page.items) {
    if (kv.value.includes('"deletionTimestamp"')) continue;
    total++;
    if (kv.value.includes('"nodeName"')) bound++;
  }
  return { total, bound };
}

/** Ready pods of the template with `image`, decoded (used once, after the measurements). */
async function readyPods(emu: Emulator, uid: string, image: string): Promise<number> {
  const page = await emu.core.store.range(`/clusters/${uid}/registry/pods/default/`);
  let ready = 0;
  for (const kv of page.items) {
    const p = decodeObject(kv.value, kv.modRevision) as unknown as { metadata: { deletionTimestamp?: string }; spec: { containers: Array<{ image: string }> }; status?: { conditions?: Array<{ type: string; status: string }> } };
    if (p.metadata.deletionTimestamp || p.spec.containers[0]!.image !== image) continue;
    if (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ready++;
  }
  return ready;
}

async function deploymentStatus(kube: BearerClient): Promise<DeploymentStatus & { generation: number }> {
  const res = await kube.call('GET', '/apis/apps/v1/namespaces/default/deployments/big');
  const d = JSON.parse(res.body) as { metadata: { generation: number }; status?: DeploymentStatus };
  return { generation: d.metadata.generation, ...d.status };
}

/** Polls until `done` holds, every 100 ms; fails after `timeoutMs`. Answers the seconds since `t0`. */
async function until(what: string, t0: number, timeoutMs: number, done: () => Promise<boolean>): Promise<number> {
  for (;;) {
    if (await done()) return (performance.now() - t0) / 1000;
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

export async function benchWorkloads(opts: { pools?: number; nodesPerPool?: number; replicas?: number } = {}): Promise<WorkloadBenchResult> {
  const pools = opts.pools ?? 10;
  const perPool = opts.nodesPerPool ?? 100;
  const replicas = opts.replicas ?? 1_000;
  const dataDir = mkdtempSync(join(tmpdir(), 'aksemu-bench-workloads-'));
  const emu = await startEmulator({ dataDir, port: 0, speed: 'instant', logLevel: 'error' });
  const rows: WorkloadBenchRow[] = [];
  try {
    const cluster = await createFixtureCluster(emu.core, {
      name: 'big',
      resourceGroup: 'bench',
      pools: Array.from({ length: pools }, (_, i) => ({ name: `pool${i}`, count: perPool, mode: i === 0 ? ('System' as const) : ('User' as const) })),
    });
    // The add-on pods of 1,000 nodes (kube-proxy, CSI drivers, ... on each) are created and Running before the clock starts.
    const settleStart = performance.now();
    await emu.services.kube.controllers.settle(cluster.uid);
    const settled = (performance.now() - settleStart) / 1000;
    // Credentials as a user gets them: the ARM action, with a token from the token endpoint.
    const ca = emu.core.ca.certPem;
    const principal = (await emu.core.directory.getByAppId(emu.info.defaultPrincipal.appId))!;
    const arm = bearerClient(emu.url, await emu.core.tokens.issue(principal, 'https://management.azure.com/'), ca);
    const cred = await arm.call('POST', `${cluster.armId}/listClusterUserCredential?api-version=2022-11-01`);
    const cfg = parse(Buffer.from(JSON.parse(cred.body).kubeconfigs[0].value, 'base64').toString('utf8'));
    const kube = bearerClient(`${cfg.clusters[0].cluster.server}/_k8s/${cfg.clusters[0].cluster['tls-server-name']}`, cfg.users[0].user.token, ca);

    const template = (image: string) => ({
      metadata: { labels: { app: 'big' } },
      spec: { containers: [{ name: 'web', image, resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
    });
    let t0 = performance.now();
    const created = await kube.call('POST', '/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'big' },
      spec: { replicas, selector: { matchLabels: { app: 'big' } }, template: template('nginx:1.25') },
    });
    if (created.status !== 201) throw new Error(`create answered ${created.status}: ${created.body}`);
    const createdAt = (performance.now() - t0) / 1000;
    const podsCreated = await until('every pod to be created', t0, 600_000, async () => (await podCounts(emu, cluster.uid)).total >= replicas);
    const bound = await until('every pod to be bound', t0, 600_000, async () => (await podCounts(emu, cluster.uid)).bound >= replicas);
    const available = await until('the Deployment to report every replica available', t0, 600_000, async () => {
      const s = await deploymentStatus(kube);
      return s.observedGeneration === s.generation && s.availableReplicas === replicas && s.updatedReplicas === replicas;
    });
    const nodesUsed = new Set<string>();
    const page = await emu.core.store.range(`/clusters/${cluster.uid}/registry/pods/default/`);
    for (const kv of page.items) nodesUsed.add((decodeObject(kv.value, kv.modRevision) as unknown as { spec: { nodeName: string } }).spec.nodeName);
    const systemPods = (await emu.core.store.range(`/clusters/${cluster.uid}/registry/pods/kube-system/`)).items.length;
    rows.push({ measure: `the fresh cluster's ${systemPods} kube-system pods created, scheduled and Running (before the Deployment)`, seconds: settled, note: '' });
    rows.push({ measure: 'POST the Deployment (answer)', seconds: createdAt, note: '' });
    rows.push({ measure: `all ${replicas} pods created by the ReplicaSet`, seconds: podsCreated, note: '' });
    rows.push({ measure: `all ${replicas} pods bound by the scheduler`, seconds: bound, note: `spread over ${nodesUsed.size} nodes; target well below KWOK's ~10 s` });
    rows.push({ measure: `Deployment available ${replicas}/${replicas} (every pod Running and Ready)`, seconds: available, note: '' });

    // A rolling update of the whole Deployment.
    const current = JSON.parse((await kube.call('GET', '/apis/apps/v1/namespaces/default/deployments/big')).body) as { spec: Record<string, unknown> };
    t0 = performance.now();
    const updated = await kube.call('PUT', '/apis/apps/v1/namespaces/default/deployments/big', { ...current, spec: { ...current.spec, template: template('nginx:1.27') } });
    if (updated.status !== 200) throw new Error(`update answered ${updated.status}: ${updated.body}`);
    const rolled = await until('the rolling update to complete', t0, 900_000, async () => {
      const s = await deploymentStatus(kube);
      return s.generation === 2 && s.observedGeneration === 2 && s.updatedReplicas === replicas && s.availableReplicas === replicas && s.replicas === replicas;
    });
    const after = await readyPods(emu, cluster.uid, 'nginx:1.27');
    if (after !== replicas) throw new Error(`after the rollout ${after} pods of the new template are Ready`);
    rows.push({ measure: `rolling update of all ${replicas} replicas (maxSurge 25%, maxUnavailable 25%) complete`, seconds: rolled, note: '' });
    return { machine: machine(), nodes: pools * perPool, replicas, rows };
  } finally {
    await emu.close();
    removeDir(dataDir);
  }
}

function machine(): WorkloadBenchResult['machine'] {
  const cpu = cpus();
  return { cpus: cpu.length, cpuModel: cpu[0]?.model.trim() ?? 'unknown', node: process.version };
}

export function formatWorkloadBench(r: WorkloadBenchResult): string {
  const lines = [
    `${r.nodes} nodes, one Deployment of ${r.replicas} replicas; ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}.`,
    '',
    '| measure | seconds | note |',
    '| --- | ---: | --- |',
    ...r.rows.map((row) => `| ${row.measure} | ${row.seconds.toFixed(2)} | ${row.note} |`),
  ];
  return lines.join('\n');
}
