/**
 * "May this principal use this key?" for other modules (SPEC K-5): AKS validates up front that a KMS identity has
 * encrypt and decrypt on the key of a public vault (AzureKeyVaultKmsValidateIdentityPermissionCustomerError
 * otherwise). The same rules as the data plane's per-request check (keyvault/access.ts): access policies or RBAC.
 */
import type { Caller } from '../identity/authenticate.js';
import { accessPolicyAllows, OPERATIONS } from './access.js';
import type { RoleAssignments } from '../authorization/role-assignments.js';
import type { VaultResource } from './vault-model.js';
import type { Vaults } from './vaults.js';

export interface KeyAccessQuery {
  /** The key id (https://<vault>.vault.azure.net/keys/<name>[/<version>]). */
  keyId: string;
  principalId: string;
  tenantId: string;
  appId?: string;
  /** Key Vault operations to check, e.g. ['encrypt', 'decrypt']. */
  operations: Array<'encrypt' | 'decrypt' | 'wrapkey' | 'unwrapkey' | 'get' | 'sign' | 'verify'>;
}

export interface KeyAccessAnswer {
  vault?: VaultResource;
  /** Operations the principal may not perform (empty: all allowed). */
  missing: string[];
}

export async function checkKeyAccess(vaults: Vaults, authz: RoleAssignments, q: KeyAccessQuery): Promise<KeyAccessAnswer> {
  const m = /^https:\/\/([a-z0-9-]{3,24})\.vault\.azure\.net(?::443)?\/keys\/([0-9a-zA-Z-]+)(?:\/[0-9a-f]{32})?\/?$/i.exec(q.keyId);
  if (!m) return { missing: [...q.operations] };
  const vault = await vaults.byName(m[1]!);
  if (!vault) return { missing: [...q.operations] };
  const caller = { objectId: q.principalId, tenantId: q.tenantId, appId: q.appId ?? '' } as Caller;
  const missing: string[] = [];
  for (const op of q.operations) {
    const spec = OPERATIONS[op];
    const ok = vault.properties.enableRbacAuthorization
      ? (await authz.grant(q.principalId, `${vault.id}/keys/${m[2]}`, spec.dataAction, 'dataAction')) !== undefined
      : accessPolicyAllows(vault, caller, spec.permission);
    if (!ok) missing.push(spec.permission);
  }
  return { vault, missing };
}
