import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { DecryptRequest as _v2_DecryptRequest, DecryptRequest__Output as _v2_DecryptRequest__Output } from './v2/DecryptRequest.js';
import type { DecryptResponse as _v2_DecryptResponse, DecryptResponse__Output as _v2_DecryptResponse__Output } from './v2/DecryptResponse.js';
import type { EncryptRequest as _v2_EncryptRequest, EncryptRequest__Output as _v2_EncryptRequest__Output } from './v2/EncryptRequest.js';
import type { EncryptResponse as _v2_EncryptResponse, EncryptResponse__Output as _v2_EncryptResponse__Output } from './v2/EncryptResponse.js';
import type { KeyManagementServiceClient as _v2_KeyManagementServiceClient, KeyManagementServiceDefinition as _v2_KeyManagementServiceDefinition } from './v2/KeyManagementService.js';
import type { StatusRequest as _v2_StatusRequest, StatusRequest__Output as _v2_StatusRequest__Output } from './v2/StatusRequest.js';
import type { StatusResponse as _v2_StatusResponse, StatusResponse__Output as _v2_StatusResponse__Output } from './v2/StatusResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  v2: {
    DecryptRequest: MessageTypeDefinition<_v2_DecryptRequest, _v2_DecryptRequest__Output>
    DecryptResponse: MessageTypeDefinition<_v2_DecryptResponse, _v2_DecryptResponse__Output>
    EncryptRequest: MessageTypeDefinition<_v2_EncryptRequest, _v2_EncryptRequest__Output>
    EncryptResponse: MessageTypeDefinition<_v2_EncryptResponse, _v2_EncryptResponse__Output>
    KeyManagementService: SubtypeConstructor<typeof grpc.Client, _v2_KeyManagementServiceClient> & { service: _v2_KeyManagementServiceDefinition }
    StatusRequest: MessageTypeDefinition<_v2_StatusRequest, _v2_StatusRequest__Output>
    StatusResponse: MessageTypeDefinition<_v2_StatusResponse, _v2_StatusResponse__Output>
  }
}

