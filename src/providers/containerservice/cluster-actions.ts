/**
 * The POST actions on a managed cluster beyond stop/start and credentials (SPEC C-13), each a long-running
 * operation where AKS answers 202:
 *
 * - `abort` (cluster and agent pool): the operation running on the resource ends Canceled, and the resource (and,
 *   for a cluster, its pools that were busy) shows provisioningState Canceled; what the fleet already built stays.
 *   Nothing running is a 204.
 * - `resetAADProfile`: replaces the legacy (non-managed) Microsoft Entra profile; the server app secret is never
 *   kept. A cluster with managed Entra integration is refused, as AKS does.
 * - `resetServicePrincipalProfile`: the cluster's service principal (client id shown, secret never kept); a cluster
 *   that runs as a managed identity is refused, as AKS does.
 * - `rotateClusterCertificates`: a new certificate epoch in the cluster record, so every local-account kubeconfig
 *   handed out before stops authenticating (src/kube/auth.ts) and a new listClusterAdminCredential works.
 * - `rotateServiceAccountSigningKeys`: aksemu's clusters issue no service account tokens of their own, so the
 *   rotation is recorded in the cluster record (its epoch) and the operation runs as AKS's does.
 */
import { ArmError } from '../../arm/errors.js';
import type { ArmRequest, ArmResponse } from '../../arm/router.js';
import { clusterRecordKey, type ClusterRecord } from '../../clusters/cluster-registry.js';
import { updateJson } from '../../store/json.js';
import { loadCluster, poolNotFound } from './agent-pools.js';
import { operationNotAllowed } from './clusters.js';
import { newETag } from './etags.js';
import { TERMINAL_STATES, type AgentPoolDoc, type ManagedClusterDoc } from './models.js';
import type { ContainerService } from './service.js';

const CANCELED = { code: 'OperationCanceled', message: 'The operation was canceled by an abort request (abort).' };

/** Ends the operations running on `resourceId` (and below it) as Canceled; how many there were. */
async function cancelOperations(svc: ContainerService, sub: string, resourceId: string): Promise<number> {
  const running = await svc.deps.arm.operations.inProgressOn(sub, resourceId);
  for (const op of running) await svc.deps.arm.operations.finish(op, { status: 'Canceled', error: CANCELED });
  return running.length;
}

const canceled = <T extends { properties: { provisioningState: string } }>(d: T): T | undefined =>
  TERMINAL_STATES.has(d.properties.provisioningState) ? undefined : { ...d, properties: { ...d.properties, provisioningState: 'Canceled' } };

/** A 202 for an action that took effect at once: its operation has already ended Succeeded. */
async function finishedAction(svc: ContainerService, req: ArmRequest, cluster: ManagedClusterDoc, resourceId: string): Promise<ArmResponse> {
  const sub = req.params.subscriptionId!;
  const op = await svc.deps.arm.operations.create({ subscriptionId: sub, namespace: 'Microsoft.ContainerService', location: cluster.location, resourceId });
  await svc.deps.arm.operations.finish(op, { status: 'Succeeded' });
  return { status: 202, headers: svc.deps.arm.operations.headers(req, op) };
}

export async function abortCluster(svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  const { cluster, sub } = await loadCluster(svc, req);
  if (cluster.properties.provisioningState === 'Deleting') throw new ArmError(409, 'OperationNotAllowed', `The deletion of managed cluster '${cluster.name}' cannot be aborted.`);
  const n = await cancelOperations(svc, sub, cluster.id);
  const busyPools = (await svc.pools(cluster.id)).filter((p) => !TERMINAL_STATES.has(p.value.properties.provisioningState));
  if (n === 0 && busyPools.length === 0 && TERMINAL_STATES.has(cluster.properties.provisioningState)) return { status: 204 };
  for (const p of busyPools) await svc.setState<AgentPoolDoc>(p.value.id, canceled);
  await svc.setState<ManagedClusterDoc>(cluster.id, canceled);
  return finishedAction(svc, req, cluster, cluster.id);
}

export async function abortPool(svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  const { cluster, sub } = await loadCluster(svc, req);
  const pool = await svc.deps.arm.resources.get<AgentPoolDoc>(`${cluster.id}/agentPools/${req.params.agentPoolName}`);
  if (!pool) throw poolNotFound(req.params.agentPoolName!, cluster.name);
  if (pool.value.properties.provisioningState === 'Deleting') throw new ArmError(409, 'OperationNotAllowed', `The deletion of agent pool '${pool.value.name}' cannot be aborted.`);
  const n = await cancelOperations(svc, sub, pool.value.id);
  if (n === 0 && TERMINAL_STATES.has(pool.value.properties.provisioningState)) return { status: 204 };
  await svc.setState<AgentPoolDoc>(pool.value.id, canceled);
  return finishedAction(svc, req, cluster, pool.value.id);
}

/** Puts the cluster in Updating with `change` applied and runs the action's operation; answers 202. */
async function clusterAction(svc: ContainerService, req: ArmRequest, change: (d: ManagedClusterDoc) => ManagedClusterDoc, record?: (r: ClusterRecord) => ClusterRecord): Promise<ArmResponse> {
  const { cluster, sub } = await loadCluster(svc, req);
  if (!TERMINAL_STATES.has(cluster.properties.provisioningState)) throw operationNotAllowed(`managed cluster '${cluster.name}'`, cluster.properties.provisioningState);
  const uid = cluster.properties.resourceUID;
  if (record) await updateJson<ClusterRecord>(svc.deps.store, clusterRecordKey(uid), (r) => (r ? record(r) : undefined));
  await svc.setState<ManagedClusterDoc>(cluster.id, (d) => {
    const next = change(d);
    return { ...next, eTag: newETag(), properties: { ...next.properties, provisioningState: 'Updating' } };
  });
  const op = await svc.startOperation(req, { subscriptionId: sub, clusterId: cluster.id, uid, kind: 'cluster-action', pools: [] }, cluster.location, cluster.id);
  return { status: 202, headers: svc.deps.arm.operations.headers(req, op) };
}

function body(req: ArmRequest): Record<string, unknown> {
  const b = req.json();
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw new ArmError(400, 'InvalidRequestContent', 'The request body must be a JSON object.');
  return b as Record<string, unknown>;
}

function requiredString(b: Record<string, unknown>, name: string): string {
  const v = b[name];
  if (typeof v !== 'string' || v === '') throw new ArmError(400, 'InvalidParameter', `The parameter '${name}' is required and must be a non-empty string.`, name);
  return v;
}

export async function resetAadProfile(svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  const b = body(req);
  const profile = { clientAppID: requiredString(b, 'clientAppID'), serverAppID: requiredString(b, 'serverAppID'), ...(typeof b.tenantID === 'string' ? { tenantID: b.tenantID } : {}) };
  requiredString(b, 'serverAppSecret');
  const { cluster } = await loadCluster(svc, req);
  if ((cluster.properties.aadProfile as { managed?: boolean } | undefined)?.managed === true) {
    throw new ArmError(400, 'BadRequest', 'Resetting the AAD profile is not supported for a cluster with managed Microsoft Entra ID integration (aadProfile.managed).');
  }
  return clusterAction(svc, req, (d) => ({ ...d, properties: { ...d.properties, aadProfile: { ...profile, tenantID: profile.tenantID ?? svc.deps.tenantId } } }));
}

export async function resetServicePrincipal(svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  const b = body(req);
  const clientId = requiredString(b, 'clientId');
  requiredString(b, 'secret');
  const { cluster } = await loadCluster(svc, req);
  if (cluster.identity && cluster.identity.type !== 'None') {
    throw new ArmError(400, 'BadRequest', `Updating the service principal profile is not allowed on managed cluster '${cluster.name}': it runs as a managed identity.`);
  }
  return clusterAction(svc, req, (d) => ({ ...d, properties: { ...d.properties, servicePrincipalProfile: { clientId } } }));
}

export function rotateCertificates(svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  // SPEC C-13: a new epoch retires every local-account token issued before (src/kube/auth.ts).
  return clusterAction(svc, req, (d) => d, (r) => ({ ...r, certificateEpoch: (r.certificateEpoch ?? 0) + 1 }));
}

export function rotateServiceAccountKeys(svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  return clusterAction(svc, req, (d) => d, (r) => ({ ...r, serviceAccountKeyEpoch: (r.serviceAccountKeyEpoch ?? 0) + 1 }));
}
