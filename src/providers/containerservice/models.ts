/**
 * Wire documents of Microsoft.ContainerService as stored and served. The SDK (@azure/arm-containerservice 25) has
 * client-side models whose names differ from the wire (`enableFips` vs `enableFIPS`), so the wire shape is typed
 * here; enum-like fields use the SDK's types so their values cannot drift.
 */
import type { AgentPoolMode, AgentPoolType, OSType, Ossku } from '@azure/arm-containerservice';
import type { ArmResource } from '../../arm/repository.js';

export const CLUSTER_TYPE = 'Microsoft.ContainerService/ManagedClusters';
export const POOL_TYPE = 'Microsoft.ContainerService/managedClusters/agentPools';
export const TERMINAL_STATES = new Set(['Succeeded', 'Failed', 'Canceled']);

export interface AgentPoolWire {
  count: number;
  vmSize: string;
  osType: OSType;
  osSKU?: Ossku;
  type: AgentPoolType;
  mode: AgentPoolMode;
  orchestratorVersion: string;
  currentOrchestratorVersion: string;
  nodeImageVersion: string;
  provisioningState: string;
  powerState: { code: 'Running' | 'Stopped' };
  enableFIPS: boolean;
  messageOfTheDay?: string;
  securityProfile: { enableSecureBoot: boolean; enableVTPM: boolean; [k: string]: unknown };
  /** SPEC C-12: changes with every change a client makes to the pool. */
  eTag?: string;
  [k: string]: unknown;
}

export interface AgentPoolDoc extends ArmResource {
  properties: AgentPoolWire;
}

export interface ManagedClusterDoc extends ArmResource {
  location: string;
  /** SPEC C-12: changes with every change a client makes to the cluster. */
  eTag?: string;
  properties: {
    provisioningState: string;
    powerState: { code: 'Running' | 'Stopped' };
    kubernetesVersion: string;
    currentKubernetesVersion: string;
    dnsPrefix: string;
    fqdn: string;
    nodeResourceGroup: string;
    resourceUID: string;
    identityProfile?: { kubeletidentity?: { resourceId: string; clientId: string; objectId: string } };
    [k: string]: unknown;
  };
  /** SPEC C-15: the Edge Zone the cluster was created in. */
  extendedLocation?: { type: 'EdgeZone'; name: string };
  identity?: { type: string; principalId?: string; tenantId?: string; userAssignedIdentities?: Record<string, { principalId?: string; clientId?: string }> };
}
