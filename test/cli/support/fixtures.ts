/** Results shaped as az prints them, used to compare the CLI's formatting with az's. */
export const RESOURCE_GROUPS = [
  {
    id: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/myResourceGroup',
    location: 'eastus',
    managedBy: null,
    name: 'myResourceGroup',
    properties: { provisioningState: 'Succeeded' },
    tags: { team: 'platform', empty: '' },
    type: 'Microsoft.Resources/resourceGroups',
  },
  {
    id: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/MC_myResourceGroup_myAKSCluster_eastus',
    location: 'eastus',
    managedBy: '/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/myResourceGroup/providers/Microsoft.ContainerService/managedClusters/myAKSCluster',
    name: 'MC_myResourceGroup_myAKSCluster_eastus',
    properties: { provisioningState: 'Succeeded' },
    tags: null,
    type: 'Microsoft.Resources/resourceGroups',
  },
];

const pool = (name: string, fips: boolean, extra: Record<string, unknown> = {}) => ({
  count: 3,
  currentOrchestratorVersion: '1.30.5',
  enableAutoScaling: false,
  enableFips: fips,
  enableNodePublicIp: false,
  kubeletDiskType: 'OS',
  maxPods: 110,
  mode: name === 'nodepool1' ? 'System' : 'User',
  name,
  nodeImageVersion: fips ? 'AKSUbuntu-2004fipscontainerd-202410.09.0' : 'AKSUbuntu-2204gen2containerd-202410.09.0',
  nodeLabels: { 'kubernetes.azure.com/fips_enabled': String(fips) },
  nodeTaints: [],
  orchestratorVersion: '1.30.5',
  osDiskSizeGb: 128,
  osDiskType: 'Managed',
  osSku: 'Ubuntu',
  osType: 'Linux',
  powerState: { code: 'Running' },
  provisioningState: 'Succeeded',
  type: 'VirtualMachineScaleSets',
  vmSize: 'Standard_DS2_v2',
  ...extra,
});

export const CLUSTER = {
  agentPoolProfiles: [pool('fipsnp', true), pool('nodepool1', false, { securityProfile: { enableSecureBoot: false, enableVtpm: false } })],
  dnsPrefix: 'myAKSClust-myResourceGroup-000000',
  enableRbac: true,
  fqdn: 'myaksclust-myresourcegroup-000000-abcd1234.hcp.eastus.azmk8s.io',
  id: '/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/myResourceGroup/providers/Microsoft.ContainerService/managedClusters/myAKSCluster',
  identity: { principalId: null, tenantId: null, type: 'UserAssigned', userAssignedIdentities: { '/subscriptions/x/resourcegroups/r/providers/Microsoft.ManagedIdentity/userAssignedIdentities/MyIdentity': { clientId: 'c', principalId: 'p' } } },
  kubernetesVersion: '1.30',
  currentKubernetesVersion: '1.30.5',
  location: 'eastus',
  maxAgentPools: 100,
  name: 'myAKSCluster',
  nodeResourceGroup: 'MC_myResourceGroup_myAKSCluster_eastus',
  provisioningState: 'Succeeded',
  resourceGroup: 'myResourceGroup',
  securityProfile: {
    azureKeyVaultKms: {
      enabled: true,
      keyId: 'https://mykeyvault.vault.azure.net/keys/MyKeyName/0123456789abcdef0123456789abcdef',
      keyVaultNetworkAccess: 'Public',
    },
  },
  servicePrincipalProfile: { clientId: 'msi' },
  type: 'Microsoft.ContainerService/ManagedClusters',
};

export const KEY = {
  attributes: { created: '2026-11-25T10:00:00+00:00', enabled: true, expires: null, exportable: false, notBefore: null, recoverableDays: 90, recoveryLevel: 'Recoverable+Purgeable', updated: '2026-11-25T10:00:00+00:00' },
  key: { crv: null, d: null, e: 'AQAB', keyOps: ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'], kid: 'https://mykeyvault.vault.azure.net/keys/MyKeyName/0123456789abcdef0123456789abcdef', kty: 'RSA', n: 'yFsk', x: null, y: null },
  managed: null,
  releasePolicy: null,
  tags: null,
};

export const ODD_VALUES = [
  { name: 'unicode ✓ 名前', count: 0, flag: false, list: [], dict: {}, nothing: null, text: 'a: b', num: -12, quoted: 'true', spaced: ' lead' },
  { name: 'second', count: 12345, flag: true, list: [1, 2], dict: { a: 1 }, nothing: null, text: '', num: 7, quoted: '123', spaced: 'x' },
];
