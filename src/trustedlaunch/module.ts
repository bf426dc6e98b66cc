/**
 * The Trusted Launch module (SPEC T-3..T-6): Secure Boot and measured boot on every boot of a Trusted Launch node
 * (through the fleet's boot hook), the vTPM, attestation, integrity alerts, and their APIs. Wired by the
 * composition root, which hands it the fleet whose boots it checks.
 */
import type { FastifyInstance } from 'fastify';
import type { Arm } from '../arm/arm.js';
import type { Fleet } from '../fleet/fleet.js';
import type { TokenService } from '../identity/tokens.js';
import { listAlerts } from './alerts.js';
import { registerTrustedLaunchApi } from './api.js';
import { TrustedLaunch, type TrustedLaunchDeps } from './service.js';

/** Microsoft.Security alert api-versions (az security alert list uses 2022-01-01). */
const SECURITY_ALERT_API_VERSIONS = ['2022-01-01', '2021-01-01', '2020-01-01', '2019-01-01'];

export interface TrustedLaunchModuleDeps extends TrustedLaunchDeps {
  fleet: Fleet;
  arm: Arm;
  app: FastifyInstance;
  tokens: TokenService;
}

export function startTrustedLaunch(deps: TrustedLaunchModuleDeps): TrustedLaunch {
  const { fleet, arm, store } = deps;
  const tl = new TrustedLaunch(deps, fleet);
  fleet.addBootHook((b) => tl.onBoot(b));
  // SPEC T-7: a node image upgrade rebuilds the disks whose boot components were tampered with.
  fleet.addOsDiskCheck((uid, inst) => tl.osDiskModification(uid, inst));
  registerTrustedLaunchApi(deps, tl);
  // Defender for Cloud's alerts as ARM serves them.
  arm.types.register({ namespace: 'Microsoft.Security', resourceType: 'alerts', apiVersions: SECURITY_ALERT_API_VERSIONS });
  arm.types.register({ namespace: 'Microsoft.Security', resourceType: 'locations/alerts', apiVersions: SECURITY_ALERT_API_VERSIONS });
  arm.router.add({
    methods: ['GET'],
    path: '/subscriptions/{subscriptionId}/providers/Microsoft.Security/alerts',
    apiVersions: arm.types.versionPolicy('Microsoft.Security', 'alerts'),
    authorization: { action: 'Microsoft.Security/locations/alerts/read' },
    handler: async (req) => ({ status: 200, body: { value: await listAlerts(store, req.params.subscriptionId) } }),
  });
  arm.router.add({
    methods: ['GET'],
    path: '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Security/alerts',
    apiVersions: arm.types.versionPolicy('Microsoft.Security', 'alerts'),
    authorization: { action: 'Microsoft.Security/locations/alerts/read' },
    handler: async (req) => ({
      status: 200,
      body: { value: (await listAlerts(store, req.params.subscriptionId)).filter((a) => a.id.split('/')[4]?.toLowerCase() === req.params.resourceGroupName!.toLowerCase()) },
    }),
  });
  return tl;
}
