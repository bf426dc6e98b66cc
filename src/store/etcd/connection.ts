/** The etcd3 client of an EtcdStore: which members it talks to, and with what per-call deadline and keepalive. */
import { circuitBreaker, ConsecutiveBreaker, handleWhen } from 'cockatiel';
import { Etcd3, isRecoverableError, type IOptions } from 'etcd3';

/** Normalises "host:port" or "http://host:port" to "host:port" (as shown in descriptions). */
export function hostPort(endpoint: string): string {
  return endpoint.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

/**
 * A client over every member in `endpoints` ("host:port"). etcd3's global retry policy is turned off: calls go
 * through as they are, and retries are decided by ./calls.ts (re-sending a write is not always safe). Each member keeps
 * etcd3's circuit breaker (three failures in a row skip the member), but it half-opens after one second instead of
 * five, so the first calls after an outage reach a member that is back promptly (SPEC R-1).
 */
export function connect(endpoints: string[], callTimeoutMs: number): Etcd3 {
  const noRetry = { execute: <T>(fn: (ctx: unknown) => T) => fn({ signal: new AbortController().signal, attempt: 1 }) };
  const opts: IOptions = {
    hosts: endpoints.map((e) => `http://${e}`),
    faultHandling: {
      global: noRetry as unknown as NonNullable<IOptions['faultHandling']>['global'],
      host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 1_000, breaker: new ConsecutiveBreaker(3) }),
    },
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    grpcOptions: { 'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 5_000 },
  };
  return new Etcd3(opts);
}

/**
 * One client per member, without retries or circuit breaker, for what must ask each member itself: the health probes
 * (./health.ts) and defragmentation, which etcd does per member.
 */
export function connectEachMember(endpoints: string[]): Etcd3[] {
  const noRetry = { execute: <T>(fn: (ctx: unknown) => T) => fn({ signal: new AbortController().signal, attempt: 1 }) };
  return endpoints.map(
    (endpoint) =>
      new Etcd3({
        hosts: [`http://${endpoint}`],
        faultHandling: {
          global: noRetry as unknown as NonNullable<IOptions['faultHandling']>['global'],
          host: () => noRetry as unknown as ReturnType<NonNullable<NonNullable<IOptions['faultHandling']>['host']>>,
        },
      }),
  );
}
