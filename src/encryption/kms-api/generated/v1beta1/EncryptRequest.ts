// Original file: kms-v1beta1.proto


export interface EncryptRequest {
  'version'?: (string);
  'plain'?: (Buffer | Uint8Array | string);
}

export interface EncryptRequest__Output {
  'version': (string);
  'plain': (Buffer);
}
