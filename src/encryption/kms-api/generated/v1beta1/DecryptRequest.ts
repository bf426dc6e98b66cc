// Original file: kms-v1beta1.proto


export interface DecryptRequest {
  'version'?: (string);
  'cipher'?: (Buffer | Uint8Array | string);
}

export interface DecryptRequest__Output {
  'version': (string);
  'cipher': (Buffer);
}
