/**
 * A small HTTPS client for tests that speak to the emulator's wire protocols directly (error bodies, headers),
 * trusting the test CA. Optionally through the emulator's CONNECT proxy, as az and the SDKs do.
 */
import { readFileSync } from 'node:fs';
import { request as plainRequest } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  json<T = any>(): T;
}

export interface TestRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send through the emulator's proxy at this port, to the URL's host (as a client with HTTPS_PROXY would). */
  proxyPort?: number;
  /** The TLS server name to send (SNI) instead of the URL's host: a kubeconfig's tls-server-name. */
  servername?: string;
  /** Reuse connections (a keep-alive agent from keepAliveAgent()) instead of one connection per call. */
  agent?: Agent;
}

/** An agent that keeps connections open and trusts the test CA: for suites that make thousands of calls. */
export function keepAliveAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 16, ca: testCa() });
}

export function testCa(): string {
  return readFileSync(process.env.NODE_EXTRA_CA_CERTS!, 'utf8');
}

function finish(status: number, headers: TestResponse['headers'], body: Buffer): TestResponse {
  const text = body.toString('utf8');
  return { status, headers, body, text, json: () => JSON.parse(text) };
}

export async function httpsCall(url: string, req: TestRequest = {}): Promise<TestResponse> {
  const u = new URL(url);
  const tunnel = req.proxyPort !== undefined ? await openTunnel(req.proxyPort, u.hostname, Number(u.port || 443)) : undefined;
  return new Promise((resolve, reject) => {
    const r = httpsRequest(
      {
        method: req.method ?? 'GET',
        hostname: u.hostname,
        port: u.port || 443,
        path: `${u.pathname}${u.search}`,
        headers: { ...(req.body !== undefined ? { 'content-length': String(Buffer.byteLength(req.body)) } : {}), ...req.headers },
        ...(req.agent ? {} : { ca: testCa() }),
        ...(req.servername ? { servername: req.servername } : isIP(u.hostname) ? {} : { servername: u.hostname }),
        // Without an agent, node uses createConnection: here, TLS over the proxy tunnel.
        ...(tunnel ? { createConnection: () => tlsConnect({ socket: tunnel, servername: u.hostname, ca: testCa() }) } : { agent: req.agent ?? false }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(finish(res.statusCode ?? 0, res.headers, Buffer.concat(chunks))));
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}

/** Sends CONNECT host:port to the proxy; resolves with the raw socket once the tunnel is up, rejects otherwise. */
export function openTunnel(proxyPort: number, host: string, port: number): Promise<import('node:net').Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(proxyPort, '127.0.0.1', () => socket.write(`CONNECT ${host}:${port} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`));
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const status = Number(buf.split(' ')[1]);
      if (status === 200) resolve(socket);
      else {
        socket.destroy();
        reject(Object.assign(new Error(`CONNECT answered ${status}`), { status, response: buf }));
      }
    };
    socket.on('data', onData);
    socket.on('error', reject);
  });
}

/** A client-credentials token for `scope` from the instance's token endpoint (direct address). */
export async function getToken(baseUrl: string, env: Record<string, string>, scope = 'https://management.core.windows.net//.default'): Promise<string> {
  const res = await httpsCall(`${baseUrl}/_login/${env.AZURE_TENANT_ID}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: env.AZURE_CLIENT_ID!, client_secret: env.AZURE_CLIENT_SECRET!, scope }).toString(),
  });
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${res.text}`);
  return res.json<{ access_token: string }>().access_token;
}

/** The Azure CLI's public client id (what `az login -u` signs users in through). */
export const AZ_CLIENT_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';

/** A delegated token of the instance's default user (password grant through az's client) for `scope`. */
export async function getUserToken(baseUrl: string, env: Record<string, string>, scope = 'https://management.core.windows.net//.default'): Promise<string> {
  const res = await httpsCall(`${baseUrl}/_login/${env.AZURE_TENANT_ID}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', client_id: AZ_CLIENT_ID, username: env.AKSEMU_USER!, password: env.AKSEMU_PASSWORD!, scope }).toString(),
  });
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${res.text}`);
  return res.json<{ access_token: string }>().access_token;
}

/**
 * Sends a request whose body the server may refuse before reading it all (413): the body is written in chunks
 * and write errors after the server closed are ignored, so the answer the server sent is what the test sees.
 */
export function sendOversized(url: string, headers: Record<string, string>, bodyBytes: number): Promise<TestResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: u.hostname, port: Number(u.port || 443), ...(isIP(u.hostname) ? {} : { servername: u.hostname }), ca: testCa() }, () => {
      const head = [`PUT ${u.pathname}${u.search} HTTP/1.1`, `Host: ${u.host}`, `Content-Length: ${bodyBytes}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
      socket.write(`${head.join('\r\n')}\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      const pump = () => {
        while (sent < bodyBytes && !socket.destroyed) {
          sent += chunk.length;
          if (!socket.write(chunk.subarray(0, Math.min(chunk.length, bodyBytes - sent + chunk.length)))) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      // Done once the whole answer is in (the server keeps reading the body, so the connection stays open).
      const raw = Buffer.concat(chunks).toString('utf8');
      const end = raw.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(raw.slice(0, end));
      if (end >= 0 && length && Buffer.byteLength(raw.slice(end + 4)) >= Number(length[1])) socket.destroy();
    });
    let failure: Error | undefined;
    socket.on('error', (err) => (failure ??= err)); // EPIPE/ECONNRESET once the server has answered and closed
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const m = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(raw);
      if (!m) return reject(new Error(`no HTTP response before the connection closed (${failure?.message ?? 'no error'}): ${raw.slice(0, 200)}`));
      const hdrs: Record<string, string> = {};
      for (const line of m[2]!.split('\r\n')) {
        const i = line.indexOf(':');
        hdrs[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      const body = /chunked/i.test(hdrs['transfer-encoding'] ?? '') ? m[3]!.replace(/^[0-9a-f]+\r\n|\r\n[0-9a-f]+\r\n|\r\n0\r\n\r\n$/gi, '') : m[3]!;
      resolve(finish(Number(m[1]), hdrs, Buffer.from(body)));
    });
  });
}

/** A plain-HTTP GET (a local health or metrics endpoint): status and body text. */
export function httpGet(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    plainRequest(url, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    })
      .on('error', reject)
      .end();
  });
}
