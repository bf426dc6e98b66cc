/**
 * The read-only look-ups cluster rules may make (rules/types.ts `ClusterLookups`), answered from ARM documents,
 * the Key Vault service and the store.
 */
import type { Arm } from '../../arm/arm.js';
import type { ArmResource } from '../../arm/repository.js';
import { clusterPrefix } from '../../clusters/cluster-registry.js';
import type { KeyVaultServices } from '../../keyvault/module.js';
import { getJson } from '../../store/json.js';
import type { Store } from '../../store/store.js';
import type { ClusterLookups } from './rules/types.js';

export function clusterLookups(deps: { store: Store; arm: Arm; keyVault: KeyVaultServices; tenantId: string }): ClusterLookups {
  const { store, arm, keyVault, tenantId } = deps;
  return {
    tenantId,
    resource: async <T extends ArmResource>(id: string) => (await arm.resources.get<T>(id))?.value,
    vaultByName: (name) => keyVault.vaults.byName(name),
    keyVersion: async (vault, name, version) => {
      const { meta } = await keyVault.keys.meta(vault, name);
      return meta && !meta.deleted ? keyVault.keys.version(vault, meta.name, version) : undefined;
    },
    checkKeyAccess: (q) => keyVault.checkKeyAccess(q),
    secretCount: (uid) => store.count(`${clusterPrefix(uid)}/registry/secrets/`),
    json: async <T>(key: string) => (await getJson<T>(store, key))?.value,
  };
}
