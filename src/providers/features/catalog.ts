/**
 * Preview features that can be registered per subscription (`az feature register`), by namespace. The ones the
 * seed documents name come first; providers look them up through FeatureRegistrations.isRegistered (SPEC C-8).
 */
export interface FeatureDefinition {
  namespace: string;
  name: string;
  description: string;
}

export const FEATURE_CATALOG: FeatureDefinition[] = [
  {
    namespace: 'Microsoft.ContainerService',
    name: 'MutableFipsPreview',
    description: 'Enable or disable FIPS on an existing Linux node pool (preview era; GA in later api-versions). SPEC F-6.',
  },
  {
    namespace: 'Microsoft.ContainerService',
    name: 'EnableAPIServerVnetIntegrationPreview',
    description: 'API Server VNet Integration (required for KMS with a private key vault). SPEC K-6.',
  },
  { namespace: 'Microsoft.ContainerService', name: 'TrustedLaunchPreview', description: 'Trusted Launch node pools (preview era). SPEC T-1.' },
  { namespace: 'Microsoft.ContainerService', name: 'AzureKeyVaultKmsPreview', description: 'KMS etcd encryption (preview era). SPEC K-1.' },
  { namespace: 'Microsoft.ContainerService', name: 'KubeletDisk', description: 'Kubelet disk type on a temporary disk.' },
  { namespace: 'Microsoft.ContainerService', name: 'AKS-GPUPreview', description: 'GPU node pools with the AKS GPU image.' },
  { namespace: 'Microsoft.Compute', name: 'EncryptionAtHost', description: 'Host-based encryption of VM disks.' },
  { namespace: 'Microsoft.KeyVault', name: 'AllowPurgeProtectionOff', description: 'Illustrative Key Vault preview feature.' },
];

export function findFeature(namespace: string, name: string): FeatureDefinition | undefined {
  return FEATURE_CATALOG.find((f) => f.namespace.toLowerCase() === namespace.toLowerCase() && f.name.toLowerCase() === name.toLowerCase());
}
