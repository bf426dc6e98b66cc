/**
 * kube-apiserver's side of the plugin socket: gRPC clients of the v1 and v2 KMS APIs over a unix socket, with a
 * deadline per call (kube-apiserver uses 3 s by default). The storage transformers (src/encryption) reach Key
 * Vault only through these clients (docs/architecture.md: never by a function call).
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { parseListenAddress } from './address.js';
import {
  kmsServices,
  type Annotations,
  type V1DecryptResponse,
  type V1EncryptResponse,
  type V1VersionResponse,
  type V2DecryptResponse,
  type V2EncryptResponse,
  type V2StatusResponse,
} from './protos.js';

export const DEFAULT_KMS_TIMEOUT_MS = 3000;

/** A failed plugin call (gRPC status and message). */
export class KmsCallError extends Error {
  constructor(
    readonly method: string,
    readonly code: grpc.status | undefined,
    detail: string,
  ) {
    super(`rpc ${method} failed: ${detail}`);
    this.name = 'KmsCallError';
  }
}

type Unary = (req: unknown, meta: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: unknown) => void) => void;

abstract class BaseClient {
  protected readonly client: grpc.Client;

  constructor(
    ctor: grpc.ServiceClientConstructor,
    readonly endpoint: string,
    readonly timeoutMs: number,
  ) {
    const { grpcTarget } = parseListenAddress(endpoint);
    this.client = new ctor(grpcTarget, grpc.credentials.createInsecure(), {
      // Reconnect quickly after a plugin restart (the default backoff grows to minutes).
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
      // No channelz bookkeeping (call counters, traces) on every call: nothing here reads it.
      'grpc.enable_channelz': 0,
    });
  }

  protected call<T>(method: string, req: unknown): Promise<T> {
    const fn = (this.client as unknown as Record<string, Unary>)[method]!.bind(this.client);
    return new Promise<T>((resolve, reject) => {
      fn(req, new grpc.Metadata(), { deadline: Date.now() + this.timeoutMs }, (err, res) => {
        if (err) reject(new KmsCallError(method, err.code, err.details || err.message));
        else resolve(res as T);
      });
    });
  }

  close(): void {
    this.client.close();
  }
}

export class KmsV1Client extends BaseClient {
  constructor(endpoint: string, timeoutMs = DEFAULT_KMS_TIMEOUT_MS) {
    super(kmsServices().v1, endpoint, timeoutMs);
  }

  version(): Promise<V1VersionResponse> {
    return this.call('Version', { version: 'v1beta1' });
  }

  async encrypt(plain: Buffer): Promise<Buffer> {
    return (await this.call<V1EncryptResponse>('Encrypt', { version: 'v1beta1', plain })).cipher;
  }

  async decrypt(cipher: Buffer): Promise<Buffer> {
    return (await this.call<V1DecryptResponse>('Decrypt', { version: 'v1beta1', cipher })).plain;
  }
}

export class KmsV2Client extends BaseClient {
  constructor(endpoint: string, timeoutMs = DEFAULT_KMS_TIMEOUT_MS) {
    super(kmsServices().v2, endpoint, timeoutMs);
  }

  status(): Promise<V2StatusResponse> {
    return this.call('Status', {});
  }

  encrypt(plaintext: Buffer, uid: string = randomUUID()): Promise<V2EncryptResponse> {
    return this.call('Encrypt', { plaintext, uid });
  }

  async decrypt(req: { ciphertext: Buffer; keyId: string; annotations: Annotations; uid?: string }): Promise<Buffer> {
    const res = await this.call<V2DecryptResponse>('Decrypt', { ciphertext: req.ciphertext, key_id: req.keyId, annotations: req.annotations, uid: req.uid ?? randomUUID() });
    return res.plaintext;
  }
}
