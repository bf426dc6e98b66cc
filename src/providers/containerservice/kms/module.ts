/**
 * KMS etcd encryption for managed clusters (issue 6): hooks the KMS service (service.ts) into the cluster
 * lifecycle, runs the clusters' KMS plugins and transformers (runtime.ts), plugs them into the clusters'
 * Kubernetes API (the storage transformer of `secrets`, the `kms-providers` health checks, SPEC K-11's "down"),
 * and serves aksemu's encryption API (routes.ts). Listed in src/emulator.ts MODULES after the containerservice,
 * Key Vault and Kubernetes API modules.
 */
import type { EmulatorContext, EmulatorModule } from '../../../emulator.js';
import { clusterPrefix } from '../../../clusters/cluster-registry.js';
import { kubeServices } from '../../../kube/services.js';
import { containerServiceOf } from '../index.js';
import { KmsRuntime } from './runtime.js';
import { SecretLimitTransformer } from './secret-limit.js';
import { StorageMigration } from './migration.js';
import { registerEncryptionRoutes } from './routes.js';
import { AksKms } from './service.js';

const services = new WeakMap<EmulatorContext, AksKms>();

/** The KMS service of a running emulator (the encryption API and the tests use it). */
export function aksKmsOf(ctx: EmulatorContext): AksKms | undefined {
  return services.get(ctx);
}

export const aksKmsModule: EmulatorModule = (ctx) => {
  const svc = containerServiceOf(ctx);
  if (!svc) throw new Error('the KMS module needs the containerservice module before it in MODULES');
  const runtime = new KmsRuntime(ctx);
  const kms = new AksKms(ctx, svc, runtime);
  services.set(ctx, kms);
  svc.addHooks(kms.hooks());
  registerEncryptionRoutes(kms, new StorageMigration(ctx, runtime));

  const kube = kubeServices(ctx);
  // Only secrets are encrypted (AKS's EncryptionConfiguration lists `secrets`).
  kube.transformers.register(async (cluster, resource) => {
    if (resource !== 'secrets') return undefined;
    const chain = await runtime.transformer(cluster.uid);
    return chain ? new SecretLimitTransformer(chain, ctx.store, clusterPrefix(cluster.uid)) : undefined;
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
  ctx.frontDoor.app.addHook('onClose', async () => runtime.close());
};
