// Original file: kms-v1beta1.proto


export interface EncryptResponse {
  'cipher'?: (Buffer | Uint8Array | string);
}

export interface EncryptResponse__Output {
  'cipher': (Buffer);
}
