/**
 * Who the CLI acts as. By default the instance's default *user* (`aksemu-admin@<domain>`), as a person at a
 * terminal signs in with az: its password is derived from the master key (never stored) and tokens come from the
 * password grant with az's public client id. `aksemu login -u USER -p PASSWORD` signs in as another user and
 * `aksemu login --service-principal -u APP -p SECRET --tenant T` as a service principal (client credentials): the
 * password or secret is kept in <data-dir>/cli/profile.json sealed with the master key (AES-256-GCM, purpose-bound),
 * never in clear; `aksemu logout` returns to the default user.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { paths, writeFileAtomic } from '../../../config/data-dir.js';
import { defaultPrincipalSecret, defaultUserPassword } from '../../../secrets/default-credentials.js';
import { Sealer } from '../../../secrets/sealer.js';
import type { Instance } from './instance.js';

const SEAL_PURPOSE = 'aksemu/cli/profile/client-secret';
const PASSWORD_SEAL_PURPOSE = 'aksemu/cli/profile/password';

/** How the CLI signs in: a user with its password, or a service principal with its client secret. */
export type SignIn = { tenantId: string } & ({ kind: 'user'; username: string; password: string } | { kind: 'servicePrincipal'; clientId: string; secret: string });

export type Credentials = SignIn & {
  subscriptionId: string;
  /** 'default' when acting as the instance's default user, 'login' after `aksemu login`. */
  source: 'default' | 'login';
};

interface StoredProfile {
  /** Absent in profiles written before users could sign in: those are service principals. */
  kind?: 'user' | 'servicePrincipal';
  tenantId: string;
  clientId?: string;
  username?: string;
  /** base64 of the sealed client secret or password. */
  sealedSecret: string;
  subscriptionId: string;
  loggedInAt: string;
}

/** The name az shows for the signed-in account (`user.name`): a user's sign-in name or an application's id. */
export function accountName(s: SignIn): string {
  return s.kind === 'user' ? s.username : s.clientId;
}

/** az's account `user` entry. */
export function accountUser(s: SignIn): { name: string; type: 'user' | 'servicePrincipal' } {
  return { name: accountName(s), type: s.kind };
}

export function profilePath(dataDir: string): string {
  return join(dataDir, 'cli', 'profile.json');
}

function sealer(instance: Instance): Sealer {
  return new Sealer(readFileSync(paths.masterKey(instance.dataDir)));
}

const purposeOf = (kind: 'user' | 'servicePrincipal', name: string) => `${kind === 'user' ? PASSWORD_SEAL_PURPOSE : SEAL_PURPOSE}/${name.toLowerCase()}`;

export function loadCredentials(instance: Instance): Credentials {
  const file = profilePath(instance.dataDir);
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as StoredProfile;
    const kind = stored.kind ?? 'servicePrincipal';
    const name = (kind === 'user' ? stored.username : stored.clientId) ?? '';
    const secret = sealer(instance).unseal(Buffer.from(stored.sealedSecret, 'base64'), purposeOf(kind, name)).toString('utf8');
    const common = { tenantId: stored.tenantId, subscriptionId: stored.subscriptionId, source: 'login' as const };
    return kind === 'user' ? { ...common, kind, username: name, password: secret } : { ...common, kind, clientId: name, secret };
  }
  const common = { tenantId: instance.info.tenantId, subscriptionId: instance.info.subscriptionId, source: 'default' as const };
  const user = instance.info.defaultUser;
  if (user) return { ...common, kind: 'user', username: user.userPrincipalName, password: defaultUserPassword(sealer(instance), user.objectId) };
  // An instance started by an aksemu before the default user existed (until its next start).
  const appId = instance.info.defaultPrincipal.appId;
  return { ...common, kind: 'servicePrincipal', clientId: appId, secret: defaultPrincipalSecret(sealer(instance), appId) };
}

export function saveLogin(instance: Instance, login: SignIn & { subscriptionId: string }): void {
  const dir = join(instance.dataDir, 'cli');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const name = accountName(login);
  const secret = login.kind === 'user' ? login.password : login.secret;
  const sealed = sealer(instance).seal(Buffer.from(secret, 'utf8'), purposeOf(login.kind, name));
  const stored: StoredProfile = {
    kind: login.kind,
    tenantId: login.tenantId,
    ...(login.kind === 'user' ? { username: name } : { clientId: name }),
    sealedSecret: sealed.toString('base64'),
    subscriptionId: login.subscriptionId,
    loggedInAt: new Date().toISOString(),
  };
  writeFileAtomic(profilePath(instance.dataDir), `${JSON.stringify(stored, null, 2)}\n`, 0o600);
}

export function clearLogin(instance: Instance): void {
  rmSync(profilePath(instance.dataDir), { force: true });
}
