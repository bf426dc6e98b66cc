// Original file: kms-v2.proto


export interface StatusResponse {
  'version'?: (string);
  'healthz'?: (string);
  'key_id'?: (string);
}

export interface StatusResponse__Output {
  'version': (string);
  'healthz': (string);
  'key_id': (string);
}
