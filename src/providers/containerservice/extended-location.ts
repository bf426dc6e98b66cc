/**
 * A managed cluster in an Edge Zone (SPEC C-15): `extendedLocation: { type: 'EdgeZone', name }` names one of the
 * Edge Zones of the cluster's region (src/arm/edge-zones.ts), is kept as sent and cannot change once the cluster
 * exists, as AKS refuses moving a cluster.
 */
import { edgeZoneOf } from '../../arm/edge-zones.js';
import { ArmError } from '../../arm/errors.js';

export interface ExtendedLocation {
  type: 'EdgeZone';
  name: string;
}

/**
 * The cluster's extended location after a request; 400 on a wrong one. `update`: the existing cluster's (an update
 * may repeat it, never change it).
 */
export function extendedLocationOf(requested: unknown, location: string, update?: { current: ExtendedLocation | undefined }): ExtendedLocation | undefined {
  if (requested === undefined || requested === null) return update?.current;
  const r = requested as { type?: unknown; name?: unknown };
  if (typeof requested !== 'object' || Array.isArray(requested) || typeof r.name !== 'string' || typeof r.type !== 'string' || r.type.toLowerCase() !== 'edgezone') {
    throw new ArmError(400, 'InvalidParameter', "The extendedLocation must be an object with type 'EdgeZone' and the name of an Edge Zone.", 'extendedLocation');
  }
  const zone = edgeZoneOf(location, r.name);
  if (!zone) throw new ArmError(400, 'InvalidParameter', `The Edge Zone '${r.name}' is not available in region '${location}'.`, 'extendedLocation.name');
  const wanted: ExtendedLocation = { type: 'EdgeZone', name: zone.name };
  if (update && update.current?.name !== wanted.name) {
    throw new ArmError(400, 'PropertyChangeNotAllowed', "Changing property 'extendedLocation' is not allowed: a cluster stays where it was created.", 'extendedLocation');
  }
  return wanted;
}
