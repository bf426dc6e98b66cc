/**
 * `Microsoft.KeyVault/vaults` over ARM (SPEC V-1): create/update (PUT, PATCH), show, list, delete (soft), deleted
 * vaults (list, show, purge), accessPolicies add/replace/remove, checkNameAvailability, and recovery with
 * `createMode: recover`. Purge protection is honoured and soft-deleted vaults are purged automatically at their
 * scheduled purge date (emulated clock). The handlers are in vault-handlers.ts; this file says which path reaches
 * which, and registers the resource types and the purge task.
 */
import { KV_NS, VAULT_API_VERSIONS, type VaultResource } from '../../keyvault/vault-model.js';
import {
  changeAccessPolicies,
  checkNameAvailability,
  deleteVault,
  getDeletedVault,
  getVault,
  listDeletedVaults,
  listVaults,
  patchVault,
  purgeDeletedVault,
  PURGE_TASK,
  putVault,
  softDeleteVault,
  type PurgePayload,
  type VaultHandler,
  type VaultRouteDeps,
} from './vault-handlers.js';

import { subscriptionScope, type RouteAuthorization } from '../../arm/route-authorization.js';

export type { VaultRouteDeps } from './vault-handlers.js';

const VAULTS = '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/Microsoft.KeyVault/vaults';
const DELETED_VAULT = '/subscriptions/{subscriptionId}/providers/Microsoft.KeyVault/locations/{location}/deletedVaults/{vaultName}';

const VAULT_ROUTES: Array<{ methods: string[]; path: string; authorization: RouteAuthorization; handler: VaultHandler }> = [
  { methods: ['GET'], path: `${VAULTS}/{vaultName}`, authorization: { action: 'Microsoft.KeyVault/vaults/read' }, handler: getVault },
  { methods: ['PUT'], path: `${VAULTS}/{vaultName}`, authorization: { action: 'Microsoft.KeyVault/vaults/write' }, handler: putVault },
  { methods: ['PATCH'], path: `${VAULTS}/{vaultName}`, authorization: { action: 'Microsoft.KeyVault/vaults/write' }, handler: patchVault },
  { methods: ['DELETE'], path: `${VAULTS}/{vaultName}`, authorization: { action: 'Microsoft.KeyVault/vaults/delete' }, handler: deleteVault },
  { methods: ['GET'], path: VAULTS, authorization: { action: 'Microsoft.KeyVault/vaults/read' }, handler: listVaults },
  { methods: ['GET'], path: '/subscriptions/{subscriptionId}/providers/Microsoft.KeyVault/vaults', authorization: { action: 'Microsoft.KeyVault/vaults/read' }, handler: listVaults },
  { methods: ['PUT'], path: `${VAULTS}/{vaultName}/accessPolicies/{operationKind}`, authorization: { action: 'Microsoft.KeyVault/vaults/accessPolicies/write' }, handler: changeAccessPolicies },
  { methods: ['GET'], path: '/subscriptions/{subscriptionId}/providers/Microsoft.KeyVault/deletedVaults', authorization: { action: 'Microsoft.KeyVault/deletedVaults/read' }, handler: listDeletedVaults },
  { methods: ['GET'], path: DELETED_VAULT, authorization: { action: 'Microsoft.KeyVault/locations/deletedVaults/read' }, handler: getDeletedVault },
  { methods: ['POST'], path: `${DELETED_VAULT}/purge`, authorization: { action: 'Microsoft.KeyVault/locations/deletedVaults/purge/action' }, handler: purgeDeletedVault },
  { methods: ['POST'], path: '/subscriptions/{subscriptionId}/providers/Microsoft.KeyVault/checkNameAvailability', authorization: { action: 'Microsoft.KeyVault/checkNameAvailability/read', scope: subscriptionScope }, handler: checkNameAvailability },
];

export function registerVaultRoutes(d: VaultRouteDeps): void {
  const { arm, vaults } = d;
  arm.types.register({
    namespace: KV_NS,
    resourceType: 'vaults',
    apiVersions: VAULT_API_VERSIONS,
    // A resource group delete soft-deletes its vaults (they stay recoverable), as in Azure.
    onResourceGroupDelete: async (id) => {
      const doc = await arm.resources.get<VaultResource>(id);
      if (doc) await softDeleteVault(d, doc.value);
    },
  });
  for (const t of ['vaults/accessPolicies', 'deletedVaults', 'locations/deletedVaults', 'checkNameAvailability', 'locations/operationResults']) {
    arm.types.register({ namespace: KV_NS, resourceType: t, apiVersions: VAULT_API_VERSIONS });
  }

  d.tasks.register<PurgePayload>(PURGE_TASK, async ({ payload }) => {
    const record = await vaults.deleted(payload.name);
    if (record) await vaults.purge(record.name);
    if (payload.operationId && payload.subscriptionId) {
      await arm.operations.finish({ subscriptionId: payload.subscriptionId, id: payload.operationId }, { status: 'Succeeded', result: { status: 200 } });
    }
    return { done: true };
  });

  const versions = arm.types.versionPolicy(KV_NS, 'vaults');
  for (const r of VAULT_ROUTES) arm.router.add({ methods: r.methods, path: r.path, apiVersions: versions, authorization: r.authorization, handler: (req) => r.handler(d, req) });
}
