/**
 * Which principal the CLI acts as. By default the instance's default service principal, whose secret is derived
 * from the master key (never stored). `aksemu login --service-principal -u APP -p SECRET --tenant T` switches to
 * another principal: its secret is kept in <data-dir>/cli/profile.json sealed with the master key (AES-256-GCM,
 * purpose-bound), never in clear; `aksemu logout` returns to the default principal.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { paths, writeFileAtomic } from '../../../config/data-dir.js';
import { defaultPrincipalSecret } from '../../../identity/directory.js';
import { Sealer } from '../../../secrets/sealer.js';
import type { Instance } from './instance.js';

const SEAL_PURPOSE = 'aksemu/cli/profile/client-secret';

export interface Credentials {
  tenantId: string;
  clientId: string;
  secret: string;
  subscriptionId: string;
  /** 'default' when acting as the instance's default principal, 'login' after `aksemu login`. */
  source: 'default' | 'login';
}

interface StoredProfile {
  tenantId: string;
  clientId: string;
  /** base64 of the sealed client secret. */
  sealedSecret: string;
  subscriptionId: string;
  loggedInAt: string;
}

export function profilePath(dataDir: string): string {
  return join(dataDir, 'cli', 'profile.json');
}

function sealer(instance: Instance): Sealer {
  return new Sealer(readFileSync(paths.masterKey(instance.dataDir)));
}

export function loadCredentials(instance: Instance): Credentials {
  const file = profilePath(instance.dataDir);
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as StoredProfile;
    const secret = sealer(instance).unseal(Buffer.from(stored.sealedSecret, 'base64'), `${SEAL_PURPOSE}/${stored.clientId.toLowerCase()}`).toString('utf8');
    return { tenantId: stored.tenantId, clientId: stored.clientId, secret, subscriptionId: stored.subscriptionId, source: 'login' };
  }
  const appId = instance.info.defaultPrincipal.appId;
  return {
    tenantId: instance.info.tenantId,
    clientId: appId,
    secret: defaultPrincipalSecret(sealer(instance), appId),
    subscriptionId: instance.info.subscriptionId,
    source: 'default',
  };
}

export function saveLogin(instance: Instance, login: Omit<Credentials, 'source'>): void {
  const dir = join(instance.dataDir, 'cli');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const sealed = sealer(instance).seal(Buffer.from(login.secret, 'utf8'), `${SEAL_PURPOSE}/${login.clientId.toLowerCase()}`);
  const stored: StoredProfile = {
    tenantId: login.tenantId,
    clientId: login.clientId,
    sealedSecret: sealed.toString('base64'),
    subscriptionId: login.subscriptionId,
    loggedInAt: new Date().toISOString(),
  };
  writeFileAtomic(profilePath(instance.dataDir), `${JSON.stringify(stored, null, 2)}\n`, 0o600);
}

export function clearLogin(instance: Instance): void {
  rmSync(profilePath(instance.dataDir), { force: true });
}
