/**
 * Shared pieces of the KMS tests.
 *
 * - `LocalRsaCrypto`: a Key Vault stand-in for the tests of the gRPC and transformer layers alone (the thing under
 *   test there is the plugin protocol and the byte format, not Key Vault): RSA-OAEP-256 / RSA1_5 with a local key,
 *   returning Key Vault's base64url text, and a switch that makes it fail as a deleted key does.
 * - `rsaUnwrap`: the tests' own, independent decryption of a KMS ciphertext with the private key (node:crypto for
 *   RSA-OAEP-256; node-forge for RSA1_5, which Node 20 refuses to decrypt since CVE-2023-46809).
 */
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import type { RsaEncryptionAlgorithm } from '@azure/keyvault-keys';
import type { EncryptOutcome, KeyVaultCrypto } from '../../src/kms/keyvault-backend.js';
import { parseKeyId, type KeyRef } from '../../src/kms/key-id.js';

export function tempSocket(name = 'kms.sock'): string {
  return join(mkdtempSync(join(tmpdir(), 'aksemu-kms-')), name);
}

export function newRsaKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
}

/** Decrypts a plugin ciphertext (Key Vault's base64url text) with the private key, independently of aksemu. */
export function rsaUnwrap(privateKey: KeyObject, ciphertextText: Buffer, alg: RsaEncryptionAlgorithm): Buffer {
  const raw = Buffer.from(ciphertextText.toString('utf8'), 'base64url');
  if (alg === 'RSA-OAEP-256') return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, raw);
  if (alg === 'RSA1_5') {
    const key = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }) as string) as forge.pki.rsa.PrivateKey;
    return Buffer.from(key.decrypt(raw.toString('binary'), 'RSAES-PKCS1-V1_5'), 'binary');
  }
  throw new Error(`unsupported ${alg}`);
}

export class LocalRsaCrypto implements KeyVaultCrypto {
  readonly key: KeyRef;
  broken: string | undefined;
  calls = { encrypt: 0, decrypt: 0 };
  private readonly pair = newRsaKey();

  constructor(kid = 'https://kv-local.vault.azure.net/keys/k1/0123456789abcdef0123456789abcdef') {
    this.key = parseKeyId(kid);
  }

  get privateKey(): KeyObject {
    return this.pair.privateKey;
  }

  async encrypt(plain: Buffer, algorithm: RsaEncryptionAlgorithm): Promise<EncryptOutcome> {
    this.calls.encrypt++;
    if (this.broken) throw new Error(this.broken);
    const padding = algorithm === 'RSA1_5' ? { padding: constants.RSA_PKCS1_PADDING } : { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
    const raw = publicEncrypt({ key: this.pair.publicKey, ...padding }, plain);
    return { ciphertext: Buffer.from(raw.toString('base64url')), kid: this.key.kid, date: new Date().toUTCString(), requestId: 'req-1', region: 'local' };
  }

  async decrypt(ciphertext: Buffer, algorithm: RsaEncryptionAlgorithm): Promise<Buffer> {
    this.calls.decrypt++;
    if (this.broken) throw new Error(this.broken);
    return rsaUnwrap(this.pair.privateKey, ciphertext, algorithm);
  }
}
