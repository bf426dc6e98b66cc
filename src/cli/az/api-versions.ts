/**
 * The api-versions the commands call, as the current az (2.91) calls them. Collected here so that following a newer
 * az (or a backend that supports another version) is a one-line change.
 */
export const API = {
  resourceGroups: '2024-11-01',
  providers: '2024-11-01',
  resources: '2024-11-01',
  subscriptions: '2022-12-01',
  features: '2021-07-01',
  managedClusters: '2026-06-01',
  keyVaultVaults: '2024-11-01',
  managedIdentities: '2025-05-31-preview',
  roleAssignments: '2022-04-01',
  roleDefinitions: '2022-04-01',
} as const;
