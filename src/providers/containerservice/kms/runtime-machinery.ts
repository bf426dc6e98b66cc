/**
 * What a cluster's KMS runtime (runtime.ts) loads on first use: the plugin (a gRPC server), the gRPC clients the
 * storage transformers call it through, and the plugin's Key Vault client with its credential and transports.
 */
export { KmsV1Client, KmsV2Client } from '../../../encryption/kms-api/client.js';
export { AppServiceMsiCredential } from '../../../kms/credential.js';
export { KeyVaultBackend } from '../../../kms/keyvault-backend.js';
export { KmsPlugin } from '../../../kms/plugin.js';
export { ProxyTunnelAgent, UnixSocketAgent } from '../../../kms/transport.js';
