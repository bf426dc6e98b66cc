/**
 * Location-scoped read-only APIs: GetOSOptions (SPEC F-9: absent from api-version 2024-05-01 on). The Kubernetes
 * version lists are in versions-api.ts.
 */
import type { ArmRequest, ArmResponse } from '../../arm/router.js';
import { ArmError } from '../../arm/errors.js';
import { normalizeLocation } from '../../arm/locations.js';
import { FIPS_OS_SKUS, OS_SKUS } from '../../fleet/catalog/os-versions.js';
import type { ContainerService } from './service.js';

export function location(req: ArmRequest): string {
  const loc = normalizeLocation(req.params.location!);
  if (!loc) throw new ArmError(404, 'LocationNotFound', `The location '${req.params.location}' is not available for Microsoft.ContainerService.`);
  return loc;
}

/** GetOSOptions, as it was before 2024-05-01: which OS types offer FIPS images. */
export async function osOptions(_svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  const loc = location(req);
  if (req.params.name!.toLowerCase() !== 'default') throw new ArmError(404, 'NotFound', `OS options '${req.params.name}' not found: only 'default' exists.`);
  const fips = (osType: 'Linux' | 'Windows') => Object.entries(OS_SKUS).some(([sku, t]) => t === osType && FIPS_OS_SKUS.includes(sku));
  return {
    status: 200,
    body: {
      id: `/subscriptions/${req.params.subscriptionId}/providers/Microsoft.ContainerService/locations/${loc}/osOptions/default`,
      name: 'default',
      type: 'Microsoft.ContainerService/locations/osOptions',
      properties: { osOptionPropertyList: [{ 'os-type': 'Windows', 'enable-fips-image': fips('Windows') }, { 'os-type': 'Linux', 'enable-fips-image': fips('Linux') }] },
    },
  };
}
