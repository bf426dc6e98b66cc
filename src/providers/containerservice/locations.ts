/**
 * Location-scoped read-only APIs: GetOSOptions (SPEC F-9: absent from api-version 2024-05-01 on) and the list of
 * Kubernetes versions offered at the emulator's date.
 */
import type { ArmRequest, ArmResponse } from '../../arm/router.js';
import { ArmError } from '../../arm/errors.js';
import { normalizeLocation } from '../../arm/locations.js';
import { compareVersions, KUBERNETES_MINORS, offeredPatches, supportedMinors } from '../../fleet/catalog/kubernetes-versions.js';
import { FIPS_OS_SKUS, OS_SKUS } from '../../fleet/catalog/os-versions.js';
import type { ContainerService } from './service.js';

function location(req: ArmRequest): string {
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

export async function kubernetesVersions(svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  location(req);
  const now = svc.deps.clock.now();
  const supported = supportedMinors(now);
  const values = supported.map((m) => ({
    version: m.minor,
    isPreview: false,
    capabilities: { supportPlan: ['KubernetesOfficial'] },
    patchVersions: Object.fromEntries(
      offeredPatches(m, now).map((p) => {
        const next = KUBERNETES_MINORS.find((n) => compareVersions(n.minor, m.minor) > 0 && supported.includes(n) && Number(n.minor.split('.')[1]) === Number(m.minor.split('.')[1]) + 1);
        return [p, { upgrades: [...offeredPatches(m, now).filter((q) => compareVersions(q, p) > 0), ...(next ? offeredPatches(next, now) : [])] }];
      }),
    ),
  }));
  return { status: 200, body: { values } };
}
