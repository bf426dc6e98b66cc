/** The etcd3 client of an EtcdStore: which members it talks to, and with what per-call deadline and keepalive. */
import { Etcd3, type IOptions } from 'etcd3';

/** Normalises "host:port" or "http://host:port" to "host:port" (as shown in descriptions). */
export function hostPort(endpoint: string): string {
  return endpoint.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

/**
 * A client over every member in `endpoints` ("host:port"). etcd3's global retry policy is turned off: calls go
 * through as they are, and retries are decided by ./calls.ts (re-sending a write is not always safe).
 */
export function connect(endpoints: string[], callTimeoutMs: number): Etcd3 {
  const noRetry = { execute: <T>(fn: (ctx: unknown) => T) => fn({ signal: new AbortController().signal, attempt: 1 }) };
  const opts: IOptions = {
    hosts: endpoints.map((e) => `http://${e}`),
    faultHandling: { global: noRetry as unknown as NonNullable<IOptions['faultHandling']>['global'] },
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    grpcOptions: { 'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 5_000 },
  };
  return new Etcd3(opts);
}
