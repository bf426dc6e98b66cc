/**
 * The KMS plugin APIs as gRPC service definitions, loaded with @grpc/proto-loader from the project's own .proto
 * files (src/kms/proto), and the TypeScript shapes of their messages (proto-loader with `keepCase`: field names as
 * in the .proto; bytes as Buffer).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoFile } from '../../util/proto-file.js';

const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

/** The API version strings of the two APIs (what Version/Status answer). */
export const KMS_V1_API_VERSION = 'v1beta1';
/** Azure's plugin answers "v2beta1" to Status (kube-apiserver accepts "v2" and "v2beta1"). */
export const KMS_V2_API_VERSION = 'v2beta1';

type ServiceCtor = grpc.ServiceClientConstructor;

let loaded: { v1: ServiceCtor; v2: ServiceCtor } | undefined;

/** The two services (client constructors with their `.service` definitions), loaded once. */
export function kmsServices(): { v1: ServiceCtor; v2: ServiceCtor } {
  if (!loaded) {
    const v1 = grpc.loadPackageDefinition(protoLoader.loadSync(protoFile('encryption/kms-api', 'kms-v1beta1.proto'), LOADER_OPTIONS)) as unknown as { v1beta1: { KeyManagementService: ServiceCtor } };
    const v2 = grpc.loadPackageDefinition(protoLoader.loadSync(protoFile('encryption/kms-api', 'kms-v2.proto'), LOADER_OPTIONS)) as unknown as { v2: { KeyManagementService: ServiceCtor } };
    loaded = { v1: v1.v1beta1.KeyManagementService, v2: v2.v2.KeyManagementService };
  }
  return loaded;
}

// ------------------------------------------------------------------------------------------------ v1beta1

export interface V1VersionRequest {
  version: string;
}
export interface V1VersionResponse {
  version: string;
  runtime_name: string;
  runtime_version: string;
}
export interface V1EncryptRequest {
  version: string;
  plain: Buffer;
}
export interface V1EncryptResponse {
  cipher: Buffer;
}
export interface V1DecryptRequest {
  version: string;
  cipher: Buffer;
}
export interface V1DecryptResponse {
  plain: Buffer;
}

// ------------------------------------------------------------------------------------------------ v2

export type Annotations = Record<string, Buffer>;

export interface V2StatusResponse {
  version: string;
  healthz: string;
  key_id: string;
}
export interface V2EncryptRequest {
  plaintext: Buffer;
  uid: string;
}
export interface V2EncryptResponse {
  ciphertext: Buffer;
  key_id: string;
  annotations: Annotations;
}
export interface V2DecryptRequest {
  ciphertext: Buffer;
  uid: string;
  key_id: string;
  annotations: Annotations;
}
export interface V2DecryptResponse {
  plaintext: Buffer;
}
