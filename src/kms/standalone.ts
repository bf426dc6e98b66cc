/**
 * `aksemu kms-plugin`: the KMS plugin as its own process (SPEC X-3), for a real kube-apiserver or any gRPC client,
 * against aksemu's Key Vault or a real one. Credentials come from the standard Azure SDK environment
 * (DefaultAzureCredential: AZURE_CLIENT_ID/AZURE_CLIENT_SECRET/AZURE_TENANT_ID, workload identity, or a managed
 * identity through IDENTITY_ENDPOINT/IDENTITY_HEADER — which `eval "$(aksemu env --identity NAME)"` sets up), and
 * HTTPS goes wherever the SDK sends it (HTTPS_PROXY for aksemu, the internet for Azure).
 */
import type { TokenCredential } from '@azure/core-auth';
import { parseListenAddress } from '../encryption/kms-api/address.js';
import { keyIdHash, parseKeyId, type KeyRef } from './key-id.js';
import { KeyVaultBackend } from './keyvault-backend.js';
import { serveHealthz } from './healthz.js';
import { KmsPlugin } from './plugin.js';

export interface StandaloneOptions {
  keyId?: string;
  /** Azure's plugin's flags, as an alternative to keyId. */
  keyvaultName?: string;
  keyName?: string;
  keyVersion?: string;
  listenAddr: string;
  healthzPort?: number;
  healthzPath?: string;
  log?: (line: string) => void;
}

/** The key from --key-id, or from Azure's --keyvault-name/--key-name/--key-version. */
export function keyFromOptions(o: StandaloneOptions): KeyRef {
  if (o.keyId) return parseKeyId(o.keyId);
  if (o.keyvaultName && o.keyName && o.keyVersion) return parseKeyId(`https://${o.keyvaultName}.vault.azure.net/keys/${o.keyName}/${o.keyVersion}`);
  throw new Error('give --key-id https://<vault>.vault.azure.net/keys/<name>/<version> (or --keyvault-name, --key-name and --key-version)');
}

export async function defaultCredential(): Promise<TokenCredential> {
  // @azure/identity is loaded only here: the rest of aksemu serves tokens, it does not need a client for them.
  const identity = await import('@azure/identity');
  return new identity.DefaultAzureCredential(process.env.AZURE_CLIENT_ID ? { managedIdentityClientId: process.env.AZURE_CLIENT_ID } : {});
}

export interface RunningStandalone {
  plugin: KmsPlugin;
  healthzPort?: number;
  stop(): Promise<void>;
}

export async function runStandalonePlugin(o: StandaloneOptions, credential?: TokenCredential): Promise<RunningStandalone> {
  const key = keyFromOptions(o);
  parseListenAddress(o.listenAddr);
  const plugin = new KmsPlugin({
    listenAddr: o.listenAddr,
    crypto: new KeyVaultBackend({ key, credential: credential ?? (await defaultCredential()) }),
    onCall: (e) => o.log?.(`${e.api} ${e.method} ${e.ok ? 'ok' : `failed: ${e.error}`} ${e.durationMs.toFixed(1)}ms`),
  });
  await plugin.start();
  let healthz: Awaited<ReturnType<typeof serveHealthz>> | undefined;
  if (o.healthzPort !== undefined) {
    try {
      healthz = await serveHealthz({ listenAddr: o.listenAddr, port: o.healthzPort, ...(o.healthzPath ? { path: o.healthzPath } : {}) });
    } catch (err) {
      await plugin.stop();
      throw new Error(`cannot serve the health endpoint on port ${o.healthzPort}: ${(err as Error).message}`);
    }
  }
  return {
    plugin,
    ...(healthz ? { healthzPort: healthz.port } : {}),
    stop: async () => {
      if (healthz) await new Promise<void>((resolve) => healthz!.server.close(() => resolve()));
      await plugin.stop();
    },
  };
}

export { keyIdHash };
