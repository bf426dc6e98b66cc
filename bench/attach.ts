/**
 * pods/attach and pods/exec (SPEC C-9) with an in-process emulator and one cluster created through ARM (a FIPS
 * pool, so the node shell has facts), Kubernetes 1.33 so that the kubectl dispatcher runs kubectl 1.33:
 *
 * - the seeds' `kubectl debug node/<fips node> -it --image=...` session (stdin piped: cat fips_enabled, exit),
 *   wall time of the whole command (pod creation, wait for Running, attach, session, exit);
 * - `kubectl exec <debug pod> -- cat /proc/sys/crypto/fips_enabled`, wall time;
 * - `kubectl get pod <debug pod>` as the baseline of one kubectl invocation (start-up, kubeconfig, one request);
 * - the exec upgrade itself from a WebSocket client in the same process: open, v5 channels, Status, close.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { parse } from 'yaml';
import { startEmulator } from '../src/emulator.js';
import { instanceEnvironment } from '../src/cli/commands/env.js';
import { createArmCluster } from '../testkit/kube/arm-cluster.js';
import { fetchKubeconfig } from '../testkit/kube/kube-env.js';
import { fmt, freshDataDir, median, percentile, removeDir } from './support.js';

export interface AttachBenchRow {
  measure: string;
  runs: number;
  median: number;
  p95: number;
  note: string;
}

function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  return fn().then(() => performance.now() - t0);
}

function kubectl(env: Record<string, string>, args: string[], stdin = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('kubectl', args, { env }, (err, stdout, stderr) => (err ? reject(new Error(`${args.join(' ')}: ${stderr}`)) : resolve(stdout)));
    child.stdin!.end(stdin);
  });
}

function wsExec(url: string, token: string, ca: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['v5.channel.k8s.io'], { ca, headers: { authorization: `Bearer ${token}` } });
    let out = '';
    ws.on('message', (d) => (out += (d as Buffer).subarray(1).toString()));
    ws.on('close', () => (out.startsWith('1\n') ? resolve() : reject(new Error(`unexpected output ${JSON.stringify(out)}`))));
    ws.on('error', reject);
  });
}

export async function benchAttach(opts: { sessions?: number; execs?: number; upgrades?: number } = {}): Promise<AttachBenchRow[]> {
  const sessions = opts.sessions ?? 10;
  const execs = opts.execs ?? 20;
  const upgrades = opts.upgrades ?? 200;
  const dataDir = freshDataDir();
  const emu = await startEmulator({ dataDir, port: 0, now: new Date('2026-05-01T00:00:00Z') });
  const home = mkdtempSync(join(tmpdir(), 'aksemu-bench-attach-'));
  try {
    const test = Object.assign(emu, { dataDir, env: instanceEnvironment(dataDir) });
    // The test helpers that create the cluster through ARM trust the CA named by NODE_EXTRA_CA_CERTS (read per call).
    process.env.NODE_EXTRA_CA_CERTS = test.env.NODE_EXTRA_CA_CERTS;
    const cluster = await createArmCluster(test, { name: 'bench', resourceGroup: 'rg', properties: { kubernetesVersion: '1.33' }, pools: [{ name: 'nodepool1', count: 1 }, { name: 'fipsnp', count: 1, enableFIPS: true, mode: 'User' }] });
    const kubeconfig = await fetchKubeconfig(test, cluster);
    mkdirSync(join(home, '.kube'));
    writeFileSync(join(home, '.kube', 'config'), kubeconfig, { mode: 0o600 });
    const env = { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin' };
    const node = cluster.nodeNames.find((n) => n.startsWith('aks-fipsnp-'))!;
    const image = 'mcr.microsoft.com/dotnet/runtime-deps:6.0';

    const debug: number[] = [];
    for (let i = 0; i < sessions; i++) {
      debug.push(await timed(async () => {
        const out = await kubectl(env, ['debug', `node/${node}`, '-it', `--image=${image}`], 'cat /proc/sys/crypto/fips_enabled\nexit\n');
        if (!out.includes(':/# cat /proc/sys/crypto/fips_enabled\r\n1\r\n')) throw new Error(`unexpected session: ${out}`);
      }));
    }
    const created = await kubectl(env, ['debug', `node/${node}`, `--image=${image}`, '--', 'sleep', 'infinity']);
    const pod = /pod (node-debugger-\S+) with container/.exec(created)![1]!;
    for (let i = 0; i < 100 && !(await kubectl(env, ['get', 'pod', pod, '-o', 'jsonpath={.status.phase}'])).includes('Running'); i++) await new Promise((r) => setTimeout(r, 50));
    const exec: number[] = [];
    const get: number[] = [];
    for (let i = 0; i < execs; i++) {
      exec.push(await timed(async () => void (await kubectl(env, ['exec', pod, '--', 'cat', '/proc/sys/crypto/fips_enabled']))));
      get.push(await timed(async () => void (await kubectl(env, ['get', 'pod', pod]))));
    }
    const cfg = parse(kubeconfig);
    const base = `${cfg.clusters[0].cluster.server.replace(/^https/, 'wss')}/_k8s/${cfg.clusters[0].cluster['tls-server-name']}`;
    const ca = Buffer.from(cfg.clusters[0].cluster['certificate-authority-data'], 'base64').toString();
    const url = `${base}/api/v1/namespaces/default/pods/${pod}/exec?command=cat&command=/proc/sys/crypto/fips_enabled&stdout=true`;
    const ws: number[] = [];
    for (let i = 0; i < upgrades; i++) ws.push(await timed(() => wsExec(url, cfg.users[0].user.token, ca)));

    const row = (measure: string, values: number[], note: string): AttachBenchRow => {
      const sorted = [...values].sort((a, b) => a - b);
      return { measure, runs: values.length, median: median(values), p95: percentile(sorted, 95), note };
    };
    return [
      row('kubectl debug node/... -it session (seed 000/001)', debug, 'create pod, wait Running, attach, 2 commands, exit'),
      row('kubectl exec POD -- cat /proc/sys/crypto/fips_enabled', exec, 'one exec over WebSockets'),
      row('kubectl get pod POD (baseline)', get, 'kubectl start-up + one GET'),
      row('exec upgrade, in-process WebSocket client', ws, 'TLS + auth + checks + upgrade + command + Status + close'),
    ];
  } finally {
    await emu.close();
    removeDir(dataDir);
    removeDir(home);
  }
}

export function formatAttachBench(rows: AttachBenchRow[]): string {
  return [
    '| measure | runs | median | p95 | note |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.measure} | ${r.runs} | ${fmt(r.median)} ms | ${fmt(r.p95)} ms | ${r.note} |`),
  ].join('\n');
}
