/**
 * The emulated Microsoft Entra ID directory: one tenant and its principals (SPEC I-3).
 *
 * A principal is anything the token endpoint can issue tokens for: service principals (the default one created on
 * first start, the one `aksemu env` hands to az and the SDKs), and the user-assigned managed identities that the
 * Key Vault issue registers. Client secrets are never stored: only their SHA-256 (they are 256-bit random values,
 * so a plain hash is enough). The default principal's secret is derived from the master key, which is how
 * `aksemu env` can print it without it being stored anywhere.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Sealer } from '../secrets/sealer.js';
import { getJson, putJson } from '../store/json.js';
import type { Store } from '../store/store.js';
import { newGuid } from '../util/ids.js';
import type { Clock } from '../runtime/clock.js';

export type PrincipalType = 'ServicePrincipal' | 'User' | 'ManagedIdentity';

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

const TENANT_KEY = '/identity/tenant';
const DEFAULT_PRINCIPAL_KEY = '/identity/default-principal';
const byApp = (appId: string) => `/identity/principals/by-app/${appId.toLowerCase()}`;
const byObject = (objectId: string) => `/identity/principals/by-object/${objectId.toLowerCase()}`;

/** The default principal's client secret: derived from the master key, never stored (`aksemu env` prints it). */
export function defaultPrincipalSecret(sealer: Sealer, appId: string): string {
  return `aks~${sealer.derive(`aksemu/default-principal-secret/${appId.toLowerCase()}`).toString('base64url')}`;
}

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

  /** Creates the tenant and the default principal on first start; later starts find them. */
  async bootstrap(): Promise<{ tenant: Tenant; defaultPrincipal: Principal }> {
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
    return { tenant, defaultPrincipal };
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
    throw new Error(`could not add a secret to ${appId}: too much contention`);
  }

  verifySecret(principal: Principal, secret: string): boolean {
    const presented = Buffer.from(hashSecret(secret), 'hex');
    return principal.secretHashes.some((h) => timingSafeEqual(Buffer.from(h, 'hex'), presented));
  }
}
