/**
 * The KMS plugin (SPEC X-3): one gRPC server on a unix socket serving both `v1beta1.KeyManagementService` and
 * `v2.KeyManagementService`, as Azure's plugin (Azure/kubernetes-kms) does, backed by one Key Vault key version:
 *
 *   v1 Version  → {version "v1beta1", runtime_name "Microsoft AzureKMS", runtime_version}
 *   v1 Encrypt  → Key Vault encrypt, RSA1_5          v1 Decrypt → Key Vault decrypt, RSA1_5
 *   v2 Status   → a Key Vault encrypt + decrypt round trip of "healthcheck" (RSA-OAEP-256), then
 *                 {version "v2beta1", healthz "ok", key_id = hex SHA-256 of the key id URL}
 *   v2 Encrypt  → Key Vault encrypt, RSA-OAEP-256, with key_id and the annotations version.azure.akv.io ("1"),
 *                 algorithm.azure.akv.io, date.azure.akv.io, x-ms-request-id.azure.akv.io,
 *                 x-ms-keyvault-region.azure.akv.io
 *   v2 Decrypt  → checks annotations (present, algorithm, version) and key_id, then Key Vault decrypt
 *
 * Errors are gRPC statuses whose message says what failed (kube-apiserver logs them and fails the request).
 * A real kube-apiserver can use this server: it speaks the published protos over an insecure unix socket.
 */
import { chmodSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { VERSION } from '../version.js';
import { parseListenAddress } from '../encryption/kms-api/address.js';
import { keyIdHash } from './key-id.js';
import { V1_ALGORITHM, V2_ALGORITHM, type KeyVaultCrypto } from './keyvault-backend.js';
import {
  kmsServices,
  KMS_V1_API_VERSION,
  KMS_V2_API_VERSION,
  type Annotations,
  type V1DecryptRequest,
  type V1DecryptResponse,
  type V1EncryptRequest,
  type V1EncryptResponse,
  type V1VersionRequest,
  type V1VersionResponse,
  type V2DecryptRequest,
  type V2DecryptResponse,
  type V2EncryptRequest,
  type V2EncryptResponse,
  type V2StatusResponse,
} from '../encryption/kms-api/protos.js';

export const RUNTIME_NAME = 'Microsoft AzureKMS';
/** Azure's plugin's encryption response version, checked again on decrypt. */
export const ENCRYPTION_RESPONSE_VERSION = '1';
export const HEALTHCHECK_PLAINTEXT = 'healthcheck';

export const ANNOTATION = {
  date: 'date.azure.akv.io',
  requestId: 'x-ms-request-id.azure.akv.io',
  region: 'x-ms-keyvault-region.azure.akv.io',
  version: 'version.azure.akv.io',
  algorithm: 'algorithm.azure.akv.io',
} as const;

/** One plugin call, for logs and the tests' counters. */
export interface PluginCallEvent {
  api: 'v1' | 'v2';
  method: 'Version' | 'Status' | 'Encrypt' | 'Decrypt';
  ok: boolean;
  durationMs: number;
  error?: string;
}

export interface KmsPluginOptions {
  /** unix:///path or unix:///@abstract */
  listenAddr: string;
  crypto: KeyVaultCrypto;
  onCall?: (e: PluginCallEvent) => void;
}

class PluginError extends Error {
  constructor(
    message: string,
    readonly code: grpc.status,
  ) {
    super(message);
  }
}

/**
 * A status message travels in an HTTP/2 trailer: one longer than the peer's header list limit (16 KiB by default)
 * is never delivered, and the call hangs until its deadline. Messages echo what the caller sent (a key id), so they
 * are bounded (SPEC R-4).
 */
const MAX_STATUS_MESSAGE = 1024;

function toServiceError(err: unknown): Partial<grpc.ServiceError> {
  const full = err instanceof PluginError ? err.message : ((err as Error)?.message ?? String(err));
  const message = full.length > MAX_STATUS_MESSAGE ? `${full.slice(0, MAX_STATUS_MESSAGE)}... (${full.length} characters)` : full;
  return { code: err instanceof PluginError ? err.code : grpc.status.INTERNAL, details: message, message };
}

export class KmsPlugin {
  private server: grpc.Server | undefined;
  readonly keyId: string;
  readonly socketPath: string;
  readonly target: string;

  constructor(private readonly opts: KmsPluginOptions) {
    this.keyId = keyIdHash(opts.crypto.key.kid);
    const addr = parseListenAddress(opts.listenAddr);
    this.socketPath = addr.socketPath;
    this.target = addr.grpcTarget;
  }

  get key() {
    return this.opts.crypto.key;
  }

  /** Wraps a handler: deadline/cancel → abort, errors → gRPC status, every call reported. */
  private unary<Req, Res>(api: 'v1' | 'v2', method: PluginCallEvent['method'], fn: (req: Req, signal: AbortSignal) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      const started = performance.now();
      const abort = new AbortController();
      let answered = false;
      // grpc-js also reports a call whose answer was sent as cancelled when its stream closes: only a call still
      // running is aborted (an abort costs an exception object and an event for nothing).
      call.on('cancelled', () => answered || abort.abort());
      fn(call.request, abort.signal).then(
        (res) => {
          answered = true;
          this.opts.onCall?.({ api, method, ok: true, durationMs: performance.now() - started });
          callback(null, res);
        },
        (err: unknown) => {
          answered = true;
          const e = toServiceError(err);
          this.opts.onCall?.({ api, method, ok: false, durationMs: performance.now() - started, error: e.details! });
          callback(e, null);
        },
      );
    };
  }

  private async encryptWith(plain: Buffer, algorithm: typeof V1_ALGORITHM | typeof V2_ALGORITHM, signal: AbortSignal) {
    if (!Buffer.isBuffer(plain) || plain.length === 0) throw new PluginError('the plaintext is empty', grpc.status.INVALID_ARGUMENT);
    try {
      return await this.opts.crypto.encrypt(plain, algorithm, signal);
    } catch (err) {
      throw new PluginError(`failed to encrypt, error: ${(err as Error).message}`, grpc.status.INTERNAL);
    }
  }

  private async decryptWith(cipher: Buffer, algorithm: typeof V1_ALGORITHM | typeof V2_ALGORITHM, signal: AbortSignal): Promise<Buffer> {
    if (!Buffer.isBuffer(cipher) || cipher.length === 0) throw new PluginError('the ciphertext is empty', grpc.status.INVALID_ARGUMENT);
    try {
      return await this.opts.crypto.decrypt(cipher, algorithm, signal);
    } catch (err) {
      throw new PluginError(`failed to decrypt, error: ${(err as Error).message}`, grpc.status.INTERNAL);
    }
  }

  private v2Annotations(e: { date: string; requestId: string; region: string }): Annotations {
    return {
      [ANNOTATION.date]: Buffer.from(e.date),
      [ANNOTATION.requestId]: Buffer.from(e.requestId),
      [ANNOTATION.region]: Buffer.from(e.region),
      [ANNOTATION.version]: Buffer.from(ENCRYPTION_RESPONSE_VERSION),
      [ANNOTATION.algorithm]: Buffer.from(V2_ALGORITHM),
    };
  }

  /** Azure's plugin's checks before a v2 decrypt. */
  private checkV2(keyId: string, annotations: Annotations | undefined): void {
    if (!annotations || Object.keys(annotations).length === 0) throw new PluginError('invalid annotations, annotations cannot be empty', grpc.status.INVALID_ARGUMENT);
    if (keyId !== this.keyId) throw new PluginError(`key id ${keyId} does not match expected key id ${this.keyId} used for encryption`, grpc.status.INVALID_ARGUMENT);
    const alg = annotations[ANNOTATION.algorithm]?.toString() ?? '';
    if (alg !== V2_ALGORITHM) throw new PluginError(`algorithm ${alg} does not match expected algorithm ${V2_ALGORITHM} used for encryption`, grpc.status.INVALID_ARGUMENT);
    const version = annotations[ANNOTATION.version]?.toString() ?? '';
    if (version !== ENCRYPTION_RESPONSE_VERSION) {
      throw new PluginError(`version ${version} does not match expected version ${ENCRYPTION_RESPONSE_VERSION} used for encryption`, grpc.status.INVALID_ARGUMENT);
    }
  }

  private handlers() {
    const v1 = {
      Version: this.unary<V1VersionRequest, V1VersionResponse>('v1', 'Version', async () => ({ version: KMS_V1_API_VERSION, runtime_name: RUNTIME_NAME, runtime_version: VERSION })),
      Encrypt: this.unary<V1EncryptRequest, V1EncryptResponse>('v1', 'Encrypt', async (req, signal) => ({ cipher: (await this.encryptWith(req.plain, V1_ALGORITHM, signal)).ciphertext })),
      Decrypt: this.unary<V1DecryptRequest, V1DecryptResponse>('v1', 'Decrypt', async (req, signal) => ({ plain: await this.decryptWith(req.cipher, V1_ALGORITHM, signal) })),
    };
    const v2 = {
      Status: this.unary<Record<string, never>, V2StatusResponse>('v2', 'Status', async (_req, signal) => {
        // As Azure's plugin: a real round trip through Key Vault on every Status.
        const enc = await this.encryptWith(Buffer.from(HEALTHCHECK_PLAINTEXT), V2_ALGORITHM, signal);
        const plain = await this.decryptWith(enc.ciphertext, V2_ALGORITHM, signal);
        if (plain.toString() !== HEALTHCHECK_PLAINTEXT) throw new PluginError('decrypted text does not match', grpc.status.INTERNAL);
        return { version: KMS_V2_API_VERSION, healthz: 'ok', key_id: this.keyId };
      }),
      Encrypt: this.unary<V2EncryptRequest, V2EncryptResponse>('v2', 'Encrypt', async (req, signal) => {
        const enc = await this.encryptWith(req.plaintext, V2_ALGORITHM, signal);
        return { ciphertext: enc.ciphertext, key_id: this.keyId, annotations: this.v2Annotations(enc) };
      }),
      Decrypt: this.unary<V2DecryptRequest, V2DecryptResponse>('v2', 'Decrypt', async (req, signal) => {
        this.checkV2(req.key_id, req.annotations);
        return { plaintext: await this.decryptWith(req.ciphertext, V2_ALGORITHM, signal) };
      }),
    };
    return { v1, v2 };
  }

  /** Binds the socket (replacing a stale socket file) and serves. */
  async start(): Promise<void> {
    if (this.server) return;
    const { v1, v2 } = kmsServices();
    // No channelz bookkeeping (call counters, traces) on every call: nothing here reads it.
    const server = new grpc.Server({ 'grpc.enable_channelz': 0 });
    const h = this.handlers();
    server.addService(v1.service, h.v1 as unknown as grpc.UntypedServiceImplementation);
    server.addService(v2.service, h.v2 as unknown as grpc.UntypedServiceImplementation);
    const abstract = this.socketPath.startsWith('\0');
    if (!abstract) {
      mkdirSync(dirname(this.socketPath), { recursive: true, mode: 0o700 });
      try {
        unlinkSync(this.socketPath);
      } catch {
        /* no stale socket */
      }
    }
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(this.target, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(new Error(`cannot listen on ${this.opts.listenAddr}: ${err.message}`)) : resolve())),
    );
    // Only the owner (kube-apiserver runs as the same user) may talk to the key.
    if (!abstract) chmodSync(this.socketPath, 0o600);
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 2000);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (!this.socketPath.startsWith('\0')) {
      try {
        unlinkSync(this.socketPath);
      } catch {
        /* already gone */
      }
    }
  }
}
