// Original file: kms-v2.proto


export interface EncryptResponse {
  'ciphertext'?: (Buffer | Uint8Array | string);
  'key_id'?: (string);
  'annotations'?: ({[key: string]: Buffer | Uint8Array | string});
}

export interface EncryptResponse__Output {
  'ciphertext': (Buffer);
  'key_id': (string);
  'annotations': ({[key: string]: Buffer});
}
