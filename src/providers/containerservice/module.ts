/**
 * The Microsoft.ContainerService module: managed clusters, agent pools, their credentials, the location APIs, the
 * node fleet behind them and aksemu's node API. Wired by the composition root (src/emulator.ts); it returns the
 * service (other features hook into the cluster lifecycle through `addHooks`), the fleet (Trusted Launch hooks its
 * boots) and what the clusters' Kubernetes APIs read about each cluster.
 */
import type { FastifyInstance } from 'fastify';
import type { ArmRequest, ArmResponse } from '../../arm/router.js';
import type { TokenService } from '../../identity/tokens.js';
import type { ClusterConfigSource } from '../../kube/clusters.js';
import { Fleet } from '../../fleet/fleet.js';
import { clusterConfigSource } from './cluster-config.js';
import { registerCredentialRoutes } from './credentials.js';
import { AKS_API_VERSIONS, ORCHESTRATORS_API_VERSIONS, OS_OPTIONS_API_VERSIONS } from './api-versions.js';
import { deletePool, getPool, listPools, putPool, upgradeNodeImage } from './agent-pools.js';
import { deleteCluster, getCluster, listClusters, NS, patchClusterTags, putCluster, stopOrStartCluster } from './clusters.js';
import { osOptions } from './locations.js';
import { availableAgentPoolVersions, clusterUpgradeProfile, kubernetesVersions, orchestrators, poolUpgradeProfile } from './versions-api.js';
import type { ManagedClusterDoc } from './models.js';
import { registerNodeApi } from './node-api.js';
import { OP_TASK, type OpPayload } from './cluster-lifecycle.js';
import { ContainerService, type ContainerServiceDeps } from './service.js';
import { registerVmssApi } from './vmss-api.js';
import { abortCluster, abortPool, resetAadProfile, resetServicePrincipal, rotateCertificates, rotateServiceAccountKeys } from './cluster-actions.js';
import { outboundEndpoints } from './outbound-endpoints.js';

export interface ContainerServiceModuleDeps extends ContainerServiceDeps {
  app: FastifyInstance;
  tokens: TokenService;
  caPem: string;
  /** The instance's direct HTTPS address once it listens (kubeconfigs point at it). */
  url(): string | undefined;
}

export interface ContainerServiceModule {
  service: ContainerService;
  fleet: Fleet;
  clusterConfig: ClusterConfigSource;
}

export async function startContainerService(ctx: ContainerServiceModuleDeps): Promise<ContainerServiceModule> {
  const fleet = new Fleet(ctx.store, ctx.clock, ctx.speed, ctx.tasks, ctx.log.child({ svc: 'fleet' }));
  const svc = new ContainerService(ctx, fleet);
  const types = ctx.arm.types;
  types.register({
    namespace: NS,
    resourceType: 'managedClusters',
    apiVersions: AKS_API_VERSIONS,
    // SPEC C-15: clusters may be placed in an Edge Zone of their region.
    edgeZones: true,
    onResourceGroupDelete: async (id) => {
      const doc = await ctx.arm.resources.get<ManagedClusterDoc>(id);
      if (doc) await svc.teardown(doc.value);
    },
  });
  types.register({ namespace: NS, resourceType: 'managedClusters/agentPools', apiVersions: AKS_API_VERSIONS });
  types.register({ namespace: NS, resourceType: 'locations/operations', apiVersions: AKS_API_VERSIONS });
  types.register({ namespace: NS, resourceType: 'locations/osOptions', apiVersions: OS_OPTIONS_API_VERSIONS });
  types.register({ namespace: NS, resourceType: 'locations/kubernetesVersions', apiVersions: AKS_API_VERSIONS.filter((v) => v >= '2023-06-01') });
  types.register({ namespace: NS, resourceType: 'locations/orchestrators', apiVersions: ORCHESTRATORS_API_VERSIONS });

  const clusters = `/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/${NS}/managedClusters`;
  const cluster = `${clusters}/{resourceName}`;
  const pools = `${cluster}/agentPools`;
  const v = (t: string) => types.versionPolicy(NS, t);
  const r = ctx.arm.router;
  r.add({ methods: ['GET'], path: `/subscriptions/{subscriptionId}/providers/${NS}/managedClusters`, apiVersions: v('managedClusters'), authorization: { action: 'Microsoft.ContainerService/managedClusters/read' }, handler: (req) => listClusters(svc, req) });
  r.add({ methods: ['GET'], path: clusters, apiVersions: v('managedClusters'), authorization: { action: 'Microsoft.ContainerService/managedClusters/read' }, handler: (req) => listClusters(svc, req) });
  r.add({ methods: ['GET'], path: cluster, apiVersions: v('managedClusters'), authorization: { action: 'Microsoft.ContainerService/managedClusters/read' }, handler: (req) => getCluster(svc, req) });
  r.add({ methods: ['PUT'], path: cluster, apiVersions: v('managedClusters'), authorization: { action: 'Microsoft.ContainerService/managedClusters/write' }, handler: (req) => putCluster(svc, req) });
  r.add({ methods: ['PATCH'], path: cluster, apiVersions: v('managedClusters'), authorization: { action: 'Microsoft.ContainerService/managedClusters/write' }, handler: (req) => patchClusterTags(svc, req) });
  r.add({ methods: ['DELETE'], path: cluster, apiVersions: v('managedClusters'), authorization: { action: 'Microsoft.ContainerService/managedClusters/delete' }, handler: (req) => deleteCluster(svc, req) });
  r.add({ methods: ['POST'], path: `${cluster}/stop`, apiVersions: v('managedClusters'), authorization: { action: 'Microsoft.ContainerService/managedClusters/stop/action' }, handler: (req) => stopOrStartCluster(svc, req, 'Stopped') });
  r.add({ methods: ['POST'], path: `${cluster}/start`, apiVersions: v('managedClusters'), authorization: { action: 'Microsoft.ContainerService/managedClusters/start/action' }, handler: (req) => stopOrStartCluster(svc, req, 'Running') });
  r.add({ methods: ['GET'], path: pools, apiVersions: v('managedClusters/agentPools'), authorization: { action: 'Microsoft.ContainerService/managedClusters/agentPools/read' }, handler: (req) => listPools(svc, req) });
  r.add({ methods: ['GET'], path: `${pools}/{agentPoolName}`, apiVersions: v('managedClusters/agentPools'), authorization: { action: 'Microsoft.ContainerService/managedClusters/agentPools/read' }, handler: (req) => getPool(svc, req) });
  r.add({ methods: ['PUT'], path: `${pools}/{agentPoolName}`, apiVersions: v('managedClusters/agentPools'), authorization: { action: 'Microsoft.ContainerService/managedClusters/agentPools/write' }, handler: (req) => putPool(svc, req) });
  r.add({ methods: ['DELETE'], path: `${pools}/{agentPoolName}`, apiVersions: v('managedClusters/agentPools'), authorization: { action: 'Microsoft.ContainerService/managedClusters/agentPools/delete' }, handler: (req) => deletePool(svc, req) });
  // SPEC C-13: the other actions on clusters and pools.
  const action = (path: string, name: string, type: 'managedClusters' | 'managedClusters/agentPools', handler: (s: typeof svc, req: ArmRequest) => Promise<ArmResponse>) =>
    r.add({ methods: ['POST'], path, apiVersions: v(type), authorization: { action: `Microsoft.ContainerService/${type}/${name}/action` }, handler: (req) => handler(svc, req) });
  action(`${cluster}/abort`, 'abort', 'managedClusters', abortCluster);
  action(`${pools}/{agentPoolName}/abort`, 'abort', 'managedClusters/agentPools', abortPool);
  action(`${cluster}/resetAADProfile`, 'resetAADProfile', 'managedClusters', resetAadProfile);
  action(`${cluster}/resetServicePrincipalProfile`, 'resetServicePrincipalProfile', 'managedClusters', resetServicePrincipal);
  action(`${cluster}/rotateClusterCertificates`, 'rotateClusterCertificates', 'managedClusters', rotateCertificates);
  action(`${cluster}/rotateServiceAccountSigningKeys`, 'rotateServiceAccountSigningKeys', 'managedClusters', rotateServiceAccountKeys);
  r.add({ methods: ['GET'], path: `${cluster}/outboundNetworkDependenciesEndpoints`, apiVersions: v('managedClusters'), authorization: { action: 'Microsoft.ContainerService/managedClusters/outboundNetworkDependenciesEndpoints/read' }, handler: (req) => outboundEndpoints(svc, req) });
  // SPEC C-10: versions and upgrades (az aks get-versions / get-upgrades / nodepool get-upgrades).
  r.add({ methods: ['GET'], path: `${cluster}/upgradeProfiles/default`, apiVersions: v('managedClusters'), authorization: { action: 'Microsoft.ContainerService/managedClusters/upgradeProfiles/read' }, handler: (req) => clusterUpgradeProfile(svc, req) });
  r.add({ methods: ['GET'], path: `${cluster}/availableAgentPoolVersions`, apiVersions: v('managedClusters/agentPools'), authorization: { action: 'Microsoft.ContainerService/managedClusters/availableAgentPoolVersions/read' }, handler: (req) => availableAgentPoolVersions(svc, req) });
  r.add({ methods: ['GET'], path: `${pools}/{agentPoolName}/upgradeProfiles/default`, apiVersions: v('managedClusters/agentPools'), authorization: { action: 'Microsoft.ContainerService/managedClusters/agentPools/upgradeProfiles/read' }, handler: (req) => poolUpgradeProfile(svc, req) });
  r.add({ methods: ['POST'], path: `${pools}/{agentPoolName}/upgradeNodeImageVersion`, apiVersions: v('managedClusters/agentPools'), authorization: { action: 'Microsoft.ContainerService/managedClusters/agentPools/upgradeNodeImageVersion/write' }, handler: (req) => upgradeNodeImage(svc, req) });
  const loc = `/subscriptions/{subscriptionId}/providers/${NS}/locations/{location}`;
  r.add({ methods: ['GET'], path: `${loc}/osOptions/{name}`, apiVersions: v('locations/osOptions'), authorization: { action: 'Microsoft.ContainerService/locations/osOptions/read' }, handler: (req) => osOptions(svc, req) });
  r.add({ methods: ['GET'], path: `${loc}/orchestrators`, apiVersions: v('locations/orchestrators'), authorization: { action: 'Microsoft.ContainerService/locations/orchestrators/read' }, handler: (req) => orchestrators(svc, req) });
  r.add({ methods: ['GET'], path: `${loc}/kubernetesVersions`, apiVersions: v('locations/kubernetesVersions'), authorization: { action: 'Microsoft.ContainerService/locations/kubernetesversions/read' }, handler: (req) => kubernetesVersions(svc, req) });

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
  registerCredentialRoutes(ctx);
  registerNodeApi(svc, ctx.app, ctx.tokens);
  registerVmssApi(svc);
  // A crash between writing a pool's spec and queueing its controller is healed here (tasks themselves persist).
  await fleet.resync();
  return { service: svc, fleet, clusterConfig: clusterConfigSource(ctx.arm, ctx.tenantId) };
}
