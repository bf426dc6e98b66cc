/**
 * ARM resource documents in the store.
 *
 *   /arm/subscriptions/<sub>                      subscription
 *   /arm/resourcegroups/<sub>/<rg>                resource group
 *   /arm/resources/<lowercased resource id>       provider resources; child resources sit under their parent's key
 *
 * Keys are lowercased because ARM ids are case-insensitive; documents keep the casing they were created with.
 */
import { getJson, listJson, putJson, type JsonDocument } from '../store/json.js';
import type { Store, WriteResult } from '../store/store.js';
import { parseResourceId } from './resource-id.js';

export interface ArmResource {
  id: string;
  name: string;
  type: string;
  location?: string;
  tags?: Record<string, string>;
  properties?: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface ResourceGroup extends ArmResource {
  location: string;
  managedBy?: string;
  properties: { provisioningState: string };
}

export const resourceKey = (id: string) => `/arm/resources${id.toLowerCase().replace(/\/+$/, '')}`;
export const resourceGroupKey = (sub: string, rg: string) => `/arm/resourcegroups/${sub.toLowerCase()}/${rg.toLowerCase()}`;

export class ResourceRepository {
  constructor(private readonly store: Store) {}

  get<T extends ArmResource = ArmResource>(id: string): Promise<JsonDocument<T> | undefined> {
    return getJson<T>(this.store, resourceKey(id));
  }

  put(resource: ArmResource, opts?: { ifModRevision?: number }): Promise<WriteResult> {
    return putJson(this.store, resourceKey(resource.id), resource, opts);
  }

  /** Deletes a resource and every child resource under it. */
  async delete(id: string): Promise<void> {
    const key = resourceKey(id);
    await this.store.txn({ then: [{ type: 'delete', key }, { type: 'deletePrefix', prefix: `${key}/` }] });
  }

  /**
   * Top-level resources (not child resources) in a subscription or one resource group, optionally of one full
   * type ('Microsoft.KeyVault/vaults'), compared case-insensitively.
   */
  async list(subscriptionId: string, opts: { resourceGroup?: string; type?: string } = {}): Promise<ArmResource[]> {
    const prefix = opts.resourceGroup
      ? `/arm/resources/subscriptions/${subscriptionId.toLowerCase()}/resourcegroups/${opts.resourceGroup.toLowerCase()}/`
      : `/arm/resources/subscriptions/${subscriptionId.toLowerCase()}/`;
    const wanted = opts.type?.toLowerCase();
    const docs = await listJson<ArmResource>(this.store, prefix);
    return docs
      .map((d) => d.value)
      .filter((r) => {
        const parsed = parseResourceId(r.id);
        if (!parsed || parsed.types.length !== 1) return false;
        return wanted === undefined || r.type.toLowerCase() === wanted;
      });
  }

  /** Child resources of one type directly under `parentId` (e.g. a cluster's agentPools). */
  async listChildren<T extends ArmResource = ArmResource>(parentId: string, childType: string): Promise<Array<JsonDocument<T>>> {
    const prefix = `${resourceKey(parentId)}/${childType.toLowerCase()}/`;
    const docs = await listJson<T>(this.store, prefix);
    return docs.filter((d) => !d.key.slice(prefix.length).includes('/'));
  }

  getResourceGroup(subscriptionId: string, name: string): Promise<JsonDocument<ResourceGroup> | undefined> {
    return getJson<ResourceGroup>(this.store, resourceGroupKey(subscriptionId, name));
  }

  putResourceGroup(rg: ResourceGroup, subscriptionId: string, opts?: { ifModRevision?: number }): Promise<WriteResult> {
    return putJson(this.store, resourceGroupKey(subscriptionId, rg.name), rg, opts);
  }

  async listResourceGroups(subscriptionId: string): Promise<ResourceGroup[]> {
    return (await listJson<ResourceGroup>(this.store, `/arm/resourcegroups/${subscriptionId.toLowerCase()}/`)).map((d) => d.value);
  }

  async deleteResourceGroup(subscriptionId: string, name: string): Promise<void> {
    await this.store.delete(resourceGroupKey(subscriptionId, name));
  }
}
