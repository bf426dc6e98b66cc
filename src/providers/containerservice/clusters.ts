/**
 * Microsoft.ContainerService/managedClusters (SPEC C-1): create/update (one PUT with the whole cluster, as az and the
 * SDK send it), show, list per resource group and per subscription, tags, delete — each mutation a long-running
 * operation (201/202 + Azure-AsyncOperation) with provisioningState Creating/Updating/Upgrading/Deleting →
 * Succeeded/Failed. Credentials (listClusterUserCredential...) are in credentials.ts.
 */
import { ArmError, armErrors } from '../../arm/errors.js';
import { normalizeLocation } from '../../arm/locations.js';
import { resourceGroupKey, type ResourceGroup } from '../../arm/repository.js';
import { providerResourceId } from '../../arm/resource-id.js';
import type { ArmRequest, ArmResponse } from '../../arm/router.js';
import { clusterByFqdnKey, clusterRecordKey, type ClusterRecord } from '../../clusters/cluster-registry.js';
import { resolveVersion } from '../../fleet/catalog/kubernetes-versions.js';
import { randomHex } from '../../util/ids.js';
import { shown } from '../../util/shown.js';
import { asObject, CLUSTER_READ_ONLY, defaultDnsPrefix, defaultModes, networkProfile, readProfiles, sanitizeClusterProperties } from './cluster-request.js';
import { CLUSTER_TYPE, TERMINAL_STATES, type AgentPoolDoc, type ManagedClusterDoc } from './models.js';
import { normalizePool } from './pool-spec.js';
import { canonicalize, propertyNameTables } from './property-names.js';
import type { PoolInput } from './pool-model.js';
import { runClusterRules } from './rules/index.js';
import { requireVersion, versionNotSupported } from './rules/versions.js';
import type { ClusterFacts } from './rules/types.js';
import { virtualNodesEnabled } from './rules/trusted-launch.js';
import { TIMING, type PoolEvaluation } from './cluster-lifecycle.js';
import { newETag, requirePreconditions } from './etags.js';
import { withOutbound } from './outbound.js';
import { privateAccess, serviceMesh } from './cluster-computed.js';
import { extendedLocationOf } from './extended-location.js';
import type { ContainerService } from './service.js';

export const NS = 'Microsoft.ContainerService';

export function operationNotAllowed(what: string, state: string): ArmError {
  return new ArmError(
    409,
    'OperationNotAllowed',
    `Operation is not allowed because there's an in progress operation on ${what} (provisioningState ${state}). Please wait for it to finish before starting a new operation.`,
  );
}

export function clusterNotFound(name: string, rg: string): ArmError {
  return armErrors.resourceNotFound('Microsoft.ContainerService/managedClusters', name, rg);
}

/** Resolves the control plane identity of a request: principal details for the response. */
async function resolveIdentity(
  svc: ContainerService,
  identity: Record<string, unknown> | undefined,
  previous: ManagedClusterDoc['identity'] | undefined,
  clusterId: string,
  name: string,
  createdPrincipals: string[],
): Promise<ManagedClusterDoc['identity']> {
  const type = (identity?.type as string | undefined) ?? previous?.type ?? 'SystemAssigned';
  const tenantId = svc.deps.tenantId;
  if (type === 'None') return { type: 'None' };
  if (type === 'SystemAssigned') {
    if (previous?.type === 'SystemAssigned' && previous.principalId) return previous;
    const p = await svc.deps.directory.createPrincipal({ displayName: name, type: 'ManagedIdentity', resourceId: clusterId });
    createdPrincipals.push(p.appId);
    return { type: 'SystemAssigned', principalId: p.objectId, tenantId };
  }
  const id = Object.keys((identity?.userAssignedIdentities ?? previous?.userAssignedIdentities ?? {}) as object)[0]!;
  const doc = await svc.deps.arm.resources.get(id);
  const props = (doc?.value.properties ?? {}) as { principalId?: string; clientId?: string };
  if (!doc || !props.principalId) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `The user-assigned identity '${id}' was not found: create it first (az identity create) and pass its resource id with --assign-identity.`,
      'identity.userAssignedIdentities',
    );
  }
  return { type: 'UserAssigned', userAssignedIdentities: { [doc.value.id]: { principalId: props.principalId, clientId: props.clientId! } } };
}

/** The service principal a request names (its client id; the secret is never kept), if any. */
function servicePrincipalOf(props: Record<string, unknown>): { clientId: string } | undefined {
  const sp = props.servicePrincipalProfile as { clientId?: unknown } | undefined;
  return sp && typeof sp === 'object' && typeof sp.clientId === 'string' && sp.clientId !== '' ? { clientId: sp.clientId } : undefined;
}

export async function putCluster(svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  const { subscriptionId, resourceGroupName, resourceName } = req.params as Record<string, string>;
  const ctx = svc.deps;
  const rg = await ctx.arm.requireResourceGroup(subscriptionId, resourceGroupName);
  await ctx.providers.requireRegistered(subscriptionId, NS);
  // SPEC C-11: property names in the REST spec's casing before anything reads them.
  const body = canonicalize(req.json(), (await propertyNameTables()).managedCluster) as Record<string, unknown>;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw armErrors.invalidContent('The request body must be a managed cluster JSON object');
  const props = asObject(body.properties, 'properties');
  // SPEC R-4: create and update alike read the version as text (a number or an object was a 500).
  if (props.kubernetesVersion !== undefined && typeof props.kubernetesVersion !== 'string') {
    throw new ArmError(400, 'InvalidParameter', 'properties.kubernetesVersion must be a string.', 'properties.kubernetesVersion');
  }
  const id = providerResourceId(subscriptionId, rg.name, NS, [['managedClusters', resourceName]]);
  const existing = await svc.getCluster(id);
  requirePreconditions(req, existing?.value.eTag, `managed cluster '${resourceName}'`);
  if (existing) return updateCluster(svc, req, existing.value, existing.modRevision, body, props);
  return createCluster(svc, req, rg, id, body, props);
}

async function createCluster(svc: ContainerService, req: ArmRequest, rg: ResourceGroup, id: string, body: Record<string, unknown>, props: Record<string, unknown>): Promise<ArmResponse> {
  const ctx = svc.deps;
  const { subscriptionId, resourceName: name } = req.params as Record<string, string>;
  const now = ctx.clock.now();
  const location = body.location === undefined ? normalizeLocation(rg.location) : typeof body.location === 'string' ? normalizeLocation(body.location) : undefined;
  if (!location) throw new ArmError(400, 'LocationNotAvailableForResourceType', `The provided location '${shown(body.location)}' is not available for resource type 'Microsoft.ContainerService/managedClusters'.`);
  const extendedLocation = extendedLocationOf(body.extendedLocation, location);
  const requested = props.kubernetesVersion as string | undefined;
  const version = resolveVersion(requested, now);
  if (!version) throw versionNotSupported(requested!, now, 'properties.kubernetesVersion');
  const facts: ClusterFacts = { name, resourceGroup: rg.name, subscriptionId, location, kubernetesVersion: version.current, kubernetesVersionRequested: version.requested, virtualNodes: virtualNodesEnabled(props.addonProfiles as never) };
  const profiles = readProfiles(props);
  const modes = defaultModes(profiles);
  const evaluations: PoolEvaluation[] = [];
  for (let i = 0; i < profiles.length; i++) {
    evaluations.push(await svc.evaluatePool({ apiVersion: req.apiVersion, cluster: facts, name: String(profiles[i]!.name), props: profiles[i]!, dfltMode: modes[i]! }));
  }
  const identity = body.identity === undefined ? undefined : asObject(body.identity, 'identity');
  await runClusterRules({
    phase: 'create',
    apiVersion: req.apiVersion,
    now,
    cluster: facts,
    properties: props,
    identity,
    lookups: ctx.lookups,
    pools: evaluations.map((e) => e.input),
    isFeatureRegistered: (ns, n) => ctx.features.isRegistered(subscriptionId, ns, n),
  });
  requireVersion(requested, now, 'properties.kubernetesVersion');

  const nodeResourceGroup = typeof props.nodeResourceGroup === 'string' && props.nodeResourceGroup ? props.nodeResourceGroup : `MC_${rg.name}_${name}_${location}`;
  const existingNodeRg = await ctx.arm.resources.getResourceGroup(subscriptionId, nodeResourceGroup);
  if (existingNodeRg) {
    throw new ArmError(409, 'NodeResourceGroupAlreadyExists', `The node resource group '${nodeResourceGroup}' already exists: delete it or choose another name with properties.nodeResourceGroup.`, 'properties.nodeResourceGroup');
  }
  const created: string[] = [];
  try {
    // A cluster created with a service principal (and no identity) runs its control plane as that principal, and
    // shows no managed identity; the principal's client id is shown as sent (SPEC C-1, P-4).
    const principal = servicePrincipalOf(props);
    const controlPlane = identity === undefined && principal && principal.clientId !== 'msi' ? undefined : await resolveIdentity(svc, identity, undefined, id, name, created);
    const uid = randomHex(12);
    const dnsPrefix = typeof props.dnsPrefix === 'string' && props.dnsPrefix ? props.dnsPrefix : defaultDnsPrefix(name, rg.name, subscriptionId);
    const hash = randomHex(4);
    const fqdn = `${dnsPrefix.toLowerCase()}-${hash}.hcp.${location}.azmk8s.io`;
    // The kubelet identity lives in the node resource group, as a user-assigned identity.
    const kubeletName = `${name}-agentpool`;
    const kubeletId = `/subscriptions/${subscriptionId}/resourcegroups/${nodeResourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${kubeletName}`;
    const kubelet = await ctx.directory.createPrincipal({ displayName: kubeletName, type: 'ManagedIdentity', resourceId: kubeletId });
    created.push(kubelet.appId);
    const rest = sanitizeClusterProperties(props);
    const doc: ManagedClusterDoc = {
      id,
      location,
      name,
      type: CLUSTER_TYPE,
      eTag: newETag(),
      ...(extendedLocation ? { extendedLocation } : {}),
      ...(body.tags ? { tags: body.tags as Record<string, string> } : {}),
      ...(controlPlane ? { identity: controlPlane } : {}),
      sku: (body.sku as object | undefined) ?? { name: 'Base', tier: 'Free' },
      properties: {
        ...rest,
        provisioningState: 'Creating',
        powerState: { code: 'Running' },
        kubernetesVersion: version.requested,
        currentKubernetesVersion: version.current,
        dnsPrefix,
        fqdn,
        azurePortalFQDN: `${dnsPrefix.toLowerCase()}-${hash}.portal.hcp.${location}.azmk8s.io`,
        enableRBAC: rest.enableRBAC ?? true,
        supportPlan: rest.supportPlan ?? 'KubernetesOfficial',
        nodeResourceGroup,
        maxAgentPools: 100,
        servicePrincipalProfile: principal ?? { clientId: 'msi' },
        identityProfile: { kubeletidentity: { resourceId: kubeletId, clientId: kubelet.appId, objectId: kubelet.objectId } },
        networkProfile: withOutbound(networkProfile(rest.networkProfile as Record<string, unknown> | undefined), `/subscriptions/${subscriptionId}/resourceGroups/${nodeResourceGroup}`, undefined),
        addonProfiles: rest.addonProfiles ?? {},
        disableLocalAccounts: rest.disableLocalAccounts ?? false,
        // SPEC Z-3: as AKS shows a managed Entra ID profile (its tenant defaults to the subscription's).
        ...(rest.aadProfile ? { aadProfile: { enableAzureRBAC: false, adminGroupObjectIDs: [], tenantID: ctx.tenantId, ...(rest.aadProfile as object) } } : {}),
        securityProfile: rest.securityProfile ?? {},
        storageProfile: { diskCSIDriver: { enabled: true }, fileCSIDriver: { enabled: true }, snapshotController: { enabled: true }, ...((rest.storageProfile as object) ?? {}) },
        oidcIssuerProfile: rest.oidcIssuerProfile ?? { enabled: false },
        ...privateAccess(rest, `${dnsPrefix.toLowerCase()}-${hash}`, location),
        ...(rest.serviceMeshProfile !== undefined ? { serviceMeshProfile: serviceMesh(rest.serviceMeshProfile) } : {}),
        autoUpgradeProfile: rest.autoUpgradeProfile ?? { nodeOSUpgradeChannel: 'NodeImage' },
        resourceUID: uid,
      },
    };
    const nodeRg: ResourceGroup = {
      id: `/subscriptions/${subscriptionId}/resourceGroups/${nodeResourceGroup}`,
      name: nodeResourceGroup,
      type: 'Microsoft.Resources/resourceGroups',
      location,
      managedBy: id,
      tags: { 'aks-managed-cluster-name': name, 'aks-managed-cluster-rg': rg.name },
      properties: { provisioningState: 'Succeeded' },
    };
    const kubeletDoc = {
      id: kubeletId,
      name: kubeletName,
      type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
      location,
      tags: {},
      properties: { tenantId: ctx.tenantId, principalId: kubelet.objectId, clientId: kubelet.appId },
    };
    const record: ClusterRecord = { uid, armId: id, fqdn, createdAt: ctx.clock.iso() };
    const res = await ctx.store.txn({
      if: [
        { key: `/arm/resources${id.toLowerCase()}`, modRevision: 0 },
        { key: resourceGroupKey(subscriptionId, nodeResourceGroup), modRevision: 0 },
      ],
      then: [
        svc.putOp(doc),
        { type: 'put', key: clusterRecordKey(uid), value: Buffer.from(JSON.stringify(record)) },
        { type: 'put', key: clusterByFqdnKey(fqdn), value: Buffer.from(JSON.stringify({ uid })) },
        { type: 'put', key: resourceGroupKey(subscriptionId, nodeResourceGroup), value: Buffer.from(JSON.stringify(nodeRg)) },
        svc.putOp(kubeletDoc),
      ],
    });
    if (!res.succeeded) throw new ArmError(409, 'Conflict', `The managed cluster '${name}' was created by another request meanwhile; retry.`);
    created.length = 0;
    const waits: Array<{ name: string; generation: number }> = [];
    for (let i = 0; i < evaluations.length; i++) {
      const ev = evaluations[i]!;
      const generation = await svc.applyPool(doc, subscriptionId, uid, ev, i, [svc.putOp(svc.poolDoc(id, ev, 'Creating'))]);
      waits.push({ name: ev.input.name, generation });
    }
    const op = await svc.startOperation(
      req,
      { subscriptionId, clusterId: id, uid, kind: 'cluster-create', pools: waits, readyAtMs: ctx.clock.nowMs() + ctx.speed.delay(TIMING.controlPlaneMs) },
      location,
      id,
    );
    return { status: 201, body: await svc.compose(doc), headers: ctx.arm.operations.headers(req, op, ['async']) };
  } finally {
    for (const appId of created) await ctx.directory.deletePrincipal(appId);
  }
}

async function updateCluster(
  svc: ContainerService,
  req: ArmRequest,
  current: ManagedClusterDoc,
  revision: number,
  body: Record<string, unknown>,
  props: Record<string, unknown>,
): Promise<ArmResponse> {
  const ctx = svc.deps;
  const { subscriptionId, resourceGroupName } = req.params as Record<string, string>;
  const now = ctx.clock.now();
  if (!TERMINAL_STATES.has(current.properties.provisioningState)) throw operationNotAllowed(`managed cluster '${current.name}'`, current.properties.provisioningState);
  const poolDocs = await svc.pools(current.id);
  const busy = poolDocs.find((p) => !TERMINAL_STATES.has(p.value.properties.provisioningState));
  if (busy) throw operationNotAllowed(`agent pool '${busy.value.name}'`, busy.value.properties.provisioningState);
  if (body.location !== undefined && (typeof body.location !== 'string' || normalizeLocation(body.location) !== current.location)) {
    throw new ArmError(400, 'PropertyChangeNotAllowed', `Changing property 'location' is not allowed: the cluster is in '${current.location}'.`, 'location');
  }
  extendedLocationOf(body.extendedLocation, current.location, { current: current.extendedLocation });
  const requested = (props.kubernetesVersion as string | undefined) || current.properties.kubernetesVersion;
  // The same requested version as before keeps the control plane on the patch it runs (SPEC C-10); only a new
  // request resolves to the newest patch out by now.
  const version = requested === current.properties.kubernetesVersion ? { requested, current: current.properties.currentKubernetesVersion } : resolveVersion(requested, now);
  if (!version) throw versionNotSupported(requested, now, 'properties.kubernetesVersion');
  const facts: ClusterFacts = {
    ...clusterFactsOf(current, subscriptionId, resourceGroupName),
    kubernetesVersion: version.current,
    kubernetesVersionRequested: version.requested,
    previousKubernetesVersion: current.properties.currentKubernetesVersion,
    virtualNodes: virtualNodesEnabled((props.addonProfiles ?? current.properties.addonProfiles) as never),
  };
  const byName = new Map(poolDocs.map((d) => [d.value.name.toLowerCase(), d.value] as const));
  const evaluations: PoolEvaluation[] = [];
  const profiles = readProfiles(props);
  for (const profile of profiles) {
    const prev = byName.get(String(profile.name).toLowerCase());
    evaluations.push(await svc.evaluatePool({ apiVersion: req.apiVersion, cluster: facts, name: String(profile.name), props: profile, dfltMode: 'User', ...(prev ? { previous: prev.properties } : {}) }));
  }
  const evaluated = new Set(evaluations.map((e) => e.input.name.toLowerCase()));
  const allPools: PoolInput[] = [
    ...evaluations.map((e) => e.input),
    ...poolDocs.filter((d) => !evaluated.has(d.value.name.toLowerCase())).map((d) => normalizePool(d.value.name, d.value.properties as Record<string, unknown>, 'User')),
  ];
  const identity = body.identity === undefined ? undefined : asObject(body.identity, 'identity');
  await runClusterRules({
    phase: 'update',
    apiVersion: req.apiVersion,
    now,
    cluster: facts,
    properties: props,
    previousProperties: current.properties,
    identity,
    previousIdentity: current.identity as Record<string, unknown> | undefined,
    uid: current.properties.resourceUID,
    lookups: ctx.lookups,
    pools: allPools,
    isFeatureRegistered: (ns, n) => ctx.features.isRegistered(subscriptionId, ns, n),
  });
  const upgrading = version.current !== current.properties.currentKubernetesVersion;
  if (upgrading) requireVersion(requested, now, 'properties.kubernetesVersion');
  const created: string[] = [];
  const controlPlane = identity ? await resolveIdentity(svc, identity, current.identity, current.id, current.name, created) : current.identity;
  const rest = sanitizeClusterProperties(props);
  const computed = Object.fromEntries(CLUSTER_READ_ONLY.filter((k) => k in current.properties).map((k) => [k, current.properties[k]]));
  const doc: ManagedClusterDoc = {
    ...current,
    eTag: newETag(),
    ...(body.tags !== undefined ? { tags: body.tags as Record<string, string> } : {}),
    ...(controlPlane ? { identity: controlPlane } : {}),
    properties: {
      ...current.properties,
      ...rest,
      ...computed,
      dnsPrefix: current.properties.dnsPrefix,
      networkProfile: withOutbound(
        networkProfile({ ...((current.properties.networkProfile as object) ?? {}), ...((rest.networkProfile as object) ?? {}) }),
        `/subscriptions/${subscriptionId}/resourceGroups/${current.properties.nodeResourceGroup}`,
        current.properties.networkProfile as Record<string, unknown> | undefined,
      ),
      servicePrincipalProfile: current.properties.servicePrincipalProfile,
      // A storage driver the request leaves out keeps its state (the current az sends `storageProfile: {}`).
      storageProfile: { ...((current.properties.storageProfile as object) ?? {}), ...((rest.storageProfile as object) ?? {}) },
      ...(rest.serviceMeshProfile !== undefined ? { serviceMeshProfile: serviceMesh(rest.serviceMeshProfile) } : {}),
      provisioningState: upgrading ? 'Upgrading' : 'Updating',
      kubernetesVersion: version.requested,
      currentKubernetesVersion: version.current,
    } as ManagedClusterDoc['properties'],
  };
  delete (doc.properties as Record<string, unknown>).agentPoolProfiles;
  const res = await ctx.arm.resources.put(doc, { ifModRevision: revision });
  if (!res.succeeded) {
    for (const appId of created) await ctx.directory.deletePrincipal(appId);
    throw new ArmError(409, 'Conflict', `The managed cluster '${current.name}' was changed by another request meanwhile; retry.`);
  }
  const uid = current.properties.resourceUID;
  const waits: Array<{ name: string; generation: number }> = [];
  for (const ev of evaluations) {
    const prev = byName.get(ev.input.name.toLowerCase());
    if (prev && !ev.changed.any) continue;
    const state = !prev ? 'Creating' : ev.changed.version ? 'Upgrading' : ev.changed.count && !ev.changed.reimage ? 'Scaling' : 'Updating';
    const generation = await svc.applyPool(doc, subscriptionId, uid, ev, await svc.ordinalOf(uid, ev.input.name), [svc.putOp(svc.poolDoc(doc.id, ev, state))]);
    waits.push({ name: ev.input.name, generation });
  }
  const op = await svc.startOperation(req, { subscriptionId, clusterId: doc.id, uid, kind: 'cluster-update', pools: waits }, doc.location, doc.id);
  return { status: 200, body: await svc.compose(doc), headers: ctx.arm.operations.headers(req, op, ['async']) };
}

export function clusterFactsOf(doc: ManagedClusterDoc, subscriptionId: string, resourceGroup: string): ClusterFacts {
  return {
    name: doc.name,
    resourceGroup,
    subscriptionId,
    location: doc.location,
    kubernetesVersion: doc.properties.currentKubernetesVersion,
    kubernetesVersionRequested: doc.properties.kubernetesVersion,
    virtualNodes: virtualNodesEnabled(doc.properties.addonProfiles as never),
  };
}

export async function deleteCluster(svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  const { subscriptionId, resourceGroupName, resourceName } = req.params as Record<string, string>;
  const ctx = svc.deps;
  await ctx.arm.requireResourceGroup(subscriptionId, resourceGroupName);
  const id = providerResourceId(subscriptionId, resourceGroupName, NS, [['managedClusters', resourceName]]);
  const existing = await svc.getCluster(id);
  requirePreconditions(req, existing?.value.eTag, `managed cluster '${resourceName}'`);
  if (!existing) return { status: 204 };
  await svc.setState<ManagedClusterDoc>(existing.value.id, (d) => ({ ...d, properties: { ...d.properties, provisioningState: 'Deleting' } }));
  for (const p of await svc.pools(existing.value.id)) {
    await svc.setState<AgentPoolDoc>(p.value.id, (d) => ({ ...d, properties: { ...d.properties, provisioningState: 'Deleting' } }));
  }
  const op = await svc.startOperation(
    req,
    { subscriptionId, clusterId: existing.value.id, uid: existing.value.properties.resourceUID, kind: 'cluster-delete', pools: [], readyAtMs: ctx.clock.nowMs() + ctx.speed.delay(TIMING.clusterDeleteMs) },
    existing.value.location,
    existing.value.id,
  );
  return { status: 202, headers: ctx.arm.operations.headers(req, op) };
}

export async function getCluster(svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  const { subscriptionId, resourceGroupName, resourceName } = req.params as Record<string, string>;
  await svc.deps.arm.requireResourceGroup(subscriptionId, resourceGroupName);
  const doc = await svc.getCluster(providerResourceId(subscriptionId, resourceGroupName, NS, [['managedClusters', resourceName]]));
  if (!doc) throw clusterNotFound(resourceName, resourceGroupName);
  return { status: 200, body: await svc.compose(doc.value) };
}

export async function listClusters(svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  const { subscriptionId, resourceGroupName } = req.params as Record<string, string>;
  if (resourceGroupName) await svc.deps.arm.requireResourceGroup(subscriptionId, resourceGroupName);
  const docs = await svc.deps.arm.resources.list(subscriptionId, { ...(resourceGroupName ? { resourceGroup: resourceGroupName } : {}), type: CLUSTER_TYPE });
  const value = [];
  for (const d of docs) value.push(await svc.compose(d as ManagedClusterDoc));
  return { status: 200, body: { value } };
}

export async function patchClusterTags(svc: ContainerService, req: ArmRequest): Promise<ArmResponse> {
  const { subscriptionId, resourceGroupName, resourceName } = req.params as Record<string, string>;
  await svc.deps.arm.requireResourceGroup(subscriptionId, resourceGroupName);
  const id = providerResourceId(subscriptionId, resourceGroupName, NS, [['managedClusters', resourceName]]);
  const body = asObject(canonicalize(req.json(), (await propertyNameTables()).managedCluster), 'body');
  const tags = asObject(body.tags, 'tags');
  if (Object.values(tags).some((v) => typeof v !== 'string')) throw armErrors.invalidContent('tag values must be strings');
  const current = await svc.getCluster(id);
  requirePreconditions(req, current?.value.eTag, `managed cluster '${resourceName}'`);
  const updated = await svc.setState<ManagedClusterDoc>(id, (d) => (d.eTag === current?.value.eTag ? { ...d, tags: tags as Record<string, string>, eTag: newETag() } : undefined));
  if (!updated) {
    if (current) throw new ArmError(409, 'Conflict', `The managed cluster '${resourceName}' was changed by another request meanwhile; retry.`);
    throw clusterNotFound(resourceName, resourceGroupName);
  }
  return { status: 200, body: await svc.compose(updated) };
}

/**
 * POST .../stop and .../start: a stopped cluster deallocates every node (their Nodes go away) and shows
 * `powerState.code` Stopped on the cluster and its pools; starting boots them again.
 */
export async function stopOrStartCluster(svc: ContainerService, req: ArmRequest, target: 'Stopped' | 'Running'): Promise<ArmResponse> {
  const { subscriptionId, resourceGroupName, resourceName } = req.params as Record<string, string>;
  const ctx = svc.deps;
  await ctx.arm.requireResourceGroup(subscriptionId, resourceGroupName);
  const id = providerResourceId(subscriptionId, resourceGroupName, NS, [['managedClusters', resourceName]]);
  const existing = await svc.getCluster(id);
  if (!existing) throw clusterNotFound(resourceName, resourceGroupName);
  const cluster = existing.value;
  if (!TERMINAL_STATES.has(cluster.properties.provisioningState)) throw operationNotAllowed(`managed cluster '${cluster.name}'`, cluster.properties.provisioningState);
  const pools = await svc.pools(cluster.id);
  const busy = pools.find((p) => !TERMINAL_STATES.has(p.value.properties.provisioningState));
  if (busy) throw operationNotAllowed(`agent pool '${busy.value.name}'`, busy.value.properties.provisioningState);
  const state = target === 'Stopped' ? 'Stopping' : 'Starting';
  const updated: ManagedClusterDoc = { ...cluster, eTag: newETag(), properties: { ...cluster.properties, provisioningState: state, powerState: { code: target } } };
  const res = await ctx.arm.resources.put(updated, { ifModRevision: existing.modRevision });
  if (!res.succeeded) throw new ArmError(409, 'Conflict', `The managed cluster '${cluster.name}' was changed by another request meanwhile; retry.`);
  const uid = cluster.properties.resourceUID;
  const waits: Array<{ name: string; generation: number }> = [];
  for (const p of pools) {
    const fleetPool = await svc.fleet.pool(uid, p.value.name);
    if (!fleetPool) continue;
    const doc: AgentPoolDoc = { ...p.value, properties: { ...p.value.properties, provisioningState: state, powerState: { code: target }, eTag: newETag() } };
    const { generation: _g, vmssName: _n, ...spec } = fleetPool.spec;
    const generation = await svc.fleet.applyPool({ ...spec, powerState: target }, [svc.putOp(doc)]);
    waits.push({ name: p.value.name, generation });
  }
  const op = await svc.startOperation(req, { subscriptionId, clusterId: cluster.id, uid, kind: target === 'Stopped' ? 'cluster-stop' : 'cluster-start', pools: waits }, cluster.location, cluster.id);
  return { status: 202, headers: ctx.arm.operations.headers(req, op) };
}
