/**
 * KMS etcd encryption with Azure Key Vault (SPEC K-1..K-11): the rules a managed cluster create/update must pass
 * before anything is written. Messages are AKS's own where they are known (SystemAssigned refusal, the permission
 * check, network access); each says what to do instead. What AKS cannot check up front is left to runtime:
 * permissions on a private vault (K-5) fail later in the KMS plugin and the API server's health.
 */
import { ArmError } from '../../../arm/errors.js';
import { shown } from '../../../util/shown.js';
import { minorOf } from '../../../fleet/catalog/kubernetes-versions.js';
import { KeyIdError, parseKeyId } from '../../../kms/key-id.js';
import type { VaultResource } from '../../../keyvault/vault-model.js';
import type { IdentityResource } from '../../managedidentity/identities.js';
import { kmsApiFor, kmsIntentOf, kmsStateKey, type KmsClusterState, type KmsIntent } from '../kms/state.js';
import type { ClusterRule, ClusterRuleContext } from './types.js';

/** SPEC K-6: Konnectivity is not supported for private key vaults of new subscriptions from this date on. */
export const KONNECTIVITY_PRIVATE_VAULT_CUTOFF = '2024-09-15';
/** SPEC K-10: KMS v1 clusters support at most this many secrets. */
export const KMS_V1_SECRET_LIMIT = 2000;

const TARGET = 'properties.securityProfile.azureKeyVaultKms';

function raw(ctx: ClusterRuleContext): Record<string, unknown> | undefined {
  const sp = ctx.properties.securityProfile as { azureKeyVaultKms?: unknown } | undefined;
  const k = sp?.azureKeyVaultKms;
  return k && typeof k === 'object' && !Array.isArray(k) ? (k as Record<string, unknown>) : undefined;
}

/** The KMS profile the cluster will have after the request (a PUT without securityProfile keeps the old one). */
export function effectiveKms(ctx: ClusterRuleContext): KmsIntent {
  return kmsIntentOf(ctx.properties.securityProfile !== undefined ? ctx.properties : ctx.previousProperties);
}

function previousKms(ctx: ClusterRuleContext): KmsIntent | undefined {
  return ctx.previousProperties ? kmsIntentOf(ctx.previousProperties) : undefined;
}

/** Whether this request enables KMS or changes its key, vault or network access. */
function kmsChanges(ctx: ClusterRuleContext): boolean {
  const next = effectiveKms(ctx);
  if (!next.enabled) return false;
  const prev = previousKms(ctx);
  return !prev?.enabled || prev.keyId !== next.keyId || prev.keyVaultNetworkAccess !== next.keyVaultNetworkAccess || (prev.keyVaultResourceId ?? '') !== (next.keyVaultResourceId ?? '');
}

function usesVnetIntegration(ctx: ClusterRuleContext): boolean {
  const p = (ctx.properties.apiServerAccessProfile ?? ctx.previousProperties?.apiServerAccessProfile) as { enableVnetIntegration?: unknown } | undefined;
  return p?.enableVnetIntegration === true;
}

async function vaultOf(ctx: ClusterRuleContext, kms: KmsIntent): Promise<VaultResource | undefined> {
  if (kms.keyVaultNetworkAccess === 'Private' && kms.keyVaultResourceId) {
    const doc = await ctx.lookups.resource<VaultResource>(kms.keyVaultResourceId);
    return doc?.type.toLowerCase() === 'microsoft.keyvault/vaults' ? doc : undefined;
  }
  return ctx.lookups.vaultByName(parseKeyId(kms.keyId!).vaultName);
}

async function kmsState(ctx: ClusterRuleContext): Promise<KmsClusterState | undefined> {
  return ctx.uid ? ctx.lookups.json<KmsClusterState>(kmsStateKey(ctx.uid)) : undefined;
}

/** SPEC K-1: the shape of securityProfile.azureKeyVaultKms. */
export const kmsShapeRule: ClusterRule = (ctx) => {
  const k = raw(ctx);
  if (!k) return;
  if (k.enabled !== undefined && typeof k.enabled !== 'boolean') throw new ArmError(400, 'InvalidParameter', `${TARGET}.enabled must be true or false.`, `${TARGET}.enabled`);
  if (k.enabled !== true) return;
  if (typeof k.keyId !== 'string' || k.keyId === '') {
    throw new ArmError(400, 'InvalidParameter', 'The key id of Azure Key Vault KMS is empty: set --azure-keyvault-kms-key-id to the versioned key id (az keyvault key show --query key.kid).', `${TARGET}.keyId`);
  }
  try {
    parseKeyId(k.keyId);
  } catch (err) {
    if (err instanceof KeyIdError) throw new ArmError(400, 'InvalidParameter', `The key id of Azure Key Vault KMS is invalid: ${err.message}.`, `${TARGET}.keyId`);
    throw err;
  }
  const access = k.keyVaultNetworkAccess;
  if (access === '' || access === null) throw new ArmError(400, 'InvalidParameter', 'KeyVault network access is unspecified for Azure Key Vault KMS.', `${TARGET}.keyVaultNetworkAccess`);
  if (access !== undefined && access !== 'Public' && access !== 'Private') {
    throw new ArmError(400, 'InvalidParameter', `The value '${shown(access)}' of ${TARGET}.keyVaultNetworkAccess is invalid. Allowed values: Public, Private.`, `${TARGET}.keyVaultNetworkAccess`);
  }
  const resourceId = typeof k.keyVaultResourceId === 'string' ? k.keyVaultResourceId : '';
  if (access === 'Private' && !resourceId) {
    throw new ArmError(400, 'InvalidParameter', 'KeyVault resource ID is empty when KeyVault network access is Private.', `${TARGET}.keyVaultResourceId`);
  }
  if (access !== 'Private' && resourceId) {
    throw new ArmError(400, 'InvalidParameter', 'KeyVault resource ID must be empty when KeyVault network access is Public.', `${TARGET}.keyVaultResourceId`);
  }
  if (resourceId && !/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+$/i.test(resourceId)) {
    throw new ArmError(400, 'InvalidParameter', `'${resourceId}' is not a key vault resource id (/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>).`, `${TARGET}.keyVaultResourceId`);
  }
};

/** SPEC K-11: a cluster whose nodes were deallocated through the VMSS API cannot be changed or recovered. */
export const kmsUnrecoverableRule: ClusterRule = async (ctx) => {
  const state = await kmsState(ctx);
  if (!state?.unrecoverable) return;
  throw new ArmError(
    400,
    'AzureKeyVaultKmsClusterUnrecoverable',
    `The cluster is down and cannot be recovered: ${state.unrecoverable.reason} (since ${state.unrecoverable.since}). Scaling nodes to zero through the Virtual Machine Scale Sets API is not supported for clusters with KMS etcd encryption; delete the cluster and create a new one.`,
  );
};

/** SPEC K-4: KMS needs a user-assigned identity (a system-assigned one cannot be granted key access in advance). */
export const kmsIdentityRule: ClusterRule = (ctx) => {
  if (!effectiveKms(ctx).enabled) return;
  const identity = ctx.identity ?? ctx.previousIdentity;
  const type = shown(identity?.type ?? 'SystemAssigned');
  if (type !== 'UserAssigned') {
    throw new ArmError(
      400,
      'AzureKeyVaultKmsUnsupportedIdentityType',
      `AzureKeyVaultKms feature does not support cluster identity type ${type}, supported value is 'UserAssigned'. Create a user-assigned identity (az identity create), grant it encrypt and decrypt on the key, and pass it with --assign-identity.`,
      'identity.type',
    );
  }
};

/** SPEC K-9, K-6: the key's vault exists, is in the cluster's tenant, and fits the network access mode. */
export const kmsVaultRule: ClusterRule = async (ctx) => {
  if (!kmsChanges(ctx)) return;
  const kms = effectiveKms(ctx);
  const key = parseKeyId(kms.keyId!);
  const vault = await vaultOf(ctx, kms);
  if (!vault) {
    const which = kms.keyVaultNetworkAccess === 'Private' ? `'${kms.keyVaultResourceId}'` : `'${key.vaultName}' (from the key id)`;
    throw new ArmError(400, 'AzureKeyVaultKmsKeyVaultNotFound', `The key vault ${which} of Azure Key Vault KMS was not found. Create the vault and key first, then pass the key's versioned id.`, `${TARGET}.keyId`);
  }
  if (vault.name.toLowerCase() !== key.vaultName) {
    throw new ArmError(400, 'AzureKeyVaultKmsKeyVaultMismatch', `The key id names the vault '${key.vaultName}' but keyVaultResourceId names '${vault.name}': they must be the same vault.`, `${TARGET}.keyVaultResourceId`);
  }
  if (vault.properties.tenantId.toLowerCase() !== ctx.lookups.tenantId.toLowerCase()) {
    throw new ArmError(
      400,
      'AzureKeyVaultKmsCrossTenantKeyVaultNotSupported',
      `The key vault '${vault.name}' belongs to tenant ${vault.properties.tenantId}, not to the cluster's tenant ${ctx.lookups.tenantId}: bring-your-own key vaults from another tenant are not supported. Use a key vault of the cluster's tenant.`,
      `${TARGET}.keyId`,
    );
  }
  if (kms.keyVaultNetworkAccess === 'Public') {
    if (vault.properties.publicNetworkAccess === 'Disabled') {
      throw new ArmError(
        400,
        'AzureKeyVaultKmsKeyVaultNetworkAccessMismatch',
        `The key vault '${vault.name}' has public network access disabled, so the KMS plugin cannot reach it with KeyVault network access Public. Use --azure-keyvault-kms-key-vault-network-access Private with --azure-keyvault-kms-key-vault-resource-id, or enable public network access on the vault.`,
        `${TARGET}.keyVaultNetworkAccess`,
      );
    }
    if (vault.properties.networkAcls?.defaultAction === 'Deny') {
      throw new ArmError(
        400,
        'AzureKeyVaultKmsKeyVaultFirewallNotSupported',
        `The key vault '${vault.name}' allows public access only from specific virtual networks and IP addresses; such firewalls block the KMS plugin and are not supported. Allow public access from all networks, or use a private key vault (KeyVault network access Private).`,
        `${TARGET}.keyId`,
      );
    }
  }
};

/** SPEC K-6, K-7: a private vault needs API Server VNet Integration (Konnectivity: not for new subscriptions). */
export const kmsNetworkRule: ClusterRule = (ctx) => {
  const kms = effectiveKms(ctx);
  if (!kms.enabled || kms.keyVaultNetworkAccess !== 'Private' || usesVnetIntegration(ctx)) return;
  if (ctx.now.toISOString().slice(0, 10) < KONNECTIVITY_PRIVATE_VAULT_CUTOFF) return;
  throw new ArmError(
    400,
    'AzureKeyVaultKmsVnetIntegrationRequired',
    `Vnet integration should be enabled when KeyVault network access is Private. Konnectivity is not supported for private key vaults of new subscriptions since ${KONNECTIVITY_PRIVATE_VAULT_CUTOFF}: enable API Server VNet Integration (az aks create/update --enable-apiserver-vnet-integration; in a request body, properties.apiServerAccessProfile.enableVnetIntegration).`,
    'properties.apiServerAccessProfile.enableVnetIntegration',
  );
};

/** SPEC K-5: for a public vault AKS checks up front that the identity may encrypt and decrypt with the key. */
export const kmsPermissionRule: ClusterRule = async (ctx) => {
  if (!kmsChanges(ctx)) return;
  const kms = effectiveKms(ctx);
  if (kms.keyVaultNetworkAccess !== 'Public') return; // a private vault cannot be checked from AKS (runtime failure)
  const key = parseKeyId(kms.keyId!);
  const version = await ctx.lookups.keyVersion(key.vaultName, key.keyName, key.keyVersion.toLowerCase());
  if (!version) {
    throw new ArmError(400, 'AzureKeyVaultKmsKeyNotFound', `The key '${kms.keyId}' was not found in the key vault '${key.vaultName}': create it (az keyvault key create) and pass its versioned id.`, `${TARGET}.keyId`);
  }
  if (version.kty !== 'RSA' && version.kty !== 'RSA-HSM') {
    throw new ArmError(400, 'AzureKeyVaultKmsKeyTypeNotSupported', `The key '${kms.keyId}' is a ${version.kty} key; KMS encrypts with RSA keys (RSA-OAEP-256 / RSA1_5). Create an RSA key.`, `${TARGET}.keyId`);
  }
  const identity = (ctx.identity ?? ctx.previousIdentity) as { userAssignedIdentities?: Record<string, unknown> } | undefined;
  const identityId = Object.keys(identity?.userAssignedIdentities ?? {})[0];
  const doc = identityId ? await ctx.lookups.resource<IdentityResource>(identityId) : undefined;
  if (!doc) return; // the identity rule of the cluster reports a missing identity
  const answer = await ctx.lookups.checkKeyAccess({ keyId: kms.keyId!, principalId: doc.properties.principalId, appId: doc.properties.clientId, tenantId: ctx.lookups.tenantId, operations: ['encrypt', 'decrypt'] });
  if (answer.missing.length > 0) {
    throw new ArmError(
      400,
      'AzureKeyVaultKmsValidateIdentityPermissionCustomerError',
      `The identity does not have keys encrypt/decrypt permission on key vault '${key.vaultName}' (missing: ${answer.missing.join(', ')}). Grant them to the identity ${doc.properties.principalId}: az keyvault set-policy --key-permissions decrypt encrypt (access policy vault) or the role "Key Vault Crypto User" (RBAC vault).`,
      `${TARGET}.keyId`,
    );
  }
};

/** SPEC K-9: the network access mode of the vault of an enabled KMS cannot change in place. */
export const kmsModeChangeRule: ClusterRule = async (ctx) => {
  const prev = previousKms(ctx);
  const next = effectiveKms(ctx);
  if (!prev?.enabled || !next.enabled || prev.keyVaultNetworkAccess === next.keyVaultNetworkAccess || !prev.keyId || !next.keyId) return;
  if (parseKeyId(prev.keyId).vaultName !== parseKeyId(next.keyId).vaultName) return; // another vault in the other mode: allowed
  throw new ArmError(
    400,
    'AzureKeyVaultKmsNetworkAccessChangeNotAllowed',
    `The key vault network access of an enabled KMS cannot change from ${prev.keyVaultNetworkAccess} to ${next.keyVaultNetworkAccess} for the same key vault. Disable KMS first (az aks update --disable-azure-keyvault-kms), change the vault (az keyvault update --public-network-access ${next.keyVaultNetworkAccess === 'Private' ? 'Disabled' : 'Enabled'}), then enable KMS again with --azure-keyvault-kms-key-vault-network-access ${next.keyVaultNetworkAccess}.`,
    `${TARGET}.keyVaultNetworkAccess`,
  );
};

/** SPEC K-10: a cluster below 1.27 with KMS (v1) enabled cannot be upgraded to 1.27+; the documented path. */
export const kmsUpgradeRule: ClusterRule = (ctx) => {
  const from = ctx.cluster.previousKubernetesVersion;
  if (!from || from === ctx.cluster.kubernetesVersion) return;
  if (!previousKms(ctx)?.enabled || kmsApiFor(from) !== 'v1' || kmsApiFor(ctx.cluster.kubernetesVersion) !== 'v2') return;
  throw new ArmError(
    400,
    'AzureKeyVaultKmsUpgradeBlocked',
    `Upgrading a cluster with KMS etcd encryption enabled from Kubernetes ${minorOf(from)} to ${minorOf(ctx.cluster.kubernetesVersion)} is blocked: clusters below 1.27 use KMS v1, and 1.27 and later use KMS v2. To migrate: 1) disable KMS (az aks update --disable-azure-keyvault-kms), 2) run a storage migration (kubectl get secrets --all-namespaces -o json | kubectl replace -f -), 3) upgrade the cluster to 1.27 or later (az aks upgrade), 4) enable KMS again, 5) run the storage migration again.`,
    'properties.kubernetesVersion',
  );
};

/** SPEC K-10: KMS v1 supports at most 2,000 secrets; enabling it on a cluster with more is refused. */
export const kmsV1SecretLimitRule: ClusterRule = async (ctx) => {
  if (!kmsChanges(ctx) || kmsApiFor(ctx.cluster.kubernetesVersion) !== 'v1' || !ctx.uid) return;
  const count = await ctx.lookups.secretCount(ctx.uid);
  if (count <= KMS_V1_SECRET_LIMIT) return;
  throw new ArmError(
    400,
    'AzureKeyVaultKmsV1SecretLimitExceeded',
    `The cluster has ${count} secrets; KMS etcd encryption on Kubernetes below 1.27 (KMS v1) supports at most ${KMS_V1_SECRET_LIMIT}. Upgrade the cluster to 1.27 or later first: KMS v2 has no such limit.`,
    `${TARGET}.enabled`,
  );
};

/** In the order they run (shape first, then identity, vault, network, permissions). */
export const KMS_CLUSTER_RULES: ClusterRule[] = [
  kmsShapeRule, // K-1
  kmsUnrecoverableRule, // K-11
  kmsIdentityRule, // K-4
  kmsUpgradeRule, // K-10
  kmsModeChangeRule, // K-9
  kmsVaultRule, // K-9, K-6
  kmsNetworkRule, // K-6, K-7
  kmsPermissionRule, // K-5
  kmsV1SecretLimitRule, // K-10
];
