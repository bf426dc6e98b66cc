/**
 * RSAES-PKCS1-v1_5 decoding with implicit rejection (SPEC V-3: Key Vault's RSA1_5), over OpenSSL's raw RSA
 * private operation (`privateDecrypt` with RSA_NO_PADDING, which Node 20 still allows: its CVE-2023-46809 fix only
 * refuses RSA_PKCS1_PADDING, whose OpenSSL 3.0 unpadding leaks through timing — the Marvin attack).
 *
 * Why it is written here: node:crypto offers no PKCS#1 v1.5 decryption on Node 20 with OpenSSL 3.0, and no
 * maintained JavaScript library does the implicit-rejection decoding (node-forge's decoder exits early on a bad
 * padding, and is pure-JavaScript bignum arithmetic, ~25 ms an operation). This is the decoding of OpenSSL 3.2's
 * `ossl_rsa_padding_check_PKCS1_type_2` as the IRTF CFRG's RSA guidance describes it:
 *
 * - KDK = HMAC-SHA256(key = SHA-256(I2OSP(d, k)), ciphertext) — a key only the private key holder can derive;
 * - PRF(label, bits) = HMAC-SHA256(KDK, I2OSP(i, 2) ‖ label ‖ I2OSP(bits, 2)) for i = 0, 1, …, concatenated;
 * - 128 candidate lengths from PRF("length", 2048), masked to the next power of two above k − 10; the synthetic
 *   length is the last candidate below k − 10; the synthetic message is that many last bytes of PRF("message", 8k);
 * - the real padding is checked (0x00 0x02, a zero separator, at least 8 padding bytes) with masks only — no branch
 *   and no early exit on the decrypted bytes — and the output is the real message when it is good, the synthetic
 *   one otherwise, chosen byte by byte with masks.
 *
 * test/keyvault/pkcs1v15-openssl.test.ts checks it byte for byte against OpenSSL's own implicit rejection (through
 * the pinned Python `cryptography`, which links OpenSSL 3.2 or later), badly padded ciphertexts included.
 *
 * The decoder is one self-contained function (everything it uses is an argument or local) because the Key Vault
 * crypto worker (crypto-pool.ts) runs the same source.
 */
import type { createHmac as CreateHmac } from 'node:crypto';

export interface Pkcs1v15Decoded {
  /** The message, or the deterministic synthetic one when the padding is bad. */
  message: Buffer;
  /** Whether the padding was bad (computed with masks; callers decide what to reveal). */
  rejected: boolean;
}

/**
 * Decodes `em` (the k-byte result of the raw RSA private operation on `ciphertext`) with implicit rejection.
 * `dHash` is SHA-256 of the private exponent as k big-endian bytes.
 */
export function decodePkcs1v15(em: Uint8Array, ciphertext: Uint8Array, dHash: Uint8Array, createHmac: typeof CreateHmac): Pkcs1v15Decoded {
  const k = em.length;
  // Masks are 0 or -1 (all bits set) in 32-bit integers; inputs are small non-negative numbers.
  const isZero = (a: number) => (~a & (a - 1)) >> 31;
  const eq = (a: number, b: number) => isZero(a ^ b);
  const lt = (a: number, b: number) => (a - b) >> 31;
  const select = (mask: number, a: number, b: number) => (mask & a) | (~mask & b);

  const kdk = createHmac('sha256', dHash).update(ciphertext).digest();
  const prf = (label: string, bytes: number) => {
    const out = Buffer.alloc(bytes);
    const head = Buffer.alloc(2);
    const bits = Buffer.alloc(2);
    bits.writeUInt16BE((bytes * 8) & 0xffff);
    for (let i = 0, at = 0; at < bytes; i++, at += 32) {
      head.writeUInt16BE(i);
      createHmac('sha256', kdk).update(head).update(label, 'latin1').update(bits).digest().copy(out, at);
    }
    return out;
  };
  const candidates = prf('length', 256);
  const synthetic = prf('message', k);

  // The longest message a k-byte block can carry: 2 header bytes, 8 padding bytes at least (the separator is counted
  // in the message's start).
  const maxSepOffset = k - 2 - 8;
  let lenMask = maxSepOffset;
  lenMask |= lenMask >> 1;
  lenMask |= lenMask >> 2;
  lenMask |= lenMask >> 4;
  lenMask |= lenMask >> 8;
  let syntheticLength = 0;
  for (let i = 0; i < 256; i += 2) {
    const candidate = ((candidates[i]! << 8) | candidates[i + 1]!) & lenMask;
    syntheticLength = select(lt(candidate, maxSepOffset), candidate, syntheticLength);
  }

  let good = isZero(em[0]!) & eq(em[1]!, 2);
  let foundZero = 0;
  let zeroIndex = 0;
  for (let i = 2; i < k; i++) {
    const zero = isZero(em[i]!);
    zeroIndex = select(~foundZero & zero, i, zeroIndex);
    foundZero |= zero;
  }
  good &= foundZero;
  // At least 8 padding bytes: the separator is at index 10 or later (which also bounds the message to k − 11).
  good &= ~lt(zeroIndex, 2 + 8);

  const start = select(good, zeroIndex + 1, k - syntheticLength);
  const out = Buffer.alloc(k);
  for (let i = 0; i < k; i++) out[i] = select(good, em[i]!, synthetic[i]!) & 0xff;
  const message = Buffer.from(out.subarray(start));
  out.fill(0);
  return { message, rejected: good === 0 };
}
