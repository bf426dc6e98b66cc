/**
 * The emulated Microsoft Entra ID directory: one tenant, its principals and its users (SPEC I-3).
 *
 * A principal is an application identity the token endpoint issues app-only tokens for (client credentials):
 * service principals (the default one created on first start, the one `aksemu env` hands to the SDKs), and the
 * user-assigned managed identities that the Key Vault issue registers. A user is a person's account that signs in
 * with a delegated flow (username and password: `az login -u`); the default user `aksemu-admin@<default domain>`
 * is created on first start too (`aksemu env`: AKSEMU_USER, AKSEMU_PASSWORD).
 *
 * Client secrets and passwords are never stored: only their SHA-256. The default principal's secret and the
 * default user's password are derived from the master key (256-bit values, so a plain hash is enough), which is
 * how `aksemu env` can print them without them being stored anywhere. aksemu has no way to set a user-chosen
 * password, so no slow password hash is needed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { defaultPrincipalSecret, defaultUserPassword } from '../secrets/default-credentials.js';
import type { Sealer } from '../secrets/sealer.js';
import { getJson, listJson, putJson, updateJson } from '../store/json.js';
import { ContentionError, type Store } from '../store/store.js';
import { newGuid } from '../util/ids.js';
import type { Clock } from '../runtime/clock.js';

export type PrincipalType = 'ServicePrincipal' | 'ManagedIdentity';

export interface Tenant {
  tenantId: string;
  displayName: string;
  defaultDomain: string;
}

export interface Principal {
  objectId: string;
  /** The application (client) id; for a managed identity, its clientId. */
  appId: string;
  displayName: string;
  type: PrincipalType;
  tenantId: string;
  /** SHA-256 (hex) of each valid client secret. */
  secretHashes: string[];
  /** For a managed identity: its ARM resource id. */
  resourceId?: string;
  createdAt: string;
}

/** A user account of the directory (a member of the tenant, signing in with its password). */
export interface DirectoryUser {
  objectId: string;
  type: 'User';
  /** `name@<verified domain>`, the sign-in name (unique in the tenant, case-insensitive). */
  userPrincipalName: string;
  displayName: string;
  tenantId: string;
  /** SHA-256 (hex) of the user's password. */
  passwordHashes: string[];
  createdAt: string;
}

/** Anything with an object id: an application principal or a user. */
export type DirectoryObject = Principal | DirectoryUser;

const TENANT_KEY = '/identity/tenant';
const DEFAULT_PRINCIPAL_KEY = '/identity/default-principal';
const byApp = (appId: string) => `/identity/principals/by-app/${appId.toLowerCase()}`;
const byObject = (objectId: string) => `/identity/principals/by-object/${objectId.toLowerCase()}`;
const USERS = '/identity/users/by-object/';
const userByObject = (objectId: string) => `${USERS}${objectId.toLowerCase()}`;
const userByUpn = (upn: string) => `/identity/users/by-upn/${upn.toLowerCase()}`;

/** The local part of the default user's sign-in name: `aksemu-admin@<the tenant's default domain>`. */
export const DEFAULT_USER_NAME = 'aksemu-admin';

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export class Directory {
  private cachedTenant: Tenant | undefined;

  constructor(
    private readonly store: Store,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
  ) {}

  /** Creates the tenant, the default principal and the default user on first start; later starts find them. */
  async bootstrap(): Promise<{ tenant: Tenant; defaultPrincipal: Principal; defaultUser: DirectoryUser }> {
    let tenant = (await getJson<Tenant>(this.store, TENANT_KEY))?.value;
    if (!tenant) {
      const tenantId = newGuid();
      tenant = { tenantId, displayName: 'aksemu', defaultDomain: `aksemu${tenantId.slice(0, 8)}.onmicrosoft.com` };
      await putJson(this.store, TENANT_KEY, tenant, { ifModRevision: 0 });
      tenant = (await getJson<Tenant>(this.store, TENANT_KEY))!.value;
    }
    this.cachedTenant = tenant;
    let appId = (await getJson<{ appId: string }>(this.store, DEFAULT_PRINCIPAL_KEY))?.value.appId;
    if (!appId) {
      const principal = await this.createPrincipal({ displayName: 'aksemu-admin', type: 'ServicePrincipal' });
      await this.addSecret(principal.appId, this.defaultPrincipalSecret(principal.appId));
      await putJson(this.store, DEFAULT_PRINCIPAL_KEY, { appId: principal.appId }, { ifModRevision: 0 });
      appId = (await getJson<{ appId: string }>(this.store, DEFAULT_PRINCIPAL_KEY))!.value.appId;
    }
    const defaultPrincipal = await this.getByAppId(appId);
    if (!defaultPrincipal) throw new Error('the default principal record is missing from the store');
    // Found by its sign-in name, so a start that stopped between creating it and setting its password resumes.
    const upn = `${DEFAULT_USER_NAME}@${tenant.defaultDomain}`;
    let defaultUser = await this.getUserByUpn(upn);
    if (!defaultUser) {
      try {
        defaultUser = await this.createUser({ displayName: 'aksemu admin', userPrincipalName: upn });
      } catch (err) {
        defaultUser = await this.getUserByUpn(upn); // another start made it first
        if (!defaultUser) throw err;
      }
    }
    await this.addPassword(defaultUser.objectId, defaultUserPassword(this.sealer, defaultUser.objectId));
    return { tenant, defaultPrincipal, defaultUser: (await this.getUser(defaultUser.objectId))! };
  }

  async tenant(): Promise<Tenant> {
    if (this.cachedTenant) return this.cachedTenant;
    const t = (await getJson<Tenant>(this.store, TENANT_KEY))?.value;
    if (!t) throw new Error('the directory has not been bootstrapped');
    this.cachedTenant = t;
    return t;
  }

  defaultPrincipalSecret(appId: string): string {
    return defaultPrincipalSecret(this.sealer, appId);
  }

  async getByAppId(appId: string): Promise<Principal | undefined> {
    return (await getJson<Principal>(this.store, byApp(appId)))?.value;
  }

  async getByObjectId(objectId: string): Promise<Principal | undefined> {
    const ref = await getJson<{ appId: string }>(this.store, byObject(objectId));
    return ref ? this.getByAppId(ref.value.appId) : undefined;
  }

  async getUser(objectId: string): Promise<DirectoryUser | undefined> {
    return (await getJson<DirectoryUser>(this.store, userByObject(objectId)))?.value;
  }

  async getUserByUpn(userPrincipalName: string): Promise<DirectoryUser | undefined> {
    const ref = await getJson<{ objectId: string }>(this.store, userByUpn(userPrincipalName));
    return ref ? this.getUser(ref.value.objectId) : undefined;
  }

  async listUsers(): Promise<DirectoryUser[]> {
    return (await listJson<DirectoryUser>(this.store, USERS)).map((d) => d.value);
  }

  /** The principal or user with this object id. */
  async getObject(objectId: string): Promise<DirectoryObject | undefined> {
    return (await this.getByObjectId(objectId)) ?? (await this.getUser(objectId));
  }

  /** Registers a user (its record and sign-in name index in one transaction; object ids are unique directory-wide). */
  async createUser(input: { displayName: string; userPrincipalName: string; objectId?: string }): Promise<DirectoryUser> {
    const tenant = await this.tenant();
    const at = input.userPrincipalName.lastIndexOf('@');
    if (at < 1 || input.userPrincipalName.slice(at + 1).toLowerCase() !== tenant.defaultDomain.toLowerCase()) {
      throw new Error(`a user principal name must be name@${tenant.defaultDomain}, not '${input.userPrincipalName}'`);
    }
    const user: DirectoryUser = {
      objectId: input.objectId ?? newGuid(),
      type: 'User',
      userPrincipalName: input.userPrincipalName,
      displayName: input.displayName,
      tenantId: tenant.tenantId,
      passwordHashes: [],
      createdAt: this.clock.iso(),
    };
    const res = await this.store.txn({
      if: [
        { key: userByObject(user.objectId), modRevision: 0 },
        { key: userByUpn(user.userPrincipalName), modRevision: 0 },
        { key: byObject(user.objectId), modRevision: 0 },
      ],
      then: [
        { type: 'put', key: userByObject(user.objectId), value: Buffer.from(JSON.stringify(user)) },
        { type: 'put', key: userByUpn(user.userPrincipalName), value: Buffer.from(JSON.stringify({ objectId: user.objectId })) },
      ],
    });
    if (!res.succeeded) throw new Error(`a user named ${user.userPrincipalName} or an object with id ${user.objectId} exists`);
    return user;
  }

  async addPassword(objectId: string, password: string): Promise<void> {
    const hash = hashSecret(password);
    await updateJson<DirectoryUser>(this.store, userByObject(objectId), (u) => {
      if (!u) throw new Error(`no user with object id ${objectId}`);
      return u.passwordHashes.includes(hash) ? undefined : { ...u, passwordHashes: [...u.passwordHashes, hash] };
    });
  }

  verifyPassword(user: DirectoryUser, password: string): boolean {
    const presented = Buffer.from(hashSecret(password), 'hex');
    return user.passwordHashes.some((h) => timingSafeEqual(Buffer.from(h, 'hex'), presented));
  }

  /** Registers a new principal (both index entries in one transaction). */
  async createPrincipal(input: {
    displayName: string;
    type: PrincipalType;
    appId?: string;
    objectId?: string;
    resourceId?: string;
  }): Promise<Principal> {
    const tenant = await this.tenant();
    const principal: Principal = {
      objectId: input.objectId ?? newGuid(),
      appId: input.appId ?? newGuid(),
      displayName: input.displayName,
      type: input.type,
      tenantId: tenant.tenantId,
      secretHashes: [],
      ...(input.resourceId ? { resourceId: input.resourceId } : {}),
      createdAt: this.clock.iso(),
    };
    const res = await this.store.txn({
      if: [
        { key: byApp(principal.appId), modRevision: 0 },
        { key: byObject(principal.objectId), modRevision: 0 },
        { key: userByObject(principal.objectId), modRevision: 0 },
      ],
      then: [
        { type: 'put', key: byApp(principal.appId), value: Buffer.from(JSON.stringify(principal)) },
        { type: 'put', key: byObject(principal.objectId), value: Buffer.from(JSON.stringify({ appId: principal.appId })) },
      ],
    });
    if (!res.succeeded) throw new Error(`a principal with appId ${principal.appId} or objectId ${principal.objectId} exists`);
    return principal;
  }

  async deletePrincipal(appId: string): Promise<void> {
    const p = await this.getByAppId(appId);
    if (!p) return;
    await this.store.txn({ then: [{ type: 'delete', key: byApp(p.appId) }, { type: 'delete', key: byObject(p.objectId) }] });
  }

  async addSecret(appId: string, secret: string): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const doc = await getJson<Principal>(this.store, byApp(appId));
      if (!doc) throw new Error(`no principal with appId ${appId}`);
      const hash = hashSecret(secret);
      if (doc.value.secretHashes.includes(hash)) return;
      const next = { ...doc.value, secretHashes: [...doc.value.secretHashes, hash] };
      if ((await putJson(this.store, byApp(appId), next, { ifModRevision: doc.modRevision })).succeeded) return;
    }
    throw new ContentionError(byApp(appId));
  }

  verifySecret(principal: Principal, secret: string): boolean {
    const presented = Buffer.from(hashSecret(secret), 'hex');
    return principal.secretHashes.some((h) => timingSafeEqual(Buffer.from(h, 'hex'), presented));
  }
}
