/**
 * KMS etcd encryption for managed clusters (SPEC K-1..K-12): hooks the KMS service (service.ts) into the cluster
 * lifecycle, runs the clusters' KMS plugins and transformers (runtime.ts), plugs them into the clusters'
 * Kubernetes API (the storage transformer of `secrets`, the `kms-providers` health checks, SPEC K-11's "down"),
 * and serves aksemu's encryption API (routes.ts). Wired by the composition root (src/emulator.ts), which hands it
 * the container service, the Key Vault service and the clusters' Kubernetes API seams it plugs into.
 */
import { clusterPrefix, clusterRecordKey, type ClusterRecord } from '../../../clusters/cluster-registry.js';
import { getJson } from '../../../store/json.js';
import type { KubeExtensions } from '../../../kube/module.js';
import type { Lifecycle } from '../../../runtime/lifecycle.js';
import type { ContainerService } from '../service.js';
import type { AksKmsDeps } from './deps.js';
import { KmsRuntime } from './runtime.js';
import { RestartSafeTransformer } from './restart-safe.js';
import { SecretLimitTransformer } from './secret-limit.js';
import { StorageMigration } from './migration.js';
import { registerEncryptionRoutes } from './routes.js';
import { AksKms } from './service.js';

export interface AksKmsModuleDeps extends AksKmsDeps {
  containerService: ContainerService;
  /** The clusters' Kubernetes API seams: storage transformers, health checks, availability. */
  kube: KubeExtensions;
  lifecycle: Lifecycle;
}

export function startAksKms(deps: AksKmsModuleDeps): AksKms {
  const { containerService, kube, lifecycle } = deps;
  const runtime = new KmsRuntime(deps, async (uid) => {
    const record = (await getJson<ClusterRecord>(deps.store, clusterRecordKey(uid)))?.value;
    const doc = record ? (await containerService.getCluster(record.armId))?.value : undefined;
    return doc?.properties.currentKubernetesVersion || doc?.properties.kubernetesVersion || undefined;
  });
  const kms = new AksKms(deps, containerService, runtime);
  containerService.addHooks(kms.hooks());
  registerEncryptionRoutes(kms, new StorageMigration(deps, runtime));

  // Only secrets are encrypted (AKS's EncryptionConfiguration lists `secrets`).
  kube.transformers.register(async (cluster, resource) => {
    if (resource !== 'secrets') return undefined;
    const chain = await runtime.transformer(cluster.uid);
    if (!chain) return undefined;
    const current = new RestartSafeTransformer(chain, () => runtime.transformer(cluster.uid));
    return new SecretLimitTransformer(current, deps.store, clusterPrefix(cluster.uid));
  });
  kube.healthChecks.push(async (cluster) => {
    const report = await runtime.health(cluster.uid);
    if (!report) return [];
    const failing = report.providers.filter((p) => !p.healthy);
    // From Kubernetes 1.29 the KMS checks are in /healthz and /readyz, not /livez (SPEC K-13).
    const livez = report.inLivez;
    return [
      { name: 'kms-providers', ok: report.healthy, livez, ...(failing.length ? { message: failing.map((f) => `${f.check}: ${f.message ?? 'failed'}`).join('; ') } : {}) },
      ...report.providers.map((p) => ({ name: p.check, ok: p.healthy, livez, ...(p.message ? { message: p.message } : {}), hidden: true })),
    ];
  });
  kube.availability.push(async (cluster) => {
    const state = await runtime.state(cluster.uid);
    return state?.unrecoverable ? `the cluster's API server is unavailable: ${state.unrecoverable.reason} (since ${state.unrecoverable.since}); the cluster cannot be recovered` : undefined;
  });
  lifecycle.onClose(async () => runtime.close());
  return kms;
}
