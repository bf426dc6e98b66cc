/**
 * Figures: cold start to the ready line (median of 10; target ≤ 500 ms), for a brand-new data
 * directory (CA, master key, signing key and store created) and for a restart; and ARM GET latency p50/p99 with
 * 20 concurrent clients on keep-alive connections.
 */
import { Agent, request } from 'node:https';
import { readFileSync } from 'node:fs';
import { freshDataDir, median, percentile, removeDir, spawnEmulator, fmt } from './support.js';

export interface ColdStartResult {
  newDataDirMs: number[];
  restartMs: number[];
}

export async function benchColdStart(runs = 10): Promise<ColdStartResult> {
  const newDataDirMs: number[] = [];
  const restartMs: number[] = [];
  const dirs: string[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = freshDataDir();
    dirs.push(dir);
    const first = await spawnEmulator(dir);
    newDataDirMs.push(first.readyMs);
    await first.stop();
    const again = await spawnEmulator(dir);
    restartMs.push(again.readyMs);
    await again.stop();
  }
  dirs.forEach(removeDir);
  return { newDataDirMs, restartMs };
}

export interface ArmLatencyResult {
  clients: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  requestsPerSecond: number;
}

function get(agent: Agent, url: string, token: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const t0 = process.hrtime.bigint();
    const req = request({ hostname: u.hostname, port: u.port, path: u.pathname + u.search, agent, ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - t0) / 1e6) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

export async function benchArmLatency(clients = 20, requestsPerClient = 250): Promise<ArmLatencyResult> {
  const dir = freshDataDir();
  const emu = await spawnEmulator(dir);
  try {
    const ca = readFileSync(`${dir}/ca/ca.pem`, 'utf8');
    const tokenRes = await fetchToken(emu.url, emu.env, ca);
    const rgUrl = `${emu.url}/subscriptions/${emu.env.AZURE_SUBSCRIPTION_ID}/resourcegroups/bench?api-version=2022-09-01`;
    await put(rgUrl, tokenRes, ca, JSON.stringify({ location: 'eastus' }));
    const latencies: number[] = [];
    const run = async (warmup: boolean) => {
      const t0 = Date.now();
      await Promise.all(
        Array.from({ length: clients }, async () => {
          const agent = new Agent({ keepAlive: true, maxSockets: 1 });
          for (let i = 0; i < (warmup ? 20 : requestsPerClient); i++) {
            const ms = await get(agent, rgUrl, tokenRes, ca);
            if (!warmup) latencies.push(ms);
          }
          agent.destroy();
        }),
      );
      return Date.now() - t0;
    };
    await run(true);
    const elapsed = await run(false);
    latencies.sort((a, b) => a - b);
    return { clients, requests: latencies.length, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), requestsPerSecond: (latencies.length / elapsed) * 1000 };
  } finally {
    await emu.stop();
    removeDir(dir);
  }
}

async function fetchToken(baseUrl: string, env: Record<string, string>, ca: string): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: env.AZURE_CLIENT_ID!, client_secret: env.AZURE_CLIENT_SECRET!, scope: 'https://management.azure.com/.default' }).toString();
  const res = await put(`${baseUrl}/_login/${env.AZURE_TENANT_ID}/oauth2/v2.0/token`, undefined, ca, body, 'POST', 'application/x-www-form-urlencoded');
  return (JSON.parse(res) as { access_token: string }).access_token;
}

function put(url: string, token: string | undefined, ca: string, body: string, method = 'PUT', type = 'application/json'): Promise<string> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request(
      { method, hostname: u.hostname, port: u.port, path: u.pathname + u.search, ca, headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) } },
      (res) => {
        let out = '';
        res.on('data', (d) => (out += d));
        res.on('end', () => ((res.statusCode ?? 500) < 300 ? resolve(out) : reject(new Error(`${res.statusCode} ${out}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export function formatFoundation(cold: ColdStartResult, arm: ArmLatencyResult): string {
  return [
    '| measurement | result | target |',
    '|---|---|---|',
    `| cold start to ready line, new data dir (median of ${cold.newDataDirMs.length}) | ${fmt(median(cold.newDataDirMs), 0)} ms | ≤ 500 ms |`,
    `| cold start to ready line, existing data dir (median of ${cold.restartMs.length}) | ${fmt(median(cold.restartMs), 0)} ms | ≤ 500 ms |`,
    `| ARM GET resource group, ${arm.clients} concurrent clients, ${arm.requests} requests: p50 | ${fmt(arm.p50Ms, 2)} ms | |`,
    `| … p99 | ${fmt(arm.p99Ms, 2)} ms | |`,
    `| … throughput | ${fmt(arm.requestsPerSecond, 0)} requests/s | |`,
  ].join('\n');
}
