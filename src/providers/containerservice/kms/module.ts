/**
 * KMS etcd encryption for managed clusters (issue 6): hooks the KMS service (service.ts) into the cluster
 * lifecycle, runs the clusters' KMS plugins and transformers (runtime.ts), and serves aksemu's encryption API
 * (routes.ts). Listed in src/emulator.ts MODULES after the containerservice and Key Vault modules.
 */
import type { EmulatorContext, EmulatorModule } from '../../../emulator.js';
import { containerServiceOf } from '../index.js';
import { KmsRuntime } from './runtime.js';
import { AksKms } from './service.js';

const services = new WeakMap<EmulatorContext, AksKms>();

/** The KMS service of a running emulator (tests and the Kubernetes API's transformer provider use it). */
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
  ctx.frontDoor.app.addHook('onClose', async () => runtime.close());
};
