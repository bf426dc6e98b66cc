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
  /** The request carries a secret (the token request): --debug logs neither its body nor its response. */
  secret?: boolean;
}

/** Headers az's logging policy masks in --debug output. */
const REDACTED = new Set(['authorization', 'x-ms-authorization-auxiliary']);

/** Python's repr() of a str, as az's `%r` prints header names and values. */
function pyRepr(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  return `${quote}${value.replace(/\\/g, '\\\\').replace(new RegExp(quote, 'g'), `\\${quote}`)}${quote}`;
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
    // --debug logs what az's SDK logging policy logs (azure/cli/core/sdk/policies.py), secrets masked.
    this.debug(`Request URL: ${pyRepr(url.href)}`);
    this.debug(`Request method: ${pyRepr(method)}`);
    this.debug('Request headers:');
    for (const [name, value] of Object.entries(headers)) this.debug(`    ${pyRepr(name)}: ${pyRepr(REDACTED.has(name.toLowerCase()) ? '*****' : value)}`);
    this.debug('Request body:');
    this.debug(opts.body === undefined || opts.body.length === 0 ? 'This request has no body' : opts.secret ? '(not logged: it holds a credential)' : opts.body.toString());
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
            this.debug('Response headers:');
            for (const [name, value] of Object.entries(res.headers)) this.debug(`    ${pyRepr(name)}: ${pyRepr(Array.isArray(value) ? value.join(', ') : String(value))}`);
            this.debug('Response content:');
            this.debug(opts.secret ? '(not logged: it holds a credential)' : text);
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
