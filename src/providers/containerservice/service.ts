/**
 * The managed cluster service behind the routes: reads and composes the ARM documents, evaluates pools against the
 * rules, hands pools to the fleet, and drives long-running operations to their end as persisted tasks.
 *
 * Store layout (besides the fleet's /fleet/<uid>/...):
 *   /arm/resources/<cluster id>                      the managed cluster document (agentPoolProfiles composed on read)
 *   /arm/resources/<cluster id>/agentpools/<name>    one document per agent pool (the single source of pool truth)
 *   /aks/clusters/<uid>, /aks/fqdn/<fqdn>            the cluster registry links (src/kube/cluster-registry.ts)
 *   /clusters/<uid>/registry/...                     the cluster's Kubernetes objects (Nodes written by the fleet)
 * The cluster's uid is its `properties.resourceUID`. `agentPoolProfiles` is composed from the agentPools documents
 * on every read, so the two views can never disagree.
 */
import type { Logger } from 'pino';
import type { Arm } from '../../arm/arm.js';
import type { Directory } from '../../identity/directory.js';
import type { Clock, Speed } from '../../runtime/clock.js';
import type { TaskRunner } from '../../runtime/tasks.js';
import type { Store } from '../../store/store.js';
import type { FeatureRegistrations } from '../features/features.js';
import type { ProviderRegistrations } from '../resources/provider-registration.js';
import type { ClusterLookups } from './rules/types.js';
import { ArmError } from '../../arm/errors.js';
import type { ArmRequest } from '../../arm/router.js';
import { resourceKey, type ArmResource } from '../../arm/repository.js';
import { listJson, updateJson, type JsonDocument } from '../../store/json.js';
import type { TxnOp } from '../../store/store.js';
import { clusterByFqdnKey, clusterPrefix, clusterRecordKey } from '../../clusters/cluster-registry.js';
import { resolveVersion } from '../../fleet/catalog/kubernetes-versions.js';
import { imageByName } from '../../fleet/catalog/node-images.js';
import type { Fleet } from '../../fleet/fleet.js';
import type { NodeModel, PoolFailure, VmssSpec } from '../../fleet/model.js';
import { vmssName } from '../../fleet/naming.js';
import { newETag } from './etags.js';
import { withNodesStatus } from './nodes-status.js';
import { normalizePool, planPool } from './pool-spec.js';
import type { PoolInput, PoolMode, PoolPlan } from './pool-model.js';
import { runPoolRules } from './rules/index.js';
import { gpuDriverOf } from './rules/trusted-launch.js';
import type { ClusterFacts } from './rules/types.js';
import { versionNotSupported } from './rules/versions.js';
import { OP_TASK, type ClusterHooks, type OpPayload, type PoolEvaluation } from './cluster-lifecycle.js';
import { POOL_TYPE, TERMINAL_STATES, type AgentPoolDoc, type AgentPoolWire, type ManagedClusterDoc } from './models.js';

/** Pool properties that are computed by the service, never taken from a request. */
const POOL_READ_ONLY = ['provisioningState', 'currentOrchestratorVersion', 'nodeImageVersion', 'name', 'id', 'status', 'eTag', 'virtualMachineNodesStatus'];

/** What the managed cluster service needs from the rest of the emulator, named one by one. */
export interface ContainerServiceDeps {
  store: Store;
  arm: Arm;
  clock: Clock;
  speed: Speed;
  tasks: TaskRunner;
  log: Logger;
  directory: Directory;
  providers: ProviderRegistrations;
  features: FeatureRegistrations;
  tenantId: string;
  /** What the cluster rules may look up beyond the request (a KMS key's vault, the cluster's identity). */
  lookups: ClusterLookups;
}

export class ContainerService {
  readonly hooks: ClusterHooks[] = [];

  constructor(
    readonly deps: ContainerServiceDeps,
    readonly fleet: Fleet,
  ) {}

  addHooks(h: ClusterHooks): void {
    this.hooks.push(h);
  }

  // ------------------------------------------------------------------------------------------------ reading

  getCluster(id: string): Promise<JsonDocument<ManagedClusterDoc> | undefined> {
    return this.deps.arm.resources.get<ManagedClusterDoc>(id);
  }

  async pools(clusterId: string): Promise<Array<JsonDocument<AgentPoolDoc>>> {
    return this.deps.arm.resources.listChildren<AgentPoolDoc>(clusterId, 'agentPools');
  }

  /** The cluster as clients see it: agentPoolProfiles from the agentPools documents, secrets never shown. */
  async compose(doc: ManagedClusterDoc): Promise<ManagedClusterDoc> {
    const pools = await Promise.all((await this.pools(doc.id)).map((d) => withNodesStatus(this.fleet, doc.properties.resourceUID, d.value)));
    let out: ManagedClusterDoc = {
      ...doc,
      properties: { ...doc.properties, agentPoolProfiles: pools.map((p) => ({ name: p.name, ...p.properties })) },
    };
    for (const h of this.hooks) if (h.compose) out = await h.compose(out);
    return out;
  }

  /** The node model of a pool: what its nodes are built from. */
  nodeModel(cluster: ManagedClusterDoc, subscriptionId: string, ev: PoolEvaluation): NodeModel {
    const img = imageByName(ev.image)!;
    const os = ev.plan.os!;
    return {
      subscriptionId,
      clusterName: cluster.name,
      nodeResourceGroup: cluster.properties.nodeResourceGroup,
      location: cluster.location,
      osType: ev.input.osType,
      osSku: os.osSkuLabel,
      os: os.id,
      image: ev.image,
      kernel: img.kernel,
      arch: img.arch,
      generation: img.generation,
      vmSize: ev.plan.vmSize!.name,
      kubernetesVersion: ev.currentVersion,
      mode: ev.input.mode,
      fips: ev.input.enableFIPS,
      ...(ev.input.messageOfTheDay && ev.input.osType === 'Linux' ? { messageOfTheDay: ev.input.messageOfTheDay } : {}),
      maxPods: ev.input.maxPods,
      nodeLabels: ev.input.nodeLabels,
      nodeTaints: ev.input.nodeTaints,
      ...(ev.input.availabilityZones ? { zones: ev.input.availabilityZones } : {}),
      securityProfile: ev.input.securityProfile,
      ...(ev.plan.vmSize!.gpus > 0 ? { gpuDriver: gpuDriverOf(ev.input.raw) } : {}),
      ...(cluster.properties.identityProfile?.kubeletidentity ? { kubeletIdentityClientId: cluster.properties.identityProfile.kubeletidentity.clientId } : {}),
      clusterId: cluster.id,
    };
  }

  // --------------------------------------------------------------------------------------------- evaluating

  /**
   * Normalizes, plans and judges one pool (create or update). Throws the first rule's ArmError; writes nothing.
   */
  async evaluatePool(o: {
    apiVersion: string;
    cluster: ClusterFacts;
    name: string;
    props: Record<string, unknown>;
    dfltMode: PoolMode;
    previous?: AgentPoolWire;
  }): Promise<PoolEvaluation> {
    const now = this.deps.clock.now();
    const prevInput = o.previous ? normalizePool(o.name, o.previous as Record<string, unknown>, 'User') : undefined;
    const input = normalizePool(o.name, o.props, o.dfltMode, prevInput);
    const raw = { ...(o.previous ? stripReadOnly(o.previous as Record<string, unknown>) : {}), ...stripReadOnly(o.props) };
    input.raw = raw;
    const requested = input.orchestratorVersion || o.cluster.kubernetesVersion;
    // The same requested version as before keeps the pool on the patch it runs (SPEC C-10): a patch released since
    // moves it only when asked for (az: "No operations will occur when upgrading to the same version").
    const kept = o.previous && requested === o.previous.orchestratorVersion ? o.previous.currentOrchestratorVersion : undefined;
    const r = kept ? { requested, current: kept } : resolveVersion(requested, now);
    if (!r) throw versionNotSupported(requested, now, 'agentPoolProfile.orchestratorVersion');
    const prevImage = o.previous && prevInput ? { image: imageByName(o.previous.nodeImageVersion), fips: prevInput.enableFIPS } : undefined;
    const plan = planPool(input, r.current, now, prevImage);
    let previous: { pool: PoolInput; kubernetesVersion: string; plan: PoolPlan; image: string } | undefined;
    if (o.previous && prevInput) {
      const prevVersion = o.previous.currentOrchestratorVersion;
      previous = { pool: prevInput, kubernetesVersion: prevVersion, plan: planPool(prevInput, prevVersion, now, prevImage), image: o.previous.nodeImageVersion };
    }
    await runPoolRules({
      phase: o.previous ? 'update' : 'create',
      apiVersion: o.apiVersion,
      now,
      cluster: o.cluster,
      pool: input,
      kubernetesVersion: r.current,
      plan,
      ...(previous ? { previous } : {}),
      isFeatureRegistered: (ns, name) => this.deps.features.isRegistered(o.cluster.subscriptionId, ns, name),
    });
    // Nodes keep their image unless the image variant or the Kubernetes version changes (then: the newest image).
    let image = plan.image?.name;
    if (previous) {
      const prevImg = imageByName(previous.image);
      const sameVariant =
        prevImg &&
        plan.os &&
        prevImg.os === plan.os.id &&
        prevImg.arch === plan.arch &&
        prevImg.generation === plan.generation &&
        prevImg.fips === (input.enableFIPS && input.osType === 'Linux') &&
        prevImg.trustedLaunch === plan.trustedLaunch;
      if (sameVariant && previous.kubernetesVersion === r.current) image = previous.image;
    }
    if (!image || !plan.os || !plan.vmSize) {
      throw new ArmError(
        400,
        'NodeImageNotAvailable',
        `No node image exists for node pool '${o.name}' (${plan.defaultOs?.displayName ?? input.osSku ?? input.osType}, ${plan.arch}, Gen${plan.generation}${input.enableFIPS ? ', FIPS' : ''}${plan.trustedLaunch ? ', Trusted Launch' : ''}, Kubernetes ${r.current}). Choose another OS SKU, VM size or version.`,
        'agentPoolProfile',
      );
    }
    const reimage = !previous || image !== previous.image || r.current !== previous.kubernetesVersion || input.enableFIPS !== previous.pool.enableFIPS ||
      JSON.stringify(input.securityProfile) !== JSON.stringify(previous.pool.securityProfile);
    const version = !!previous && r.current !== previous.kubernetesVersion;
    const count = !!previous && (input.count !== previous.pool.count || input.powerState !== previous.pool.powerState);
    const any =
      !previous ||
      reimage ||
      count ||
      JSON.stringify([input.nodeLabels, input.nodeTaints, input.mode, input.sizes]) !== JSON.stringify([previous.pool.nodeLabels, previous.pool.nodeTaints, previous.pool.mode, previous.pool.sizes]);
    return { input, plan, requestedVersion: input.orchestratorVersion || o.cluster.kubernetesVersionRequested || r.requested, currentVersion: r.current, image, changed: { reimage, version, count, any } };
  }

  /** The pool document for an evaluated pool. */
  poolDoc(clusterId: string, ev: PoolEvaluation, provisioningState: string): AgentPoolDoc {
    const i = ev.input;
    const raw = i.raw;
    const properties: AgentPoolWire = {
      ...raw,
      count: i.count,
      vmSize: ev.plan.vmSize!.name,
      osDiskSizeGB: i.osDiskSizeGB,
      osDiskType: i.osDiskType,
      kubeletDiskType: raw.kubeletDiskType ?? 'OS',
      maxPods: i.maxPods,
      type: i.type,
      enableAutoScaling: raw.enableAutoScaling ?? false,
      scaleDownMode: raw.scaleDownMode ?? 'Delete',
      provisioningState,
      powerState: { code: i.powerState },
      orchestratorVersion: ev.requestedVersion,
      currentOrchestratorVersion: ev.currentVersion,
      enableNodePublicIP: raw.enableNodePublicIP ?? false,
      nodeLabels: i.nodeLabels,
      ...(i.nodeTaints.length > 0 ? { nodeTaints: i.nodeTaints } : {}),
      mode: i.mode,
      enableEncryptionAtHost: raw.enableEncryptionAtHost ?? false,
      enableUltraSSD: raw.enableUltraSSD ?? false,
      // Spot pools: evicted nodes are deleted and the price cap is the on-demand price (-1), unless set.
      ...(raw.scaleSetPriority === 'Spot' ? { scaleSetEvictionPolicy: raw.scaleSetEvictionPolicy ?? 'Delete', spotMaxPrice: raw.spotMaxPrice ?? -1 } : {}),
      osType: i.osType,
      osSKU: (i.osSku ?? ev.plan.os!.osSkuLabel) as AgentPoolWire['osSKU'],
      nodeImageVersion: ev.image,
      // New pools surge by 10% unless told otherwise, whatever other upgrade settings the client sends (the current
      // az sends undrainableNodeBehavior alone).
      upgradeSettings: { maxSurge: '10%', ...((raw.upgradeSettings as object | undefined) ?? {}) },
      enableFIPS: i.enableFIPS,
      ...(i.messageOfTheDay ? { messageOfTheDay: i.messageOfTheDay } : {}),
      securityProfile: { ...((raw.securityProfile as object) ?? {}), enableVTPM: i.securityProfile.enableVTPM, enableSecureBoot: i.securityProfile.enableSecureBoot },
      // SPEC C-12: every new pool document is a change a client made.
      eTag: newETag(),
    };
    if (i.messageOfTheDay === undefined) delete properties.messageOfTheDay;
    return { id: `${clusterId}/agentPools/${i.name}`, name: i.name, type: POOL_TYPE, properties };
  }

  /** Store ops that put an ARM document. */
  putOp(doc: ArmResource): TxnOp {
    return { type: 'put', key: resourceKey(doc.id), value: Buffer.from(JSON.stringify(doc)) };
  }

  /** The VM scale set of a pool, as an ARM document in the node resource group (seen by `az resource list`). */
  vmssId(cluster: ManagedClusterDoc, subscriptionId: string, uid: string, pool: string): string {
    return `/subscriptions/${subscriptionId}/resourceGroups/${cluster.properties.nodeResourceGroup}/providers/Microsoft.Compute/virtualMachineScaleSets/${vmssName(pool, uid)}`;
  }

  vmssDoc(cluster: ManagedClusterDoc, subscriptionId: string, uid: string, ev: PoolEvaluation): ArmResource {
    const name = vmssName(ev.input.name, uid);
    return {
      id: this.vmssId(cluster, subscriptionId, uid, ev.input.name),
      name,
      type: 'Microsoft.Compute/virtualMachineScaleSets',
      location: cluster.location,
      tags: { 'aks-managed-poolName': ev.input.name, 'aks-managed-orchestrator': `Kubernetes:${ev.currentVersion}`, 'aks-managed-createOperationID': uid },
      sku: { name: ev.plan.vmSize!.name, tier: 'Standard', capacity: ev.input.powerState === 'Stopped' ? 0 : ev.input.count },
      properties: { provisioningState: 'Succeeded', orchestrationMode: 'Uniform', upgradePolicy: { mode: 'Manual' }, virtualMachineProfile: { storageProfile: { imageReference: { id: ev.image } } } },
    };
  }

  /**
   * Hands a pool to the fleet (spec and the VMSS document in one transaction); returns the generation to wait for.
   * `refreshOsDisks`: a node image upgrade, which also rebuilds OS disks modified since the image laid them down.
   */
  async applyPool(cluster: ManagedClusterDoc, subscriptionId: string, uid: string, ev: PoolEvaluation, ordinal: number, extra: TxnOp[] = [], opts: { refreshOsDisks?: boolean } = {}): Promise<number> {
    return this.fleet.applyPool(
      {
        uid,
        pool: ev.input.name,
        capacity: ev.input.count,
        powerState: ev.input.powerState,
        deleting: false,
        ordinal,
        model: this.nodeModel(cluster, subscriptionId, ev),
        ...(ev.input.sizes ? { sizes: ev.input.sizes } : {}),
        ...upgradeSettings(ev.input.raw),
      },
      [this.putOp(this.vmssDoc(cluster, subscriptionId, uid, ev)), ...extra],
      opts,
    );
  }

  async nextOrdinal(uid: string): Promise<number> {
    const pools = await this.fleet.pools(uid);
    return pools.reduce((m, p) => Math.max(m, p.spec.ordinal + 1), 0);
  }

  async ordinalOf(uid: string, pool: string): Promise<number> {
    return (await this.fleet.pool(uid, pool))?.spec.ordinal ?? this.nextOrdinal(uid);
  }

  // --------------------------------------------------------------------------------------------- operations

  async startOperation(req: Pick<ArmRequest, 'baseUrl' | 'apiVersion'>, payload: Omit<OpPayload, 'opId'>, location: string, resourceId: string) {
    const op = await this.deps.arm.operations.create({ subscriptionId: payload.subscriptionId, namespace: 'Microsoft.ContainerService', location, resourceId });
    await this.deps.tasks.enqueue<OpPayload>(OP_TASK, op.id, { ...payload, opId: op.id }, 0);
    return op;
  }

  /** Sets provisioningState (and optionally more) on a stored document, compare-and-swap. */
  async setState<T extends ArmResource>(id: string, mutate: (doc: T) => T | undefined): Promise<T | undefined> {
    return updateJson<T>(this.deps.store, resourceKey(id), (cur) => (cur ? mutate(cur) : undefined));
  }

  /** One step of an operation: done when the control plane and every pool it waits for are. */
  async runOperation(p: OpPayload): Promise<{ done: true } | { done: false; retryAfterMs: number }> {
    const now = this.deps.clock.nowMs();
    const poll = this.deps.speed.name === 'instant' ? 5 : 5_000;
    if (p.readyAtMs && now < p.readyAtMs) return { done: false, retryAfterMs: p.readyAtMs - now };
    const opRef = { subscriptionId: p.subscriptionId, id: p.opId };
    // An aborted operation has ended already (cluster-actions.ts): its task has nothing left to do.
    if ((await this.deps.arm.operations.get(p.subscriptionId, p.opId))?.status !== 'InProgress') return { done: true };

    if (p.kind === 'cluster-delete') {
      const doc = await this.getCluster(p.clusterId);
      if (doc) await this.teardown(doc.value);
      await this.deps.arm.operations.finish(opRef, { status: 'Succeeded' });
      return { done: true };
    }

    let failure: PoolFailure | undefined;
    for (const w of p.pools) {
      const prog = await this.fleet.progress(p.uid, w.name, w.generation);
      if (!prog.done) return { done: false, retryAfterMs: poll };
      failure ??= prog.failure;
    }
    const cluster = await this.getCluster(p.clusterId);
    if (!cluster) {
      await this.deps.arm.operations.finish(opRef, { status: 'Failed', error: { code: 'NotFound', message: 'The managed cluster was deleted while the operation ran.' } });
      return { done: true };
    }
    if (!failure && (p.kind === 'cluster-create' || p.kind === 'cluster-update')) {
      for (const h of this.hooks) {
        if (!h.operationStep) continue;
        const r = await h.operationStep(p, cluster.value);
        if (!r.done) return { done: false, retryAfterMs: r.retryAfterMs };
        if (r.failure) {
          failure = r.failure;
          break;
        }
      }
    }
    // SPEC W-14: a rollout stopped by undrainable nodes without a surge node for each ends Canceled, as AKS's does.
    const final = failure ? (failure.canceled ? 'Canceled' : 'Failed') : 'Succeeded';
    for (const w of p.pools) {
      const id = `${p.clusterId}/agentPools/${w.name}`;
      if (p.kind === 'pool-delete') {
        const doc = await this.deps.arm.resources.get<AgentPoolDoc>(id);
        if (doc) await this.deps.store.txn({ then: [{ type: 'delete', key: resourceKey(id) }, { type: 'delete', key: resourceKey(this.vmssId(cluster.value, p.subscriptionId, p.uid, w.name)) }] });
        continue;
      }
      await this.setState<AgentPoolDoc>(id, (d) => (TERMINAL_STATES.has(d.properties.provisioningState) ? undefined : { ...d, properties: { ...d.properties, provisioningState: final } }));
    }
    if (p.kind.startsWith('cluster-')) {
      await this.setState<ManagedClusterDoc>(p.clusterId, (d) => (TERMINAL_STATES.has(d.properties.provisioningState) ? undefined : { ...d, properties: { ...d.properties, provisioningState: final } }));
    }
    let result: { status: number; body?: unknown } | undefined;
    if (p.pool && p.kind !== 'pool-delete') {
      const doc = await this.deps.arm.resources.get<AgentPoolDoc>(`${p.clusterId}/agentPools/${p.pool}`);
      if (doc) result = { status: 200, body: await withNodesStatus(this.fleet, p.uid, doc.value) };
    } else if (p.kind !== 'pool-delete' && p.kind !== 'cluster-action') {
      const doc = await this.getCluster(p.clusterId);
      if (doc) result = { status: 200, body: await this.compose(doc.value) };
    }
    await this.deps.arm.operations.finish(opRef, {
      status: final,
      ...(failure ? { error: { code: failure.code, message: failure.message } } : {}),
      ...(result ? { result } : {}),
    });
    return { done: true };
  }

  /** Ends an operation as Failed and puts the resources it touched in Failed. */
  async failOperation(p: OpPayload, message: string): Promise<void> {
    for (const w of p.pools) {
      await this.setState<AgentPoolDoc>(`${p.clusterId}/agentPools/${w.name}`, (d) => (TERMINAL_STATES.has(d.properties.provisioningState) ? undefined : { ...d, properties: { ...d.properties, provisioningState: 'Failed' } }));
    }
    if (p.kind.startsWith('cluster-')) {
      await this.setState<ManagedClusterDoc>(p.clusterId, (d) => (TERMINAL_STATES.has(d.properties.provisioningState) ? undefined : { ...d, properties: { ...d.properties, provisioningState: 'Failed' } }));
    }
    await this.deps.arm.operations.finish({ subscriptionId: p.subscriptionId, id: p.opId }, { status: 'Failed', error: { code: 'InternalOperationError', message } });
  }

  // --------------------------------------------------------------------------------------------- teardown

  /**
   * Removes everything a cluster owns: its fleet, its Kubernetes registry, the registry links, the node resource
   * group with its resources (kubelet identity, scale sets), the identities' principals and the ARM documents.
   */
  async teardown(doc: ManagedClusterDoc): Promise<void> {
    const uid = doc.properties.resourceUID;
    const sub = doc.id.split('/')[2]!;
    const nodeRg = doc.properties.nodeResourceGroup;
    for (const h of this.hooks) if (h.teardown) await h.teardown(doc);
    await this.fleet.deleteCluster(uid);
    const kubelet = doc.properties.identityProfile?.kubeletidentity;
    for (const objectId of [kubelet?.objectId, doc.identity?.type === 'SystemAssigned' ? doc.identity.principalId : undefined]) {
      if (!objectId) continue;
      const p = await this.deps.directory.getByObjectId(objectId);
      if (p && p.type === 'ManagedIdentity' && (p.resourceId?.toLowerCase().startsWith(`/subscriptions/${sub}/resourcegroups/${nodeRg}/`.toLowerCase()) || p.resourceId?.toLowerCase() === doc.id.toLowerCase())) {
        await this.deps.directory.deletePrincipal(p.appId);
      }
    }
    const rg = await this.deps.arm.resources.getResourceGroup(sub, nodeRg);
    const ops: TxnOp[] = [
      { type: 'deletePrefix', prefix: `${clusterPrefix(uid)}/` },
      { type: 'delete', key: clusterRecordKey(uid) },
      { type: 'delete', key: clusterByFqdnKey(doc.properties.fqdn) },
      { type: 'delete', key: resourceKey(doc.id) },
      { type: 'deletePrefix', prefix: `${resourceKey(doc.id)}/` },
    ];
    if (rg && rg.value.managedBy?.toLowerCase() === doc.id.toLowerCase()) {
      ops.push({ type: 'deletePrefix', prefix: `/arm/resources/subscriptions/${sub.toLowerCase()}/resourcegroups/${nodeRg.toLowerCase()}/` });
      ops.push({ type: 'delete', key: `/arm/resourcegroups/${sub.toLowerCase()}/${nodeRg.toLowerCase()}` });
    }
    await this.deps.store.txn({ then: ops });
  }

  /** Clusters whose uid is known to the store (for listings and the node API). */
  async allClusters(): Promise<ManagedClusterDoc[]> {
    const recs = await listJson<{ uid: string; armId: string }>(this.deps.store, '/aks/clusters/');
    const out: ManagedClusterDoc[] = [];
    for (const r of recs) {
      const doc = await this.getCluster(r.value.armId);
      if (doc) out.push(doc.value);
    }
    return out;
  }
}

function stripReadOnly(p: Record<string, unknown>): Record<string, unknown> {
  const out = { ...p };
  for (const k of POOL_READ_ONLY) delete out[k];
  return out;
}

/**
 * SPEC W-14, C-16: the pool's upgradeSettings as the fleet's rollout reads them: drainTimeoutInMinutes (AKS: 1..1440),
 * nodeSoakDurationInMinutes (0..30), maxSurge and maxUnavailable (counts or percentages, checked by the pool rules),
 * undrainableNodeBehavior (Cordon, or AKS's default Schedule).
 */
function upgradeSettings(raw: Record<string, unknown>): Pick<VmssSpec, 'drainTimeoutMinutes' | 'nodeSoakMinutes' | 'maxSurge' | 'maxUnavailable' | 'undrainableNodeBehavior'> {
  const u = (raw.upgradeSettings ?? {}) as Record<string, unknown>;
  const minutes = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
  return {
    ...(minutes(u.drainTimeoutInMinutes, 1, 1440) ? { drainTimeoutMinutes: u.drainTimeoutInMinutes as number } : {}),
    ...(minutes(u.nodeSoakDurationInMinutes, 1, 30) ? { nodeSoakMinutes: u.nodeSoakDurationInMinutes as number } : {}),
    ...(typeof u.maxSurge === 'string' && u.maxSurge !== '' ? { maxSurge: u.maxSurge } : {}),
    ...(typeof u.maxUnavailable === 'string' && u.maxUnavailable !== '' ? { maxUnavailable: u.maxUnavailable } : {}),
    ...(typeof u.undrainableNodeBehavior === 'string' && u.undrainableNodeBehavior.toLowerCase() === 'cordon' ? { undrainableNodeBehavior: 'Cordon' as const } : {}),
  };
}
