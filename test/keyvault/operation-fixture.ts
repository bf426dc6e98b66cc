/**
 * A data-plane world without HTTP, for calling the extracted Key Vault operations directly: a real SQLite store in
 * a temporary directory, a real Sealer and KeyStore, real role assignments, the emulated clock, and vaults as
 * plain documents (the operations take the vault from the request context).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callerFromClaims, type Caller } from '../../src/identity/authenticate.js';
import type { AccessTokenClaims } from '../../src/identity/tokens.js';
import type { OperationId } from '../../src/keyvault/access.js';
import type { OperationDeps } from '../../src/keyvault/data-plane/deps.js';
import { requestContext, type RequestContext } from '../../src/keyvault/data-plane/request.js';
import { KvError } from '../../src/keyvault/errors.js';
import { KeyStore } from '../../src/keyvault/key-store.js';
import type { VaultResource } from '../../src/keyvault/vault-model.js';
import { CustomRoles } from '../../src/authorization/custom-roles.js';
import { RoleAssignments } from '../../src/authorization/role-assignments.js';
import { Clock } from '../../src/runtime/clock.js';
import { Sealer } from '../../src/secrets/sealer.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';

export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const SUB = '00000000-0000-0000-0000-0000000000aa';

/** An application caller as callerFromClaims makes it from a Key Vault token. */
function appCaller(objectId: string, appId: string): Caller {
  const claims: AccessTokenClaims = { aud: 'https://vault.azure.net', iss: `https://sts.windows.net/${TENANT}/`, tid: TENANT, oid: objectId, sub: objectId, appid: appId, idtyp: 'app', iat: 0, nbf: 0, exp: 0 };
  return callerFromClaims(claims);
}

export const alice = appCaller('11111111-1111-1111-1111-111111111111', 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa');
export const bob = appCaller('22222222-2222-2222-2222-222222222222', 'bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb');

/** A vault whose access policy gives `alice` every key permission (or an RBAC vault with no policies). */
export function vault(name: string, opts: { rbac?: boolean; premium?: boolean; purgeProtection?: boolean; alicePermissions?: string[] } = {}): VaultResource {
  return {
    id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/${name}`,
    name,
    type: 'Microsoft.KeyVault/vaults',
    location: 'eastus',
    tags: {},
    properties: {
      tenantId: TENANT,
      sku: { family: 'A', name: opts.premium ? 'premium' : 'standard' },
      accessPolicies: opts.rbac ? [] : [{ tenantId: TENANT, objectId: alice.objectId, permissions: { keys: opts.alicePermissions ?? ['all'] } }],
      vaultUri: `https://${name}.vault.azure.net/`,
      enabledForDeployment: false,
      enabledForDiskEncryption: false,
      enabledForTemplateDeployment: false,
      enableSoftDelete: true,
      softDeleteRetentionInDays: 7,
      enableRbacAuthorization: opts.rbac === true,
      ...(opts.purgeProtection ? { enablePurgeProtection: true } : {}),
      publicNetworkAccess: 'Enabled',
      provisioningState: 'Succeeded',
    },
  };
}

export interface OperationWorld {
  store: Store;
  deps: OperationDeps;
  /** A request to `operation` on `vault` by `caller` (alice unless given), with `body` as its JSON body. */
  request(v: VaultResource, operation: OperationId, body?: unknown, opts?: { caller?: Caller; query?: Record<string, string>; rawBody?: string }): RequestContext;
  close(): Promise<void>;
}

export async function openWorld(): Promise<OperationWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'aksemu-kv-ops-'));
  const store = await openStore('sqlite', dir);
  const sealer = new Sealer(randomBytes(32));
  const deps: OperationDeps = { keys: new KeyStore(store, sealer), authz: new RoleAssignments(store, new CustomRoles(store)), sealer, clock: new Clock() };
  return {
    store,
    deps,
    request: (v, operation, body, opts = {}) =>
      requestContext({
        vault: v,
        caller: opts.caller ?? alice,
        method: 'POST',
        operation,
        apiVersion: '7.4',
        query: new URLSearchParams(opts.query ?? {}),
        host: `${v.name}.vault.azure.net`,
        ...(opts.rawBody !== undefined ? { rawBody: Buffer.from(opts.rawBody) } : body !== undefined ? { rawBody: Buffer.from(JSON.stringify(body)) } : {}),
      }),
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The KvError a promise rejects with (fails the test when it resolves or rejects with something else). */
export async function refusal(p: Promise<unknown>): Promise<KvError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof KvError) return err;
    throw err;
  }
  throw new Error('expected a Key Vault error, the operation succeeded');
}
