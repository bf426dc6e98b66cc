/**
 * Key material and the cryptographic operations of Key Vault keys (SPEC V-2, V-3), on node:crypto.
 *
 * - RSA 2048/3072/4096 (`RSA`, and `RSA-HSM`, the same keys in the emulator); EC P-256/P-384/P-521.
 * - encrypt/decrypt and wrapKey/unwrapKey: RSA-OAEP-256 (OAEP, SHA-256), RSA-OAEP (OAEP, SHA-1), RSA1_5.
 *   Node 20 refuses PKCS#1 v1.5 *decryption* (CVE-2023-46809, the Marvin attack), so RSA1_5 decrypt is OpenSSL's
 *   raw RSA operation followed by the implicit-rejection decoding of pkcs1v15.ts (in the crypto worker pool when
 *   there is one). A bad padding is answered 400 BadParameter, as Key Vault answers it and as before.
 * - sign/verify take a digest, as Key Vault does: RS256/384/512 (EMSA-PKCS1-v1_5, via OpenSSL's PKCS#1 type-1
 *   private operation over DigestInfo‖digest), PS256/384/512 (EMSA-PSS encoding and verification by node-forge, salt
 *   the length of the hash, around OpenSSL's raw RSA operation: node:crypto cannot sign a precomputed digest with PSS), ES256/384/512 (ECDSA over the digest with @noble/curves,
 *   loaded on demand: node:crypto cannot sign a precomputed digest with ECDSA). Signatures are what
 *   `crypto.verify(hash, data, key)` accepts for the same data (tests check exactly that).
 */
import {
  constants,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  privateDecrypt,
  privateEncrypt,
  publicDecrypt,
  publicEncrypt,
  sign as signWith,
  timingSafeEqual,
  verify as verifyWith,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import type Forge from 'node-forge';
import { kvErrors } from './errors.js';
import { decodePkcs1v15 } from './pkcs1v15.js';
import { shown } from '../util/shown.js';

const generateKeyPairAsync = promisify(generateKeyPair);

export type KeyType = 'RSA' | 'RSA-HSM' | 'EC' | 'EC-HSM';
export type Curve = 'P-256' | 'P-384' | 'P-521';
export const RSA_SIZES = [2048, 3072, 4096];
export const CURVES: Curve[] = ['P-256', 'P-384', 'P-521'];
export const ENCRYPTION_ALGORITHMS = ['RSA-OAEP-256', 'RSA-OAEP', 'RSA1_5'] as const;
export const SIGNATURE_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] as const;
export const KEY_OPS = ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey', 'import', 'export'];

export function isRsa(kty: string): boolean {
  return kty === 'RSA' || kty === 'RSA-HSM';
}

export function defaultKeyOps(kty: KeyType): string[] {
  return isRsa(kty) ? ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'] : ['sign', 'verify'];
}

export interface GeneratedKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export async function generateKey(kty: KeyType, opts: { size?: number; curve?: Curve; publicExponent?: number }): Promise<GeneratedKey> {
  if (isRsa(kty)) {
    return generateKeyPairAsync('rsa', { modulusLength: opts.size ?? 2048, publicExponent: opts.publicExponent ?? 65537 });
  }
  return generateKeyPairAsync('ec', { namedCurve: opts.curve ?? 'P-256' });
}

/** The public JWK members Key Vault returns (n, e / crv, x, y). */
export function publicJwk(publicKey: KeyObject): Pick<JsonWebKey, 'n' | 'e' | 'crv' | 'x' | 'y'> {
  const jwk = publicKey.export({ format: 'jwk' });
  return jwk.kty === 'RSA' ? { n: jwk.n!, e: jwk.e! } : { crv: jwk.crv!, x: jwk.x!, y: jwk.y! };
}

export function rsaModulusBytes(key: KeyObject): number {
  return Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
}

export function privateKeyFromDer(der: Buffer): KeyObject {
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

export function privateKeyToDer(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'pkcs8' });
}

/** A key pair from an imported JWK (which must carry its private part). */
export function importJwk(jwk: Record<string, unknown>): GeneratedKey {
  const kty = shown(jwk.kty);
  const wanted = isRsa(kty) ? 'RSA' : kty === 'EC' || kty === 'EC-HSM' ? 'EC' : undefined;
  if (!wanted) throw kvErrors.badParameter(`The key type '${kty}' cannot be imported into a vault; supported: RSA, RSA-HSM, EC, EC-HSM.`);
  if (typeof jwk.d !== 'string') throw kvErrors.badParameter('The imported key must include its private part (d).');
  const clean: Record<string, unknown> = { kty: wanted };
  for (const f of wanted === 'RSA' ? ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'] : ['crv', 'x', 'y', 'd']) {
    if (jwk[f] !== undefined) {
      if (typeof jwk[f] !== 'string' || !/^[A-Za-z0-9_-]+={0,2}$/.test(jwk[f] as string)) throw kvErrors.badParameter(`The JWK member '${f}' is not valid base64url.`);
      clean[f] = (jwk[f] as string).replace(/=+$/, '');
    }
  }
  try {
    const privateKey = createPrivateKey({ key: clean as JsonWebKey, format: 'jwk' });
    if (wanted === 'RSA' && !RSA_SIZES.includes(privateKey.asymmetricKeyDetails?.modulusLength ?? 0)) {
      throw kvErrors.badParameter(`The imported RSA key has ${privateKey.asymmetricKeyDetails?.modulusLength} bits; supported sizes are 2048, 3072 and 4096.`);
    }
    const publicKey = createPublicKey(privateKey);
    // OpenSSL takes a JWK whose private part does not belong to its public part, and fails only later, when the key
    // is stored (a 500 the fuzzer found): a signature made with the private part must verify with the public one,
    // and the key must encode as the vault stores it.
    const probe = Buffer.from('aksemu key import check');
    if (!verifyWith('sha256', probe, publicKey, signWith('sha256', probe, privateKey))) throw kvErrors.badParameter(`The imported ${wanted} key's private part does not belong to its public part.`);
    privateKeyToDer(privateKey);
    return { privateKey, publicKey };
  } catch (err) {
    if ((err as { status?: number }).status) throw err;
    throw kvErrors.badParameter(`The imported key is not a valid ${wanted} key: ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------- encryption

export type EncryptionAlgorithm = (typeof ENCRYPTION_ALGORITHMS)[number];

export function isEncryptionAlgorithm(alg: string): alg is EncryptionAlgorithm {
  return (ENCRYPTION_ALGORITHMS as readonly string[]).includes(alg);
}

/** Largest plaintext an algorithm can encrypt with a k-byte modulus (RFC 8017 §7.1.1, §7.2.1). */
export function maxPlaintext(alg: EncryptionAlgorithm, k: number): number {
  return alg === 'RSA1_5' ? k - 11 : alg === 'RSA-OAEP' ? k - 2 * 20 - 2 : k - 2 * 32 - 2;
}

export function rsaEncrypt(alg: EncryptionAlgorithm, publicKey: KeyObject, plaintext: Buffer): Buffer {
  const k = rsaModulusBytes(publicKey);
  const max = maxPlaintext(alg, k);
  if (plaintext.length > max) {
    throw kvErrors.badParameter(`The value is too long for ${alg} with a ${k * 8}-bit key: ${plaintext.length} bytes given, at most ${max} bytes allowed.`);
  }
  if (alg === 'RSA1_5') return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, plaintext);
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: alg === 'RSA-OAEP' ? 'sha1' : 'sha256' }, plaintext);
}

/**
 * Where an RSA private-key operation runs: inline by default, or in a worker pool (crypto-pool.ts). `op` says which
 * OpenSSL call: privateDecrypt ('decrypt') or privateEncrypt ('encrypt'), with its padding.
 */
export type PrivateExecutor = (op: PrivateOpSpec, data: Buffer, inline: () => Buffer) => Promise<Buffer>;

/**
 * A private-key operation: OpenSSL's privateDecrypt/privateEncrypt with a padding, or PKCS#1 v1.5 decryption
 * (OpenSSL's raw RSA, then pkcs1v15.ts; `dHash` is what that decoding derives its rejection key from).
 */
export type PrivateOpSpec = { op: 'decrypt' | 'encrypt'; padding: number; oaepHash?: string } | { op: 'decrypt-pkcs1v15'; dHash: Buffer };

/** node-forge is loaded on first use (PSS): most requests never need it, start-up does not. */
let forge: typeof Forge | undefined;
async function loadForge(): Promise<typeof Forge> {
  forge ??= (await import('node-forge')).default;
  return forge;
}

const exponentHashes = new WeakMap<KeyObject, Buffer>();

/** SHA-256 of the private exponent as k big-endian bytes: the key of RSA1_5's implicit rejection (pkcs1v15.ts). */
export function privateExponentHash(privateKey: KeyObject): Buffer {
  let hash = exponentHashes.get(privateKey);
  if (!hash) {
    const k = rsaModulusBytes(privateKey);
    const d = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
    hash = createHash('sha256').update(Buffer.concat([Buffer.alloc(Math.max(0, k - d.length)), d])).digest();
    d.fill(0);
    exponentHashes.set(privateKey, hash);
  }
  return hash;
}

/** Thrown for an RSA1_5 ciphertext whose padding is bad, once the decoding has run to its end. */
export const PKCS1_REJECTED = 'the RSA1_5 padding is not valid';

/** RSAES-PKCS1-v1_5 decryption: OpenSSL's raw RSA, then the implicit-rejection decoding (throws on a bad padding). */
export function pkcs1v15Decrypt(privateKey: KeyObject, ciphertext: Buffer, dHash = privateExponentHash(privateKey)): Buffer {
  const em = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, ciphertext);
  const { message, rejected } = decodePkcs1v15(em, ciphertext, dHash, createHmac);
  em.fill(0);
  if (rejected) throw new Error(PKCS1_REJECTED);
  return message;
}
const inlineExecutor: PrivateExecutor = async (_op, _data, inline) => inline();

export async function rsaDecrypt(alg: EncryptionAlgorithm, privateKey: KeyObject, ciphertext: Buffer, exec: PrivateExecutor = inlineExecutor): Promise<Buffer> {
  const k = rsaModulusBytes(privateKey);
  if (ciphertext.length !== k) throw kvErrors.badParameter(`The ciphertext must be ${k} bytes for a ${k * 8}-bit key; ${ciphertext.length} bytes given.`);
  try {
    if (alg === 'RSA1_5') {
      const dHash = privateExponentHash(privateKey);
      return await exec({ op: 'decrypt-pkcs1v15', dHash }, ciphertext, () => pkcs1v15Decrypt(privateKey, ciphertext, dHash));
    }
    const oaep = { op: 'decrypt' as const, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: alg === 'RSA-OAEP' ? 'sha1' : 'sha256' };
    return await exec(oaep, ciphertext, () => privateDecrypt({ key: privateKey, padding: oaep.padding, oaepHash: oaep.oaepHash }, ciphertext));
  } catch (err) {
    if ((err as { status?: number }).status) throw err;
    throw kvErrors.badParameter(`The ciphertext could not be decrypted with ${alg} by this key.`);
  }
}

// ---------------------------------------------------------------- signatures

export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

export function isSignatureAlgorithm(alg: string): alg is SignatureAlgorithm {
  return (SIGNATURE_ALGORITHMS as readonly string[]).includes(alg);
}

const HASH_OF: Record<SignatureAlgorithm, { hash: 'sha256' | 'sha384' | 'sha512'; len: number }> = {
  RS256: { hash: 'sha256', len: 32 }, RS384: { hash: 'sha384', len: 48 }, RS512: { hash: 'sha512', len: 64 },
  PS256: { hash: 'sha256', len: 32 }, PS384: { hash: 'sha384', len: 48 }, PS512: { hash: 'sha512', len: 64 },
  ES256: { hash: 'sha256', len: 32 }, ES384: { hash: 'sha384', len: 48 }, ES512: { hash: 'sha512', len: 64 },
};
const CURVE_OF: Partial<Record<SignatureAlgorithm, Curve>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/** DER DigestInfo prefixes (RFC 8017 §9.2 note 1). */
const DIGEST_INFO: Record<string, Buffer> = {
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
};

/** Checks that the algorithm fits the key (family, curve) and the digest its hash. */
export function checkSignatureInput(alg: SignatureAlgorithm, kty: string, crv: string | undefined, digest: Buffer): void {
  const rsaAlg = alg.startsWith('RS') || alg.startsWith('PS');
  if (rsaAlg !== isRsa(kty)) throw kvErrors.badParameter(`The algorithm ${alg} cannot be used with a key of type ${kty}.`);
  if (!rsaAlg && CURVE_OF[alg] !== crv) throw kvErrors.badParameter(`The algorithm ${alg} cannot be used with a key on curve ${crv}; it needs ${CURVE_OF[alg]}.`);
  if (digest.length !== HASH_OF[alg].len) {
    throw kvErrors.badParameter(`The digest for ${alg} must be ${HASH_OF[alg].len} bytes (${HASH_OF[alg].hash.toUpperCase()}); ${digest.length} bytes given.`);
  }
}

/** EMSA-PSS with MGF1 of the same hash and a salt as long as the hash (what Key Vault's PS* use). */
function pssScheme(forge: typeof Forge, hash: 'sha256' | 'sha384' | 'sha512', saltLength: number) {
  return forge.pss.create({ md: forge.md[hash].create(), mgf: forge.mgf.mgf1.create(forge.md[hash].create()), saltLength });
}

/** forge's PSS encoder reads the message hash from a message digest object: this one carries a precomputed one. */
function precomputed(forge: typeof Forge, digest: Buffer): Forge.md.MessageDigest {
  return { digest: () => forge.util.createBuffer(digest.toString('binary')) } as unknown as Forge.md.MessageDigest;
}

function leftPad(buf: Buffer, len: number): Buffer {
  return buf.length >= len ? buf : Buffer.concat([Buffer.alloc(len - buf.length), buf]);
}

interface NobleCurve {
  sign(hash: Uint8Array, privateKey: Uint8Array, opts?: Record<string, unknown>): { toCompactRawBytes(): Uint8Array };
  verify(signature: Uint8Array, hash: Uint8Array, publicKey: Uint8Array, opts?: Record<string, unknown>): boolean;
}

/** @noble/curves (1.x API), loaded on first use so that RSA-only deployments do not need it. */
async function nobleCurve(curve: Curve): Promise<NobleCurve> {
  const specifier = `@noble/curves/${curve === 'P-256' ? 'p256' : curve === 'P-384' ? 'p384' : 'p521'}`;
  try {
    const mod = (await import(specifier)) as Record<string, NobleCurve>;
    return mod[curve === 'P-256' ? 'p256' : curve === 'P-384' ? 'p384' : 'p521']!;
  } catch {
    throw kvErrors.badParameter(`ECDSA over a digest needs the @noble/curves package, which this aksemu installation lacks; ${curve} keys can be created and read but not used to sign or verify.`);
  }
}

export async function sign(alg: SignatureAlgorithm, privateKey: KeyObject, digest: Buffer, exec: PrivateExecutor = inlineExecutor): Promise<Buffer> {
  const { hash } = HASH_OF[alg];
  if (alg.startsWith('RS')) {
    const input = Buffer.concat([DIGEST_INFO[hash]!, digest]);
    return exec({ op: 'encrypt', padding: constants.RSA_PKCS1_PADDING }, input, () => privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, input));
  }
  if (alg.startsWith('PS')) {
    const modBits = privateKey.asymmetricKeyDetails!.modulusLength!;
    const lib = await loadForge();
    const encoded = Buffer.from(pssScheme(lib, hash, digest.length).encode(precomputed(lib, digest), modBits), 'binary');
    const em = leftPad(encoded, Math.ceil(modBits / 8));
    return exec({ op: 'encrypt', padding: constants.RSA_NO_PADDING }, em, () => privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, em));
  }
  const curve = CURVE_OF[alg]!;
  const d = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const sig = (await nobleCurve(curve)).sign(digest, d, { lowS: false });
  return Buffer.from(sig.toCompactRawBytes());
}

export async function verify(alg: SignatureAlgorithm, publicKey: KeyObject, digest: Buffer, signature: Buffer): Promise<boolean> {
  const { hash } = HASH_OF[alg];
  if (alg.startsWith('RS') || alg.startsWith('PS')) {
    const k = rsaModulusBytes(publicKey);
    if (signature.length !== k) return false;
    try {
      if (alg.startsWith('RS')) {
        const recovered = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
        const expected = Buffer.concat([DIGEST_INFO[hash]!, digest]);
        return recovered.length === expected.length && timingSafeEqual(recovered, expected);
      }
      const modBits = publicKey.asymmetricKeyDetails!.modulusLength!;
      const raw = publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, signature);
      const emLen = Math.ceil((modBits - 1) / 8);
      return pssScheme(await loadForge(), hash, digest.length).verify(digest.toString('binary'), raw.subarray(raw.length - emLen).toString('binary'), modBits);
    } catch {
      return false;
    }
  }
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  try {
    return (await nobleCurve(CURVE_OF[alg]!)).verify(signature, digest, point, { lowS: false });
  } catch (err) {
    if ((err as { status?: number }).status) throw err;
    return false;
  }
}
