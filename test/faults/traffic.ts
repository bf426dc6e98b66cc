/**
 * What the fault tests share: HTTPS calls with a client deadline (a hang is an outcome to count, not a test that
 * never ends), a tally of every answer by service, and the one line of figures each test prints for
 * docs/reliability.md (`FAULT-FIGURES {...}`).
 */
import { Agent, request } from 'node:https';
import { testCa } from '../../testkit/http.js';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = any>(): T;
}

/** How a call ended without an answer: the client deadline passed, or the connection failed. */
export class NoAnswer extends Error {
  constructor(
    readonly kind: 'deadline' | 'transport',
    message: string,
  ) {
    super(message);
  }
}

/** One keep-alive agent per test trusting the test CA, so a few writers do not open a TLS session per call. */
export function keepAliveAgent(maxSockets = 16): Agent {
  return new Agent({ keepAlive: true, maxSockets, ca: testCa() });
}

export interface CallInit {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  agent: Agent;
  /** The client deadline for the whole exchange. */
  timeoutMs: number;
}

/** One HTTPS exchange; throws NoAnswer when the deadline passes first or the connection fails. */
export function call(url: string, init: CallInit): Promise<Answer> {
  const u = new URL(url);
  const payload = init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        method: init.method ?? 'GET',
        hostname: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        agent: init.agent,
        headers: {
          ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}),
          ...init.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
        res.on('error', (err) => {
          clearTimeout(timer);
          reject(new NoAnswer('transport', err.message));
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      reject(new NoAnswer('deadline', `${init.method ?? 'GET'} ${u.pathname}: no answer within ${init.timeoutMs} ms`));
    }, init.timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err instanceof NoAnswer ? err : new NoAnswer('transport', err.message));
    });
    req.end(payload);
  });
}

export type Service = 'arm' | 'kube' | 'keyvault';

/** A Kubernetes Status saying 503 ServiceUnavailable (the body of an answer, or the object of a watch's ERROR event). */
export function isUnavailableStatus(body: any): boolean {
  return body?.kind === 'Status' && body.apiVersion === 'v1' && body.code === 503 && body.status === 'Failure' && body.reason === 'ServiceUnavailable';
}

/**
 * Is this 503 in the service's own format, with Retry-After? ARM: `{"error":{"code":"ServiceUnavailable"}}`;
 * Kubernetes: a Status with code 503; Key Vault: `{"error":{"code","message"}}`.
 */
export function isOwn503(service: Service, a: Answer): boolean {
  if (a.status !== 503 || !(Number(a.headers['retry-after']) > 0)) return false;
  let body: any;
  try {
    body = a.json();
  } catch {
    return false;
  }
  if (service === 'kube') return isUnavailableStatus(body);
  const code = body?.error?.code;
  if (typeof body?.error?.message !== 'string') return false;
  return service === 'arm' ? code === 'ServiceUnavailable' : typeof code === 'string' && code.length > 0;
}

export interface Tally {
  acknowledged: number;
  /** 503s in the service's own format. */
  unavailable: number;
  /** Answers that were neither a success nor the service's own 503 (status and a bit of the body). */
  unexpected: string[];
  deadlines: number;
  transport: number;
}

export const newTally = (): Tally => ({ acknowledged: 0, unavailable: 0, unexpected: [], deadlines: 0, transport: 0 });

/** Counts one outcome; returns the answer when it was a success (2xx), undefined otherwise. */
export function count(t: Tally, service: Service, what: string, outcome: Answer | NoAnswer): Answer | undefined {
  if (outcome instanceof NoAnswer) {
    if (outcome.kind === 'deadline') t.deadlines++;
    else t.transport++;
    return undefined;
  }
  if (outcome.status >= 200 && outcome.status < 300) {
    t.acknowledged++;
    return outcome;
  }
  if (isOwn503(service, outcome)) t.unavailable++;
  else t.unexpected.push(`${service} ${what}: ${outcome.status} ${outcome.text.slice(0, 300)}`);
  return undefined;
}

/** Runs `fn`, turning a NoAnswer into a value and rethrowing anything else (a bug in the test). */
export async function outcomeOf(fn: () => Promise<Answer>): Promise<Answer | NoAnswer> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof NoAnswer) return err;
    throw err;
  }
}

/** The figures line the lead copies into docs/reliability.md. */
export function printFigures(test: string, figures: Record<string, unknown>): void {
  console.log(`FAULT-FIGURES ${JSON.stringify({ test, ...figures })}`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
