// Original file: kms-v2.proto


export interface EncryptRequest {
  'plaintext'?: (Buffer | Uint8Array | string);
  'uid'?: (string);
}

export interface EncryptRequest__Output {
  'plaintext': (Buffer);
  'uid': (string);
}
