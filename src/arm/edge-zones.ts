/**
 * Azure Edge Zones (Azure public MEC sites) a resource can be placed in with `extendedLocation: { type: 'EdgeZone',
 * name }`, each tied to the parent region that hosts its control plane, as Microsoft's public MEC documentation lists
 * them. Resource types that accept them (managed clusters) show them per region as `locationMappings` in their
 * provider's description.
 */
export interface EdgeZone {
  /** The Edge Zone ID (extendedLocation.name). */
  name: string;
  /** The parent region's name. */
  parent: string;
}

export const EDGE_ZONES: EdgeZone[] = [
  { name: 'attatlanta1', parent: 'eastus2' },
  { name: 'attdallas1', parent: 'southcentralus' },
  { name: 'attdetroit1', parent: 'centralus' },
];

/** The Edge Zone called `name` (case-insensitive) whose parent is `location`, if any. */
export function edgeZoneOf(location: string, name: string): EdgeZone | undefined {
  return EDGE_ZONES.find((z) => z.parent === location.toLowerCase() && z.name === name.toLowerCase());
}
