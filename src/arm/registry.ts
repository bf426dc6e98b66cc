/**
 * Resource providers and their resource types: what `GET /subscriptions/S/providers/NS` lists, which api-versions
 * each type accepts (NoRegisteredProviderFound otherwise), and what to do with a type's resources when their
 * resource group is deleted.
 */
import { ArmError, armErrors } from './errors.js';
import { AZURE_LOCATIONS } from './locations.js';
import type { ApiVersionPolicy } from './router.js';

export interface ResourceTypeRegistration {
  namespace: string;
  /** Type below the namespace: 'managedClusters', 'managedClusters/agentPools', 'locations/operations'. */
  resourceType: string;
  /** Supported api-versions, newest first. */
  apiVersions: string[];
  /** Region names; default: every region. */
  locations?: string[];
  /** Whether the type's resources may be placed in an Edge Zone (extendedLocation; edge-zones.ts). */
  edgeZones?: boolean;
  /**
   * Called for each resource of this type when its resource group is deleted, before the ARM documents are
   * removed (e.g. a vault goes to the soft-deleted list, a cluster's fleet is torn down).
   */
  onResourceGroupDelete?: (resourceId: string) => Promise<void>;
}

export interface ProviderNamespace {
  namespace: string;
  types: ResourceTypeRegistration[];
}

export class ResourceTypeRegistry {
  private readonly namespaces = new Map<string, ProviderNamespace>();

  register(reg: ResourceTypeRegistration): ResourceTypeRegistration {
    const key = reg.namespace.toLowerCase();
    let ns = this.namespaces.get(key);
    if (!ns) {
      ns = { namespace: reg.namespace, types: [] };
      this.namespaces.set(key, ns);
    }
    ns.types = ns.types.filter((t) => t.resourceType.toLowerCase() !== reg.resourceType.toLowerCase());
    ns.types.push(reg);
    return reg;
  }

  /** Declares a namespace that has no resource types of its own in the emulator (it can still be registered). */
  declareNamespace(namespace: string): void {
    if (!this.namespaces.has(namespace.toLowerCase())) this.namespaces.set(namespace.toLowerCase(), { namespace, types: [] });
  }

  namespace(ns: string): ProviderNamespace | undefined {
    return this.namespaces.get(ns.toLowerCase());
  }

  all(): ProviderNamespace[] {
    return [...this.namespaces.values()].sort((a, b) => a.namespace.localeCompare(b.namespace));
  }

  type(ns: string, resourceType: string): ResourceTypeRegistration | undefined {
    return this.namespace(ns)?.types.find((t) => t.resourceType.toLowerCase() === resourceType.toLowerCase());
  }

  /** The api-version policy of a provider type: unknown versions get NoRegisteredProviderFound, as from ARM. */
  versionPolicy(ns: string, resourceType: string): ApiVersionPolicy {
    return (apiVersion: string): ArmError | undefined => {
      const reg = this.type(ns, resourceType);
      if (!reg) return armErrors.invalidResourceType(resourceType, ns, apiVersion);
      if (reg.apiVersions.includes(apiVersion)) return undefined;
      const locations = reg.locations ?? AZURE_LOCATIONS.map((l) => l.name);
      return armErrors.noRegisteredProvider(apiVersion, resourceType.split('/').pop()!, reg.apiVersions, locations);
    };
  }
}
