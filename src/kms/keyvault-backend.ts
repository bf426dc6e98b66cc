/**
 * The plugin's side of Key Vault: encrypt and decrypt with one configured key version, through
 * @azure/keyvault-keys' CryptographyClient over HTTPS, exactly the calls Azure's plugin makes:
 *
 * - always the remote `encrypt`/`decrypt` operations (never a local public-key encryption, never wrap/unwrap), so
 *   every plugin call is one Key Vault operation and appears in the vault's audit log (SPEC K-12). The client is
 *   built from a key *without* key material, which keeps the SDK from fetching the key and encrypting locally;
 * - the ciphertext handed back to kube-apiserver is the base64url text Key Vault returned (Azure's plugin returns
 *   `[]byte(result)`), and decrypt sends those bytes back as the `value` as they are;
 * - the result's `kid` must be the configured key (its SHA-256 is the v2 key_id), and the response's `Date`,
 *   `x-ms-request-id` and `x-ms-keyvault-region` headers become the v2 annotations.
 */
import type { Agent } from 'node:https';
import { CryptographyClient, type KeyVaultKey, type RsaEncryptionAlgorithm } from '@azure/keyvault-keys';
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { keyIdHash, type KeyRef } from './key-id.js';

/** The algorithm of each API, as Azure's plugin uses them. */
export const V1_ALGORITHM: RsaEncryptionAlgorithm = 'RSA1_5';
export const V2_ALGORITHM: RsaEncryptionAlgorithm = 'RSA-OAEP-256';

export interface EncryptOutcome {
  /** The base64url text of the RSA ciphertext, as bytes. */
  ciphertext: Buffer;
  /** The key id Key Vault reported (full URL). */
  kid: string;
  date: string;
  requestId: string;
  region: string;
}

/** What the gRPC services need from Key Vault (a seam for tests of the gRPC layer alone). */
export interface KeyVaultCrypto {
  readonly key: KeyRef;
  encrypt(plain: Buffer, algorithm: RsaEncryptionAlgorithm, signal?: AbortSignal): Promise<EncryptOutcome>;
  decrypt(ciphertext: Buffer, algorithm: RsaEncryptionAlgorithm, signal?: AbortSignal): Promise<Buffer>;
}

export interface KeyVaultBackendOptions {
  key: KeyRef;
  credential: TokenCredential;
  /** How to reach the vault (a tunnel through aksemu's front door, a private endpoint socket); default: the SDK's. */
  agent?: Agent;
  userAgentPrefix?: string;
}

export class KeyVaultError extends Error {
  constructor(
    message: string,
    readonly statusCode?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'KeyVaultError';
  }
}

function describe(err: unknown): KeyVaultError {
  const e = err as { statusCode?: number; code?: string; message?: string; name?: string };
  if (e?.name === 'AbortError') return new KeyVaultError('the request was cancelled (deadline exceeded)', undefined, 'Cancelled');
  const status = typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  return new KeyVaultError(`${status ? `Key Vault answered ${status}${e.code ? ` ${e.code}` : ''}: ` : ''}${(e?.message ?? String(err)).split('\n')[0]}`, status, e?.code);
}

export class KeyVaultBackend implements KeyVaultCrypto {
  readonly key: KeyRef;
  private readonly client: CryptographyClient;

  constructor(opts: KeyVaultBackendOptions) {
    this.key = opts.key;
    const agent = opts.agent;
    // Set the connection after the proxy policy (which would otherwise replace it when HTTPS_PROXY is set).
    const agentPolicy: PipelinePolicy = {
      name: 'aksemuKmsAgent',
      sendRequest: (request, next) => {
        if (agent) request.agent = agent;
        return next(request);
      },
    };
    const keyWithoutMaterial: KeyVaultKey = {
      id: opts.key.kid,
      name: opts.key.keyName,
      properties: { id: opts.key.kid, name: opts.key.keyName, vaultUrl: opts.key.vaultUrl, version: opts.key.keyVersion },
    };
    this.client = new CryptographyClient(keyWithoutMaterial, opts.credential, {
      additionalPolicies: [{ policy: agentPolicy, position: 'perRetry' }],
      retryOptions: { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
      userAgentOptions: { userAgentPrefix: opts.userAgentPrefix ?? 'k8s-kms-keyvault/aksemu' },
    });
  }

  async encrypt(plain: Buffer, algorithm: RsaEncryptionAlgorithm, signal?: AbortSignal): Promise<EncryptOutcome> {
    let headers: { get(name: string): string | undefined } | undefined;
    let kid: string | undefined;
    let result: Uint8Array;
    try {
      ({ result } = await this.client.encrypt(
        { algorithm, plaintext: plain },
        {
          ...(signal ? { abortSignal: signal } : {}),
          onResponse: (raw) => {
            headers = raw.headers;
            kid = (raw.parsedBody as { kid?: string } | undefined)?.kid;
          },
        },
      ));
    } catch (err) {
      throw describe(err);
    }
    if (!result?.length || !kid) throw new KeyVaultError('Key Vault answered an encrypt without value or kid');
    // Azure's plugin compares the hashes: a key id that is not the configured one (another version) is an error.
    if (keyIdHash(kid) !== keyIdHash(this.key.kid)) {
      throw new KeyVaultError(`key id initialized does not match with the key id from encryption result, expected: ${keyIdHash(this.key.kid)}, got: ${kid}`);
    }
    const out: EncryptOutcome = {
      // Key Vault's `value`: unpadded base64url of the RSA ciphertext.
      ciphertext: Buffer.from(Buffer.from(result).toString('base64url'), 'utf8'),
      kid,
      date: headers?.get('date') ?? '',
      requestId: headers?.get('x-ms-request-id') ?? '',
      region: headers?.get('x-ms-keyvault-region') ?? '',
    };
    return out;
  }

  async decrypt(ciphertext: Buffer, algorithm: RsaEncryptionAlgorithm, signal?: AbortSignal): Promise<Buffer> {
    const text = ciphertext.toString('utf8');
    if (!/^[A-Za-z0-9_-]+$/.test(text)) throw new KeyVaultError('the ciphertext is not the base64url text Key Vault returned for this key');
    try {
      const r = await this.client.decrypt({ algorithm, ciphertext: Buffer.from(text, 'base64url') }, signal ? { abortSignal: signal } : {});
      return Buffer.from(r.result);
    } catch (err) {
      throw describe(err);
    }
  }
}

