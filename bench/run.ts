/**
 * `npm run bench`: runs every benchmark and prints markdown for BENCHMARKS.md. `npm run bench -- foundation store`
 * runs only the named ones.
 */
import { benchArmLatency, benchColdStart, formatFoundation } from './foundation.js';
import { benchStore, formatStoreBench } from './store.js';
import { benchKeyVault, formatKeyVaultBench } from './keyvault.js';
import { benchClusters, formatClusterBench } from './clusters.js';
import { benchKube, formatKubeBench } from './kube.js';
import { benchCommands, benchWalkthrough, formatCliBench } from './cli.js';
import { benchKms, formatKmsBench } from './kms.js';
import { benchSoak, formatSoakBench } from './soak.js';
import { benchTrustedLaunch, formatTrustedLaunchBench } from './trustedlaunch.js';
import { benchAttach, formatAttachBench } from './attach.js';
import { benchOutage, formatOutageBench } from './reliability.js';
import { benchWorkloads, formatWorkloadBench } from './workloads.js';
import { benchDashboard, formatDashboardBench } from './dashboard.js';
import { benchScheduler, formatSchedulerBench } from './scheduler.js';
import { machine } from './support.js';

/** `onlyWhenNamed`: not part of a plain `npm run bench` (the soak runs 30 minutes by default). */
type Bench = { name: string; title: string; run: () => Promise<string>; onlyWhenNamed?: boolean };

export const BENCHES: Bench[] = [
  {
    name: 'foundation',
    title: 'Foundation: start-up and ARM latency',
    run: async () => formatFoundation(await benchColdStart(10), await benchArmLatency(20, 250)),
  },
  { name: 'store', title: 'Store: put/get throughput', run: async () => formatStoreBench(await benchStore()) },
  { name: 'keyvault', title: 'Key Vault: RSA-OAEP-256 through the HTTPS API', run: async () => formatKeyVaultBench(await benchKeyVault()) },
  { name: 'clusters', title: 'Clusters and fleet', run: async () => formatClusterBench(await benchClusters()) },
  { name: 'kube', title: 'Kubernetes API', run: async () => formatKubeBench(await benchKube()) },
  { name: 'workloads', title: 'Workloads: a 1,000-replica Deployment on a 1,000-node cluster (SPEC W-4, W-20)', run: async () => formatWorkloadBench(await benchWorkloads()) },
  { name: 'scheduler', title: 'Scheduler: placing a 1,000-replica Deployment on 1,000 nodes (SPEC W-23, W-24)', run: async () => formatSchedulerBench(benchScheduler()) },
  { name: 'kms', title: 'KMS etcd encryption', run: async () => formatKmsBench(await benchKms()) },
  { name: 'soak', title: 'Soak: KMS writes, reads, watches and rotations with RSS sampled', run: async () => formatSoakBench(await benchSoak({ durationMin: Number(process.env.AKSEMU_SOAK_MIN ?? 30) })), onlyWhenNamed: true },
  { name: 'trustedlaunch', title: 'Trusted Launch: boot and attestation', run: async () => formatTrustedLaunchBench(await benchTrustedLaunch()) },
  { name: 'attach', title: 'pods/attach and pods/exec (SPEC C-9): kubectl debug node sessions', run: async () => formatAttachBench(await benchAttach()) },
  { name: 'reliability', title: 'Reliability: a store outage as each service sees it (SPEC R-1)', run: async () => formatOutageBench(await benchOutage(3)) },
  { name: 'dashboard', title: 'Dashboard: the first view of a 1,000-node cluster in chromium', run: async () => formatDashboardBench(await benchDashboard()) },
  { name: 'cli', title: 'The aksemu CLI: the walkthrough and single invocations', run: async () => formatCliBench(await benchWalkthrough(3), await benchCommands()) },
];

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const selected = wanted.length ? BENCHES.filter((b) => wanted.includes(b.name)) : BENCHES.filter((b) => !b.onlyWhenNamed);
  process.stdout.write(`Machine: ${machine()}\nDate: ${new Date().toISOString()}\nCommand: npm run bench${wanted.length ? ` -- ${wanted.join(' ')}` : ''}\n\n`);
  for (const b of selected) {
    process.stderr.write(`running ${b.name}...\n`);
    process.stdout.write(`## ${b.title}\n\n${await b.run()}\n\n`);
  }
}

await main();
