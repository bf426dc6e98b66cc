/**
 * The KMS plugin APIs as gRPC service definitions, loaded with @grpc/proto-loader from the project's own .proto
 * files (proto/), and the TypeScript shapes of their messages (proto-loader with `keepCase`: field names as
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

// The messages, as proto-loader decodes them (generated/ by proto-loader-gen-types from the same .proto files;
// `npm run gen:kms-types` regenerates them). The `__Output` shapes have every field present, which is what both
// ends of the API build and receive.

export type V1VersionRequest = import('./generated/v1beta1/VersionRequest.js').VersionRequest__Output;
export type V1VersionResponse = import('./generated/v1beta1/VersionResponse.js').VersionResponse__Output;
export type V1EncryptRequest = import('./generated/v1beta1/EncryptRequest.js').EncryptRequest__Output;
export type V1EncryptResponse = import('./generated/v1beta1/EncryptResponse.js').EncryptResponse__Output;
export type V1DecryptRequest = import('./generated/v1beta1/DecryptRequest.js').DecryptRequest__Output;
export type V1DecryptResponse = import('./generated/v1beta1/DecryptResponse.js').DecryptResponse__Output;

export type V2StatusResponse = import('./generated/v2/StatusResponse.js').StatusResponse__Output;
export type V2EncryptRequest = import('./generated/v2/EncryptRequest.js').EncryptRequest__Output;
export type V2EncryptResponse = import('./generated/v2/EncryptResponse.js').EncryptResponse__Output;
export type V2DecryptRequest = import('./generated/v2/DecryptRequest.js').DecryptRequest__Output;
export type V2DecryptResponse = import('./generated/v2/DecryptResponse.js').DecryptResponse__Output;
export type Annotations = V2EncryptResponse['annotations'];
