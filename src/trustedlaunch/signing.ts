/**
 * Signatures on boot components: a detached CMS SignedData (RFC 5652; RSA PKCS#1 v1.5 with SHA-256, no signed
 * attributes, the signer's certificate chain included) appended to the file the way Linux signs kernel modules
 * (scripts/sign-file):
 *
 *   content || CMS DER || struct module_signature {algo 0, hash 0, id_type 2 (PKCS#7), signer_len 0,
 *   key_id_len 0, pad[3], sig_len u32 big-endian} || "~Module signature appended~\n"
 *
 * Every emulated component (shim, grub, kernel, initrd, modules) carries its signature this way; for EFI binaries
 * this stands in for the Authenticode signature a PE file embeds. As with Authenticode, the measured "image hash" is
 * the SHA-256 of the content without the signature. `openssl cms -verify -inform DER -binary -content FILE` accepts
 * these signatures (test/trustedlaunch/secure-boot.test.ts checks that).
 */
import { createHash, sign as cryptoSign, verify as cryptoVerify, X509Certificate, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import {
  CertificateChoices,
  CertificateSet,
  ContentInfo,
  DigestAlgorithmIdentifiers,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
  id_data,
  id_signedData,
} from '@peculiar/asn1-cms';

export const MODULE_SIG_MAGIC = Buffer.from('~Module signature appended~\n', 'ascii');
const SHA256_OID = '2.16.840.1.101.3.4.2.1';
const RSA_OID = '1.2.840.113549.1.1.1';
const SHA256_RSA_OID = '1.2.840.113549.1.1.11';
const PKEY_ID_PKCS7 = 2;

export interface Signer {
  cert: X509Certificate;
  key: KeyObject;
  /** Intermediate certificates to include (not the trust anchor). */
  chain?: X509Certificate[];
}

/** A detached CMS SignedData over `content` by `signer`. */
export function cmsSign(content: Buffer, signer: Signer): Buffer {
  const signerCert = AsnConvert.parse(signer.cert.raw, Certificate);
  const signature = cryptoSign('sha256', content, signer.key);
  const certs = [signer.cert, ...(signer.chain ?? [])].map((c) => new CertificateChoices({ certificate: AsnConvert.parse(c.raw, Certificate) }));
  const signedData = new SignedData({
    version: 1,
    digestAlgorithms: new DigestAlgorithmIdentifiers([new AlgorithmIdentifier({ algorithm: SHA256_OID, parameters: null })]),
    encapContentInfo: new EncapsulatedContentInfo({ eContentType: id_data }),
    certificates: new CertificateSet(certs),
    signerInfos: new SignerInfos([
      new SignerInfo({
        version: 1,
        sid: new SignerIdentifier({
          issuerAndSerialNumber: new IssuerAndSerialNumber({ issuer: signerCert.tbsCertificate.issuer, serialNumber: signerCert.tbsCertificate.serialNumber }),
        }),
        digestAlgorithm: new AlgorithmIdentifier({ algorithm: SHA256_OID, parameters: null }),
        signatureAlgorithm: new AlgorithmIdentifier({ algorithm: RSA_OID, parameters: null }),
        signature: new OctetString(signature),
      }),
    ]),
  });
  return Buffer.from(AsnConvert.serialize(new ContentInfo({ contentType: id_signedData, content: AsnConvert.serialize(signedData) })));
}

/** `content` with `cms` appended in the kernel's module-signature layout. */
export function appendSignature(content: Buffer, cms: Buffer): Buffer {
  const trailer = Buffer.alloc(12);
  trailer.writeUInt8(0, 0);
  trailer.writeUInt8(0, 1);
  trailer.writeUInt8(PKEY_ID_PKCS7, 2);
  trailer.writeUInt32BE(cms.length, 8);
  return Buffer.concat([content, cms, trailer, MODULE_SIG_MAGIC]);
}

export function signFile(content: Buffer, signer: Signer): Buffer {
  return appendSignature(content, cmsSign(content, signer));
}

/** Splits a file into its content and appended CMS signature (undefined when the file carries none). */
export function splitSignedFile(file: Buffer): { content: Buffer; cms?: Buffer } {
  const end = file.length - MODULE_SIG_MAGIC.length;
  if (end < 12 || !file.subarray(end).equals(MODULE_SIG_MAGIC)) return { content: file };
  const trailer = file.subarray(end - 12, end);
  const sigLen = trailer.readUInt32BE(8);
  if (trailer.readUInt8(2) !== PKEY_ID_PKCS7 || sigLen > end - 12) return { content: file };
  return { content: file.subarray(0, end - 12 - sigLen), cms: file.subarray(end - 12 - sigLen, end - 12) };
}

/** SHA-256 of the content without its signature: the "Authenticode" image hash firmware measures and dbx lists. */
export function imageHash(file: Buffer): Buffer {
  return createHash('sha256').update(splitSignedFile(file).content).digest();
}

export type SignatureCheck =
  | { ok: true; signer: X509Certificate; certificates: X509Certificate[] }
  | { ok: false; reason: 'unsigned' | 'malformed' | 'bad-signature'; detail: string; signer?: X509Certificate };

/** Checks that `cms` is a valid signature of `content` by the certificate it names (trust is judged separately). */
export function checkCmsSignature(content: Buffer, cms: Buffer | undefined): SignatureCheck {
  if (!cms) return { ok: false, reason: 'unsigned', detail: 'the file carries no signature' };
  let signedData: SignedData;
  try {
    const info = AsnConvert.parse(cms, ContentInfo);
    if (info.contentType !== id_signedData) return { ok: false, reason: 'malformed', detail: `the signature is a CMS ${info.contentType}, not SignedData` };
    signedData = AsnConvert.parse(info.content, SignedData);
  } catch (err) {
    return { ok: false, reason: 'malformed', detail: `the signature is not valid CMS: ${(err as Error).message}` };
  }
  const certificates: X509Certificate[] = [];
  for (const c of signedData.certificates ?? []) {
    if (c.certificate) certificates.push(new X509Certificate(Buffer.from(AsnConvert.serialize(c.certificate))));
  }
  const si = signedData.signerInfos[0];
  if (!si || signedData.signerInfos.length !== 1) return { ok: false, reason: 'malformed', detail: 'the signature must have exactly one signer' };
  if (si.digestAlgorithm.algorithm !== SHA256_OID) return { ok: false, reason: 'malformed', detail: `digest algorithm ${si.digestAlgorithm.algorithm} is not SHA-256` };
  const ias = si.sid.issuerAndSerialNumber;
  if (!ias) return { ok: false, reason: 'malformed', detail: 'the signer is not identified by issuer and serial number' };
  const wantIssuer = Buffer.from(AsnConvert.serialize(ias.issuer));
  const wantSerial = Buffer.from(ias.serialNumber);
  const signer = certificates.find((c) => {
    const tbs = AsnConvert.parse(c.raw, Certificate).tbsCertificate;
    return Buffer.from(AsnConvert.serialize(tbs.issuer)).equals(wantIssuer) && Buffer.from(tbs.serialNumber).equals(wantSerial);
  });
  if (!signer) return { ok: false, reason: 'malformed', detail: "the signer's certificate is not in the signature" };
  if (si.signatureAlgorithm.algorithm !== RSA_OID && si.signatureAlgorithm.algorithm !== SHA256_RSA_OID) {
    return { ok: false, reason: 'malformed', detail: `signature algorithm ${si.signatureAlgorithm.algorithm} is not RSA`, signer };
  }
  const sig = Buffer.from(si.signature.buffer);
  let signedBytes = content;
  if (si.signedAttrs) {
    // With signed attributes the signature covers their DER (as a SET) and they carry the content's digest.
    const digest = createHash('sha256').update(content).digest();
    const md = si.signedAttrs.find((a) => a.attrType === '1.2.840.113549.1.9.4');
    const value = md?.attrValues[0] ? Buffer.from(AsnConvert.parse(md.attrValues[0], OctetString).buffer) : undefined;
    if (!value || !value.equals(digest)) return { ok: false, reason: 'bad-signature', detail: 'the signed message digest does not match the content', signer };
    if (!si.signedAttrsRaw) return { ok: false, reason: 'malformed', detail: 'signed attributes without their encoding', signer };
    signedBytes = Buffer.from(si.signedAttrsRaw);
    signedBytes[0] = 0x31; // [0] IMPLICIT → SET OF
  }
  let valid = false;
  try {
    valid = cryptoVerify('sha256', signedBytes, signer.publicKey, sig);
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, reason: 'bad-signature', detail: 'the signature does not match the content (the file was changed after it was signed)', signer };
  return { ok: true, signer, certificates };
}

/** Short display name of a certificate: its CN. */
export function commonName(cert: X509Certificate): string {
  return /CN=([^\n,]+)/.exec(cert.subject)?.[1] ?? cert.subject;
}
