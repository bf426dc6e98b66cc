/** Shared pieces of the Trusted Launch tests: an emulator with a resource group, its /_aksemu API, the built CLI. */
import { execFile } from 'node:child_process';
import { expect } from 'vitest';
import { decodeObject } from '../../src/clusters/stored-object.js';
import { getToken, httpsCall, type TestResponse } from '../../testkit/http.js';
import { CLI, startTestEmulator } from '../../testkit/emulator.js';
import { armClient, type ArmClient } from '../../testkit/containerservice.js';

export type Emu = Awaited<ReturnType<typeof startTestEmulator>>;

export const TL_ON = { enableSecureBoot: true, enableVTPM: true };

export interface TlTestbed {
  emu: Emu;
  a: ArmClient;
  token: string;
  /** GET/POST on the instance's own API (`/_aksemu/...`). */
  api(method: string, path: string, body?: unknown): Promise<TestResponse>;
}

export async function tlTestbed(now = '2025-09-01T00:00:00Z'): Promise<TlTestbed> {
  const emu = await startTestEmulator({ now: new Date(now) });
  const a = await armClient(emu.url, emu.env);
  const token = await getToken(emu.url, emu.env);
  expect((await a.call('PUT', `/subscriptions/${a.sub}/resourcegroups/rg`, { location: 'eastus' }, '2021-04-01')).status).toBe(201);
  const api = (method: string, path: string, body?: unknown) =>
    httpsCall(`${emu.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
  return { emu, a, token, api };
}

export interface NodeView {
  metadata: { name: string; labels: Record<string, string> };
  spec: { unschedulable?: boolean };
  status: { conditions: Array<{ type: string; status: string }> };
}

/** The Node objects of a cluster (as the fleet wrote them for the Kubernetes API). */
export async function nodeObjects(emu: Emu, uid: string, prefix = ''): Promise<NodeView[]> {
  const page = await emu.core.store.range(`/clusters/${uid}/registry/minions/${prefix}`);
  return page.items.map((kv) => decodeObject(kv.value, kv.modRevision) as unknown as NodeView);
}

export const isReady = (n: NodeView) => n.status.conditions.find((c) => c.type === 'Ready')?.status === 'True';

/** Runs the built `aksemu` CLI. */
export function aksemu(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Waits until `check` holds (the fleet reboots nodes in the background). */
export async function eventually<T>(what: string, fn: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (check(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: last value ${JSON.stringify(v).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
