/** ARM's own APIs: subscriptions, resource groups, generic resources, providers, features, operations. */
import type { Arm } from '../../arm/arm.js';
import type { ArmAuthorizer } from '../../arm/route-authorization.js';
import { registerOperationRoutes } from '../../arm/operation-routes.js';
import { registerOperationsCatalog } from '../../arm/operations-catalog.js';
import type { Directory } from '../../identity/directory.js';
import type { TaskRunner } from '../../runtime/tasks.js';
import { registerFeatureRoutes, type FeatureRegistrations } from '../features/features.js';
import { registerGenericResources } from './generic-resources.js';
import { registerProviderRoutes, type ProviderRegistrations } from './provider-registration.js';
import { registerResourceGroups } from './resource-groups.js';
import { registerSubscriptionRoutes } from './subscriptions.js';

/** The resource provider namespaces whose registration `az provider show/register` can see. */
const NAMESPACES = ['Microsoft.Resources', 'Microsoft.ContainerService', 'Microsoft.KeyVault', 'Microsoft.ManagedIdentity', 'Microsoft.Authorization', 'Microsoft.Network', 'Microsoft.Compute'];

export interface ResourceManagerDeps {
  arm: Arm;
  directory: Directory;
  tasks: TaskRunner;
  providers: ProviderRegistrations;
  features: FeatureRegistrations;
  /** Azure RBAC decisions: lists show only what the caller may read (SPEC Z-1). */
  authorizer: ArmAuthorizer;
}

export function startResourceManager({ arm, directory, tasks, providers, features, authorizer }: ResourceManagerDeps): void {
  registerSubscriptionRoutes(arm, directory, authorizer);
  registerResourceGroups(arm, tasks, authorizer);
  registerGenericResources(arm, authorizer);
  registerProviderRoutes(arm, providers);
  registerFeatureRoutes(arm, features);
  registerOperationRoutes(arm);
  registerOperationsCatalog(arm);
  for (const ns of NAMESPACES) arm.types.declareNamespace(ns);
}
