/**
 * Trusted Launch benchmark, through the ARM and /_aksemu APIs of an in-process emulator at --speed
 * instant on a temporary SQLite store:
 *   - first use: the instance's Secure Boot / vTPM PKI is made (RSA key generation) while a 1-node pool boots;
 *   - boot + attest of 100 Trusted Launch nodes (Secure Boot + vTPM): the pool operation until Succeeded with every
 *     node Ready, each boot verified, measured, quoted and attested (healthy) by the guest attestation step
 *     (target ≤ 2 s);
 *   - attest the same 100 nodes again on demand (POST /_aksemu/nodes/NODE/attest: fresh nonce, quote, verification,
 *     token), 8 requests in flight.
 * Run twice: with every module of the emulator, and without the clusters' Kubernetes API module (whose controllers
 * react to every new Node: kubelets, system pods, events), which isolates what Trusted Launch itself costs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { armClient } from './clients.js';
import { startEmulator } from '../src/emulator.js';
import { listJson } from '../src/store/json.js';
import type { NodeRecord } from '../src/trustedlaunch/records.js';

export interface TlBenchRow {
  scenario: string;
  nodes: number;
  seconds: number;
  nodesPerSecond: number;
  target?: string;
}

export interface TlBenchResult {
  machine: { cpus: number; cpuModel: string; node: string };
  rows: TlBenchRow[];
}

export async function benchTrustedLaunch(opts: { nodes?: number } = {}): Promise<TlBenchResult> {
  const rows = await benchOnce(opts.nodes ?? 100, 'all modules');
  const cpu = cpus();
  return { machine: { cpus: cpu.length, cpuModel: cpu[0]?.model.trim() ?? 'unknown', node: process.version }, rows };
}

async function benchOnce(n: number, label: string): Promise<TlBenchRow[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'aksemu-bench-tl-'));
  const emu = await startEmulator({ dataDir, port: 0, speed: 'instant', now: new Date('2025-09-01T00:00:00Z') });
  const rows: TlBenchRow[] = [];
  try {
    const c = armClient(emu, dataDir);
    await c.login();
    const sub = emu.info.subscriptionId;
    await c.call('PUT', `/subscriptions/${sub}/resourcegroups/bench`, { location: 'eastus' }, '2021-04-01');
    const cluster = `/subscriptions/${sub}/resourceGroups/bench/providers/Microsoft.ContainerService/managedClusters/tl`;
    const tl = { enableSecureBoot: true, enableVTPM: true };

    let t0 = performance.now();
    const put = await c.call('PUT', cluster, { location: 'eastus', identity: { type: 'SystemAssigned' }, properties: { dnsPrefix: 'tl', agentPoolProfiles: [{ name: 'nodepool1', count: 1, vmSize: 'Standard_DS2_v2', mode: 'System', securityProfile: tl }] } });
    if (put.status !== 201 || (await c.wait(put.headers['azure-asyncoperation'] as string)) !== 'Succeeded') throw new Error(`cluster create failed: ${JSON.stringify(put.json)}`);
    rows.push({ scenario: `${label}: first Trusted Launch boot of an instance (makes the Secure Boot and vTPM PKI: 10 RSA-2048 + 2 ECDSA keys)`, nodes: 1, seconds: (performance.now() - t0) / 1000, nodesPerSecond: 1000 / (performance.now() - t0) });
    const uid = put.json.properties.resourceUID as string;

    t0 = performance.now();
    const add = await c.call('PUT', `${cluster}/agentPools/tlpool`, { properties: { count: n, vmSize: 'Standard_DS2_v2', mode: 'User', securityProfile: tl } });
    const st = await c.wait(add.headers['azure-asyncoperation'] as string);
    let seconds = (performance.now() - t0) / 1000;
    const recs = (await listJson<NodeRecord>(emu.core.store, `/fleet/${uid}/trustedlaunch/aks-tlpool-`)).map((d) => d.value);
    const healthy = recs.filter((r) => r.boot && !r.boot.halted && r.attestation?.healthy && r.attestation.token).length;
    if (st !== 'Succeeded' || healthy !== n) throw new Error(`boot + attest ended ${st} with ${healthy}/${n} nodes attested healthy`);
    rows.push({ scenario: `${label}: boot + attest ${n} Trusted Launch nodes (Secure Boot + vTPM; verified, measured, quoted, attested, token issued)`, nodes: n, seconds, nodesPerSecond: n / seconds, target: '≤ 2 s' });

    t0 = performance.now();
    const names = recs.map((r) => r.node);
    let next = 0;
    let ok = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < names.length) {
          const name = names[next++]!;
          const r = await c.direct('POST', `/_aksemu/nodes/${name}/attest`);
          if (r.status === 200 && r.json.healthy && r.json.token) ok++;
        }
      }),
    );
    seconds = (performance.now() - t0) / 1000;
    if (ok !== n) throw new Error(`on-demand attestation: ${ok}/${n} healthy`);
    rows.push({ scenario: `${label}: attest ${n} nodes on demand through POST /_aksemu/nodes/NODE/attest (8 in flight)`, nodes: n, seconds, nodesPerSecond: n / seconds });
  } finally {
    await emu.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}

export function formatTrustedLaunchBench(r: TlBenchResult): string {
  return [
    `Machine: ${r.machine.cpus} CPUs (${r.machine.cpuModel}), Node ${r.machine.node}; --speed instant, SQLite store, through the ARM and /_aksemu APIs.`,
    '',
    '| scenario | nodes | seconds | nodes/s | target |',
    '|---|---:|---:|---:|---|',
    ...r.rows.map((row) => `| ${row.scenario} | ${row.nodes} | ${row.seconds.toFixed(2)} | ${row.nodesPerSecond.toFixed(0)} | ${row.target ?? ''} |`),
  ].join('\n');
}
