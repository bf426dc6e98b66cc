// Original file: kms-v1beta1.proto


export interface DecryptResponse {
  'plain'?: (Buffer | Uint8Array | string);
}

export interface DecryptResponse__Output {
  'plain': (Buffer);
}
