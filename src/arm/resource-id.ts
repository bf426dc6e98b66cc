/**
 * ARM resource ids: `/subscriptions/S/resourceGroups/RG/providers/NS/type/name[/childType/childName...]`.
 * Segments are matched case-insensitively, as ARM does; the casing given at creation is kept for display.
 */
export interface ResourceId {
  subscriptionId: string;
  resourceGroup?: string;
  namespace?: string;
  /** Type names below the namespace, e.g. ['managedClusters', 'agentPools']. */
  types: string[];
  /** Names matching `types`, e.g. ['c1', 'np']. */
  names: string[];
}

export function parseResourceId(id: string): ResourceId | undefined {
  const seg = id.split('/').filter((s) => s.length > 0);
  if (seg.length < 2 || seg[0]!.toLowerCase() !== 'subscriptions') return undefined;
  const out: ResourceId = { subscriptionId: seg[1]!, types: [], names: [] };
  let i = 2;
  if (seg[i]?.toLowerCase() === 'resourcegroups') {
    if (!seg[i + 1]) return undefined;
    out.resourceGroup = seg[i + 1]!;
    i += 2;
  }
  if (i === seg.length) return out;
  if (seg[i]?.toLowerCase() !== 'providers' || !seg[i + 1]) return undefined;
  out.namespace = seg[i + 1]!;
  i += 2;
  const rest = seg.slice(i);
  if (rest.length === 0 || rest.length % 2 !== 0) return undefined;
  for (let j = 0; j < rest.length; j += 2) {
    out.types.push(rest[j]!);
    out.names.push(rest[j + 1]!);
  }
  return out;
}

export function resourceGroupId(subscriptionId: string, resourceGroup: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
}

export function providerResourceId(
  subscriptionId: string,
  resourceGroup: string,
  namespace: string,
  typesAndNames: Array<[string, string]>,
): string {
  return `${resourceGroupId(subscriptionId, resourceGroup)}/providers/${namespace}/${typesAndNames.map(([t, n]) => `${t}/${n}`).join('/')}`;
}

