/**
 * Sealing: how aksemu keeps private keys and secrets at rest (SPEC V-2 key material, the CA key, token signing key).
 *
 * AES-256-GCM under the instance's master key, a fresh 12-byte nonce per seal, and the purpose of the blob as
 * additional authenticated data, so that a sealed value cannot be moved to another purpose (a Key Vault key
 * sealed for one key id does not unseal as another). Layout: "aks1" | nonce(12) | ciphertext | tag(16).
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../config/data-dir.js';

const MAGIC = Buffer.from('aks1', 'ascii');
const NONCE = 12;
const TAG = 16;

export class Sealer {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the master key must be 32 bytes');
  }

  seal(plaintext: Buffer, purpose: string): Buffer {
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(purpose, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([MAGIC, nonce, body, cipher.getAuthTag()]);
  }

  unseal(sealed: Buffer, purpose: string): Buffer {
    if (sealed.length < MAGIC.length + NONCE + TAG || !sealed.subarray(0, 4).equals(MAGIC)) {
      throw new Error('not a sealed value');
    }
    const nonce = sealed.subarray(4, 4 + NONCE);
    const tag = sealed.subarray(sealed.length - TAG);
    const decipher = createDecipheriv('aes-256-gcm', this.key, nonce);
    decipher.setAAD(Buffer.from(purpose, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(sealed.subarray(4 + NONCE, sealed.length - TAG)), decipher.final()]);
  }

  /** A stable secret derived from the master key (e.g. the default principal's client secret). */
  derive(purpose: string, bytes = 32): Buffer {
    return createHmac('sha256', this.key).update(purpose, 'utf8').digest().subarray(0, bytes);
  }
}

/** Reads the master key at `file` (it must exist). */
export function loadMasterKey(file: string): Buffer {
  const key = readFileSync(file);
  if (key.length !== 32) throw new Error(`${file} is not a 32-byte master key`);
  return key;
}

/** Makes a new master key at `file` (mode 0600). Only for an instance with nothing sealed yet (src/secrets/instance-check.ts). */
export function createMasterKey(file: string): Buffer {
  const key = randomBytes(32);
  writeFileAtomic(file, key, 0o600);
  return key;
}
