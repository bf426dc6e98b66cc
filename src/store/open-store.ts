/**
 * `--store` specifications:
 *   sqlite                                   → SQLite at <dataDir>/store.db (the default)
 *   sqlite:/abs/path.db                      → SQLite at that file
 *   etcd://host:port[,host:port...][/prefix] → etcd v3 cluster (all members, for failover); every key is stored
 *                                              under "/prefix", so several emulators can share one etcd
 */
import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
// The etcd backend (and its gRPC stack) is loaded only when an etcd store is asked for: it costs ~120 ms of
// start-up that the embedded default does not need.
import type { EtcdStoreOptions } from './etcd-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

export type StoreSpec =
  | { kind: 'sqlite'; path: string }
  | { kind: 'etcd'; endpoints: string[]; prefix: string };

const USAGE = "expected 'sqlite', 'sqlite:/absolute/path.db' or 'etcd://host:port[,host:port...][/key-prefix]'";

function invalid(spec: string, why: string): Error {
  return new Error(`invalid store ${JSON.stringify(spec)}: ${why}; ${USAGE}`);
}

function parseEndpoint(spec: string, endpoint: string): string {
  // host:port, or [v6-address]:port
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(endpoint);
  if (!m) throw invalid(spec, `endpoint ${JSON.stringify(endpoint)} is not host:port`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw invalid(spec, `port ${port} is out of range`);
  return endpoint;
}

export function parseStoreSpec(spec: string, dataDir: string): StoreSpec {
  const s = spec.trim();
  if (s === 'sqlite') return { kind: 'sqlite', path: join(dataDir, 'store.db') };
  if (s.startsWith('sqlite:')) {
    const path = s.slice('sqlite:'.length);
    if (path === '') throw invalid(spec, 'no file given after sqlite:');
    if (!isAbsolute(path)) throw invalid(spec, `the database path ${JSON.stringify(path)} must be absolute`);
    return { kind: 'sqlite', path };
  }
  if (s.startsWith('etcd://')) {
    const rest = s.slice('etcd://'.length);
    const slash = rest.indexOf('/');
    const hosts = slash < 0 ? rest : rest.slice(0, slash);
    let prefix = slash < 0 ? '' : rest.slice(slash);
    prefix = prefix.replace(/\/+$/, ''); // "etcd://h:p/" and "etcd://h:p/a/" mean no prefix and "/a"
    if (hosts === '') throw invalid(spec, 'no etcd endpoint given');
    const endpoints = hosts.split(',').map((e) => parseEndpoint(spec, e.trim()));
    return { kind: 'etcd', endpoints, prefix };
  }
  throw invalid(spec, 'unknown kind of store');
}

/** What `openStore(spec, dataDir)` would open, in the form of the store's `description` ("sqlite:/path", "etcd://..."). */
export function describeStoreSpec(spec: string, dataDir: string): string {
  const parsed = parseStoreSpec(spec, dataDir);
  return parsed.kind === 'sqlite' ? `sqlite:${parsed.path}` : `etcd://${parsed.endpoints.join(',')}${parsed.prefix}`;
}

/**
 * Opens the store a `--store` value names. An etcd store is checked to answer (a linearizable read) before it is
 * returned, so an unreachable cluster fails here with StoreUnavailableError instead of at the first request.
 */
export async function openStore(spec: string, dataDir: string, options: { etcd?: EtcdStoreOptions } = {}): Promise<Store> {
  const parsed = parseStoreSpec(spec, dataDir);
  if (parsed.kind === 'sqlite') {
    mkdirSync(dirname(parsed.path), { recursive: true });
    return new SqliteStore(parsed.path);
  }
  const { EtcdStore } = await import('./etcd-store.js');
  const store = new EtcdStore(parsed.endpoints, parsed.prefix, options.etcd);
  try {
    await store.revision();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
