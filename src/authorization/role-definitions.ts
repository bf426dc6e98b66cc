/**
 * Built-in role definitions (SPEC I-2, V-4, K-5): the real role definition GUIDs, names and permission blocks of
 * the Azure roles the seeds and the KMS flow use. Data, not code: `access-check.ts` evaluates them.
 *
 * Management-plane roles (Owner, Contributor, Reader, Key Vault Contributor, Managed Identity Operator) carry
 * `actions`; Key Vault data roles carry `dataActions`. As in Azure, `*` in actions never grants data actions: an
 * Owner of the subscription still needs a data role on an RBAC vault (SPEC V-4).
 */
export interface Permission {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

export interface RoleDefinition {
  /** The GUID (the role definition resource's name). */
  name: string;
  roleName: string;
  description: string;
  permissions: Permission[];
}

const perm = (p: Partial<Permission>): Permission => ({ actions: [], notActions: [], dataActions: [], notDataActions: [], ...p });

const KV_MGMT_READ = [
  'Microsoft.Authorization/*/read',
  'Microsoft.Insights/alertRules/*',
  'Microsoft.Resources/deployments/*',
  'Microsoft.Resources/subscriptions/resourceGroups/read',
  'Microsoft.Support/*',
  'Microsoft.KeyVault/checkNameAvailability/read',
  'Microsoft.KeyVault/deletedVaults/read',
  'Microsoft.KeyVault/locations/*/read',
  'Microsoft.KeyVault/vaults/*/read',
  'Microsoft.KeyVault/operations/read',
];

/** The management actions every AKS RBAC role (Admin, Cluster Admin, Reader, Writer) carries. */
const AKS_RBAC_MGMT = [
  'Microsoft.Authorization/*/read',
  'Microsoft.Resources/subscriptions/operationresults/read',
  'Microsoft.Resources/subscriptions/read',
  'Microsoft.Resources/subscriptions/resourceGroups/read',
];

/** Kubernetes data actions below `Microsoft.ContainerService/managedClusters/` (`<group>/<resource>/<verb>`). */
const aksDataActions = (suffixes: string[]) => suffixes.map((s) => `Microsoft.ContainerService/managedClusters/${s}`);

const AKS_READER = [
  'apps/controllerrevisions/read',
  'apps/daemonsets/read',
  'apps/deployments/read',
  'apps/replicasets/read',
  'apps/statefulsets/read',
  'autoscaling/horizontalpodautoscalers/read',
  'batch/cronjobs/read',
  'batch/jobs/read',
  'configmaps/read',
  'discovery.k8s.io/endpointslices/read',
  'endpoints/read',
  'events.k8s.io/events/read',
  'events/read',
  'extensions/daemonsets/read',
  'extensions/deployments/read',
  'extensions/ingresses/read',
  'extensions/networkpolicies/read',
  'extensions/replicasets/read',
  'limitranges/read',
  'metrics.k8s.io/pods/read',
  'metrics.k8s.io/nodes/read',
  'namespaces/read',
  'networking.k8s.io/ingresses/read',
  'networking.k8s.io/networkpolicies/read',
  'persistentvolumeclaims/read',
  'pods/read',
  'policy/poddisruptionbudgets/read',
  'replicationcontrollers/read',
  'resourcequotas/read',
  'serviceaccounts/read',
  'services/read',
];

const AKS_WRITER = [
  'apps/controllerrevisions/read',
  'apps/daemonsets/*',
  'apps/deployments/*',
  'apps/replicasets/*',
  'apps/statefulsets/*',
  'autoscaling/horizontalpodautoscalers/*',
  'batch/cronjobs/*',
  'coordination.k8s.io/leases/read',
  'coordination.k8s.io/leases/write',
  'coordination.k8s.io/leases/delete',
  'discovery.k8s.io/endpointslices/read',
  'batch/jobs/*',
  'configmaps/*',
  'endpoints/*',
  'events.k8s.io/events/read',
  'events/*',
  'extensions/daemonsets/*',
  'extensions/deployments/*',
  'extensions/ingresses/*',
  'extensions/networkpolicies/*',
  'extensions/replicasets/*',
  'limitranges/read',
  'metrics.k8s.io/pods/read',
  'metrics.k8s.io/nodes/read',
  'namespaces/read',
  'networking.k8s.io/ingresses/*',
  'networking.k8s.io/networkpolicies/*',
  'persistentvolumeclaims/*',
  'pods/*',
  'policy/poddisruptionbudgets/*',
  'replicationcontrollers/*',
  'resourcequotas/read',
  'secrets/*',
  'serviceaccounts/*',
  'services/*',
];

/** The GUID of aksemu's own role for its administration API (`/_aksemu/...`); not an Azure role. */
export const EMULATOR_OPERATOR_ROLE_ID = 'a4e5e0a1-0c3b-4d9e-9e55-6b73656d7501';

export const BUILT_IN_ROLES: RoleDefinition[] = [
  {
    name: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
    roleName: 'Owner',
    description: 'Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.',
    permissions: [perm({ actions: ['*'] })],
  },
  {
    name: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
    roleName: 'Contributor',
    description: 'Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.',
    permissions: [
      perm({
        actions: ['*'],
        notActions: [
          'Microsoft.Authorization/*/Delete',
          'Microsoft.Authorization/*/Write',
          'Microsoft.Authorization/elevateAccess/Action',
          'Microsoft.Blueprint/blueprintAssignments/write',
          'Microsoft.Blueprint/blueprintAssignments/delete',
          'Microsoft.Compute/galleries/share/action',
          'Microsoft.Purview/consents/write',
          'Microsoft.Purview/consents/delete',
          'Microsoft.Resources/deploymentStacks/manageDenySetting/action',
          'Microsoft.Subscription/cancel/action',
          'Microsoft.Subscription/enable/action',
        ],
      }),
    ],
  },
  {
    name: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
    roleName: 'Reader',
    description: 'View all resources, but does not allow you to make any changes.',
    permissions: [perm({ actions: ['*/read'] })],
  },
  {
    name: '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
    roleName: 'User Access Administrator',
    description: 'Lets you manage user access to Azure resources.',
    permissions: [perm({ actions: ['*/read', 'Microsoft.Authorization/*', 'Microsoft.Support/*'] })],
  },
  {
    name: '00482a5a-887f-4fb3-b363-3b7fe8e74483',
    roleName: 'Key Vault Administrator',
    description: 'Perform all data plane operations on a key vault and all objects in it, including certificates, keys, and secrets. Cannot manage key vault resources or manage role assignments. Only works for key vaults that use the \'Azure role-based access control\' permission model.',
    permissions: [perm({ actions: KV_MGMT_READ, dataActions: ['Microsoft.KeyVault/vaults/*'] })],
  },
  {
    name: '14b46e9e-c2b7-41b4-b07b-48a6ebf60603',
    roleName: 'Key Vault Crypto Officer',
    description: 'Perform any action on the keys of a key vault, except manage permissions. Only works for key vaults that use the \'Azure role-based access control\' permission model.',
    permissions: [
      perm({
        actions: KV_MGMT_READ,
        dataActions: ['Microsoft.KeyVault/vaults/keys/*', 'Microsoft.KeyVault/vaults/keyrotationpolicies/*'],
      }),
    ],
  },
  {
    name: '12338af0-0e69-4776-bea7-57ae8d297424',
    roleName: 'Key Vault Crypto User',
    description: 'Perform cryptographic operations using keys. Only works for key vaults that use the \'Azure role-based access control\' permission model.',
    permissions: [
      perm({
        dataActions: [
          'Microsoft.KeyVault/vaults/keys/read',
          'Microsoft.KeyVault/vaults/keys/update/action',
          'Microsoft.KeyVault/vaults/keys/backup/action',
          'Microsoft.KeyVault/vaults/keys/encrypt/action',
          'Microsoft.KeyVault/vaults/keys/decrypt/action',
          'Microsoft.KeyVault/vaults/keys/wrap/action',
          'Microsoft.KeyVault/vaults/keys/unwrap/action',
          'Microsoft.KeyVault/vaults/keys/sign/action',
          'Microsoft.KeyVault/vaults/keys/verify/action',
        ],
      }),
    ],
  },
  {
    name: 'e147488a-f6f5-4113-8e2d-b22465e65bf6',
    roleName: 'Key Vault Crypto Service Encryption User',
    description: 'Read metadata of keys and perform wrap/unwrap operations. Only works for key vaults that use the \'Azure role-based access control\' permission model.',
    permissions: [
      perm({
        actions: ['Microsoft.EventGrid/eventSubscriptions/write', 'Microsoft.EventGrid/eventSubscriptions/read', 'Microsoft.EventGrid/eventSubscriptions/delete'],
        dataActions: ['Microsoft.KeyVault/vaults/keys/read', 'Microsoft.KeyVault/vaults/keys/wrap/action', 'Microsoft.KeyVault/vaults/keys/unwrap/action'],
      }),
    ],
  },
  {
    name: '21090545-7ca7-4776-b22c-e363652d74d2',
    roleName: 'Key Vault Reader',
    description: 'Read metadata of key vaults and its certificates, keys, and secrets. Cannot read sensitive values such as secret contents or key material. Only works for key vaults that use the \'Azure role-based access control\' permission model.',
    permissions: [
      perm({
        actions: KV_MGMT_READ,
        dataActions: ['Microsoft.KeyVault/vaults/*/read', 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'],
      }),
    ],
  },
  {
    name: 'f25e0fa2-a7c8-4377-a976-54943a77a395',
    roleName: 'Key Vault Contributor',
    description: 'Manage key vaults, but does not allow you to assign roles in Azure RBAC, and does not allow you to access secrets, keys, or certificates.',
    permissions: [
      perm({
        actions: [
          'Microsoft.Authorization/*/read',
          'Microsoft.Insights/alertRules/*',
          'Microsoft.KeyVault/*',
          'Microsoft.Resources/deployments/*',
          'Microsoft.Resources/subscriptions/resourceGroups/read',
          'Microsoft.Support/*',
        ],
        notActions: ['Microsoft.KeyVault/locations/deletedVaults/purge/action', 'Microsoft.KeyVault/hsmPools/*', 'Microsoft.KeyVault/managedHsms/*'],
      }),
    ],
  },
  {
    name: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
    roleName: 'Key Vault Secrets Officer',
    description: 'Perform any action on the secrets of a key vault, except manage permissions. Only works for key vaults that use the \'Azure role-based access control\' permission model.',
    permissions: [perm({ actions: KV_MGMT_READ, dataActions: ['Microsoft.KeyVault/vaults/secrets/*'] })],
  },
  {
    name: '4633458b-17de-408a-b874-0445c86b69e6',
    roleName: 'Key Vault Secrets User',
    description: 'Read secret contents. Only works for key vaults that use the \'Azure role-based access control\' permission model.',
    permissions: [perm({ dataActions: ['Microsoft.KeyVault/vaults/secrets/getSecret/action', 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'] })],
  },
  {
    name: 'f1a07417-d97a-45cb-824c-7a7467783830',
    roleName: 'Managed Identity Operator',
    description: 'Read and Assign User Assigned Identity',
    permissions: [
      perm({
        actions: [
          'Microsoft.ManagedIdentity/userAssignedIdentities/*/read',
          'Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action',
          'Microsoft.Authorization/*/read',
          'Microsoft.Insights/alertRules/*',
          'Microsoft.Resources/subscriptions/resourceGroups/read',
          'Microsoft.Resources/deployments/*',
          'Microsoft.Support/*',
        ],
      }),
    ],
  },
  {
    name: 'e40ec5ca-96e0-45a2-b4ff-59039f2c2b59',
    roleName: 'Managed Identity Contributor',
    description: 'Create, Read, Update, and Delete User Assigned Identity',
    permissions: [
      perm({
        actions: [
          'Microsoft.ManagedIdentity/userAssignedIdentities/read',
          'Microsoft.ManagedIdentity/userAssignedIdentities/write',
          'Microsoft.ManagedIdentity/userAssignedIdentities/delete',
          'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read',
          'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write',
          'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/delete',
          'Microsoft.Authorization/*/read',
          'Microsoft.Insights/alertRules/*',
          'Microsoft.Resources/subscriptions/resourceGroups/read',
          'Microsoft.Resources/deployments/*',
          'Microsoft.Support/*',
        ],
      }),
    ],
  },
  {
    name: '0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8',
    roleName: 'Azure Kubernetes Service Cluster Admin Role',
    description: 'List cluster admin credential action.',
    permissions: [
      perm({
        actions: [
          'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action',
          'Microsoft.ContainerService/managedClusters/accessProfiles/listCredential/action',
          'Microsoft.ContainerService/managedClusters/read',
          'Microsoft.ContainerService/managedClusters/runcommand/action',
        ],
      }),
    ],
  },
  {
    name: '4abbcc35-e782-43d8-92c5-2d3f1bd2253f',
    roleName: 'Azure Kubernetes Service Cluster User Role',
    description: 'List cluster user credential action.',
    permissions: [perm({ actions: ['Microsoft.ContainerService/managedClusters/listClusterUserCredential/action', 'Microsoft.ContainerService/managedClusters/read'] })],
  },
  {
    name: 'ed7f3fbd-7b88-4dd4-9017-9adb7ce333f8',
    roleName: 'Azure Kubernetes Service Contributor Role',
    description: 'Grants access to read and write Azure Kubernetes Service clusters',
    permissions: [perm({ actions: ['Microsoft.ContainerService/managedClusters/read', 'Microsoft.ContainerService/managedClusters/write', 'Microsoft.Resources/deployments/*'] })],
  },
  {
    name: '3498e952-d568-435e-9b2c-8d77e338d7f7',
    roleName: 'Azure Kubernetes Service RBAC Admin',
    description: 'Lets you manage all resources under cluster/namespace, except update or delete resource quotas and namespaces.',
    permissions: [
      perm({
        actions: [...AKS_RBAC_MGMT, 'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action'],
        dataActions: ['Microsoft.ContainerService/managedClusters/*'],
        notDataActions: [
          'Microsoft.ContainerService/managedClusters/resourcequotas/write',
          'Microsoft.ContainerService/managedClusters/resourcequotas/delete',
          'Microsoft.ContainerService/managedClusters/namespaces/write',
          'Microsoft.ContainerService/managedClusters/namespaces/delete',
        ],
      }),
    ],
  },
  {
    name: 'b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b',
    roleName: 'Azure Kubernetes Service RBAC Cluster Admin',
    description: 'Lets you manage all resources in the cluster.',
    permissions: [
      perm({
        actions: [...AKS_RBAC_MGMT, 'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action'],
        dataActions: ['Microsoft.ContainerService/managedClusters/*'],
      }),
    ],
  },
  {
    name: '7f6c6a51-bcf8-42ba-9220-52d62157d7db',
    roleName: 'Azure Kubernetes Service RBAC Reader',
    description: 'Allows read-only access to see most objects in a namespace. It does not allow viewing roles or role bindings. This role does not allow viewing Secrets, since reading the contents of Secrets enables access to ServiceAccount credentials in the namespace, which would allow API access as any ServiceAccount in the namespace (a form of privilege escalation). Applying this role at cluster scope will give access across all namespaces.',
    permissions: [perm({ actions: AKS_RBAC_MGMT, dataActions: aksDataActions(AKS_READER) })],
  },
  {
    name: 'a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb',
    roleName: 'Azure Kubernetes Service RBAC Writer',
    description: 'Allows read/write access to most objects in a namespace.This role does not allow viewing or modifying roles or role bindings. However, this role allows accessing Secrets and running Pods as any ServiceAccount in the namespace, so it can be used to gain the API access levels of any ServiceAccount in the namespace. Applying this role at cluster scope will give access across all namespaces.',
    permissions: [perm({ actions: AKS_RBAC_MGMT, dataActions: aksDataActions(AKS_WRITER) })],
  },
  {
    name: EMULATOR_OPERATOR_ROLE_ID,
    roleName: 'aksemu Emulator Operator',
    description: "aksemu's own role (not an Azure one): the emulator's administration API (the emulated clock, node tampering, encryption status, the Key Vault audit log), and nothing else.",
    permissions: [perm({ actions: ['Aksemu.Emulator/*'] })],
  },
];

export const OWNER_ROLE_ID = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';

export function builtInRole(guid: string): RoleDefinition | undefined {
  const g = guid.toLowerCase();
  return BUILT_IN_ROLES.find((r) => r.name === g);
}

/** The role definition's resource id as it is written at a scope ("/subscriptions/S/providers/..."). */
export function roleDefinitionId(scope: string, guid: string): string {
  const base = scope === '/' ? '' : scope.replace(/\/+$/, '');
  return `${base}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
}

/** The role definition GUID from a role definition id, or undefined if it is not one. */
export function roleGuidFromId(id: string): string | undefined {
  const m = /\/providers\/Microsoft\.Authorization\/roleDefinitions\/([0-9a-f-]{36})$/i.exec(id.trim());
  return m ? m[1]!.toLowerCase() : undefined;
}
