// Original file: kms-v2.proto


export interface StatusRequest {
}

export interface StatusRequest__Output {
}
