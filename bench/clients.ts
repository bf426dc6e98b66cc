/**
 * The benchmarks' HTTP clients. No SDK on purpose: the benchmarks time the emulator, not a client library's
 * pipeline.
 *   - armClient: signs in as the instance's service principal (client credentials at the token endpoint), calls
 *     ARM with an api-version, and waits out Azure-AsyncOperation URLs;
 *   - bearerClient: a keep-alive client with a fixed bearer token for one service (a cluster's API, a vault).
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { instanceEnvironment } from '../src/cli/commands/env.js';
import { paths } from '../src/config/data-dir.js';
import type { Emulator } from '../src/emulator.js';

export interface BenchResponse {
  status: number;
  json: any;
  headers: Record<string, unknown>;
}

export function armClient(emu: Emulator, dataDir: string, apiVersion = '2026-04-01') {
  const ca = readFileSync(paths.caCert(dataDir), 'utf8');
  const send = (method: string, url: string, body?: string, type = 'application/json', token?: string) =>
    new Promise<BenchResponse>((resolve, reject) => {
      const u = new URL(url);
      const req = request(
        { method, hostname: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, ca, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': type, 'content-length': Buffer.byteLength(body) } : {}) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined, headers: res.headers });
          });
        },
      );
      req.on('error', reject);
      if (body) req.write(body);
      req.end();
    });
  const json = (body?: unknown) => (body === undefined ? undefined : JSON.stringify(body));
  let token = '';
  return {
    async login() {
      const env = instanceEnvironment(dataDir);
      const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: env.AZURE_CLIENT_ID!, client_secret: env.AZURE_CLIENT_SECRET!, scope: 'https://management.azure.com/.default' }).toString();
      token = (await send('POST', `${emu.url}/_login/${env.AZURE_TENANT_ID}/oauth2/v2.0/token`, form, 'application/x-www-form-urlencoded')).json.access_token;
    },
    /** An ARM call: `path` without the api-version, which is added. */
    call: (method: string, path: string, body?: unknown, api = apiVersion) => send(method, `${emu.url}${path}?api-version=${api}`, json(body), 'application/json', token),
    /** A call to a path as it is (aksemu's own /_aksemu API). */
    direct: (method: string, path: string, body?: unknown) => send(method, `${emu.url}${path}`, json(body), 'application/json', token),
    /** Polls an Azure-AsyncOperation URL until it ends; answers its final status. */
    async wait(asyncUrl: string): Promise<string> {
      const u = new URL(asyncUrl);
      for (;;) {
        const r = await send('GET', `${emu.url}${u.pathname}${u.search}`, undefined, undefined, token);
        if (r.json.status !== 'InProgress') return r.json.status as string;
        await new Promise((res) => setTimeout(res, 2));
      }
    },
  };
}

export interface BearerClient {
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }>;
  base: string;
  token: string;
  ca: string;
}

export function bearerClient(base: string, token: string, ca: string, maxSockets = 32): BearerClient {
  const agent = new Agent({ keepAlive: true, maxSockets, ca });
  return {
    base,
    token,
    ca,
    call: (method, path, body) =>
      new Promise((resolve, reject) => {
        const u = new URL(`${base}${path}`);
        const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        const req = request(
          { method, hostname: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, agent, headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}) } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        if (payload) req.write(payload);
        req.end();
      }),
  };
}
