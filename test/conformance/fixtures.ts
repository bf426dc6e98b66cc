/**
 * What the harness creates before an example's request, as a user would through ARM: resource groups, and
 * resources built from the writable part of the example's own answer (so that what Azure showed is what was set).
 */
import type { TestResponse } from '../../testkit/http.js';
import { call, POLL_MS } from './client.js';
import type { Located, Swaggers } from './swagger.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ArmSetup {
  constructor(
    readonly url: string,
    readonly token: string,
    readonly subscriptionId: string,
  ) {}

  call(method: string, path: string, apiVersion: string, body?: unknown): Promise<TestResponse> {
    return call(`${this.url}${path}${path.includes('?') ? '&' : '?'}api-version=${apiVersion}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }

  /** A request that must succeed, its long-running operation followed to the end; returns the resource after it. */
  async ensure(method: string, path: string, apiVersion: string, body?: unknown): Promise<any> {
    const r = await this.call(method, path, apiVersion, body);
    if (r.status >= 300) throw new Error(`setup ${method} ${path} answered ${r.status}: ${r.text.slice(0, 500)}`);
    const status = r.headers['azure-asyncoperation'] as string | undefined;
    if (status) {
      for (let i = 0; ; i++) {
        const s = await call(status, { headers: { authorization: `Bearer ${this.token}` } });
        const st = s.json<{ status: string; error?: unknown }>();
        if (st.status === 'Succeeded') break;
        if (st.status !== 'InProgress') throw new Error(`setup ${method} ${path} ended ${st.status}: ${JSON.stringify(st.error)}`);
        if (i > 3000) throw new Error(`setup ${method} ${path} did not end`);
        await sleep(POLL_MS);
      }
    }
    if (method === 'DELETE' || method === 'POST') return r.text ? r.json() : undefined;
    const got = await this.call('GET', path, apiVersion);
    return got.text ? got.json() : undefined;
  }

  group(name: string, location = 'eastus'): Promise<unknown> {
    return this.ensure('PUT', `/subscriptions/${this.subscriptionId}/resourcegroups/${name}`, '2021-04-01', { location });
  }

  identity(group: string, name: string, location = 'eastus'): Promise<any> {
    return this.ensure('PUT', `/subscriptions/${this.subscriptionId}/resourceGroups/${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`, '2023-01-31', { location });
  }
}

/** The object id of a token's principal. */
export function objectIdOf(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).oid as string;
}

/**
 * The part of a resource a client may write: the example's body without what the swagger marks read-only (and
 * without the envelope's id, name, type and systemData).
 */
export function writable(body: unknown, schema: Located | undefined, swaggers: Swaggers): any {
  if (Array.isArray(body)) {
    const items = schema ? swaggers.view(schema).items : undefined;
    return body.map((x) => writable(x, items, swaggers));
  }
  if (!body || typeof body !== 'object') return body;
  const view = schema ? swaggers.view(schema) : undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    const child = view?.properties.get(k) ?? (typeof view?.additionalProperties === 'object' ? view.additionalProperties : undefined);
    if (child && swaggers.view(child).readOnly) continue;
    if (!view && ['id', 'type', 'systemData', 'etag', 'eTag'].includes(k)) continue;
    out[k] = writable(v, child, swaggers);
  }
  return out;
}

/** Every user-assigned identity a value names (resource ids anywhere in it, map keys included). */
export function identitiesNamed(value: unknown): Array<{ group: string; name: string }> {
  const found = new Map<string, { group: string; name: string }>();
  const visit = (v: unknown) => {
    if (typeof v === 'string') {
      const m = /\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/([^/?]+)$/i.exec(v);
      if (m) found.set(`${m[1]!.toLowerCase()}/${m[2]!.toLowerCase()}`, { group: m[1]!, name: m[2]! });
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        visit(k);
        visit(x);
      }
    }
  };
  visit(value);
  return [...found.values()];
}
