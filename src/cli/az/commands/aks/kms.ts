/**
 * The KMS flags of `aks create` and `aks update` (SPEC K-1, K-9): az's validation of their combinations and the
 * securityProfile.azureKeyVaultKms they produce, as the managed cluster decorator builds it.
 */
import { AzCliError, ValidationError } from '../../framework/errors.js';
import { requireResourceId, validateKmsKeyId } from './validators.js';

export interface KmsArgs {
  enableAzureKeyvaultKms?: boolean;
  disableAzureKeyvaultKms?: boolean;
  azureKeyvaultKmsKeyId?: string;
  azureKeyvaultKmsKeyVaultNetworkAccess?: 'Public' | 'Private';
  azureKeyvaultKmsKeyVaultResourceId?: string;
}

export interface AzureKeyVaultKms {
  enabled?: boolean;
  keyId?: string;
  keyVaultNetworkAccess?: string;
  keyVaultResourceId?: string;
}

/** Checks the flags as az does (argument validators first, then the getters' cross-checks). */
export function validateKmsArgs(a: KmsArgs, mode: 'create' | 'update'): void {
  validateKmsKeyId(a.azureKeyvaultKmsKeyId);
  requireResourceId(a.azureKeyvaultKmsKeyVaultResourceId, '--azure-keyvault-kms-key-vault-resource-id');
  const enable = Boolean(a.enableAzureKeyvaultKms);
  if (mode === 'update' && enable && a.disableAzureKeyvaultKms) {
    throw new ValidationError('Cannot specify --enable-azure-keyvault-kms and --disable-azure-keyvault-kms at the same time.');
  }
  if (enable !== Boolean(a.azureKeyvaultKmsKeyId)) {
    throw new AzCliError('You must set "--enable-azure-keyvault-kms" and "--azure-keyvault-kms-key-id" at the same time.');
  }
  const access = a.azureKeyvaultKmsKeyVaultNetworkAccess;
  const resourceId = a.azureKeyvaultKmsKeyVaultResourceId;
  if (access !== undefined && !enable) throw new AzCliError('"--azure-keyvault-kms-key-vault-network-access" requires "--enable-azure-keyvault-kms".');
  if (resourceId && !enable) throw new AzCliError('"--azure-keyvault-kms-key-vault-resource-id" requires "--enable-azure-keyvault-kms".');
  if (!enable) return;
  if (access === undefined) throw new AzCliError('"--azure-keyvault-kms-key-vault-network-access" is required.');
  if (access === 'Private' && !resourceId) {
    throw new AzCliError('"--azure-keyvault-kms-key-vault-resource-id" is required when "--azure-keyvault-kms-key-vault-network-access" is Private.');
  }
  if (access === 'Public' && resourceId) {
    throw new AzCliError('"--azure-keyvault-kms-key-vault-resource-id" must be empty if "--azure-keyvault-kms-key-vault-network-access" is "Public".');
  }
}

/** securityProfile.azureKeyVaultKms for a new cluster (set_up_azure_keyvault_kms), or undefined. */
export function kmsForCreate(a: KmsArgs): AzureKeyVaultKms | undefined {
  if (!a.enableAzureKeyvaultKms || !a.azureKeyvaultKmsKeyId) return undefined;
  return {
    enabled: true,
    keyId: a.azureKeyvaultKmsKeyId,
    keyVaultNetworkAccess: a.azureKeyvaultKmsKeyVaultNetworkAccess!,
    ...(a.azureKeyvaultKmsKeyVaultNetworkAccess === 'Private' ? { keyVaultResourceId: a.azureKeyvaultKmsKeyVaultResourceId! } : {}),
  };
}

/** The cluster's azureKeyVaultKms after `aks update` (update_azure_keyvault_kms); undefined when untouched. */
export function kmsForUpdate(current: AzureKeyVaultKms | undefined, a: KmsArgs): AzureKeyVaultKms | undefined {
  if (a.enableAzureKeyvaultKms) {
    const access = a.azureKeyvaultKmsKeyVaultNetworkAccess!;
    return {
      ...(current ?? {}),
      enabled: true,
      keyId: a.azureKeyvaultKmsKeyId!,
      keyVaultNetworkAccess: access,
      keyVaultResourceId: access === 'Private' ? a.azureKeyvaultKmsKeyVaultResourceId! : '',
    };
  }
  if (a.disableAzureKeyvaultKms) return { ...(current ?? {}), enabled: false };
  return undefined;
}
