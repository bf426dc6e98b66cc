/**
 * Secure Boot policy (SPEC T-5): the UEFI signature databases of a Trusted Launch VM and the trust decision for one
 * signed file.
 *
 *   PK   the platform key; it authorizes changes to KEK
 *   KEK  Microsoft's KEK CA; it authorizes changes to db and dbx
 *   db   the certificates (and hashes) allowed to sign what firmware runs: the Microsoft UEFI CA (shim)
 *   dbx  what is revoked: image hashes (a vulnerable grub) and certificates (an old distribution signing key)
 *
 * A file is allowed when neither its image hash nor any certificate of its signature chain is in dbx, its
 * signature verifies, and its chain reaches a trusted certificate (db for firmware; db plus shim's vendor
 * certificate for what shim and grub load; the kernel's built-in keys plus db for kernel modules).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { EFI_GUID, signatureDatabase } from './efi.js';
import type { AuthorityId, TrustedLaunchPki } from './pki.js';
import { checkCmsSignature, commonName, imageHash, splitSignedFile } from './signing.js';

export interface TrustStore {
  name: string;
  anchors: X509Certificate[];
  dbxCertificates: X509Certificate[];
  dbxHashes: Buffer[];
}

export type Verdict =
  | { ok: true; signer: string; anchor: string; chain: string[] }
  | { ok: false; reason: 'unsigned' | 'malformed' | 'bad-signature' | 'untrusted' | 'revoked'; detail: string; signer?: string };

/** Hashes of known-vulnerable boot loaders revoked in dbx (deterministic stand-ins for the BootHole revocations). */
export const REVOKED_IMAGE_HASHES = ['grubx64.efi 2.04-1ubuntu26 (BootHole, CVE-2020-10713)', 'grubx64.efi 2.02~beta2-36ubuntu3.22', 'shimx64.efi 15.4-0ubuntu9 (SBAT)'].map((s) =>
  createHash('sha256').update(s).digest(),
);

export interface SecureBootVariables {
  SecureBoot: Buffer;
  PK: Buffer;
  KEK: Buffer;
  db: Buffer;
  dbx: Buffer;
}

/** The values of the Secure Boot variables as firmware measures them into PCR7. */
export function secureBootVariables(pki: TrustedLaunchPki, enabled: boolean): SecureBootVariables {
  const owner = EFI_GUID.microsoftOwner;
  return {
    SecureBoot: Buffer.from([enabled ? 1 : 0]),
    PK: signatureDatabase(owner, [pki.get('pk').der]),
    KEK: signatureDatabase(owner, [pki.get('kek').der]),
    db: signatureDatabase(owner, [pki.get('uefiCa').der]),
    dbx: signatureDatabase(owner, [pki.get('canonicalRevoked').der], REVOKED_IMAGE_HASHES),
  };
}

/** Trust stores are made once per PKI (and verdicts cached per trust store, see verifyFile). */
const stores = new WeakMap<TrustedLaunchPki, Map<string, TrustStore>>();
function memo(pki: TrustedLaunchPki, key: string, make: () => TrustStore): TrustStore {
  let m = stores.get(pki);
  if (!m) stores.set(pki, (m = new Map()));
  let t = m.get(key);
  if (!t) m.set(key, (t = make()));
  return t;
}

export function firmwareTrust(pki: TrustedLaunchPki): TrustStore {
  return memo(pki, 'db', () => ({ name: 'db', anchors: [pki.get('uefiCa').cert], dbxCertificates: [pki.get('canonicalRevoked').cert], dbxHashes: REVOKED_IMAGE_HASHES }));
}

/** What shim (and grub through shim's protocol) trusts: db plus shim's vendor certificate. */
export function shimTrust(pki: TrustedLaunchPki, vendorCa: AuthorityId): TrustStore {
  return memo(pki, `shim:${vendorCa}`, () => {
    const fw = firmwareTrust(pki);
    return { ...fw, name: `db + shim vendor certificate '${commonName(pki.get(vendorCa).cert)}'`, anchors: [...fw.anchors, pki.get(vendorCa).cert] };
  });
}

/** What the kernel trusts for modules: its built-in keys (the distribution's) and the platform keyring (db). */
export function kernelModuleTrust(pki: TrustedLaunchPki, vendorCa: AuthorityId): TrustStore {
  return memo(pki, `kernel:${vendorCa}`, () => {
    const fw = firmwareTrust(pki);
    return { ...fw, name: `.builtin_trusted_keys ('${commonName(pki.get(vendorCa).cert)}') + .platform (db)`, anchors: [pki.get(vendorCa).cert, ...fw.anchors] };
  });
}

const same = (a: X509Certificate, b: X509Certificate) => a.raw.equals(b.raw);

/**
 * Verdicts are a pure function of the file's bytes and the trust store: the thousands of nodes booting one image
 * verify the same files, so verdicts are remembered per trust store and file digest.
 */
const verdicts = new WeakMap<TrustStore, Map<string, Verdict>>();
const MAX_VERDICTS = 4096;

/** Judges one signed file against a trust store. */
export function verifyFile(file: Buffer, trust: TrustStore): Verdict {
  const key = createHash('sha256').update(file).digest('hex');
  let m = verdicts.get(trust);
  if (!m) verdicts.set(trust, (m = new Map()));
  const hit = m.get(key);
  if (hit) return hit;
  const v = judge(file, trust);
  if (m.size >= MAX_VERDICTS) m.clear();
  m.set(key, v);
  return v;
}

function judge(file: Buffer, trust: TrustStore): Verdict {
  const hash = imageHash(file);
  if (trust.dbxHashes.some((h) => h.equals(hash))) return { ok: false, reason: 'revoked', detail: `its image hash ${hash.toString('hex')} is revoked (listed in dbx)` };
  const { content, cms } = splitSignedFile(file);
  const sig = checkCmsSignature(content, cms);
  if (!sig.ok) {
    const detail = sig.reason === 'unsigned' ? 'it is not signed' : sig.detail;
    return { ok: false, reason: sig.reason, detail, ...(sig.signer ? { signer: commonName(sig.signer) } : {}) };
  }
  const signer = commonName(sig.signer);
  // Walk up from the signer to a trust anchor through the certificates the signature carries.
  const chain: X509Certificate[] = [sig.signer];
  let anchor: X509Certificate | undefined;
  for (let depth = 0; depth < 6 && !anchor; depth++) {
    const cur = chain[chain.length - 1]!;
    const direct = trust.anchors.find((a) => same(a, cur));
    if (direct) {
      anchor = direct;
      break;
    }
    const issuer = [...trust.anchors, ...sig.certificates].find((c) => !same(c, cur) && cur.checkIssued(c) && safeVerify(cur, c));
    if (!issuer) break;
    chain.push(issuer);
    if (trust.anchors.some((a) => same(a, issuer))) anchor = issuer;
  }
  const revoked = chain.find((c) => trust.dbxCertificates.some((d) => same(c, d)));
  if (revoked) return { ok: false, reason: 'revoked', detail: `its signing certificate '${commonName(revoked)}' is revoked (listed in dbx)`, signer };
  if (!anchor) return { ok: false, reason: 'untrusted', detail: `it is signed by '${signer}', which does not chain to a trusted certificate (${trust.name})`, signer };
  return { ok: true, signer, anchor: commonName(anchor), chain: chain.map(commonName) };
}

function safeVerify(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}
