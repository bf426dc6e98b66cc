/**
 * The plugin's health endpoint (Azure's plugin: `--healthz-port 8787 --healthz-path /healthz`): an HTTP GET that
 * checks the gRPC socket answers (v1 Version, v2 Status) and that the configured key still encrypts and decrypts
 * with both APIs' algorithms. 200 "ok", or 503 (socket) / 500 (Key Vault) with the reason as text.
 */
import { createServer, type Server } from 'node:http';
import { KmsV1Client, KmsV2Client } from '../encryption/kms-api/client.js';
import { HEALTHCHECK_PLAINTEXT, RUNTIME_NAME } from './plugin.js';
import { KMS_V1_API_VERSION, KMS_V2_API_VERSION } from '../encryption/kms-api/protos.js';

export interface HealthzOptions {
  listenAddr: string;
  port: number;
  path?: string;
  host?: string;
  timeoutMs?: number;
}

/** One health check over the socket; resolves with the HTTP status and text. */
export async function checkPlugin(listenAddr: string, timeoutMs = 5000): Promise<{ status: number; text: string }> {
  const v1 = new KmsV1Client(listenAddr, timeoutMs);
  const v2 = new KmsV2Client(listenAddr, timeoutMs);
  try {
    let step = 'v1 Version';
    try {
      const v = await v1.version();
      if (v.version !== KMS_V1_API_VERSION || v.runtime_name !== RUNTIME_NAME) return { status: 503, text: `failed to get correct version response: ${JSON.stringify(v)}` };
      step = 'v2 Status';
      const s = await v2.status();
      if (s.version !== KMS_V2_API_VERSION || s.healthz !== 'ok') return { status: 503, text: `failed to get correct status response: ${JSON.stringify(s)}` };
    } catch (err) {
      return { status: 503, text: `${step}: ${(err as Error).message}` };
    }
    try {
      step = 'v1 round trip';
      const plain = Buffer.from(HEALTHCHECK_PLAINTEXT);
      if (!(await v1.decrypt(await v1.encrypt(plain))).equals(plain)) return { status: 500, text: 'plain text mismatch after decryption' };
      step = 'v2 round trip';
      const uid = `local-healthz-check-${Date.now()}`;
      const enc = await v2.encrypt(plain, uid);
      const dec = await v2.decrypt({ ciphertext: enc.ciphertext, keyId: enc.key_id, annotations: enc.annotations, uid });
      if (!dec.equals(plain)) return { status: 500, text: 'plain text mismatch after decryption with KMSv2' };
    } catch (err) {
      return { status: 500, text: `${step}: ${(err as Error).message}` };
    }
    return { status: 200, text: 'ok' };
  } finally {
    v1.close();
    v2.close();
  }
}

export async function serveHealthz(opts: HealthzOptions): Promise<{ server: Server; port: number }> {
  const path = opts.path ?? '/healthz';
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method !== 'GET' || url.pathname !== path) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    checkPlugin(opts.listenAddr, opts.timeoutMs).then(
      (r) => res.writeHead(r.status, { 'content-type': 'text/plain; charset=utf-8' }).end(r.text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(err.message),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : opts.port };
}
