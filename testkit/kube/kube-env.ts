/**
 * Test support for the clusters' Kubernetes API: an in-process emulator with test clusters, credentials fetched
 * through the real ARM action, and the real `kubectl` run with a clean HOME whose ~/.kube/config is that
 * kubeconfig (no flags, no other environment), as a user runs it after `get-credentials`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
export { waitFor } from '../wait.js';
import type { Emulator } from '../../src/emulator.js';
import { getToken, httpsCall } from '../http.js';
import { AKS_API_VERSIONS, createFixtureCluster, type FixtureCluster, type FixtureClusterSpec } from './fixtures.js';

export type TestEmulator = Emulator & { dataDir: string; env: Record<string, string> };

/** An in-process emulator whose modules include the test cluster fixture. */
export async function startEmulatorWithFixtures(opts: { store?: string; now?: Date } = {}): Promise<TestEmulator> {
  const { startEmulator } = await import('../../src/emulator.js');
  const { newDataDir } = await import('../emulator.js');
  const { instanceEnvironment } = await import('../../src/cli/commands/env.js');
  const dataDir = newDataDir();
  const emulator = await startEmulator({ dataDir, port: 0, ...(opts.store ? { store: opts.store } : {}), ...(opts.now ? { now: opts.now } : {}) });
  return Object.assign(emulator, { dataDir, env: instanceEnvironment(dataDir) });
}

export async function addCluster(emu: TestEmulator, spec: FixtureClusterSpec): Promise<FixtureCluster> {
  const cluster = await createFixtureCluster(emu.core, spec);
  await settle(emu, cluster);
  return cluster;
}

/** Waits until the cluster's controllers have nothing left to do (after the changes made so far). */
export async function settle(emu: TestEmulator, cluster: { uid: string }): Promise<void> {
  const controllers = emu.services.kube.controllers;
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 20));
    await controllers.settle(cluster.uid);
  }
}

/** An instance's address and settings: an in-process emulator or a spawned one. */
type Reachable = Pick<TestEmulator, 'url' | 'env'>;

/** The kubeconfig (YAML text) from listClusterUserCredential / listClusterAdminCredential, via ARM. */
export async function fetchKubeconfig(emu: Reachable, cluster: Pick<FixtureCluster, 'armId'>, admin = false): Promise<string> {
  const token = await getToken(emu.url, emu.env);
  const action = admin ? 'listClusterAdminCredential' : 'listClusterUserCredential';
  const res = await httpsCall(`${emu.url}${cluster.armId}/${action}?api-version=${AKS_API_VERSIONS[0]}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`${action} answered ${res.status}: ${res.text}`);
  return Buffer.from(res.json().kubeconfigs[0].value, 'base64').toString('utf8');
}

export interface KubectlHome {
  home: string;
  env: Record<string, string>;
}

/** A clean HOME with ~/.kube/config = the cluster's credentials. */
export async function kubectlHome(emu: TestEmulator, cluster: FixtureCluster, admin = false): Promise<KubectlHome> {
  const home = mkdtempSync(join(tmpdir(), 'aksemu-kubectl-'));
  mkdirSync(join(home, '.kube'), { mode: 0o700 });
  writeFileSync(join(home, '.kube', 'config'), await fetchKubeconfig(emu, cluster, admin), { mode: 0o600 });
  return { home, env: { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' } };
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
  json<T = any>(): T;
}

export function kubectl(h: KubectlHome, args: string[], stdin?: string, timeoutMs = 60_000): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile('kubectl', args, { env: h.env, timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) });
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

/** kubectl that must succeed: a failure throws with the command and kubectl's own output. */
export async function kubectlOk(h: KubectlHome, args: string[], stdin?: string, timeoutMs?: number): Promise<KubectlResult> {
  const r = await kubectl(h, args, stdin, timeoutMs);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r;
}

/** Starts a long-running kubectl (e.g. `get -w`) and collects its output. */
export function kubectlStream(h: KubectlHome, args: string[]): { child: ChildProcess; output: () => string; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn('kubectl', args, { env: h.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, stderr: () => err, exited };
}

export interface KubeApiClient {
  base: string;
  token: string;
  call(method: string, path: string, body?: string | Buffer | object, headers?: Record<string, string>): Promise<import('../http.js').TestResponse>;
}

/** Raw HTTPS access to a cluster's API with the token of its user (or admin) kubeconfig. */
export async function kubeApi(emu: Reachable, cluster: Pick<FixtureCluster, 'armId'>, admin = false): Promise<KubeApiClient> {
  const { parse } = await import('yaml');
  const cfg = parse(await fetchKubeconfig(emu, cluster, admin));
  // The direct path form of the cluster's API (the kubeconfig names it by server + tls-server-name).
  const base = `${cfg.clusters[0].cluster.server}/_k8s/${cfg.clusters[0].cluster['tls-server-name']}`;
  const token: string = cfg.users[0].user.token;
  return {
    base,
    token,
    call: (method, path, body, headers = {}) => {
      const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
      return httpsCall(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(payload !== undefined && !headers['content-type'] ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(payload !== undefined ? { body: payload } : {}),
      });
    },
  };
}

export interface WatchStream {
  status: number;
  contentType: string;
  events: any[];
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** Opens a watch (`?watch=true...`) and collects its JSON events as they arrive. */
export async function openWatch(client: KubeApiClient, path: string, headers: Record<string, string> = {}): Promise<WatchStream> {
  const { request } = await import('node:https');
  const { testCa } = await import('../http.js');
  const u = new URL(`${client.base}${path}`);
  return new Promise((resolve, reject) => {
    const req = request(
      { method: 'GET', hostname: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, headers: { authorization: `Bearer ${client.token}`, ...headers }, ca: testCa(), agent: false },
      (res) => {
        const events: any[] = [];
        let buf = '';
        const ended = new Promise<void>((r) => {
          res.on('end', () => r());
          res.on('close', () => r());
          res.on('error', () => r());
        });
        res.on('data', (d: Buffer) => {
          buf += d.toString('utf8');
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line) events.push(JSON.parse(line));
          }
        });
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), events, ended, close: () => req.destroy() });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
