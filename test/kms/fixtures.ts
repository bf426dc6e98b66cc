/**
 * The KMS article's setup, done with the official SDKs against an emulator: resource group, key vault (access
 * policy or RBAC, public or private), a user-assigned identity, the identity's key permissions (set-policy or "Key
 * Vault Crypto User"), keys imported from key pairs the test holds (so stored values can be decrypted
 * independently), and managed clusters with `securityProfile.azureKeyVaultKms`.
 */
import type { KeyObject } from 'node:crypto';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ContainerServiceClient, type ManagedCluster } from '@azure/arm-containerservice';
import { KeyVaultManagementClient } from '@azure/arm-keyvault';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { ResourceManagementClient } from '@azure/arm-resources';
import { KeyClient } from '@azure/keyvault-keys';
import { defaultCredential } from '../keyvault/helpers.js';
import { getToken, httpsCall } from '../../testkit/http.js';
import { newRsaKey } from './support.js';

export const ROLE = {
  cryptoUser: '12338af0-0e69-4776-bea7-57ae8d297424',
  cryptoOfficer: '14b46e9e-c2b7-41b4-b07b-48a6ebf60603',
  contributor: 'f25e0fa2-a7c8-4377-a976-54943a77a395',
};

export interface Kit {
  env: Record<string, string>;
  sub: string;
  tenant: string;
  cred: ReturnType<typeof defaultCredential>;
  aks: ContainerServiceClient;
  kv: KeyVaultManagementClient;
  msi: ManagedServiceIdentityClient;
  authz: AuthorizationManagementClient;
}

export function kit(env: Record<string, string>): Kit {
  const cred = defaultCredential(env);
  const sub = env.AZURE_SUBSCRIPTION_ID!;
  return {
    env,
    sub,
    tenant: env.AZURE_TENANT_ID!,
    cred,
    aks: new ContainerServiceClient(cred, sub),
    kv: new KeyVaultManagementClient(cred, sub),
    msi: new ManagedServiceIdentityClient(cred, sub),
    authz: new AuthorizationManagementClient(cred, sub),
  };
}

export async function resourceGroup(k: Kit, name: string, location = 'eastus'): Promise<void> {
  await new ResourceManagementClient(k.cred, k.sub).resourceGroups.createOrUpdate(name, { location });
}

async function callerOid(k: Kit): Promise<string> {
  const t = await k.cred.getToken('https://management.azure.com/.default');
  return JSON.parse(Buffer.from(t!.token.split('.')[1]!, 'base64url').toString()).oid as string;
}

/** A vault; for RBAC vaults the caller gets "Key Vault Crypto Officer" (as in the article) to create keys. */
export async function vault(k: Kit, rg: string, name: string, o: { rbac?: boolean; publicNetworkAccess?: 'Enabled' | 'Disabled'; firewall?: boolean; tenantId?: string } = {}) {
  const oid = await callerOid(k);
  const v = await k.kv.vaults.beginCreateOrUpdateAndWait(rg, name, {
    location: 'eastus',
    properties: {
      tenantId: o.tenantId ?? k.tenant,
      sku: { family: 'A', name: 'standard' },
      enableRbacAuthorization: o.rbac ?? false,
      accessPolicies: o.rbac ? [] : [{ tenantId: o.tenantId ?? k.tenant, objectId: oid, permissions: { keys: ['all'] } }],
      ...(o.publicNetworkAccess ? { publicNetworkAccess: o.publicNetworkAccess } : {}),
      ...(o.firewall ? { networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices', ipRules: [{ value: '203.0.113.0/24' }] } } : {}),
    },
  });
  if (o.rbac) await assignRole(k, v.id!, oid, ROLE.cryptoOfficer, 'ServicePrincipal');
  return v;
}

export async function assignRole(k: Kit, scope: string, principalId: string, roleGuid: string, principalType: 'User' | 'ServicePrincipal' = 'ServicePrincipal'): Promise<string> {
  const name = crypto.randomUUID();
  await k.authz.roleAssignments.create(scope, name, { roleDefinitionId: `/subscriptions/${k.sub}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`, principalId, principalType });
  return `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
}

export async function identity(k: Kit, rg: string, name: string) {
  const id = await k.msi.userAssignedIdentities.createOrUpdate(rg, name, { location: 'eastus' });
  return { id: id.id!, principalId: id.principalId!, clientId: id.clientId! };
}

/** az keyvault set-policy --key-permissions decrypt encrypt --object-id OID */
export async function setPolicy(k: Kit, rg: string, vaultName: string, objectId: string, keys: string[] = ['decrypt', 'encrypt']): Promise<void> {
  await k.kv.vaults.updateAccessPolicy(rg, vaultName, 'add', { properties: { accessPolicies: [{ tenantId: k.tenant, objectId, permissions: { keys } }] } });
}

export interface TestKey {
  kid: string;
  name: string;
  version: string;
  privateKey: KeyObject;
}

/**
 * Adds a version to key `name` from a fresh key pair the test keeps. `via` is how to reach the vault's data plane
 * (a private vault refuses the public path): a key client with its own transport.
 */
export async function importKey(k: Kit, vaultName: string, name: string, client?: KeyClient): Promise<TestKey> {
  const pair = newRsaKey();
  const jwk = pair.privateKey.export({ format: 'jwk' }) as Record<string, string>;
  const b = (s: string) => Buffer.from(jwk[s]!, 'base64url');
  const keys = client ?? new KeyClient(`https://${vaultName}.vault.azure.net/`, k.cred);
  const imported = await keys.importKey(name, { kty: 'RSA', n: b('n'), e: b('e'), d: b('d'), p: b('p'), q: b('q'), dp: b('dp'), dq: b('dq'), qi: b('qi'), keyOps: ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'] });
  return { kid: imported.id!, name, version: imported.properties.version!, privateKey: pair.privateKey };
}

export function kmsCluster(o: { identityId: string; kid?: string; access?: 'Public' | 'Private'; vaultId?: string; version?: string; vnetIntegration?: boolean; count?: number }): ManagedCluster {
  return {
    location: 'eastus',
    identity: { type: 'UserAssigned', userAssignedIdentities: { [o.identityId]: {} } },
    kubernetesVersion: o.version ?? '',
    dnsPrefix: 'kms',
    agentPoolProfiles: [{ name: 'nodepool1', count: o.count ?? 1, vmSize: 'Standard_DS2_v2', osType: 'Linux', mode: 'System', type: 'VirtualMachineScaleSets' }],
    ...(o.vnetIntegration ? { apiServerAccessProfile: { enableVnetIntegration: true, subnetId: '/subscriptions/x/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/apiserver' } } : {}),
    ...(o.kid
      ? {
          securityProfile: {
            azureKeyVaultKms: { enabled: true, keyId: o.kid, keyVaultNetworkAccess: o.access ?? 'Public', ...(o.access === 'Private' ? { keyVaultResourceId: o.vaultId } : {}) },
          },
        }
      : {}),
  };
}

/** The cluster as ARM serves it (the SDK model drops aksemu's status extension). */
export async function rawCluster(url: string, env: Record<string, string>, id: string): Promise<any> {
  const token = await getToken(url, env);
  const res = await httpsCall(`${url}${id}?api-version=2026-04-01`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`GET ${id}: ${res.status} ${res.text}`);
  return res.json();
}
