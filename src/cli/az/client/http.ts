/**
 * The CLI's HTTPS client: requests to the instance's direct address, trusting only its CA, over one keep-alive
 * connection. Azure's request headers are sent as az sends them (x-ms-client-request-id, Accept), and --debug
 * logs each request and response line as az does.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request as httpsRequest } from 'node:https';
import { VERSION } from '../../../version.js';
import { AzCliError } from '../framework/errors.js';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = any>(): T | undefined;
  header(name: string): string | undefined;
}

export interface HttpRequestOptions {
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export class HttpClient {
  private readonly agent: Agent;

  constructor(
    readonly baseUrl: string,
    ca: Buffer,
    private readonly debug: (line: string) => void = () => {},
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: 4, ca });
  }

  /** `pathOrUrl` is a path on the instance (`/subscriptions/...`) or an absolute URL it handed out. */
  async request(method: string, pathOrUrl: string, opts: HttpRequestOptions = {}): Promise<HttpResponse> {
    const url = new URL(pathOrUrl, this.baseUrl);
    const base = new URL(this.baseUrl);
    if (url.host !== base.host) {
      // Only the instance is ever contacted: a URL it handed out names it (operation status, nextLink).
      throw new AzCliError(`Refusing to follow a URL outside the aksemu instance: ${url.origin}`);
    }
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': `aksemu-cli/${VERSION} (az-compatible)`,
      'x-ms-client-request-id': randomUUID(),
      ...opts.headers,
    };
    if (opts.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(opts.body));
    this.debug(`Request URL: '${url.href}'`);
    this.debug(`Request method: '${method}'`);
    return new Promise<HttpResponse>((resolve, reject) => {
      const req = httpsRequest(
        { method, hostname: url.hostname.replace(/^\[|\]$/g, ''), port: url.port || 443, path: `${url.pathname}${url.search}`, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            this.debug(`Response status: ${res.statusCode}`);
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text,
              json: <T>() => {
                if (text.trim() === '') return undefined;
                try {
                  return JSON.parse(text) as T;
                } catch {
                  return undefined;
                }
              },
              header: (name: string) => {
                const v = res.headers[name.toLowerCase()];
                return Array.isArray(v) ? v[0] : v;
              },
            });
          });
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET' || err.code === 'EHOSTUNREACH') {
          reject(new AzCliError(`Cannot reach the aksemu instance at ${this.baseUrl} (${err.code}): is it running? Start it with 'aksemu start'.`));
        } else reject(new AzCliError(`The request to ${url.origin} failed: ${err.message}`));
      });
      if (opts.body !== undefined) req.write(opts.body);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
