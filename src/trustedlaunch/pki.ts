/**
 * The keys and X.509 certificates behind Trusted Launch, made once per instance with @peculiar/x509 and kept in the
 * store (`/trustedlaunch/pki`), private keys sealed with the instance master key (ctx.sealer):
 *
 *   Secure Boot (SPEC T-5; RSA-2048, as UEFI requires)
 *     pk                 the platform key: PK authorizes KEK
 *     kek                "Microsoft Corporation KEK CA 2011": KEK authorizes db and dbx
 *     uefiCa             "Microsoft Corporation UEFI CA 2011", the db entry that signs shim
 *     canonicalCa        the vendor certificate Ubuntu's shim carries; its leaf signs grub, kernels, initrds, modules
 *     canonicalRevoked   an older Canonical signing certificate, revoked: it is in dbx
 *     azureLinuxCa       the same for Azure Linux
 *     untrusted          a self-signed publisher no firmware trusts (for tampering demonstrations)
 *   vTPM (SPEC T-6; ECDSA)
 *     vtpmRoot           "aksemu Virtual TPM Root Certificate Authority 2023" (Azure: "Azure Virtual TPM Root
 *                        Certificate Authority 2023"), P-384
 *     vtpmCa             the issuing CA of attestation key certificates, P-256
 *   Attestation
 *     attestation        the attestation service's token signing key (RS256, published as a JWKS with x5c)
 *
 * The real Microsoft UEFI CA is not issued by the KEK; here the certificate chain mirrors the authorization chain
 * (PK → KEK → db) so that one look at the certificates shows who authorized what. Names carry "aksemu" in the
 * organizational unit: these are emulator keys, never the vendors' own.
 */
import { createHash, createPrivateKey, generateKeyPairSync, sign, webcrypto, X509Certificate, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AttributeTypeAndValue,
  AttributeValue,
  Certificate,
  Extension,
  Extensions,
  Name,
  RelativeDistinguishedName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  id_ce_subjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import type * as X509Lib from '@peculiar/x509';
import { loadX509 } from '../tls/x509-lib.js';
import type { Sealer } from '../secrets/sealer.js';
import { getJson } from '../store/json.js';
import type { Store } from '../store/store.js';

export const PKI_KEY = '/trustedlaunch/pki';
const PKI_VERSION = 1;

type KeyAlg = 'rsa2048' | 'p256' | 'p384';

export type AuthorityId = 'pk' | 'kek' | 'uefiCa' | 'canonicalCa' | 'canonicalSigning' | 'canonicalRevoked' | 'azureLinuxCa' | 'azureLinuxSigning' | 'untrusted' | 'vtpmRoot' | 'vtpmCa' | 'attestation';

interface AuthorityDef {
  subject: string;
  /** Issuer id, or undefined for a self-signed root. */
  issuer?: AuthorityId;
  ca: boolean;
  alg: KeyAlg;
}

export const AUTHORITIES: Record<AuthorityId, AuthorityDef> = {
  pk: { subject: 'CN=Hyper-V UEFI Platform Key, OU=aksemu emulated key, O=aksemu', ca: true, alg: 'rsa2048' },
  kek: { subject: 'CN=Microsoft Corporation KEK CA 2011, OU=aksemu emulated key, O=Microsoft Corporation', issuer: 'pk', ca: true, alg: 'rsa2048' },
  uefiCa: { subject: 'CN=Microsoft Corporation UEFI CA 2011, OU=aksemu emulated key, O=Microsoft Corporation', issuer: 'kek', ca: true, alg: 'rsa2048' },
  canonicalCa: { subject: 'CN=Canonical Ltd. Master Certificate Authority, OU=aksemu emulated key, O=Canonical Ltd.', ca: true, alg: 'rsa2048' },
  canonicalSigning: { subject: 'CN=Canonical Ltd. Secure Boot Signing (2022), OU=aksemu emulated key, O=Canonical Ltd.', issuer: 'canonicalCa', ca: false, alg: 'rsa2048' },
  canonicalRevoked: { subject: 'CN=Canonical Ltd. Secure Boot Signing (2017), OU=aksemu emulated key, O=Canonical Ltd.', issuer: 'canonicalCa', ca: false, alg: 'rsa2048' },
  azureLinuxCa: { subject: 'CN=Microsoft Azure Linux Secure Boot CA 2023, OU=aksemu emulated key, O=Microsoft Corporation', ca: true, alg: 'rsa2048' },
  azureLinuxSigning: { subject: 'CN=Azure Linux Secure Boot Signing, OU=aksemu emulated key, O=Microsoft Corporation', issuer: 'azureLinuxCa', ca: false, alg: 'rsa2048' },
  untrusted: { subject: 'CN=Untrusted Publisher, OU=aksemu emulated key, O=Unknown', ca: false, alg: 'rsa2048' },
  vtpmRoot: { subject: 'CN=aksemu Virtual TPM Root Certificate Authority 2023, O=aksemu', ca: true, alg: 'p384' },
  vtpmCa: { subject: 'CN=aksemu Global Virtual TPM CA - 01, O=aksemu', issuer: 'vtpmRoot', ca: true, alg: 'p256' },
  attestation: { subject: 'CN=aksemu Attestation Token Signing, O=aksemu', ca: false, alg: 'rsa2048' },
};

export interface Authority {
  id: AuthorityId;
  subject: string;
  der: Buffer;
  pem: string;
  cert: X509Certificate;
  key: KeyObject;
}

interface StoredPki {
  version: number;
  authorities: Record<string, { certPem: string; key: string /* sealed PKCS#8, base64 */ }>;
}

const ALGS: Record<KeyAlg, { gen: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams; sign: webcrypto.RsaHashedImportParams | webcrypto.EcdsaParams }> = {
  rsa2048: { gen: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, sign: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } },
  p256: { gen: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } },
  p384: { gen: { name: 'ECDSA', namedCurve: 'P-384' }, sign: { name: 'ECDSA', hash: 'SHA-384' } },
};

const sealPurpose = (id: string) => `trustedlaunch/pki/${id}`;
const arrayBuffer = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;

export class TrustedLaunchPki {
  private constructor(private readonly authorities: Map<AuthorityId, Authority>) {}

  get(id: AuthorityId): Authority {
    return this.authorities.get(id)!;
  }

  /** Loads the instance's PKI, creating it (and storing it, sealed) on first use. */
  static async loadOrCreate(store: Store, sealer: Sealer): Promise<TrustedLaunchPki> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const stored = await getJson<StoredPki>(store, PKI_KEY);
      if (stored && stored.value.version === PKI_VERSION) return TrustedLaunchPki.fromStored(stored.value, sealer);
      const created = await TrustedLaunchPki.create(sealer);
      const res = await store.txn({
        if: [{ key: PKI_KEY, modRevision: stored?.modRevision ?? 0 }],
        then: [{ type: 'put', key: PKI_KEY, value: Buffer.from(JSON.stringify(created.stored)) }],
      });
      if (res.succeeded) return created.pki;
    }
    throw new Error('could not create the Trusted Launch PKI (concurrent writers)');
  }

  private static fromStored(s: StoredPki, sealer: Sealer): TrustedLaunchPki {
    const map = new Map<AuthorityId, Authority>();
    for (const id of Object.keys(AUTHORITIES) as AuthorityId[]) {
      const entry = s.authorities[id];
      if (!entry) throw new Error(`the stored Trusted Launch PKI has no '${id}'`);
      const cert = new X509Certificate(entry.certPem);
      const pkcs8 = sealer.unseal(Buffer.from(entry.key, 'base64'), sealPurpose(id));
      map.set(id, { id, subject: AUTHORITIES[id].subject, der: cert.raw, pem: entry.certPem, cert, key: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }) });
    }
    return new TrustedLaunchPki(map);
  }

  private static async create(sealer: Sealer): Promise<{ pki: TrustedLaunchPki; stored: StoredPki }> {
    const x509 = await loadX509();
    const ids = Object.keys(AUTHORITIES) as AuthorityId[];
    // Key generation is the slow part (RSA): all keys at once, on the crypto thread pool.
    const keys = new Map<AuthorityId, webcrypto.CryptoKeyPair>();
    await Promise.all(
      ids.map(async (id) => keys.set(id, (await webcrypto.subtle.generateKey(ALGS[AUTHORITIES[id].alg].gen, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair)),
    );
    const certs = new Map<AuthorityId, X509Lib.X509Certificate>();
    const issue = async (id: AuthorityId): Promise<X509Lib.X509Certificate> => {
      const done = certs.get(id);
      if (done) return done;
      const def: AuthorityDef = AUTHORITIES[id];
      const pair = keys.get(id)!;
      const issuerId = def.issuer;
      const issuerCert = issuerId ? await issue(issuerId) : undefined;
      const issuerKeys = issuerId ? keys.get(issuerId)! : pair;
      const extensions: X509Lib.Extension[] = [
        new x509.BasicConstraintsExtension(def.ca, undefined, true),
        new x509.KeyUsagesExtension(def.ca ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature : x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(pair.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(issuerKeys.publicKey),
      ];
      if (!def.ca && id !== 'attestation') extensions.push(new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.3'])); // code signing
      const cert = await x509.X509CertificateGenerator.create({
        subject: def.subject,
        issuer: issuerCert ? issuerCert.subject : def.subject,
        notBefore: new Date('2023-01-01T00:00:00Z'),
        notAfter: new Date('2053-01-01T00:00:00Z'),
        signingAlgorithm: ALGS[AUTHORITIES[issuerId ?? id].alg].sign,
        publicKey: pair.publicKey,
        signingKey: issuerKeys.privateKey,
        extensions,
      });
      certs.set(id, cert);
      return cert;
    };
    const stored: StoredPki = { version: PKI_VERSION, authorities: {} };
    const map = new Map<AuthorityId, Authority>();
    for (const id of ids) {
      const cert = await issue(id);
      const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.get(id)!.privateKey));
      const pem = `${cert.toString('pem')}\n`;
      stored.authorities[id] = { certPem: pem, key: sealer.seal(pkcs8, sealPurpose(id)).toString('base64') };
      const nodeCert = new X509Certificate(pem);
      map.set(id, { id, subject: AUTHORITIES[id].subject, der: nodeCert.raw, pem, cert: nodeCert, key: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }) });
    }
    return { pki: new TrustedLaunchPki(map), stored };
  }

  private akTemplate: Promise<Certificate> | undefined;

  /**
   * Issues the certificate of a VM's attestation key (ECDSA P-256) from the virtual TPM CA. The first one is made
   * with @peculiar/x509; later ones reuse its issuer and extensions through @peculiar/asn1-x509 and change only
   * serial, subject, key and key identifier (a VM boot should not pay for the certificate builder each time).
   */
  async issueAkCertificate(akSpkiDer: Buffer, vmId: string, serialHex: string): Promise<string> {
    this.akTemplate ??= this.createAkCertificate(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' }), 'template', '01').then((pem) =>
      AsnConvert.parse(new X509Certificate(pem).raw, Certificate),
    );
    const t = (await this.akTemplate).tbsCertificate;
    const spki = AsnConvert.parse(akSpkiDer, SubjectPublicKeyInfo);
    const ski = createHash('sha1').update(Buffer.from(spki.subjectPublicKey)).digest();
    const subject = new Name(
      t.subject.map((rdn) => new RelativeDistinguishedName(rdn.map((atv) => (atv.type === '2.5.4.3' ? new AttributeTypeAndValue({ type: atv.type, value: new AttributeValue({ utf8String: vmId }) }) : atv)))),
    );
    const tbs = new TBSCertificate({
      version: t.version,
      serialNumber: arrayBuffer(Buffer.from(serialHex, 'hex')),
      signature: t.signature,
      issuer: t.issuer,
      validity: t.validity,
      subject,
      subjectPublicKeyInfo: spki,
      extensions: new Extensions(
        (t.extensions ?? []).map((e) =>
          e.extnID === id_ce_subjectKeyIdentifier ? new Extension({ extnID: e.extnID, critical: false, extnValue: new OctetString(AsnConvert.serialize(new SubjectKeyIdentifier(ski))) }) : e,
        ),
      ),
    });
    const signature = sign('sha256', Buffer.from(AsnConvert.serialize(tbs)), this.get('vtpmCa').key);
    const der = Buffer.from(AsnConvert.serialize(new Certificate({ tbsCertificate: tbs, signatureAlgorithm: t.signature, signatureValue: arrayBuffer(signature) })));
    return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
  }

  private issuing: Promise<{ caKey: webcrypto.CryptoKey; authorityKeyId: X509Lib.Extension }> | undefined;

  private async createAkCertificate(akSpkiDer: Buffer, vmId: string, serialSeed: string): Promise<string> {
    const x509 = await loadX509();
    const ca = this.get('vtpmCa');
    this.issuing ??= (async () => {
      const caKey = await webcrypto.subtle.importKey('pkcs8', ca.key.export({ format: 'der', type: 'pkcs8' }), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
      const caPublic = await webcrypto.subtle.importKey('spki', ca.cert.publicKey.export({ format: 'der', type: 'spki' }), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
      return { caKey, authorityKeyId: await x509.AuthorityKeyIdentifierExtension.create(caPublic) };
    })();
    const { caKey, authorityKeyId } = await this.issuing;
    const akPublic = await webcrypto.subtle.importKey('spki', akSpkiDer, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serialSeed,
      subject: `CN=${vmId}, OU=Attestation Key, O=aksemu vTPM`,
      issuer: ca.subject,
      notBefore: new Date('2023-01-01T00:00:00Z'),
      notAfter: new Date('2053-01-01T00:00:00Z'),
      signingAlgorithm: ALGS.p256.sign,
      publicKey: akPublic,
      signingKey: caKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(akPublic),
        authorityKeyId,
        // tcg-kp-AIKCertificate: the key is a TPM attestation key.
        new x509.ExtendedKeyUsageExtension(['2.23.133.8.3']),
      ],
    });
    return `${cert.toString('pem')}\n`;
  }
}
