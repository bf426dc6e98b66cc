/**
 * A cluster's KMS etcd encryption as its API server is configured (SPEC K-1..K-3, K-8, K-10), kept in the store:
 *
 *   /aks/kms/<uid>            KmsClusterState: the EncryptionConfiguration in force for the cluster's secrets
 *   /aks/kms/<uid>/migration  the server-side storage migration (migration.ts)
 *
 * `securityProfile.azureKeyVaultKms` on the managed cluster is what the user asked for; this record is what the
 * cluster's API server applies, moved on by the cluster operation (service.ts) with `nextState`, a pure function:
 *
 * - enable:  [kms(new), (the last key, if any), identity]                 — identity last, for plaintext reads
 * - rotate:  [kms(new), kms(current), identity]                           — the previous key stays readable until
 *                                                                          the next rotation, then it is dropped
 * - disable: [identity, kms(current), kms(previous)]                      — identity first, KMS kept for reads
 * - KMS v1 below Kubernetes 1.27, v2 from 1.27 (decided when a key is configured; SPEC K-10).
 *
 * Each configured key is one provider named `azurekmsprovider-<first 8 hex of its key_id>`, so values at rest say
 * which key encrypted them (`k8s:enc:kms:v2:azurekmsprovider-1a2b3c4d:`) and every key has its own prefix.
 */
import { minorOf } from '../../../fleet/catalog/kubernetes-versions.js';
import { keyIdHash, parseKeyId } from '../../../kms/key-id.js';

export type KmsApi = 'v1' | 'v2';
export type KeyVaultNetworkAccess = 'Public' | 'Private';

export interface KmsKeyRecord {
  /** The provider name in the encryption configuration. */
  name: string;
  kid: string;
  /** hex SHA-256 of the kid: the KMS v2 key_id. */
  keyIdHash: string;
  api: KmsApi;
  access: KeyVaultNetworkAccess;
  vaultName: string;
  /** The vault's ARM id (always known: looked up when the key was configured). */
  vaultId: string;
  /** The private endpoint (Microsoft.Network/privateEndpoints id) the plugin goes through (Private only). */
  privateEndpointId?: string;
  /**
   * aksemu extension (SPEC X-4): the `unix://` address of an external KMS plugin that serves this key instead of
   * aksemu's own, e.g. Azure's plugin (Azure/kubernetes-kms) run beside the emulator. Absent: aksemu's plugin.
   */
  plugin?: string;
  configuredAt: string;
}

export interface KmsIdentity {
  resourceId: string;
  principalId: string;
  clientId: string;
}

export interface KmsClusterState {
  /** Bumped on every change (the runtime rebuilds the cluster's transformers: an API server restart). */
  generation: number;
  /** KMS writes (its first provider is the current key); false: identity writes, KMS providers only read. */
  enabled: boolean;
  /** KMS providers in configuration order: the current key first, then the previous one. */
  providers: KmsKeyRecord[];
  identity: KmsIdentity;
  /** Every key this cluster was ever configured with (to name keys of values at rest in `encryption status`). */
  history: KmsKeyRecord[];
  /** SPEC K-11: the cluster's nodes were deallocated through the VMSS API; the cluster is down for good. */
  unrecoverable?: { reason: string; since: string };
  updatedAt: string;
}

export const kmsStateKey = (uid: string) => `/aks/kms/${uid}`;
export const kmsMigrationKey = (uid: string) => `/aks/kms/${uid}/migration`;

/** KMS v2 from Kubernetes 1.27 (AKS configures it automatically), v1 before. */
export function kmsApiFor(kubernetesVersion: string): KmsApi {
  const [major, minor] = minorOf(kubernetesVersion).split('.').map(Number) as [number, number];
  return major > 1 || minor >= 27 ? 'v2' : 'v1';
}

/**
 * Whether the API server's `/livez` includes the KMS health checks: kube-apiserver added them to every health
 * endpoint until 1.28; from 1.29 they are in `/healthz` and `/readyz` only, so a failing KMS plugin no longer makes
 * the liveness probe restart the API server (and throw away its cached DEKs and seeds). SPEC K-13.
 */
export function kmsChecksInLivez(kubernetesVersion: string | undefined): boolean {
  if (!kubernetesVersion) return false;
  const [major, minor] = minorOf(kubernetesVersion).split('.').map(Number) as [number, number];
  return major === 1 && minor < 29;
}

export function providerName(kid: string): string {
  return `azurekmsprovider-${keyIdHash(kid).slice(0, 8)}`;
}

/** `securityProfile.azureKeyVaultKms` as the user asked for it (absent means disabled). */
export interface KmsIntent {
  enabled: boolean;
  keyId?: string;
  keyVaultNetworkAccess: KeyVaultNetworkAccess;
  keyVaultResourceId?: string;
}

export function kmsIntentOf(properties: Record<string, unknown> | undefined): KmsIntent {
  const sp = (properties?.securityProfile ?? {}) as { azureKeyVaultKms?: Record<string, unknown> };
  const k = sp.azureKeyVaultKms ?? {};
  const access = k.keyVaultNetworkAccess === 'Private' ? 'Private' : 'Public';
  return {
    enabled: k.enabled === true,
    ...(typeof k.keyId === 'string' && k.keyId ? { keyId: k.keyId } : {}),
    keyVaultNetworkAccess: access,
    ...(typeof k.keyVaultResourceId === 'string' && k.keyVaultResourceId ? { keyVaultResourceId: k.keyVaultResourceId } : {}),
  };
}

export interface KeyFacts {
  vaultId: string;
  privateEndpointId?: string;
}

/**
 * The next configuration for a cluster given what the user asked for. `key` describes the intent's key (its vault
 * and, for Private access, its private endpoint); unchanged configurations are returned as they are.
 */
export function nextState(prev: KmsClusterState | undefined, intent: KmsIntent, o: { kubernetesVersion: string; identity: KmsIdentity | undefined; key?: KeyFacts; now: string }): KmsClusterState | undefined {
  if (!intent.enabled || !intent.keyId) {
    if (!prev || !prev.enabled) return prev;
    return { ...prev, generation: prev.generation + 1, enabled: false, updatedAt: o.now };
  }
  if (!o.identity) throw new Error('KMS needs the cluster’s user-assigned identity');
  const api = kmsApiFor(o.kubernetesVersion);
  const ref = parseKeyId(intent.keyId);
  const record: KmsKeyRecord = {
    name: providerName(intent.keyId),
    kid: intent.keyId,
    keyIdHash: keyIdHash(intent.keyId),
    api,
    access: intent.keyVaultNetworkAccess,
    vaultName: ref.vaultName,
    vaultId: o.key?.vaultId ?? '',
    ...(o.key?.privateEndpointId ? { privateEndpointId: o.key.privateEndpointId } : {}),
    configuredAt: o.now,
  };
  const same = (a: KmsKeyRecord | undefined) => a !== undefined && a.kid === record.kid && a.api === record.api && a.access === record.access && (a.privateEndpointId ?? '') === (record.privateEndpointId ?? '');
  if (prev?.enabled && same(prev.providers[0])) {
    const identityChanged = JSON.stringify(prev.identity) !== JSON.stringify(o.identity);
    return identityChanged ? { ...prev, generation: prev.generation + 1, identity: o.identity, updatedAt: o.now } : prev;
  }
  // Enable, re-enable or rotate: the new key first, then the key that was current (readable until the next change).
  const last = prev?.providers[0];
  const providers = [record, ...(last && !(last.kid === record.kid && last.api === record.api) ? [last] : [])];
  const history = [...(prev?.history ?? [])];
  if (!history.some((h) => h.kid === record.kid && h.api === record.api)) history.push(record);
  return {
    generation: (prev?.generation ?? 0) + 1,
    enabled: true,
    providers,
    identity: o.identity,
    history,
    ...(prev?.unrecoverable ? { unrecoverable: prev.unrecoverable } : {}),
    updatedAt: o.now,
  };
}

/** The provider list kube-apiserver would be configured with: KMS first when enabled, identity first when not. */
export function providerOrder(state: KmsClusterState): Array<{ kind: 'identity' } | { kind: 'kms'; key: KmsKeyRecord }> {
  const kms = state.providers.map((key) => ({ kind: 'kms' as const, key }));
  return state.enabled ? [...kms, { kind: 'identity' as const }] : [{ kind: 'identity' as const }, ...kms];
}
