/**
 * The Microsoft.ContainerService module: managed clusters, agent pools, the location APIs, the node fleet behind
 * them and aksemu's node API. Registered in src/emulator.ts MODULES.
 */
import type { EmulatorContext, EmulatorModule } from '../../emulator.js';
import { Fleet } from '../../fleet/fleet.js';
import { AKS_API_VERSIONS, OS_OPTIONS_API_VERSIONS } from './api-versions.js';
import { deletePool, getPool, listPools, putPool, upgradeNodeImage } from './agent-pools.js';
import { deleteCluster, getCluster, listClusters, NS, patchClusterTags, putCluster, stopOrStartCluster } from './clusters.js';
import { kubernetesVersions, osOptions } from './locations.js';
import type { ManagedClusterDoc } from './models.js';
import { registerNodeApi } from './node-api.js';
import { ContainerService, OP_TASK, type OpPayload } from './service.js';
import { registerVmssApi } from './vmss-api.js';

/** The fleet of the running emulator, for modules that need it (the Kubernetes API's node shell, Trusted Launch). */
const fleets = new WeakMap<EmulatorContext, Fleet>();
export function fleetOf(ctx: EmulatorContext): Fleet | undefined {
  return fleets.get(ctx);
}

/** The managed cluster service of the running emulator, for features that hook into clusters (KMS, issue 6). */
const services = new WeakMap<EmulatorContext, ContainerService>();
export function containerServiceOf(ctx: EmulatorContext): ContainerService | undefined {
  return services.get(ctx);
}

export const containerServiceModule: EmulatorModule = async (ctx) => {
  const fleet = new Fleet(ctx.store, ctx.clock, ctx.speed, ctx.tasks, ctx.log.child({ svc: 'fleet' }));
  fleets.set(ctx, fleet);
  const svc = new ContainerService(ctx, fleet);
  services.set(ctx, svc);
  const types = ctx.arm.types;
  types.register({
    namespace: NS,
    resourceType: 'managedClusters',
    apiVersions: AKS_API_VERSIONS,
    onResourceGroupDelete: async (id) => {
      const doc = await ctx.arm.resources.get<ManagedClusterDoc>(id);
      if (doc) await svc.teardown(doc.value);
    },
  });
  types.register({ namespace: NS, resourceType: 'managedClusters/agentPools', apiVersions: AKS_API_VERSIONS });
  types.register({ namespace: NS, resourceType: 'locations/operations', apiVersions: AKS_API_VERSIONS });
  types.register({ namespace: NS, resourceType: 'locations/osOptions', apiVersions: OS_OPTIONS_API_VERSIONS });
  types.register({ namespace: NS, resourceType: 'locations/kubernetesVersions', apiVersions: AKS_API_VERSIONS.filter((v) => v >= '2023-06-01') });

  const clusters = `/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/${NS}/managedClusters`;
  const cluster = `${clusters}/{resourceName}`;
  const pools = `${cluster}/agentPools`;
  const v = (t: string) => types.versionPolicy(NS, t);
  const r = ctx.arm.router;
  r.add({ methods: ['GET'], path: `/subscriptions/{subscriptionId}/providers/${NS}/managedClusters`, apiVersions: v('managedClusters'), handler: (req) => listClusters(svc, req) });
  r.add({ methods: ['GET'], path: clusters, apiVersions: v('managedClusters'), handler: (req) => listClusters(svc, req) });
  r.add({ methods: ['GET'], path: cluster, apiVersions: v('managedClusters'), handler: (req) => getCluster(svc, req) });
  r.add({ methods: ['PUT'], path: cluster, apiVersions: v('managedClusters'), handler: (req) => putCluster(svc, req) });
  r.add({ methods: ['PATCH'], path: cluster, apiVersions: v('managedClusters'), handler: (req) => patchClusterTags(svc, req) });
  r.add({ methods: ['DELETE'], path: cluster, apiVersions: v('managedClusters'), handler: (req) => deleteCluster(svc, req) });
  r.add({ methods: ['POST'], path: `${cluster}/stop`, apiVersions: v('managedClusters'), handler: (req) => stopOrStartCluster(svc, req, 'Stopped') });
  r.add({ methods: ['POST'], path: `${cluster}/start`, apiVersions: v('managedClusters'), handler: (req) => stopOrStartCluster(svc, req, 'Running') });
  r.add({ methods: ['GET'], path: pools, apiVersions: v('managedClusters/agentPools'), handler: (req) => listPools(svc, req) });
  r.add({ methods: ['GET'], path: `${pools}/{agentPoolName}`, apiVersions: v('managedClusters/agentPools'), handler: (req) => getPool(svc, req) });
  r.add({ methods: ['PUT'], path: `${pools}/{agentPoolName}`, apiVersions: v('managedClusters/agentPools'), handler: (req) => putPool(svc, req) });
  r.add({ methods: ['DELETE'], path: `${pools}/{agentPoolName}`, apiVersions: v('managedClusters/agentPools'), handler: (req) => deletePool(svc, req) });
  r.add({ methods: ['POST'], path: `${pools}/{agentPoolName}/upgradeNodeImageVersion`, apiVersions: v('managedClusters/agentPools'), handler: (req) => upgradeNodeImage(svc, req) });
  const loc = `/subscriptions/{subscriptionId}/providers/${NS}/locations/{location}`;
  r.add({ methods: ['GET'], path: `${loc}/osOptions/{name}`, apiVersions: v('locations/osOptions'), handler: (req) => osOptions(svc, req) });
  r.add({ methods: ['GET'], path: `${loc}/kubernetesVersions`, apiVersions: v('locations/kubernetesVersions'), handler: (req) => kubernetesVersions(svc, req) });

  ctx.tasks.register<OpPayload>(OP_TASK, async ({ payload, attempts }) => {
    try {
      return await svc.runOperation(payload);
    } catch (err) {
      // A bug must not leave clients polling forever: after a few failed attempts the operation fails visibly.
      if (attempts < 5) throw err;
      ctx.log.error({ err, op: payload.opId }, 'operation failed repeatedly; marking it Failed');
      await svc.failOperation(payload, `The operation failed inside aksemu: ${(err as Error).message}`);
      return { done: true };
    }
  });
  registerNodeApi(svc);
  registerVmssApi(svc);
  // A crash between writing a pool's spec and queueing its controller is healed here (tasks themselves persist).
  await fleet.resync();
};
