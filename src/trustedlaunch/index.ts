/**
 * The Trusted Launch module (SPEC T-3..T-6): Secure Boot and measured boot on every boot of a Trusted Launch node
 * (through the fleet's boot hook), the vTPM, attestation, integrity alerts, and their APIs. Registered in MODULES
 * after the container service module, whose fleet it hooks into.
 */
import type { EmulatorModule } from '../emulator.js';
import { fleetOf } from '../providers/containerservice/index.js';
import { listAlerts } from './alerts.js';
import { registerTrustedLaunchApi } from './api.js';
import { TrustedLaunch } from './service.js';

/** Microsoft.Security alert api-versions (az security alert list uses 2022-01-01). */
const SECURITY_ALERT_API_VERSIONS = ['2022-01-01', '2021-01-01', '2020-01-01', '2019-01-01'];

const instances = new WeakMap<object, TrustedLaunch>();
/** The running instance's Trusted Launch service (tests, benchmarks). */
export function trustedLaunchOf(ctx: object): TrustedLaunch | undefined {
  return instances.get(ctx);
}

export const trustedLaunchModule: EmulatorModule = (ctx) => {
  const fleet = fleetOf(ctx);
  if (!fleet) throw new Error('the Trusted Launch module needs the container service module before it in MODULES');
  const tl = new TrustedLaunch(ctx, fleet);
  instances.set(ctx, tl);
  fleet.addBootHook((b) => tl.onBoot(b));
  registerTrustedLaunchApi(ctx, tl);
  // Defender for Cloud's alerts as ARM serves them.
  ctx.arm.types.register({ namespace: 'Microsoft.Security', resourceType: 'alerts', apiVersions: SECURITY_ALERT_API_VERSIONS });
  ctx.arm.types.register({ namespace: 'Microsoft.Security', resourceType: 'locations/alerts', apiVersions: SECURITY_ALERT_API_VERSIONS });
  ctx.arm.router.add({
    methods: ['GET'],
    path: '/subscriptions/{subscriptionId}/providers/Microsoft.Security/alerts',
    apiVersions: ctx.arm.types.versionPolicy('Microsoft.Security', 'alerts'),
    handler: async (req) => ({ status: 200, body: { value: await listAlerts(ctx.store, req.params.subscriptionId) } }),
  });
  ctx.arm.router.add({
    methods: ['GET'],
    path: '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Security/alerts',
    apiVersions: ctx.arm.types.versionPolicy('Microsoft.Security', 'alerts'),
    handler: async (req) => ({
      status: 200,
      body: { value: (await listAlerts(ctx.store, req.params.subscriptionId)).filter((a) => a.id.split('/')[4]?.toLowerCase() === req.params.resourceGroupName!.toLowerCase()) },
    }),
  });
};
