/** Helpers commands share: reading a resource group's location, finding a resource's group by name. */
import { API } from '../api-versions.js';
import type { Session } from '../framework/context.js';

export async function resourceGroupLocation(s: Session, resourceGroup: string): Promise<string> {
  const rg = await s.arm.get<{ location: string }>(`/subscriptions/${s.subscriptionId}/resourcegroups/${encodeURIComponent(resourceGroup)}`, API.resourceGroups);
  return rg.location;
}

/** The resource group of the first resource of `type` named `name` (az's lookup through the resources API). */
export async function findResourceGroup(s: Session, type: string, name: string): Promise<string | undefined> {
  const filter = encodeURIComponent(`resourceType eq '${type}'`);
  const items = await s.arm.list<{ id: string; name: string }>(`/subscriptions/${s.subscriptionId}/resources?$filter=${filter}`, '2015-11-01');
  const hit = items.find((r) => r.name.toLowerCase() === name.toLowerCase());
  if (!hit) return undefined;
  return hit.id.split('/')[4];
}
