/**
 * The Microsoft.KeyVault resource provider: vaults over ARM (create, update, show, list, delete, soft delete and
 * purge), on the vault model of src/keyvault, which the composition root creates first.
 */
import { registerVaultRoutes, type VaultRouteDeps } from './vault-routes.js';

export function startKeyVaultProvider(deps: VaultRouteDeps): void {
  registerVaultRoutes(deps);
}
