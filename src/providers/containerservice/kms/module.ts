/**
 * KMS etcd encryption for managed clusters (SPEC K-1..K-12): hooks the KMS service (service.ts) into the cluster
 * lifecycle, runs the clusters' KMS plugins and transformers (runtime.ts), plugs them into the clusters'
 * Kubernetes API (the storage transformer of `secrets`, the `kms-providers` health checks, SPEC K-11's "down"),
 * and serves aksemu's encryption API (routes.ts). Wired by the composition root (src/emulator.ts), which hands it
 * the container service, the Key Vault service and the clusters' Kubernetes API seams it plugs into.
 */
import { clusterPrefix } from '../../../clusters/cluster-registry.js';
import type { KubeExtensions } from '../../../kube/module.js';
import type { Lifecycle } from '../../../runtime/lifecycle.js';
import type { ContainerService } from '../service.js';
import type { AksKmsDeps } from './deps.js';
import { KmsRuntime } from './runtime.js';
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
  const runtime = new KmsRuntime(deps);
  const kms = new AksKms(deps, containerService, runtime);
  containerService.addHooks(kms.hooks());
  registerEncryptionRoutes(kms, new StorageMigration(deps, runtime));

  // Only secrets are encrypted (AKS's EncryptionConfiguration lists `secrets`).
  kube.transformers.register(async (cluster, resource) => {
    if (resource !== 'secrets') return undefined;
    const chain = await runtime.transformer(cluster.uid);
    return chain ? new SecretLimitTransformer(chain, deps.store, clusterPrefix(cluster.uid)) : undefined;
  });
  kube.healthChecks.push(async (cluster) => {
    const report = await runtime.health(cluster.uid);
    if (!report) return [];
    const failing = report.providers.filter((p) => !p.healthy);
    return [
      { name: 'kms-providers', ok: report.healthy, ...(failing.length ? { message: failing.map((f) => `${f.check}: ${f.message ?? 'failed'}`).join('; ') } : {}) },
      ...report.providers.map((p) => ({ name: p.check, ok: p.healthy, ...(p.message ? { message: p.message } : {}), hidden: true })),
    ];
  });
  kube.availability.push(async (cluster) => {
    const state = await runtime.state(cluster.uid);
    return state?.unrecoverable ? `the cluster's API server is unavailable: ${state.unrecoverable.reason} (since ${state.unrecoverable.since}); the cluster cannot be recovered` : undefined;
  });
  lifecycle.onClose(async () => runtime.close());
  return kms;
}
