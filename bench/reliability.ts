/**
 * Figures (SPEC R-1): how long a store outage takes to become each service's 503, and how long the services take to
 * answer again once the store is back, with no restart of the emulator. An in-process emulator on a one-member etcd
 * with a cluster and a vault; each round stops etcd (SIGKILL: the process is gone, or SIGSTOP: it hangs), sends one
 * request per service every 50 ms until each has answered 503, then brings etcd back and does the same until each
 * has answered 2xx. Any other answer is counted (the target is none: no 500 and no hang).
 */
import { createArmCluster } from '../testkit/kube/arm-cluster.js';
import { kubeApi } from '../testkit/kube/kube-env.js';
import { startEmulatorOnEtcd, type EtcdEmulator } from '../testkit/etcd-emulator.js';
import { getToken, httpsCall, type TestResponse } from '../testkit/http.js';
import { fmt, median } from './support.js';

type Service = 'ARM' | 'Key Vault' | 'Kubernetes';
const SERVICES: Service[] = ['ARM', 'Key Vault', 'Kubernetes'];

export interface OutageRound {
  stop: 'SIGKILL' | 'SIGSTOP';
  /** Seconds from the stop to each service's first 503. */
  to503: Record<Service, number>;
  /** Seconds from etcd answering again to each service's first 2xx. */
  toRecovery: Record<Service, number>;
  /** Answers that were neither 2xx nor 503 (status: count). */
  others: Record<string, number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls every service until each has given an answer `done` accepts; seconds per service from `since`. */
async function until(
  probes: Record<Service, () => Promise<TestResponse>>,
  done: (status: number) => boolean,
  since: number,
  others: Record<string, number>,
  timeoutMs = 60_000,
): Promise<Record<Service, number>> {
  const result = {} as Record<Service, number>;
  await Promise.all(
    SERVICES.map(async (service) => {
      while (Date.now() - since < timeoutMs) {
        let status: number;
        try {
          status = (await probes[service]()).status;
        } catch {
          status = 0; // no answer at all: a reset or a timeout
        }
        if (done(status)) {
          result[service] = (Date.now() - since) / 1000;
          return;
        }
        if (!(status >= 200 && status < 300) && status !== 503) others[`${service} ${status}`] = (others[`${service} ${status}`] ?? 0) + 1;
        await sleep(50);
      }
      throw new Error(`${service}: no wanted answer within ${timeoutMs} ms`);
    }),
  );
  return result;
}

export async function benchOutage(roundsPerSignal = 3): Promise<OutageRound[]> {
  const running: EtcdEmulator = await startEmulatorOnEtcd('/bench-outage');
  const { etcd, emu } = running;
  // The test helpers used here trust the CA named by NODE_EXTRA_CA_CERTS (read per call).
  process.env.NODE_EXTRA_CA_CERTS = emu.env.NODE_EXTRA_CA_CERTS;
  try {
    const sub = emu.env.AZURE_SUBSCRIPTION_ID!;
    const token = await getToken(emu.url, emu.env);
    const vaultToken = await getToken(emu.url, emu.env, 'https://vault.azure.net/.default');
    const oid = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).oid as string;
    const arm = (path: string, method = 'GET', body?: unknown) =>
      httpsCall(`${emu.url}/subscriptions/${sub}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    const cluster = await createArmCluster(emu, { name: 'outage', resourceGroup: 'outage', pools: [{ name: 'system', count: 1 }] });
    const vault = await arm('/resourceGroups/outage/providers/Microsoft.KeyVault/vaults/kv-outage?api-version=2022-07-01', 'PUT', {
      location: 'eastus',
      properties: { tenantId: emu.env.AZURE_TENANT_ID, sku: { family: 'A', name: 'standard' }, accessPolicies: [{ tenantId: emu.env.AZURE_TENANT_ID, objectId: oid, permissions: { keys: ['all'] } }] },
    });
    if (vault.status !== 200) throw new Error(`vault: ${vault.status} ${vault.text}`);
    const kube = await kubeApi(emu, cluster, true);
    let n = 0;
    const probes: Record<Service, () => Promise<TestResponse>> = {
      ARM: () => arm(`/resourcegroups/outage-${n++}?api-version=2021-04-01`, 'PUT', { location: 'eastus' }),
      'Key Vault': () =>
        httpsCall(`${emu.url}/_vault/kv-outage/keys/k${n++}/create?api-version=7.4`, {
          method: 'POST',
          headers: { authorization: `Bearer ${vaultToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ kty: 'EC', crv: 'P-256' }),
        }),
      Kubernetes: () => kube.call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: `cm-${n++}` }, data: { a: 'b' } }),
    };
    const rounds: OutageRound[] = [];
    for (const stop of ['SIGKILL', 'SIGSTOP'] as const) {
      for (let i = 0; i < roundsPerSignal; i++) {
        const others: Record<string, number> = {};
        const member = etcd.members[0]!;
        const stoppedAt = Date.now();
        if (stop === 'SIGKILL') await etcd.kill(0, 'SIGKILL');
        else member.proc!.kill('SIGSTOP');
        const to503 = await until(probes, (s) => s === 503, stoppedAt, others);
        if (stop === 'SIGKILL') await etcd.restart(0);
        else {
          member.proc!.kill('SIGCONT');
          await etcd.waitHealthy([0]);
        }
        const toRecovery = await until(probes, (s) => s >= 200 && s < 300, Date.now(), others);
        rounds.push({ stop, to503, toRecovery, others });
      }
    }
    return rounds;
  } finally {
    await running.close();
  }
}

export function formatOutageBench(rounds: OutageRound[]): string {
  const lines = [
    '| etcd stopped by | service | seconds to the first 503 (median, max) | seconds to the first 2xx after etcd is back (median, max) |',
    '|---|---|---|---|',
  ];
  for (const stop of ['SIGKILL', 'SIGSTOP'] as const) {
    const of = rounds.filter((r) => r.stop === stop);
    for (const service of SERVICES) {
      const down = of.map((r) => r.to503[service]);
      const up = of.map((r) => r.toRecovery[service]);
      lines.push(`| ${stop} | ${service} | ${fmt(median(down), 2)}, ${fmt(Math.max(...down), 2)} | ${fmt(median(up), 2)}, ${fmt(Math.max(...up), 2)} |`);
    }
  }
  const others: Record<string, number> = {};
  for (const r of rounds) for (const [k, v] of Object.entries(r.others)) others[k] = (others[k] ?? 0) + v;
  const otherText = Object.keys(others).length === 0 ? 'none' : Object.entries(others).map(([k, v]) => `${k}: ${v}`).join(', ');
  lines.push('', `${rounds.length} rounds; answers other than 2xx or 503 meanwhile: ${otherText}.`);
  return lines.join('\n');
}
