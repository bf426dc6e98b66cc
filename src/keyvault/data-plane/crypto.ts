/**
 * The cryptographic operations of a key (SPEC V-3): encrypt, decrypt, wrapkey, unwrapkey, sign, verify — with Key
 * Vault's refusals for disabled, expired and not-yet-valid keys, operations the key does not permit, and algorithms
 * that do not fit the key. RSA private-key work goes to the crypto worker pool when there is one.
 */
import { kidOf } from '../bundle.js';
import { kvErrors } from '../errors.js';
import {
  checkSignatureInput,
  isEncryptionAlgorithm,
  isRsa,
  isSignatureAlgorithm,
  rsaDecrypt,
  rsaEncrypt,
  sign,
  verify,
  type PrivateExecutor,
} from '../key-crypto.js';
import { authorize } from './auth.js';
import { nowSeconds, type OperationDeps } from './deps.js';
import { loadVersion } from './key-state.js';
import { b64, b64u, type OperationResult, type RequestContext } from './request.js';

export const CRYPTO_OPERATIONS = ['encrypt', 'decrypt', 'wrapkey', 'unwrapkey', 'sign', 'verify'] as const;
export type CryptoOperation = (typeof CRYPTO_OPERATIONS)[number];

function isCryptoOperation(op: string | undefined): op is CryptoOperation {
  return (CRYPTO_OPERATIONS as readonly string[]).includes(op ?? '');
}

/** Runs the request's operation (one of CRYPTO_OPERATIONS) with a version of key `name` (the latest when absent). */
export async function cryptoOperation(d: OperationDeps, c: RequestContext, name: string, version?: string): Promise<OperationResult> {
  const op = c.operation;
  if (!isCryptoOperation(op)) throw new Error(`cryptoOperation serves ${CRYPTO_OPERATIONS.join(', ')}, not ${String(op)}`);
  await authorize(d, c, name);
  const body = c.body();
  const key = await loadVersion(d, c, name, version);
  const r = key.record;
  const alg = body.alg;
  if (alg === undefined || alg === null) throw kvErrors.badParameter("Property 'alg' is required.");
  if (typeof alg !== 'string') throw kvErrors.badParameter("Property 'alg' must be a string.");
  const opName = op === 'wrapkey' ? 'wrapKey' : op === 'unwrapkey' ? 'unwrapKey' : op;
  // verify carries the digest in `digest` and the signature in `value`; every other operation its input in `value`.
  const value = op === 'verify' ? b64(body.digest, 'digest') : b64(body.value, 'value');
  // Key state (Key Vault's key attributes): a disabled key is not usable for any cryptographic operation, public
  // (encrypt, wrapKey, verify) or private, so disabling a key revokes every use of it at once; outside the nbf/exp
  // window only decrypt, unwrapKey and verify still work, so data protected earlier stays readable.
  if (!r.attributes.enabled) throw kvErrors.keyDisabled(opName);
  const t = nowSeconds(d);
  if (op === 'encrypt' || op === 'wrapkey' || op === 'sign') {
    if (r.attributes.exp !== undefined && t >= r.attributes.exp) throw kvErrors.keyExpired(opName);
    if (r.attributes.nbf !== undefined && t < r.attributes.nbf) throw kvErrors.keyNotYetValid(opName);
  }
  if (!r.keyOps.includes(opName)) throw kvErrors.operationNotPermitted(opName);
  const kid = kidOf(c.vault.name, r);
  const pool = d.pool;
  const exec: PrivateExecutor | undefined = pool ? (spec, data, inline) => pool.run(kid, key.privateKey, spec, data, inline) : undefined;
  if (op === 'sign' || op === 'verify') {
    if (!isSignatureAlgorithm(alg)) throw kvErrors.badParameter(`Invalid algorithm '${alg}' for ${opName}. Supported: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512.`);
    checkSignatureInput(alg, r.kty, r.jwk.crv, value);
    if (op === 'sign') return { status: 200, body: { kid, value: b64u(await sign(alg, key.privateKey, value, exec)) } };
    const signature = b64(body.value, 'value');
    return { status: 200, body: { value: await verify(alg, key.publicKey, value, signature) } };
  }
  if (!isEncryptionAlgorithm(alg)) {
    throw kvErrors.badParameter(`Invalid algorithm '${alg}' for ${opName}. Supported for RSA keys: RSA-OAEP-256, RSA-OAEP, RSA1_5.`);
  }
  if (!isRsa(r.kty)) throw kvErrors.badParameter(`The operation ${opName} is not supported by a key of type ${r.kty}.`);
  if (body.iv !== undefined || body.aad !== undefined || body.tag !== undefined) {
    throw kvErrors.badParameter(`The parameters iv, aad and tag apply to AES algorithms only, not to ${alg}.`);
  }
  const out = op === 'encrypt' || op === 'wrapkey' ? rsaEncrypt(alg, key.publicKey, value) : await rsaDecrypt(alg, key.privateKey, value, exec);
  return { status: 200, body: { kid, value: b64u(out) } };
}
