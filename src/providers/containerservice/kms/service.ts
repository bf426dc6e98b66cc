/**
 * KMS etcd encryption on managed clusters: what happens after the rules (rules/kms.ts) accepted
 * a change of `securityProfile.azureKeyVaultKms`, as hooks on the cluster lifecycle (service.ts ClusterHooks):
 *
 * - operation step: the cluster's API server is reconfigured — for a private vault AKS first creates, as the
 *   cluster's identity, a private endpoint and a private DNS zone (the private link) in the node resource group
 *   (SPEC K-6; needs "Key Vault Contributor" on the vault, SPEC K-5); then the new KmsClusterState is written
 *   (enable / rotate / disable, state.ts) and the runtime restarts the cluster's transformers and plugins;
 * - compose: every read of the cluster shows the KMS health (`properties.status`, SPEC K-8);
 * - teardown: plugins stopped, private endpoints and state removed;
 * - scale set changes through the VMSS API: deallocating every node of a KMS cluster leaves it down for good
 *   (SPEC K-11).
 */
import type { AksKmsDeps } from './deps.js';
import { resourceKey } from '../../../arm/repository.js';
import { providerResourceId } from '../../../arm/resource-id.js';
import { parseKeyId } from '../../../kms/key-id.js';
import { getJson, putJson } from '../../../store/json.js';
import type { VaultResource } from '../../../keyvault/vault-model.js';
import type { ManagedClusterDoc } from '../models.js';
import type { ClusterHooks, OpPayload, StepOutcome } from '../cluster-lifecycle.js';
import type { ContainerService } from '../service.js';
import { kmsIntentOf, kmsMigrationKey, kmsStateKey, nextState, type KmsClusterState, type KmsIdentity, type KmsIntent } from './state.js';
import type { KmsHealthReport, KmsRuntime } from './runtime.js';
import { MIGRATION_TASK } from './migration.js';

/** The action a private link needs on the vault (granted by "Key Vault Contributor"). */
const PRIVATE_LINK_ACTION = 'Microsoft.KeyVault/vaults/privateEndpointConnectionsApproval/action';
const PRIVATE_DNS_ZONE = 'privatelink.vaultcore.azure.net';

export class AksKms {
  constructor(
    readonly deps: AksKmsDeps,
    readonly svc: ContainerService,
    readonly runtime: KmsRuntime,
  ) {}

  hooks(): ClusterHooks {
    return {
      operationStep: (p, cluster) => this.apply(p, cluster),
      compose: (doc) => this.compose(doc),
      teardown: (doc) => this.teardown(doc),
      scaleSetChanged: (doc) => this.scaleSetChanged(doc),
    };
  }

  /** The cluster's user-assigned identity as a principal (SPEC K-4), or undefined. */
  async identityOf(cluster: ManagedClusterDoc): Promise<KmsIdentity | undefined> {
    if (cluster.identity?.type !== 'UserAssigned') return undefined;
    const [id, v] = Object.entries(cluster.identity.userAssignedIdentities ?? {})[0] ?? [];
    if (!id || !v?.principalId || !v.clientId) return undefined;
    return { resourceId: id, principalId: v.principalId, clientId: v.clientId };
  }

  private async vaultOf(intent: KmsIntent): Promise<VaultResource | undefined> {
    if (intent.keyVaultNetworkAccess === 'Private' && intent.keyVaultResourceId) return (await this.deps.arm.resources.get<VaultResource>(intent.keyVaultResourceId))?.value;
    return this.deps.keyVault.vaults.byName(parseKeyId(intent.keyId!).vaultName);
  }

  async readState(uid: string): Promise<{ state: KmsClusterState | undefined; modRevision: number }> {
    const doc = await getJson<KmsClusterState>(this.deps.store, kmsStateKey(uid));
    return { state: doc?.value, modRevision: doc?.modRevision ?? 0 };
  }

  /** Writes a new configuration (compare-and-swap) and restarts the cluster's transformers. */
  async writeState(uid: string, state: KmsClusterState, ifModRevision: number): Promise<boolean> {
    const res = await putJson(this.deps.store, kmsStateKey(uid), state, { ifModRevision });
    if (res.succeeded) await this.runtime.stateChanged(uid, state);
    return res.succeeded;
  }

  /** SPEC K-6: the private endpoint (and private DNS zone) of `vault` in the node resource group. */
  private async ensurePrivateLink(cluster: ManagedClusterDoc, vault: VaultResource, identity: KmsIdentity): Promise<{ id: string } | { failure: { code: string; message: string } }> {
    const sub = cluster.id.split('/')[2]!;
    const nodeRg = cluster.properties.nodeResourceGroup;
    const name = `kms-${vault.name.toLowerCase()}`;
    const id = providerResourceId(sub, nodeRg, 'Microsoft.Network', [['privateEndpoints', name]]);
    const pes = this.deps.keyVault.privateEndpoints;
    if ((await pes.list()).some((r) => r.id.toLowerCase() === id.toLowerCase())) return { id };
    // AKS creates the private link as the cluster's identity: it needs Key Vault Contributor on the vault.
    if (!(await this.deps.authz.grant(identity.principalId, vault.id, PRIVATE_LINK_ACTION, 'action'))) {
      return {
        failure: {
          code: 'AzureKeyVaultKmsPrivateLinkCreationFailed',
          message: `The cluster identity ${identity.principalId} cannot create a private endpoint connection to the key vault '${vault.name}': it needs the role "Key Vault Contributor" on the vault (az role assignment create --role "Key Vault Contributor" --assignee-object-id ${identity.principalId} --assignee-principal-type ServicePrincipal --scope ${vault.id}).`,
        },
      };
    }
    const created = await pes.create({ subscriptionId: sub, resourceGroup: nodeRg, name, vaultName: vault.name, location: cluster.location });
    const zoneId = providerResourceId(sub, nodeRg, 'Microsoft.Network', [['privateDnsZones', PRIVATE_DNS_ZONE]]);
    await this.deps.arm.resources.put({
      id: zoneId,
      name: PRIVATE_DNS_ZONE,
      type: 'Microsoft.Network/privateDnsZones',
      location: 'global',
      tags: {},
      properties: { provisioningState: 'Succeeded', numberOfRecordSets: 2, privateEndpoints: [created.id] },
    });
    await this.deps.arm.resources.put({
      id: `${zoneId}/A/${vault.name.toLowerCase()}`,
      name: vault.name.toLowerCase(),
      type: 'Microsoft.Network/privateDnsZones/A',
      tags: {},
      properties: { fqdn: `${vault.name.toLowerCase()}.${PRIVATE_DNS_ZONE}.`, ttl: 10, aRecords: [{ ipv4Address: '10.224.0.10' }], isAutoRegistered: false },
    });
    return { id: created.id };
  }

  /** The operation step: bring the cluster's encryption configuration to what the cluster document asks for. */
  async apply(p: OpPayload, cluster: ManagedClusterDoc): Promise<StepOutcome> {
    const uid = cluster.properties.resourceUID;
    const intent = kmsIntentOf(cluster.properties);
    const { state: prev, modRevision } = await this.readState(uid);
    if (!intent.enabled && !prev?.enabled) return { done: true };
    const identity = await this.identityOf(cluster);
    let key: { vaultId: string; privateEndpointId?: string } | undefined;
    if (intent.enabled && intent.keyId) {
      if (!identity) return { done: true, failure: { code: 'AzureKeyVaultKmsUnsupportedIdentityType', message: "AzureKeyVaultKms feature does not support cluster identity type SystemAssigned, supported value is 'UserAssigned'" } };
      const vault = await this.vaultOf(intent);
      if (!vault) return { done: true, failure: { code: 'AzureKeyVaultKmsKeyVaultNotFound', message: `The key vault of '${intent.keyId}' was not found.` } };
      key = { vaultId: vault.id };
      if (intent.keyVaultNetworkAccess === 'Private') {
        const link = await this.ensurePrivateLink(cluster, vault, identity);
        if ('failure' in link) return { done: true, failure: link.failure };
        key.privateEndpointId = link.id;
      }
    }
    const next = nextState(prev, intent, { kubernetesVersion: cluster.properties.currentKubernetesVersion, identity: identity ?? prev?.identity, ...(key ? { key } : {}), now: this.deps.clock.iso() });
    if (next && next !== prev && !(await this.writeState(uid, next, modRevision))) return { done: false, retryAfterMs: 5 };
    if (next) await this.releasePrivateEndpoints(next);
    void p;
    return { done: true };
  }

  /** Private endpoints of keys the configuration no longer uses (not current, not kept for reads). */
  private async releasePrivateEndpoints(state: KmsClusterState): Promise<void> {
    const used = new Set(state.providers.map((k) => k.privateEndpointId?.toLowerCase()).filter(Boolean));
    for (const h of state.history) {
      if (h.privateEndpointId && !used.has(h.privateEndpointId.toLowerCase())) await this.deps.keyVault.privateEndpoints.deleteById(h.privateEndpointId);
    }
  }

  async compose(doc: ManagedClusterDoc): Promise<ManagedClusterDoc> {
    const uid = doc.properties.resourceUID;
    const state = await this.runtime.state(uid);
    if (!state) return doc;
    let report: KmsHealthReport | undefined;
    try {
      report = await this.runtime.health(uid);
    } catch (err) {
      this.deps.log.warn({ err, uid }, 'KMS health probe failed');
    }
    const status = { ...((doc.properties.status as Record<string, unknown> | undefined) ?? {}) };
    if (state.unrecoverable) {
      status.provisioningError = { code: 'AzureKeyVaultKmsClusterUnrecoverable', message: `The cluster's API server is down and cannot be recovered: ${state.unrecoverable.reason}.` };
    } else if (report && !report.healthy) {
      const failing = report.providers.filter((p) => !p.healthy);
      status.provisioningError = {
        code: 'AzureKeyVaultKmsPluginUnhealthy',
        message: `The KMS plugin of the cluster's API server is unhealthy (${failing.map((f) => `${f.check} ${f.name}: ${f.message ?? 'failed'}`).join('; ')}). Secrets encrypted with an unusable key cannot be read; deleting the key, the key vault or the identity is not supported.`,
      };
    }
    // aksemu's view of what Azure does not show: the encryption configuration and each provider's health.
    status.azureKeyVaultKms = {
      state: state.unrecoverable ? 'Unrecoverable' : !report ? 'Unknown' : report.healthy ? 'Healthy' : 'Unhealthy',
      writer: state.enabled ? state.providers[0]!.name : 'identity',
      kmsApiVersion: state.enabled ? state.providers[0]!.api : undefined,
      providers: report?.providers ?? state.providers.map((k, i) => ({ check: `kms-provider-${i}`, name: k.name, kid: k.kid, api: k.api, access: k.access, role: state.enabled && i === 0 ? 'write' : 'read', ...(k.plugin ? { plugin: k.plugin } : {}) })),
      apiServerRestarts: report?.apiServerRestarts ?? 0,
      ...(report ? { checkedAt: report.checkedAt } : {}),
    };
    return { ...doc, properties: { ...doc.properties, status } };
  }

  async teardown(doc: ManagedClusterDoc): Promise<void> {
    const uid = doc.properties.resourceUID;
    const { state } = await this.readState(uid);
    await this.runtime.stopCluster(uid);
    await this.deps.tasks.cancel(MIGRATION_TASK, uid);
    for (const h of state?.history ?? []) {
      if (h.privateEndpointId) await this.deps.keyVault.privateEndpoints.deleteById(h.privateEndpointId);
    }
    await this.deps.store.txn({ then: [{ type: 'delete', key: kmsStateKey(uid) }, { type: 'delete', key: kmsMigrationKey(uid) }] });
  }

  /**
   * SPEC K-11: when every node of a cluster with KMS enabled has been deallocated through the VMSS API (behind
   * AKS's back), the cluster goes down and cannot be recovered.
   */
  async scaleSetChanged(cluster: ManagedClusterDoc): Promise<void> {
    const uid = cluster.properties.resourceUID;
    for (let attempt = 0; attempt < 5; attempt++) {
      const { state, modRevision } = await this.readState(uid);
      if (!state?.enabled || state.unrecoverable) return;
      const pools = await this.svc.fleet.pools(uid);
      const allDown = pools.length > 0 && pools.every((p) => p.spec.capacity === 0 || p.spec.powerState === 'Stopped');
      if (!allDown) return;
      const next: KmsClusterState = {
        ...state,
        generation: state.generation + 1,
        unrecoverable: { reason: 'every node of the cluster was deallocated through the Virtual Machine Scale Sets API while KMS etcd encryption was enabled', since: this.deps.clock.iso() },
        updatedAt: this.deps.clock.iso(),
      };
      if (await this.writeState(uid, next, modRevision)) return;
    }
  }

  /** The cluster document of a uid (for the encryption API). */
  async clusterDoc(id: string): Promise<ManagedClusterDoc | undefined> {
    return (await getJson<ManagedClusterDoc>(this.deps.store, resourceKey(id)))?.value;
  }
}
