/**
 * managedClusters/agentPools (SPEC C-1, C-2, F-1, F-6): list, show, create/update (az 2.45's `nodepool add` does
 * GET agentPools, then PUT), delete, and upgradeNodeImageVersion — all mutations long-running operations.
 */
import { ArmError, armErrors } from '../../arm/errors.js';
import { providerResourceId } from '../../arm/resource-id.js';
import type { ArmRequest, ArmResponse } from '../../arm/router.js';
import { latestImage, imageByName } from '../../fleet/catalog/node-images.js';
import { osById, retirementAt } from '../../fleet/catalog/os-versions.js';
import { clusterFactsOf, clusterNotFound, NS, operationNotAllowed } from './clusters.js';
import { TERMINAL_STATES, type AgentPoolDoc, type ManagedClusterDoc } from './models.js';
import { TIMING } from './cluster-lifecycle.js';
import { canonicalize, propertyNameTables } from './property-names.js';
import { requirePreconditions } from './etags.js';
import { withNodesStatus } from './nodes-status.js';
import type { ContainerService } from './service.js';

export function poolNotFound(name: string, cluster: string): ArmError {
  return new ArmError(404, 'NotFound', `Agent pool '${name}' was not found in managed cluster '${cluster}'. Run 'az aks nodepool list' to see its node pools.`);
}

export async function loadCluster(svc: ContainerService, req: ArmRequest): Promise<{ cluster: ManagedClusterDoc; sub: string; rg: string }> {
  const { subscriptionId, resourceGroupName, resourceName } = req.params as Record<string, string>;
  await svc.deps.arm.requireResourceGroup(subscriptionId, resourceGroupName);
  const doc = await svc.getCluster(providerResourceId(subscriptionId, resourceGroupName, NS, [['managedClusters', resourceName]]));
  if (!doc) throw clusterNotFound(resourceName, resourceGroupName);
  return { cluster: doc.value, sub: subscriptionId, rg: resourceGroupName };
}

export async function listPools(svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  const { cluster } = await loadCluster(svc, req);
  const uid = cluster.properties.resourceUID;
  const value = [];
  for (const d of await svc.pools(cluster.id)) value.push(await withNodesStatus(svc.fleet, uid, d.value));
  return { status: 200, body: { value } };
}

export async function getPool(svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  const { cluster } = await loadCluster(svc, req);
  const doc = await svc.deps.arm.resources.get<AgentPoolDoc>(`${cluster.id}/agentPools/${req.params.agentPoolName}`);
  if (!doc) throw poolNotFound(req.params.agentPoolName!, cluster.name);
  return { status: 200, body: await withNodesStatus(svc.fleet, cluster.properties.resourceUID, doc.value) };
}

export async function putPool(svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  const { cluster, sub, rg } = await loadCluster(svc, req);
  const name = req.params.agentPoolName!;
  if (!TERMINAL_STATES.has(cluster.properties.provisioningState)) throw operationNotAllowed(`managed cluster '${cluster.name}'`, cluster.properties.provisioningState);
  // SPEC C-11: property names in the REST spec's casing before anything reads them.
  const body = canonicalize(req.json(), (await propertyNameTables()).agentPool) as Record<string, unknown>;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw armErrors.invalidContent('The request body must be an agent pool JSON object');
  const props = (body.properties ?? {}) as Record<string, unknown>;
  if (typeof props !== 'object' || Array.isArray(props)) throw armErrors.invalidContent('properties must be a JSON object');
  const existing = await svc.deps.arm.resources.get<AgentPoolDoc>(`${cluster.id}/agentPools/${name}`);
  requirePreconditions(req, existing?.value.properties.eTag, `agent pool '${name}'`);
  if (existing && !TERMINAL_STATES.has(existing.value.properties.provisioningState)) throw operationNotAllowed(`agent pool '${name}'`, existing.value.properties.provisioningState);
  const all = await svc.pools(cluster.id);
  if (!existing && all.length >= 100) throw new ArmError(400, 'InvalidParameter', `Managed cluster '${cluster.name}' already has 100 node pools, the maximum.`, 'agentPoolProfile');
  const ev = await svc.evaluatePool({
    apiVersion: req.apiVersion,
    cluster: clusterFactsOf(cluster, sub, rg),
    name,
    props,
    dfltMode: 'User',
    ...(existing ? { previous: existing.value.properties } : {}),
  });
  // The last System pool stays System (a cluster needs one).
  if (existing && existing.value.properties.mode === 'System' && ev.input.mode !== 'System' && !all.some((p) => p.value.name !== name && p.value.properties.mode === 'System')) {
    throw new ArmError(400, 'MustDefineAtLeastOneSystemPool', `Node pool '${name}' is the cluster's last System pool: add another System pool before changing its mode.`, 'agentPoolProfile.mode');
  }
  const state = !existing ? 'Creating' : ev.changed.version ? 'Upgrading' : ev.changed.count && !ev.changed.reimage ? 'Scaling' : 'Updating';
  const uid = cluster.properties.resourceUID;
  const doc = svc.poolDoc(cluster.id, ev, state);
  const generation = await svc.applyPool(cluster, sub, uid, ev, await svc.ordinalOf(uid, name), [svc.putOp(doc)]);
  const op = await svc.startOperation(req, { subscriptionId: sub, clusterId: cluster.id, uid, kind: 'pool-put', pools: [{ name, generation }], pool: name }, cluster.location, doc.id);
  return { status: existing ? 200 : 201, body: doc, headers: svc.deps.arm.operations.headers(req, op, ['async']) };
}

export async function deletePool(svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  const { cluster, sub } = await loadCluster(svc, req);
  const name = req.params.agentPoolName!;
  const existing = await svc.deps.arm.resources.get<AgentPoolDoc>(`${cluster.id}/agentPools/${name}`);
  requirePreconditions(req, existing?.value.properties.eTag, `agent pool '${name}'`);
  if (!existing) return { status: 204 };
  if (!TERMINAL_STATES.has(cluster.properties.provisioningState)) throw operationNotAllowed(`managed cluster '${cluster.name}'`, cluster.properties.provisioningState);
  if (!TERMINAL_STATES.has(existing.value.properties.provisioningState)) throw operationNotAllowed(`agent pool '${name}'`, existing.value.properties.provisioningState);
  const others = (await svc.pools(cluster.id)).filter((p) => p.value.name !== existing.value.name);
  if (existing.value.properties.mode === 'System' && !others.some((p) => p.value.properties.mode === 'System')) {
    throw new ArmError(400, 'MustDefineAtLeastOneSystemPool', `Node pool '${name}' is the cluster's last System pool and cannot be deleted: add another System pool first, or delete the cluster.`);
  }
  await svc.setState<AgentPoolDoc>(existing.value.id, (d) => ({ ...d, properties: { ...d.properties, provisioningState: 'Deleting' } }));
  const uid = cluster.properties.resourceUID;
  const generation = (await svc.fleet.deletePool(uid, existing.value.name)) ?? 0;
  const op = await svc.startOperation(
    req,
    { subscriptionId: sub, clusterId: cluster.id, uid, kind: 'pool-delete', pools: [{ name: existing.value.name, generation }], readyAtMs: svc.deps.clock.nowMs() + svc.deps.speed.delay(TIMING.poolDeleteMs) },
    cluster.location,
    existing.value.id,
  );
  return { status: 202, headers: svc.deps.arm.operations.headers(req, op) };
}

/**
 * SPEC F-5: node image upgrade moves a pool to the newest image of the same variant (FIPS packages included).
 * SPEC T-7: it lays the image down again on every node whose OS disk is no longer the image's (a tampered boot
 * component), even when the pool already runs the newest image, so it remediates an integrity alert.
 */
export async function upgradeNodeImage(svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  const { cluster, sub, rg } = await loadCluster(svc, req);
  const name = req.params.agentPoolName!;
  const existing = await svc.deps.arm.resources.get<AgentPoolDoc>(`${cluster.id}/agentPools/${name}`);
  if (!existing) throw poolNotFound(name, cluster.name);
  if (!TERMINAL_STATES.has(cluster.properties.provisioningState)) throw operationNotAllowed(`managed cluster '${cluster.name}'`, cluster.properties.provisioningState);
  if (!TERMINAL_STATES.has(existing.value.properties.provisioningState)) throw operationNotAllowed(`agent pool '${name}'`, existing.value.properties.provisioningState);
  const ev = await svc.evaluatePool({ apiVersion: req.apiVersion, cluster: clusterFactsOf(cluster, sub, rg), name, props: {}, dfltMode: 'User', previous: existing.value.properties });
  const current = imageByName(existing.value.properties.nodeImageVersion);
  const now = svc.deps.clock.now();
  if (current) {
    const os = osById(current.os);
    // SPEC C-7: a retired OS has no images left to upgrade to.
    if (retirementAt(os, now) === 'removed') {
      throw new ArmError(400, 'OSVersionRetired', `${os.displayName} is retired since ${os.retirement!.removedFrom}: its node images were removed. To move to a supported OS version, ${os.retirement!.migrate}.`);
    }
    const newest = latestImage(current, now);
    if (newest) {
      ev.image = newest.name;
      ev.changed.reimage = newest.name !== current.name;
    }
  }
  const uid = cluster.properties.resourceUID;
  const doc = svc.poolDoc(cluster.id, ev, 'UpgradingNodeImageVersion');
  const generation = await svc.applyPool(cluster, sub, uid, ev, await svc.ordinalOf(uid, name), [svc.putOp(doc)], { refreshOsDisks: true });
  const op = await svc.startOperation(req, { subscriptionId: sub, clusterId: cluster.id, uid, kind: 'pool-node-image', pools: [{ name, generation }], pool: name }, cluster.location, doc.id);
  return { status: 202, body: doc, headers: svc.deps.arm.operations.headers(req, op) };
}
