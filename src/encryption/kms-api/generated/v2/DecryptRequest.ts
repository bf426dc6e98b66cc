// Original file: kms-v2.proto


export interface DecryptRequest {
  'ciphertext'?: (Buffer | Uint8Array | string);
  'uid'?: (string);
  'key_id'?: (string);
  'annotations'?: ({[key: string]: Buffer | Uint8Array | string});
}

export interface DecryptRequest__Output {
  'ciphertext': (Buffer);
  'uid': (string);
  'key_id': (string);
  'annotations': ({[key: string]: Buffer});
}
