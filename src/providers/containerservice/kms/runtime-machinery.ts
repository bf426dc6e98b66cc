/**
 * What a cluster's KMS runtime (runtime.ts) loads on first use: the gRPC clients the storage transformers call the
 * cluster's plugins through (the plugins themselves start through src/kms/plugin-host.ts).
 */
export { KmsV1Client, KmsV2Client } from '../../../encryption/kms-api/client.js';
