// Original file: kms-v1beta1.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DecryptRequest as _v1beta1_DecryptRequest, DecryptRequest__Output as _v1beta1_DecryptRequest__Output } from '../v1beta1/DecryptRequest.js';
import type { DecryptResponse as _v1beta1_DecryptResponse, DecryptResponse__Output as _v1beta1_DecryptResponse__Output } from '../v1beta1/DecryptResponse.js';
import type { EncryptRequest as _v1beta1_EncryptRequest, EncryptRequest__Output as _v1beta1_EncryptRequest__Output } from '../v1beta1/EncryptRequest.js';
import type { EncryptResponse as _v1beta1_EncryptResponse, EncryptResponse__Output as _v1beta1_EncryptResponse__Output } from '../v1beta1/EncryptResponse.js';
import type { VersionRequest as _v1beta1_VersionRequest, VersionRequest__Output as _v1beta1_VersionRequest__Output } from '../v1beta1/VersionRequest.js';
import type { VersionResponse as _v1beta1_VersionResponse, VersionResponse__Output as _v1beta1_VersionResponse__Output } from '../v1beta1/VersionResponse.js';

export interface KeyManagementServiceClient extends grpc.Client {
  Decrypt(argument: _v1beta1_DecryptRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v1beta1_DecryptResponse__Output>): grpc.ClientUnaryCall;
  Decrypt(argument: _v1beta1_DecryptRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v1beta1_DecryptResponse__Output>): grpc.ClientUnaryCall;
  Decrypt(argument: _v1beta1_DecryptRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v1beta1_DecryptResponse__Output>): grpc.ClientUnaryCall;
  Decrypt(argument: _v1beta1_DecryptRequest, callback: grpc.requestCallback<_v1beta1_DecryptResponse__Output>): grpc.ClientUnaryCall;
  decrypt(argument: _v1beta1_DecryptRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v1beta1_DecryptResponse__Output>): grpc.ClientUnaryCall;
  decrypt(argument: _v1beta1_DecryptRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v1beta1_DecryptResponse__Output>): grpc.ClientUnaryCall;
  decrypt(argument: _v1beta1_DecryptRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v1beta1_DecryptResponse__Output>): grpc.ClientUnaryCall;
  decrypt(argument: _v1beta1_DecryptRequest, callback: grpc.requestCallback<_v1beta1_DecryptResponse__Output>): grpc.ClientUnaryCall;
  
  Encrypt(argument: _v1beta1_EncryptRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v1beta1_EncryptResponse__Output>): grpc.ClientUnaryCall;
  Encrypt(argument: _v1beta1_EncryptRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v1beta1_EncryptResponse__Output>): grpc.ClientUnaryCall;
  Encrypt(argument: _v1beta1_EncryptRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v1beta1_EncryptResponse__Output>): grpc.ClientUnaryCall;
  Encrypt(argument: _v1beta1_EncryptRequest, callback: grpc.requestCallback<_v1beta1_EncryptResponse__Output>): grpc.ClientUnaryCall;
  encrypt(argument: _v1beta1_EncryptRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v1beta1_EncryptResponse__Output>): grpc.ClientUnaryCall;
  encrypt(argument: _v1beta1_EncryptRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v1beta1_EncryptResponse__Output>): grpc.ClientUnaryCall;
  encrypt(argument: _v1beta1_EncryptRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v1beta1_EncryptResponse__Output>): grpc.ClientUnaryCall;
  encrypt(argument: _v1beta1_EncryptRequest, callback: grpc.requestCallback<_v1beta1_EncryptResponse__Output>): grpc.ClientUnaryCall;
  
  Version(argument: _v1beta1_VersionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v1beta1_VersionResponse__Output>): grpc.ClientUnaryCall;
  Version(argument: _v1beta1_VersionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v1beta1_VersionResponse__Output>): grpc.ClientUnaryCall;
  Version(argument: _v1beta1_VersionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v1beta1_VersionResponse__Output>): grpc.ClientUnaryCall;
  Version(argument: _v1beta1_VersionRequest, callback: grpc.requestCallback<_v1beta1_VersionResponse__Output>): grpc.ClientUnaryCall;
  version(argument: _v1beta1_VersionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_v1beta1_VersionResponse__Output>): grpc.ClientUnaryCall;
  version(argument: _v1beta1_VersionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_v1beta1_VersionResponse__Output>): grpc.ClientUnaryCall;
  version(argument: _v1beta1_VersionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_v1beta1_VersionResponse__Output>): grpc.ClientUnaryCall;
  version(argument: _v1beta1_VersionRequest, callback: grpc.requestCallback<_v1beta1_VersionResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface KeyManagementServiceHandlers extends grpc.UntypedServiceImplementation {
  Decrypt: grpc.handleUnaryCall<_v1beta1_DecryptRequest__Output, _v1beta1_DecryptResponse>;
  
  Encrypt: grpc.handleUnaryCall<_v1beta1_EncryptRequest__Output, _v1beta1_EncryptResponse>;
  
  Version: grpc.handleUnaryCall<_v1beta1_VersionRequest__Output, _v1beta1_VersionResponse>;
  
}

export interface KeyManagementServiceDefinition extends grpc.ServiceDefinition {
  Decrypt: MethodDefinition<_v1beta1_DecryptRequest, _v1beta1_DecryptResponse, _v1beta1_DecryptRequest__Output, _v1beta1_DecryptResponse__Output>
  Encrypt: MethodDefinition<_v1beta1_EncryptRequest, _v1beta1_EncryptResponse, _v1beta1_EncryptRequest__Output, _v1beta1_EncryptResponse__Output>
  Version: MethodDefinition<_v1beta1_VersionRequest, _v1beta1_VersionResponse, _v1beta1_VersionRequest__Output, _v1beta1_VersionResponse__Output>
}
