/**
 * A plugin that aksemu runs for a cluster, described as plain data: the socket it serves, the key version it
 * wraps with, how it reaches Key Vault and as whom. Plain data so that the same description builds the plugin on
 * the emulator's main thread or on the plugins' own thread (plugin-host.ts), where nothing of the main thread's
 * objects can go.
 */
import type { MsiEndpoint } from './credential.js';

/** How the plugin reaches Key Vault over HTTPS (transport.ts). */
export type VaultRoute =
  /** A public vault: CONNECT through aksemu's front door, used as an HTTPS proxy. */
  | { kind: 'proxy'; host: string; port: number }
  /** A private vault (SPEC K-6): its private endpoint's unix socket. */
  | { kind: 'socket'; path: string };

export interface PluginSpec {
  /** unix:///path: the socket the cluster's API server calls. */
  listenAddr: string;
  /** The key version's full id, https://<vault>.vault.azure.net/keys/<name>/<version>. */
  kid: string;
  route: VaultRoute;
  /** aksemu's CA certificate (PEM), which the plugin trusts for Key Vault and the identity endpoint. */
  ca: string;
  /** The cluster's user-assigned identity on aksemu's managed identity endpoint (SPEC K-4). */
  msi: MsiEndpoint;
  userAgentPrefix: string;
}
