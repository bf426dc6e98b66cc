/**
 * What `az aks get-versions`, `az aks get-upgrades` and `az aks nodepool get-upgrades` read (SPEC C-10), from the
 * Kubernetes version catalog (src/fleet/catalog/kubernetes-versions.ts) at the emulator's date (`--now`):
 *
 * - `locations/{location}/kubernetesVersions` (api-version 2023-06-01 on; az 2.48+): per supported minor its
 *   offered patches, each with the versions it can upgrade to, and `isDefault` on the default minor;
 * - `locations/{location}/orchestrators` (2017-09-30 and 2019-04-01; az up to 2.47): the same as one entry per
 *   patch (`orchestratorVersion`, `default`, `upgrades`);
 * - `managedClusters/{name}/upgradeProfiles/default`: the control plane's and each pool's current version and
 *   upgrades (a pool never past its control plane's minor);
 * - `managedClusters/{name}/agentPools/{pool}/upgradeProfiles/default`: one pool's, with its latest node image;
 * - `managedClusters/{name}/availableAgentPoolVersions`: the versions a new pool may run.
 *
 * A minor in preview (before its GA date) is offered with `isPreview: true` wherever its versions appear, and is
 * never the default. Shapes follow the REST spec's examples: optional booleans (`isDefault`, `default`) appear only when true, and an
 * empty upgrade list of an orchestrator is left out (az prints "None available").
 */
import { ArmError } from '../../arm/errors.js';
import type { ArmRequest, ArmResponse } from '../../arm/router.js';
import { defaultMinor, isMinorPreview, isPreviewVersion, latestPatch, minorOf, offeredPatches, parseVersion, supportedMinors, upgradesFrom } from '../../fleet/catalog/kubernetes-versions.js';
import { imageByName, latestImage } from '../../fleet/catalog/node-images.js';
import { loadCluster, poolNotFound } from './agent-pools.js';
import { NS } from './clusters.js';
import { location } from './locations.js';
import type { AgentPoolDoc } from './models.js';
import type { ContainerService } from './service.js';

const KUBERNETES = 'Kubernetes';

/** `isPreview: true` for a version of a minor in preview (SPEC C-10), nothing otherwise. */
const preview = (v: string, now: Date) => (isPreviewVersion(v, now) ? { isPreview: true } : {});
const upgradeEntries = (versions: string[], now: Date) => versions.map((v) => ({ kubernetesVersion: v, ...preview(v, now) }));

export async function kubernetesVersions(svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  location(req);
  const now = svc.deps.clock.now();
  const dflt = defaultMinor(now);
  const values = supportedMinors(now).map((m) => ({
    version: m.minor,
    ...(m === dflt ? { isDefault: true } : {}),
    ...(isMinorPreview(m, now) ? { isPreview: true } : {}),
    capabilities: { supportPlan: ['KubernetesOfficial'] },
    patchVersions: Object.fromEntries(offeredPatches(m, now).map((p) => [p, { upgrades: upgradesFrom(p, now) }])),
  }));
  return { status: 200, body: { values } };
}

export async function orchestrators(svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  const loc = location(req);
  const type = req.query.get('resource-type');
  if (type !== null && type.toLowerCase() !== 'managedclusters') {
    throw new ArmError(400, 'InvalidParameter', `The resource type '${type}' has no orchestrator versions: only 'managedClusters' (Azure Kubernetes Service) does.`, 'resource-type');
  }
  const now = svc.deps.clock.now();
  const dflt = latestPatch(defaultMinor(now), now);
  const list = supportedMinors(now).flatMap((m) => offeredPatches(m, now));
  return {
    status: 200,
    body: {
      id: `/subscriptions/${req.params.subscriptionId}/providers/${NS}/locations/${loc}/orchestrators`,
      name: 'default',
      type: `${NS}/locations/orchestrators`,
      properties: {
        orchestrators: list.map((v) => {
          const upgrades = upgradesFrom(v, now).map((u) => ({ orchestratorType: KUBERNETES, orchestratorVersion: u, ...preview(u, now) }));
          return { orchestratorType: KUBERNETES, orchestratorVersion: v, ...(v === dflt ? { default: true } : {}), ...preview(v, now), ...(upgrades.length ? { upgrades } : {}) };
        }),
      },
    },
  };
}

/** A pool's upgrades: the catalog's, but never to a minor newer than its control plane's (SPEC C-1). */
function poolUpgrades(poolVersion: string, controlPlane: string, now: Date): string[] {
  const cp = parseVersion(minorOf(controlPlane))!;
  return upgradesFrom(poolVersion, now).filter((v) => parseVersion(v)!.minor <= cp.minor);
}

export async function clusterUpgradeProfile(svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  const { cluster } = await loadCluster(svc, req);
  const now = svc.deps.clock.now();
  const current = cluster.properties.currentKubernetesVersion;
  const pools = await svc.pools(cluster.id);
  return {
    status: 200,
    body: {
      id: `${cluster.id}/upgradeprofiles/default`,
      name: 'default',
      type: `${NS}/managedClusters/upgradeprofiles`,
      properties: {
        controlPlaneProfile: { name: 'master', kubernetesVersion: current, osType: 'Linux', upgrades: upgradeEntries(upgradesFrom(current, now), now) },
        agentPoolProfiles: pools.map(({ value: p }) => ({
          name: p.name,
          kubernetesVersion: p.properties.currentOrchestratorVersion,
          osType: p.properties.osType,
          upgrades: upgradeEntries(poolUpgrades(p.properties.currentOrchestratorVersion, current, now), now),
        })),
      },
    },
  };
}

export async function poolUpgradeProfile(svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  const { cluster } = await loadCluster(svc, req);
  const doc = await svc.deps.arm.resources.get<AgentPoolDoc>(`${cluster.id}/agentPools/${req.params.agentPoolName}`);
  if (!doc) throw poolNotFound(req.params.agentPoolName!, cluster.name);
  const now = svc.deps.clock.now();
  const pool = doc.value;
  const image = imageByName(pool.properties.nodeImageVersion);
  const newest = image ? latestImage(image, now) : undefined;
  return {
    status: 200,
    body: {
      id: `${pool.id}/upgradeprofiles/default`,
      name: 'default',
      type: `${NS}/managedClusters/agentPools/upgradeProfiles`,
      properties: {
        kubernetesVersion: pool.properties.currentOrchestratorVersion,
        osType: pool.properties.osType,
        upgrades: upgradeEntries(poolUpgrades(pool.properties.currentOrchestratorVersion, cluster.properties.currentKubernetesVersion, now), now),
        latestNodeImageVersion: newest?.name ?? pool.properties.nodeImageVersion,
      },
    },
  };
}

export async function availableAgentPoolVersions(svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  const { cluster } = await loadCluster(svc, req);
  const now = svc.deps.clock.now();
  const dflt = latestPatch(defaultMinor(now), now);
  return {
    status: 200,
    body: {
      id: `${cluster.id}/availableagentpoolversions`,
      name: 'default',
      type: `${NS}/managedClusters/availableAgentpoolversions`,
      properties: {
        agentPoolVersions: supportedMinors(now)
          .flatMap((m) => offeredPatches(m, now))
          .map((v) => ({ ...(v === dflt ? { default: true } : {}), kubernetesVersion: v, ...preview(v, now) })),
      },
    },
  };
}
