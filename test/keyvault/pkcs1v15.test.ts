/**
 * RSA1_5 decryption over OpenSSL's raw RSA with implicit rejection (keyvault/pkcs1v15.ts): it decrypts what
 * node:crypto encrypts exactly as node-forge's RSAES-PKCS1-V1_5 does, and on a bad padding it returns the synthetic
 * message of the CFRG's RSA guidance — recomputed here step by step from that description, without masks — and says
 * it rejected; inline and in the crypto worker pool alike.
 */
import { constants, createHmac, generateKeyPairSync, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { afterAll, describe, expect, it } from 'vitest';
import { CryptoPool } from '../../src/keyvault/crypto-pool.js';
import { PKCS1_REJECTED, pkcs1v15Decrypt, privateExponentHash, rsaDecrypt } from '../../src/keyvault/key-crypto.js';
import { decodePkcs1v15 } from '../../src/keyvault/pkcs1v15.js';

const keys = [2048, 3072].map((modulusLength) => generateKeyPairSync('rsa', { modulusLength }));

function forgeDecrypt(privateKey: KeyObject, ciphertext: Buffer): Buffer {
  const fk = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }) as string) as forge.pki.rsa.PrivateKey;
  return Buffer.from(fk.decrypt(ciphertext.toString('binary'), 'RSAES-PKCS1-V1_5'), 'binary');
}

/** The ciphertext of an encoded block `em` (k bytes, below the modulus), through the raw public operation. */
const rawEncrypt = (publicKey: KeyObject, em: Buffer) => publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, em);

/** 0x00 0x02 ‖ PS (non-zero) ‖ 0x00 ‖ M, with the chosen parts overridden. */
function block(k: number, message: Buffer, o: { first?: number; second?: number; separator?: boolean } = {}): Buffer {
  const em = Buffer.alloc(k);
  em[0] = o.first ?? 0;
  em[1] = o.second ?? 2;
  const psEnd = k - message.length - 1;
  for (let i = 2; i < psEnd; i++) em[i] = 1 + (randomBytes(1)[0]! % 255);
  em[psEnd] = o.separator === false ? 0x5a : 0;
  message.copy(em, psEnd + 1);
  return em;
}

/** The guidance's synthetic message, plainly: KDK, the two PRF outputs, the last candidate length that fits. */
function expectedSynthetic(privateKey: KeyObject, ciphertext: Buffer): Buffer {
  const k = ciphertext.length;
  const kdk = createHmac('sha256', privateExponentHash(privateKey)).update(ciphertext).digest();
  const prf = (label: string, bytes: number) => {
    const parts: Buffer[] = [];
    for (let i = 0; parts.length * 32 < bytes; i++) {
      const bits = Buffer.alloc(2);
      bits.writeUInt16BE(bytes * 8);
      const counter = Buffer.alloc(2);
      counter.writeUInt16BE(i);
      parts.push(createHmac('sha256', kdk).update(Buffer.concat([counter, Buffer.from(label), bits])).digest());
    }
    return Buffer.concat(parts).subarray(0, bytes);
  };
  const max = k - 10;
  const mask = 2 ** Math.ceil(Math.log2(max + 1)) - 1;
  const lengths = prf('length', 256);
  let length = 0;
  for (let i = 0; i < 256; i += 2) {
    const candidate = lengths.readUInt16BE(i) & mask;
    if (candidate < max) length = candidate;
  }
  const message = prf('message', k);
  return message.subarray(k - length);
}

describe('RSA1_5 decryption with implicit rejection', () => {
  const pool = new CryptoPool(1);
  afterAll(() => pool.close());

  it('decrypts what node:crypto encrypts with PKCS#1 v1.5 exactly as node-forge does, for every message length', () => {
    for (const { privateKey, publicKey } of keys) {
      const k = privateKey.asymmetricKeyDetails!.modulusLength! / 8;
      for (const length of [0, 1, 16, 32, 100, k - 12, k - 11]) {
        const plain = randomBytes(length);
        const ciphertext = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, plain);
        const ours = pkcs1v15Decrypt(privateKey, ciphertext);
        expect(ours.equals(plain)).toBe(true);
        expect(ours.equals(forgeDecrypt(privateKey, ciphertext))).toBe(true);
      }
      // a block built by hand with exactly 8 padding bytes (the longest message) is valid for both
      const longest = rawEncrypt(publicKey, block(k, randomBytes(k - 11)));
      expect(pkcs1v15Decrypt(privateKey, longest).equals(forgeDecrypt(privateKey, longest))).toBe(true);
    }
  });

  it('answers a bad padding with the deterministic synthetic message, of a length a real message could have', () => {
    const { privateKey, publicKey } = keys[0]!;
    const k = 256;
    const dHash = privateExponentHash(privateKey);
    const malformed: Record<string, Buffer> = {
      'first byte not zero': block(k, randomBytes(32), { first: 1 }),
      'block type 1, not 2': block(k, randomBytes(32), { second: 1 }),
      'no zero separator': block(k, Buffer.alloc(0), { separator: false }),
      'padding of 7 bytes': block(k, randomBytes(k - 10)),
      'message too long (padding of 1 byte)': block(k, randomBytes(k - 4)),
      'all zero after the header': Buffer.concat([Buffer.from([0, 2]), Buffer.alloc(k - 2)]),
    };
    const seen = new Set<string>();
    for (const [what, em] of Object.entries(malformed)) {
      const ciphertext = rawEncrypt(publicKey, em);
      expect(() => forgeDecrypt(privateKey, ciphertext), what).toThrow();
      const decoded = decodePkcs1v15(em, ciphertext, dHash, createHmac);
      expect(decoded.rejected, what).toBe(true);
      expect(decoded.message.equals(expectedSynthetic(privateKey, ciphertext)), what).toBe(true);
      expect(decoded.message.length, what).toBeLessThanOrEqual(k - 11);
      // deterministic for the key and the ciphertext
      expect(decodePkcs1v15(em, ciphertext, dHash, createHmac).message.equals(decoded.message), what).toBe(true);
      seen.add(decoded.message.toString('hex'));
      // Key Vault's answer: the decryption fails (after the whole decoding ran)
      expect(() => pkcs1v15Decrypt(privateKey, ciphertext), what).toThrow(PKCS1_REJECTED);
    }
    // different ciphertexts, different synthetic messages
    expect(seen.size).toBe(Object.keys(malformed).length);
    // another key gives another synthetic message for the same block
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const em = malformed['no zero separator']!;
    const mine = decodePkcs1v15(em, rawEncrypt(publicKey, em), dHash, createHmac).message;
    const theirs = decodePkcs1v15(em, rawEncrypt(other.publicKey, em), privateExponentHash(other.privateKey), createHmac).message;
    expect(theirs.equals(mine)).toBe(false);
  });

  it('gives the same results in the crypto worker pool as inline: the message, or the refusal', async () => {
    const { privateKey, publicKey } = keys[1]!;
    const plain = randomBytes(32);
    const good = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, plain);
    const exec = (op: Parameters<typeof pool.run>[2], data: Buffer, inline: () => Buffer) => pool.run('kid-pkcs1', privateKey, op, data, inline);
    expect((await rsaDecrypt('RSA1_5', privateKey, good, exec)).equals(plain)).toBe(true);
    const bad = rawEncrypt(publicKey, block(384, randomBytes(32), { second: 1 }));
    await expect(rsaDecrypt('RSA1_5', privateKey, bad, exec)).rejects.toMatchObject({ status: 400, message: 'The ciphertext could not be decrypted with RSA1_5 by this key.' });
    await expect(rsaDecrypt('RSA1_5', privateKey, bad)).rejects.toMatchObject({ status: 400, message: 'The ciphertext could not be decrypted with RSA1_5 by this key.' });
  });
});
