/**
 * Sending an example's request to aksemu as Azure's clients would (plain HTTPS, a bearer token), following a
 * long-running operation to its end, and judging the answer against the example (compare.ts).
 */
import type { TestResponse } from '../../testkit/http.js';
import { call, POLL_MS } from './client.js';
import { Comparison, type Divergence } from './compare.js';
import type { ExampleCase } from './corpus.js';
import { EXAMPLE_DEFECTS, SWAGGER_GAPS } from './example-defects.js';
import type { Swaggers } from './swagger.js';

export interface Target {
  /** Where the path template is appended: the instance's ARM address, or a vault's data-plane address. */
  base: string;
  token: string;
}

export interface Request {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

const encode = (v: unknown, raw: boolean) => (raw ? String(v).replace(/^\/+/, '') : encodeURIComponent(String(v)));

/** The example's request (its parameters already substituted) against a target. */
export function buildRequest(c: ExampleCase, params: Record<string, any>, target: Target): Request {
  let path = c.pathTemplate.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`the example has no value for path parameter ${name}`);
    return encode(value, /\//.test(String(value)));
  });
  path = path.replace(/\/{2,}/g, '/');
  const query = new URLSearchParams();
  const headers: Record<string, string> = { authorization: `Bearer ${target.token}` };
  let body: unknown;
  for (const p of c.parameters) {
    const value = params[p.name];
    if (value === undefined) continue;
    if (p.in === 'query') query.set(p.name, String(value));
    else if (p.in === 'header') headers[p.name] = String(value);
    else if (p.in === 'body') body = value;
  }
  if (!query.has('api-version') && params['api-version']) query.set('api-version', String(params['api-version']));
  if (body !== undefined) headers['content-type'] = 'application/json';
  return { method: c.method, url: `${target.base.replace(/\/+$/, '')}${path}?${query.toString()}`, headers, ...(body !== undefined ? { body } : {}) };
}

export function send(req: Request): Promise<TestResponse> {
  return call(req.url, { method: req.method, headers: req.headers, ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}) });
}

const header = (r: TestResponse, name: string) => {
  const v = r.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls an operation's status URL until it ends; returns its final status body. */
async function pollStatus(url: string, token: string): Promise<{ status: string; error?: { code: string; message: string } }> {
  for (let i = 0; i < 3000; i++) {
    const r = await call(url, { headers: { authorization: `Bearer ${token}` } });
    if (r.status !== 200) throw new Error(`the operation status URL answered ${r.status}: ${r.text.slice(0, 300)}`);
    const body = r.json<{ status: string; error?: { code: string; message: string } }>();
    if (!['InProgress', 'Accepted', 'Running', 'Creating', 'Updating', 'Deleting'].includes(body.status)) return body;
    await sleep(POLL_MS);
  }
  throw new Error(`the operation at ${url} did not end`);
}

/** Polls an operation's Location URL until it stops answering 202; returns the final answer. */
async function pollLocation(url: string, token: string): Promise<TestResponse> {
  for (let i = 0; i < 3000; i++) {
    const r = await call(url, { headers: { authorization: `Bearer ${token}` } });
    if (r.status !== 202) return r;
    await sleep(POLL_MS);
  }
  throw new Error(`the operation at ${url} did not end`);
}

export interface Outcome {
  first: TestResponse;
  /** The answer the example's final body is compared with (the first one, or the resource after an LRO). */
  final?: { status: number; body: unknown };
  /** Why an LRO did not succeed. */
  failure?: string;
}

/** Sends the request and follows a long-running operation to the final resource where that is the answer. */
export async function replay(c: ExampleCase, req: Request, token: string): Promise<Outcome> {
  const first = await send(req);
  const body = () => (first.text ? first.json() : undefined);
  const asyncUrl = header(first, 'azure-asyncoperation');
  const location = header(first, 'location');
  const started = first.status === 201 || first.status === 202 || (first.status === 200 && !!asyncUrl);
  if (!c.longRunning || !started || (!asyncUrl && !location)) {
    return { first, ...(first.status < 300 ? { final: { status: first.status, body: body() } } : {}) };
  }
  if (asyncUrl) {
    const end = await pollStatus(asyncUrl, token);
    if (end.status !== 'Succeeded') return { first, failure: `the operation ended ${end.status}: ${JSON.stringify(end.error ?? {})}` };
  }
  if (req.method === 'PUT' || req.method === 'PATCH') {
    const r = await send({ method: 'GET', url: req.url, headers: { authorization: req.headers.authorization! } });
    return { first, final: { status: r.status, body: r.text ? r.json() : undefined } };
  }
  if (location && req.method === 'POST') {
    const r = await pollLocation(location, token);
    if (r.status >= 300) return { first, failure: `the operation result answered ${r.status}: ${r.text.slice(0, 300)}` };
    return { first, final: { status: r.status, body: r.text ? r.json() : undefined } };
  }
  return { first };
}

/** The response codes an answer may have: the example's, and for an LRO any of 200/201/202 it lists one of. */
export function acceptable(c: ExampleCase): Set<number> {
  const codes = new Set(Object.keys(c.example.responses).map(Number));
  if (c.longRunning && [200, 201, 202].some((s) => codes.has(s))) for (const s of [200, 201, 202]) codes.add(s);
  return codes;
}

/** Everything that differs between aksemu's answer and Azure's example. */
export function judge(c: ExampleCase, example: ExampleCase['example'], outcome: Outcome, request: Request, swaggers: Swaggers, paged = false): Divergence[] {
  const out: Divergence[] = [];
  const status = outcome.first.status;
  if (!acceptable(c).has(status)) {
    out.push({ path: 'status', problem: `${status}, Azure answers ${Object.keys(example.responses).join('/')}: ${outcome.first.text.slice(0, 400)}` });
    return out;
  }
  if (outcome.failure) return [{ path: 'operation', problem: outcome.failure }];
  const final = outcome.final;
  if (!final) return out;
  const code = String(final.status);
  const expected =
    c.longRunning && (request.method === 'PUT' || request.method === 'PATCH')
      ? (example.responses['200'] ?? example.responses['201'])
      : (example.responses[code] ?? (c.longRunning ? example.responses['200'] : undefined));
  if (final.status >= 300) return [{ path: 'status', problem: `the final answer is ${final.status}: ${JSON.stringify(final.body).slice(0, 300)}` }];
  const schema = c.responses.get(code) ?? c.responses.get('200') ?? c.responses.get('201');
  const cmp = new Comparison(swaggers);
  if (expected?.body !== undefined) cmp.example(expected.body, final.body, schema, request.body);
  cmp.schema(final.body, schema);
  const defects = EXAMPLE_DEFECTS[c.file] ?? {};
  // A next page exists only where there are more items than a page holds: Azure's examples show one always, the
  // harness makes one only where it created more items than the example's page size.
  const nextLinkOptional = (d: Divergence) => !paged && d.path === 'nextLink' && d.problem.startsWith('missing');
  const gap = (d: Divergence) => d.problem.startsWith('is not in the swagger') && SWAGGER_GAPS.some((g) => g.service === c.service && g.path.test(d.path));
  return [...out, ...cmp.divergences.filter((d) => !(d.path in defects) && !nextLinkOptional(d) && !gap(d))];
}

/** An out-of-scope example: aksemu must refuse it with a 4xx in the service's error format, never a 500 or a 2xx. */
export function judgeRefusal(outcome: TestResponse): Divergence[] {
  if (outcome.status < 400 || outcome.status >= 500) {
    return [{ path: 'status', problem: `${outcome.status} for a feature aksemu does not emulate (want a 4xx): ${outcome.text.slice(0, 300)}` }];
  }
  let body: any;
  try {
    body = outcome.json();
  } catch {
    return [{ path: 'body', problem: `not a JSON error body: ${outcome.text.slice(0, 200)}` }];
  }
  if (typeof body?.error?.code !== 'string' || typeof body?.error?.message !== 'string') {
    return [{ path: 'body', problem: `not an error body {"error":{"code","message"}}: ${outcome.text.slice(0, 200)}` }];
  }
  return [];
}
