/**
 * The KMS plugin APIs as gRPC service definitions, loaded with @grpc/proto-loader from the project's own .proto
 * files (src/kms/proto), and the TypeScript shapes of their messages (proto-loader with `keepCase`: field names as
 * in the .proto; bytes as Buffer).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * The path of a .proto file kept under `src/<area>/proto/`. Compiled code runs from dist/, which holds no .proto
 * files: walk up from this module to the directory that has `src/<area>/proto/<name>`.
 */
export function protoFile(area: string, name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'src', area, 'proto', name);
    if (existsSync(candidate)) return candidate;
    const sibling = join(dir, '..', area, 'proto', name);
    if (existsSync(sibling)) return sibling;
    dir = dirname(dir);
  }
  throw new Error(`cannot find src/${area}/proto/${name} above ${fileURLToPath(import.meta.url)}`);
}

const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

export const V1_SERVICE = 'v1beta1.KeyManagementService';
export const V2_SERVICE = 'v2.KeyManagementService';
/** The API version strings of the two APIs (what Version/Status answer). */
export const KMS_V1_API_VERSION = 'v1beta1';
/** Azure's plugin answers "v2beta1" to Status (kube-apiserver accepts "v2" and "v2beta1"). */
export const KMS_V2_API_VERSION = 'v2beta1';

type ServiceCtor = grpc.ServiceClientConstructor;

let loaded: { v1: ServiceCtor; v2: ServiceCtor } | undefined;

/** The two services (client constructors with their `.service` definitions), loaded once. */
export function kmsServices(): { v1: ServiceCtor; v2: ServiceCtor } {
  if (!loaded) {
    const v1 = grpc.loadPackageDefinition(protoLoader.loadSync(protoFile('kms', 'kms-v1beta1.proto'), LOADER_OPTIONS)) as unknown as { v1beta1: { KeyManagementService: ServiceCtor } };
    const v2 = grpc.loadPackageDefinition(protoLoader.loadSync(protoFile('kms', 'kms-v2.proto'), LOADER_OPTIONS)) as unknown as { v2: { KeyManagementService: ServiceCtor } };
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
