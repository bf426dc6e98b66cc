/**
 * The data directory: everything an instance keeps on disk besides the store.
 *
 *   <dir>/master.key          32 random bytes that seal every private key and secret at rest (mode 0600)
 *   <dir>/ca/ca.pem           the local CA certificate clients are told to trust
 *   <dir>/ca/ca-key.sealed    its private key, sealed with the master key (mode 0600)
 *   <dir>/store.db            the SQLite store (default backend)
 *   <dir>/instance.json       what `start` publishes for the client commands: URL, store, tenant, subscription
 *   <dir>/store-state.json    which stores hold state sealed with this directory's master key (checked at start)
 *   <dir>/azure/              an isolated AZURE_CONFIG_DIR for the real az CLI
 *
 * The directory itself is mode 0700: only its owner can read anything in it.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function defaultDataDir(): string {
  if (process.env.AKSEMU_DATA_DIR) return resolve(process.env.AKSEMU_DATA_DIR);
  const base = process.env.XDG_DATA_HOME ? resolve(process.env.XDG_DATA_HOME) : join(homedir(), '.local', 'share');
  return join(base, 'aksemu');
}

/** `--data-dir` if given, else AKSEMU_DATA_DIR, else the per-user default. */
export function resolveDataDir(flag: string | undefined): string {
  return flag ? resolve(flag) : defaultDataDir();
}

export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Writes a file atomically (temp file + rename) with the given mode. */
export function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

export const paths = {
  masterKey: (dir: string) => join(dir, 'master.key'),
  caCert: (dir: string) => join(dir, 'ca', 'ca.pem'),
  caKey: (dir: string) => join(dir, 'ca', 'ca-key.sealed'),
  instance: (dir: string) => join(dir, 'instance.json'),
  storeState: (dir: string) => join(dir, 'store-state.json'),
  lock: (dir: string) => join(dir, 'instance.lock'),
  azureConfig: (dir: string) => join(dir, 'azure'),
  sqlite: (dir: string) => join(dir, 'store.db'),
};

/** What `aksemu start` publishes for the client commands (no secrets: they are derived from the master key). */
export interface InstanceInfo {
  url: string;
  host: string;
  port: number;
  pid: number;
  store: string;
  speed: string;
  startedAt: string;
  tenantId: string;
  subscriptionId: string;
  defaultPrincipal: { appId: string; objectId: string; displayName: string };
  /** The default user (a person's account: `az login -u`); its password is derived from the master key. */
  defaultUser: { objectId: string; userPrincipalName: string; displayName: string };
}

export function writeInstanceInfo(dir: string, info: InstanceInfo): void {
  writeFileAtomic(paths.instance(dir), `${JSON.stringify(info, null, 2)}\n`, 0o600);
}

export function readInstanceInfo(dir: string): InstanceInfo | undefined {
  const file = paths.instance(dir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as InstanceInfo;
}
