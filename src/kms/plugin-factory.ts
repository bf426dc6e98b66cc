/**
 * Builds the KMS plugin a PluginSpec describes: the gRPC server (plugin.ts) over a Key Vault client
 * (keyvault-backend.ts) that authenticates as the cluster's identity (credential.ts) and reaches the vault by the
 * spec's route (transport.ts). Loaded where the plugin runs: the plugins' thread, or the main thread when there is
 * none; it pulls in gRPC and the Azure SDK.
 */
import { AppServiceMsiCredential } from './credential.js';
import { parseKeyId } from './key-id.js';
import { KeyVaultBackend } from './keyvault-backend.js';
import { KmsPlugin } from './plugin.js';
import type { PluginSpec } from './plugin-spec.js';
import { ProxyTunnelAgent, UnixSocketAgent } from './transport.js';

export function createPlugin(spec: PluginSpec): KmsPlugin {
  const { route } = spec;
  const agent = route.kind === 'socket' ? new UnixSocketAgent(route.path, spec.ca) : new ProxyTunnelAgent(() => ({ host: route.host, port: route.port }), spec.ca);
  const credential = new AppServiceMsiCredential(() => spec.msi);
  return new KmsPlugin({
    listenAddr: spec.listenAddr,
    crypto: new KeyVaultBackend({ key: parseKeyId(spec.kid), credential, agent, userAgentPrefix: spec.userAgentPrefix }),
  });
}
