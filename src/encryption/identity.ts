/** The identity provider: values are stored as they are; reading a value that is encrypted fails. */
import { ENCRYPTED_PREFIX, type EncryptionProvider } from './types.js';

export class IdentityProvider implements EncryptionProvider {
  readonly kind = 'identity' as const;
  readonly name = 'identity';
  readonly prefix = Buffer.alloc(0);

  async write(plain: Buffer): Promise<Buffer> {
    return plain;
  }

  async read(payload: Buffer): Promise<{ plain: Buffer; stale: boolean }> {
    if (payload.subarray(0, ENCRYPTED_PREFIX.length).equals(ENCRYPTED_PREFIX)) throw new Error('identity transformer tried to read encrypted data');
    return { plain: payload, stale: false };
  }

  async health() {
    return { ok: true };
  }

  dropCaches(): void {}

  close(): void {}
}
