/** Shared setup for the Key Vault tests: an SDK credential and ARM clients against an emulator's environment. */
import { ClientSecretCredential } from '@azure/identity';
import { KeyVaultManagementClient } from '@azure/arm-keyvault';
import { ResourceManagementClient } from '@azure/arm-resources';

export function defaultCredential(env: Record<string, string>): ClientSecretCredential {
  return new ClientSecretCredential(env.AZURE_TENANT_ID!, env.AZURE_CLIENT_ID!, env.AZURE_CLIENT_SECRET!);
}

/** Creates a resource group and a vault; access-policy vaults give the default principal every key permission. */
export async function createVault(
  env: Record<string, string>,
  rg: string,
  name: string,
  opts: { rbac?: boolean; sku?: 'standard' | 'premium'; policies?: boolean; purgeProtection?: boolean; retentionDays?: number } = {},
) {
  const cred = defaultCredential(env);
  await new ResourceManagementClient(cred, env.AZURE_SUBSCRIPTION_ID!).resourceGroups.createOrUpdate(rg, { location: 'eastus' });
  const kv = new KeyVaultManagementClient(cred, env.AZURE_SUBSCRIPTION_ID!);
  const oid = JSON.parse(Buffer.from((await cred.getToken('https://management.azure.com/.default')).token.split('.')[1]!, 'base64url').toString()).oid as string;
  return kv.vaults.createOrUpdate(rg, name, {
    location: 'eastus',
    properties: {
      tenantId: env.AZURE_TENANT_ID!,
      sku: { family: 'A', name: opts.sku ?? 'standard' },
      enableRbacAuthorization: opts.rbac ?? false,
      ...(opts.purgeProtection ? { enablePurgeProtection: true } : {}),
      ...(opts.retentionDays ? { softDeleteRetentionInDays: opts.retentionDays } : {}),
      accessPolicies:
        opts.rbac || opts.policies === false
          ? []
          : [{ tenantId: env.AZURE_TENANT_ID!, objectId: oid, permissions: { keys: ['all'] } }],
    },
  });
}
