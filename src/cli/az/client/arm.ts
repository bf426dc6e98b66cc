/**
 * Azure Resource Manager calls as the Azure SDK for Python makes them for az: JSON bodies, api-version on every
 * request, paging through nextLink, and long-running operations polled the ARM way (azure-mgmt-core's
 * ARMPolling): Azure-AsyncOperation first, else Location, else the resource's provisioningState, honouring
 * Retry-After; the final resource is read with a GET of the original URL for PUT/PATCH.
 */
import { AzCliError, ServiceError } from '../framework/errors.js';
import type { HttpClient, HttpResponse } from './http.js';
import { serviceError } from './service-error.js';
import type { TokenProvider } from './tokens.js';

const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'cancelled']);

export interface LroProgress {
  /** Called on each poll with the operation's status (and percentComplete when the service sends it). */
  update(status: string, percent?: number): void;
  done(): void;
}

export interface ArmCallOptions {
  apiVersion: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Return the raw response for these statuses instead of throwing (e.g. [404] for existence checks). */
  accept?: number[];
}

export interface LroOptions extends ArmCallOptions {
  /** Do not poll: return after the first answer (az's --no-wait). */
  noWait?: boolean;
  progress?: LroProgress;
}

function withApiVersion(path: string, apiVersion: string): string {
  if (/[?&]api-version=/.test(path)) return path;
  return `${path}${path.includes('?') ? '&' : '?'}api-version=${encodeURIComponent(apiVersion)}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ArmClient {
  constructor(
    private readonly http: HttpClient,
    private readonly tokens: TokenProvider,
    readonly subscriptionId: string,
  ) {}

  async call(method: string, path: string, opts: ArmCallOptions): Promise<HttpResponse> {
    let body: string | undefined;
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    const send = async () =>
      this.http.request(method, withApiVersion(path, opts.apiVersion), {
        headers: { ...headers, Authorization: `Bearer ${await this.tokens.token('arm')}` },
        ...(body !== undefined ? { body } : {}),
      });
    let res = await send();
    if (res.status === 401) {
      // A cached token the instance no longer accepts: fetch a new one once.
      this.tokens.invalidate('arm');
      res = await send();
    }
    if (res.status >= 400 && !(opts.accept ?? []).includes(res.status)) throw serviceError(res);
    return res;
  }

  async get<T = any>(path: string, apiVersion: string): Promise<T> {
    return (await this.call('GET', path, { apiVersion })).json<T>() as T;
  }

  /** GET that answers undefined on 404 instead of failing. */
  async tryGet<T = any>(path: string, apiVersion: string): Promise<T | undefined> {
    const res = await this.call('GET', path, { apiVersion, accept: [404] });
    return res.status === 404 ? undefined : (res.json<T>() as T);
  }

  /** All items of a list, following nextLink. */
  async list<T = any>(path: string, apiVersion: string): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined = path;
    while (next) {
      // A nextLink carries its own api-version; withApiVersion leaves it alone.
      const res = await this.call('GET', next, { apiVersion });
      const page = res.json<{ value?: T[]; nextLink?: string }>();
      items.push(...(page?.value ?? []));
      next = page?.nextLink ?? undefined;
    }
    return items;
  }

  /**
   * A request that may start a long-running operation. Resolves with the final result (the resource for
   * PUT/PATCH, the operation's result for POST, undefined for DELETE), or undefined at once with noWait.
   */
  async lro<T = any>(method: 'PUT' | 'PATCH' | 'DELETE' | 'POST', path: string, opts: LroOptions): Promise<T | undefined> {
    const initial = await this.call(method, path, opts);
    if (opts.noWait) return undefined;
    const asyncUrl = initial.header('azure-asyncoperation');
    const location = initial.header('location');
    const initialBody = initial.json<any>();
    try {
      if (initial.status === 204 || (initial.status === 200 && !asyncUrl && !location && method !== 'PUT' && method !== 'PATCH')) return initialBody as T;
      if (asyncUrl && [200, 201, 202].includes(initial.status)) {
        await this.pollStatus(asyncUrl, opts, retryAfter(initial));
        if (method === 'PUT' || method === 'PATCH') return this.get<T>(path, opts.apiVersion);
        if (method === 'DELETE') return undefined;
        if (location) return this.finalFromLocation<T>(location, opts);
        return undefined;
      }
      if (location && initial.status === 202) return await this.finalFromLocation<T>(location, opts, retryAfter(initial));
      if ((method === 'PUT' || method === 'PATCH') && initialBody && typeof initialBody === 'object') {
        const state = String(initialBody.properties?.provisioningState ?? initialBody.provisioningState ?? 'Succeeded').toLowerCase();
        if (!TERMINAL.has(state)) return await this.pollResource<T>(path, opts, retryAfter(initial));
      }
      return initialBody as T;
    } finally {
      opts.progress?.done();
    }
  }

  private async pollStatus(url: string, opts: LroOptions, firstDelay: number): Promise<void> {
    let delay = firstDelay;
    for (;;) {
      await sleep(Math.max(delay, 20));
      const res = await this.call('GET', url, { apiVersion: opts.apiVersion });
      const body = res.json<{ status?: string; percentComplete?: number; error?: { code: string; message: string } }>() ?? {};
      const status = String(body.status ?? 'InProgress');
      opts.progress?.update(status, body.percentComplete);
      const s = status.toLowerCase();
      if (s === 'succeeded') return;
      if (TERMINAL.has(s)) {
        throw new ServiceError(400, body.error ?? { code: status, message: `The operation ${s}.` }, `The long-running operation ended as ${status}`);
      }
      delay = retryAfter(res);
    }
  }

  private async finalFromLocation<T>(url: string, opts: LroOptions, firstDelay = 0): Promise<T | undefined> {
    let delay = firstDelay;
    for (;;) {
      if (delay > 0) await sleep(delay);
      const res = await this.call('GET', url, { apiVersion: opts.apiVersion });
      if (res.status !== 202) return res.status === 204 ? undefined : (res.json<T>() as T);
      opts.progress?.update('InProgress');
      delay = Math.max(retryAfter(res), 20);
    }
  }

  private async pollResource<T>(path: string, opts: LroOptions, firstDelay: number): Promise<T> {
    let delay = firstDelay;
    for (;;) {
      await sleep(Math.max(delay, 20));
      const res = await this.call('GET', path, { apiVersion: opts.apiVersion });
      const body = res.json<any>();
      const state = String(body?.properties?.provisioningState ?? body?.provisioningState ?? 'Succeeded');
      opts.progress?.update(state);
      if (state.toLowerCase() === 'succeeded') return body as T;
      if (TERMINAL.has(state.toLowerCase())) throw new AzCliError(`The resource ended in provisioning state ${state}.`);
      delay = retryAfter(res);
    }
  }
}

/**
 * How long to wait before polling again, in ms: the finer `retry-after-ms` / `x-ms-retry-after-ms` first, then
 * `Retry-After` in seconds (the order of the Azure SDK for JavaScript's pipeline); 1 s when none is given.
 */
export function retryAfter(res: Pick<HttpResponse, 'header'>): number {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const ms = Number(res.header(name) ?? NaN);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  }
  const s = Number(res.header('retry-after') ?? NaN);
  return Number.isFinite(s) && s >= 0 ? s * 1000 : 1000;
}
