/**
 * A node's virtual TPM (SPEC T-6): a SHA-256 PCR bank reset at every boot and extended with the boot's
 * measurements, the boot's event log, a clock and reset counter, and an attestation key — ECDSA P-256, created in
 * the vTPM when the VM is created, its private key sealed at rest, its certificate issued by the emulator's virtual
 * TPM CA — that signs quotes: a TPMS_ATTEST over the caller's nonce and the digest of the selected PCRs, with a
 * TPMT_SIGNATURE.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { Sealer } from '../secrets/sealer.js';
import type { TrustedLaunchPki } from './pki.js';
import { TPM_FIRMWARE_VERSION } from './measured-boot.js';
import { eccAkPublicArea, encodeQuoteAttest, encodeSignature, pcrDigest, TPM_ALG, TpmFormatError, tpmName } from './tpm2.js';

/** The vTPM's persistent state (in the node's record). */
export interface VtpmState {
  /** Emulated time (ms) the vTPM was created: its clock counts from there. */
  createdMs: number;
  /** Number of TPM resets (boots). */
  resetCount: number;
  akSealed: string;
  akPublicPem: string;
  akCertPem: string;
  /** Hex TPM name of the AK. */
  akName: string;
  /** PCR values after the last boot (hex, 24 entries) and that boot's event log (base64). */
  pcrs: string[];
  eventLog: string;
}

const akPurpose = (vmId: string) => `trustedlaunch/vtpm/${vmId}/ak`;

/** The TPM name of an ECC P-256 public key, as the TPM computes it for an AK with the standard template. */
export function akNameOf(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y) throw new TpmFormatError('the attestation key must be an ECC P-256 key');
  return tpmName(eccAkPublicArea(Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')));
}

/**
 * Unsealed attestation keys of recent quotes, in memory only (sealed at rest), per instance (its Sealer): a new
 * instance on the same data directory unseals them from the store again.
 */
const akKeys = new WeakMap<Sealer, Map<string, KeyObject>>();
function akCache(sealer: Sealer): Map<string, KeyObject> {
  let m = akKeys.get(sealer);
  if (!m) akKeys.set(sealer, (m = new Map()));
  return m;
}
function akPrivateKey(state: VtpmState, sealer: Sealer, vmId: string): KeyObject {
  const cache = akCache(sealer);
  const cacheKey = `${vmId}|${state.akPublicPem}`;
  let key = cache.get(cacheKey);
  if (!key) {
    key = createPrivateKey({ key: sealer.unseal(Buffer.from(state.akSealed, 'base64'), akPurpose(vmId)), format: 'der', type: 'pkcs8' });
    if (cache.size >= 4096) cache.clear();
    cache.set(cacheKey, key);
  }
  return key;
}

/** Creates a vTPM for a new VM: the AK and its certificate. */
export async function createVtpm(pki: TrustedLaunchPki, sealer: Sealer, vmId: string, nowMs: number): Promise<VtpmState> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const certPem = await pki.issueAkCertificate(spki, vmId, `01${randomBytes(15).toString('hex')}`);
  const akPublicPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  akCache(sealer).set(`${vmId}|${akPublicPem}`, privateKey);
  return {
    createdMs: nowMs,
    resetCount: 0,
    akSealed: sealer.seal(privateKey.export({ format: 'der', type: 'pkcs8' }), akPurpose(vmId)).toString('base64'),
    akPublicPem,
    akCertPem: certPem,
    akName: akNameOf(publicKey).toString('hex'),
    pcrs: [],
    eventLog: '',
  };
}

export interface Quote {
  /** TPMS_ATTEST bytes (what `tpm2_quote -m` writes). */
  attest: Buffer;
  /** TPMT_SIGNATURE bytes (what `tpm2_quote -s` writes). */
  signature: Buffer;
  pcrs: number[];
  values: Buffer[];
}

/** TPM2_Quote with the AK: the selected SHA-256 PCRs, the caller's nonce as qualifying data. */
export function quote(state: VtpmState, sealer: Sealer, vmId: string, nonce: Buffer, pcrs: number[], nowMs: number): Quote {
  if (nonce.length > 64) throw new TpmFormatError(`the nonce is ${nonce.length} bytes; a TPM accepts at most 64 (TPM2B_DATA)`);
  if (state.pcrs.length === 0) throw new TpmFormatError('the vTPM has not been started (the node has not booted with vTPM on)');
  const values = pcrs.map((p) => Buffer.from(state.pcrs[p]!, 'hex'));
  const attest = encodeQuoteAttest({
    qualifiedSigner: Buffer.from(state.akName, 'hex'),
    extraData: nonce,
    clock: BigInt(Math.max(0, nowMs - state.createdMs)),
    resetCount: state.resetCount,
    restartCount: 0,
    safe: true,
    firmwareVersion: TPM_FIRMWARE_VERSION,
    pcrSelect: [{ hash: TPM_ALG.SHA256, pcrs }],
    pcrDigest: pcrDigest(values),
  });
  const key = akPrivateKey(state, sealer, vmId);
  const rs = sign('sha256', attest, { key, dsaEncoding: 'ieee-p1363' });
  const signature = encodeSignature({ sigAlg: TPM_ALG.ECDSA, hash: TPM_ALG.SHA256, r: rs.subarray(0, 32), s: rs.subarray(32) });
  return { attest, signature, pcrs, values };
}

