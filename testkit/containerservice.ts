/** A small ARM client for the containerservice tests: raw HTTPS against an emulator, polling async operations. */
import { getToken, httpsCall, type TestResponse } from './http.js';

export const NEW_API = '2026-04-01';
export const AZ_API = '2022-11-01';

export interface ArmClient {
  sub: string;
  call(method: string, path: string, body?: unknown, apiVersion?: string, headers?: Record<string, string>): Promise<TestResponse>;
  /** PUT/POST/DELETE then poll Azure-AsyncOperation until it ends; returns the first answer and the final status. */
  run(method: string, path: string, body?: unknown, apiVersion?: string): Promise<{ first: TestResponse; status: string; error?: { code: string; message: string } }>;
  cluster(rg: string, name: string): string;
}

export async function armClient(url: string, env: Record<string, string>): Promise<ArmClient> {
  const token = await getToken(url, env);
  const sub = env.AZURE_SUBSCRIPTION_ID!;
  const call = (method: string, path: string, body?: unknown, apiVersion = NEW_API, headers: Record<string, string> = {}) =>
    httpsCall(`${url}${path}${path.includes('?') ? '&' : '?'}api-version=${apiVersion}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  return {
    sub,
    call,
    cluster: (rg, name) => `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`,
    async run(method, path, body, apiVersion) {
      const first = await call(method, path, body, apiVersion);
      const asyncUrl = first.headers['azure-asyncoperation'] as string | undefined;
      if (!asyncUrl) return { first, status: first.status < 300 ? 'Succeeded' : 'Failed' };
      const u = new URL(asyncUrl);
      for (let i = 0; i < 2000; i++) {
        const st = await httpsCall(`${url}${u.pathname}${u.search}`, { headers: { authorization: `Bearer ${token}` } });
        const j = st.json();
        if (j.status !== 'InProgress') return { first, status: j.status, ...(j.error ? { error: j.error } : {}) };
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('operation did not finish');
    },
  };
}

export function linuxPool(name: string, extra: Record<string, unknown> = {}) {
  return { name, count: 3, vmSize: 'Standard_DS2_v2', osType: 'Linux', mode: 'System', type: 'VirtualMachineScaleSets', ...extra };
}

export function clusterBody(extra: { properties?: Record<string, unknown>; pools?: unknown[]; location?: string } = {}) {
  return {
    location: extra.location ?? 'eastus',
    identity: { type: 'SystemAssigned' },
    properties: { kubernetesVersion: '', dnsPrefix: 'myaks', agentPoolProfiles: extra.pools ?? [linuxPool('nodepool1')], ...(extra.properties ?? {}) },
  };
}
