/**
 * aksemu's RSA1_5 decoding (keyvault/pkcs1v15.ts, SPEC V-3) against OpenSSL's own: the pinned Python `cryptography`
 * links OpenSSL 3.2 or later, whose PKCS#1 v1.5 decryption does implicit rejection. For fresh keys, random
 * ciphertexts (nearly all badly padded: OpenSSL answers its synthetic message) and proper ones must decode to
 * exactly what OpenSSL decrypts, byte for byte; that is the cross-check the unit tests' own recomputation of the
 * guidance cannot give.
 */
import { constants, createHmac, createPrivateKey, privateDecrypt } from 'node:crypto';
import { expect, it } from 'vitest';
import { pkcs1v15Decrypt, privateExponentHash } from '../../src/keyvault/key-crypto.js';
import { decodePkcs1v15 } from '../../src/keyvault/pkcs1v15.js';
import { describeWithPythonSdks } from '../../testkit/optional.js';
import { runPythonScript } from '../../testkit/python-sdk.js';

interface Reference {
  openssl: string;
  pem: string;
  cases: Array<{ ciphertext: string; plaintext: string; proper: boolean }>;
}

describeWithPythonSdks('RSA1_5 decoding against OpenSSL with implicit rejection (SPEC V-3)', () => {
  for (const bits of [2048, 3072]) {
    it(`RSA-${bits}: the same message as OpenSSL for badly padded and proper ciphertexts`, async () => {
      const run = await runPythonScript('pkcs1v15_reference.py', [String(bits), '25'], {});
      expect(run.code, run.stderr).toBe(0);
      const ref = JSON.parse(run.stdout) as Reference;
      const [major, minor] = /OpenSSL (\d+)\.(\d+)/.exec(ref.openssl)!.slice(1).map(Number) as [number, number];
      expect(major * 100 + minor, `${ref.openssl} has no implicit rejection`).toBeGreaterThanOrEqual(302);
      const key = createPrivateKey(ref.pem);
      let rejected = 0;
      for (const c of ref.cases) {
        const ciphertext = Buffer.from(c.ciphertext, 'hex');
        // The decoding over OpenSSL's raw RSA, as Key Vault runs it: its message is OpenSSL's, rejected or not.
        const em = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, ciphertext);
        const decoded = decodePkcs1v15(em, ciphertext, privateExponentHash(key), createHmac);
        expect(decoded.message.toString('hex'), c.ciphertext).toBe(c.plaintext);
        if (c.proper) {
          expect(decoded.rejected).toBe(false);
          expect(pkcs1v15Decrypt(key, ciphertext).toString('hex')).toBe(c.plaintext);
        }
        if (decoded.rejected) rejected++;
      }
      // Random ciphertexts are almost never well padded: the synthetic messages were compared.
      expect(rejected).toBeGreaterThan(20);
    });
  }
});
