/**
 * The clusters' Kubernetes APIs (issue 5): the credential actions on managed clusters, the API under
 * `/_k8s/<fqdn>` (and `<fqdn>` through the proxy), and the per-cluster controllers (namespaces, kube-system pods,
 * scheduler, kubelets). Listed in src/emulator.ts MODULES.
 */
import type { EmulatorModule } from '../emulator.js';
import { kubeFrameworkError, registerKubeApi } from './api/endpoints/server.js';
import { clusterByFqdn, type ClusterView } from './clusters.js';
import { KubeControllers } from './controllers/runtime.js';
import { registerCredentialRoutes } from './credentials.js';
import { kubeServices } from './services.js';
import { PodStreams } from './streams/endpoint.js';

export const kubeModule: EmulatorModule = async (ctx) => {
  const services = kubeServices(ctx);
  registerCredentialRoutes(ctx);
  const unavailable = async (cluster: ClusterView): Promise<string | undefined> => {
    for (const a of services.availability) {
      const reason = await a(cluster.record);
      if (reason) return reason;
    }
    return undefined;
  };
  ctx.frontDoor.setFrameworkErrorFormatter('/_k8s/', kubeFrameworkError);
  registerKubeApi(ctx.frontDoor.app, {
    tokens: ctx.tokens,
    cluster: (fqdn) => clusterByFqdn(ctx.store, ctx.arm, fqdn),
    registry: (cluster) => services.registry(cluster.record),
    now: () => ctx.clock.now(),
    extraHealthChecks: async (cluster) => (await Promise.all(services.healthChecks.map((h) => h(cluster.record)))).flat(),
    unavailable,
  });
  // pods/attach and pods/exec: WebSocket upgrades, which reach the front door's upgrade hook, not fastify.
  const streams = new PodStreams({
    tokens: ctx.tokens,
    store: ctx.store,
    cluster: (fqdn) => clusterByFqdn(ctx.store, ctx.arm, fqdn),
    registry: (cluster) => services.registry(cluster.record),
    unavailable,
    log: ctx.log.child({ component: 'kube-streams' }),
  });
  ctx.frontDoor.onUpgrade(streams.onUpgrade);
  const controllers = new KubeControllers({
    store: ctx.store,
    arm: ctx.arm,
    clock: ctx.clock,
    speed: ctx.speed,
    log: ctx.log.child({ component: 'kube-controllers' }),
    caPem: ctx.ca.certPem,
    registry: (record) => services.registry(record),
  });
  services.controllers = controllers;
  ctx.tasks.addActivity(() => controllers.busy());
  // Stopped before the store closes: the front door (fastify) closes first on shutdown.
  ctx.frontDoor.app.addHook('onClose', async () => controllers.stop());
  await controllers.start();
};
