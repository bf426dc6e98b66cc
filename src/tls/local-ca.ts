/**
 * The local certificate authority.
 *
 * Created on the first start of a data directory; clients trust its certificate (REQUESTS_CA_BUNDLE for az,
 * NODE_EXTRA_CA_CERTS for the Node SDKs, certificate-authority-data in kubeconfigs). Leaf certificates are issued
 * per host name on the fly (SNI) and live only in memory, except the direct address's, which is cached sealed.
 *
 * The CA carries a critical NameConstraints extension that only permits the Azure host names the emulator serves
 * and localhost: a client told to trust this CA cannot be made to trust it for any other site, even if the CA key
 * leaked. Its private key is sealed with the instance master key and the file is mode 0600.
 */
import { webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isIP } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import type * as X509Lib from '@peculiar/x509';
import { loadX509 } from './x509-lib.js';
import { paths, writeFileAtomic } from '../config/data-dir.js';
import type { Sealer } from '../secrets/sealer.js';
import { randomHex } from '../util/ids.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALG = { name: 'ECDSA', hash: 'SHA-256' } as const;
const CA_KEY_PURPOSE = 'aksemu/ca-key';
const DEFAULT_LEAF_PURPOSE = 'aksemu/default-leaf';
const LEAF_DAYS = 90;

/** DNS names (and their subdomains) this CA may certify. */
export const PERMITTED_DNS_SUBTREES = [
  'management.azure.com',
  'login.microsoftonline.com',
  'login.windows.net',
  'login.microsoft.com',
  'sts.windows.net',
  'graph.microsoft.com',
  'vault.azure.net',
  'azmk8s.io',
  'localhost',
];

async function nameConstraintsExtension(x509: typeof X509Lib): Promise<X509Lib.Extension> {
  const { AsnConvert } = await import('@peculiar/asn1-schema');
  const { GeneralName, GeneralSubtree, GeneralSubtrees, NameConstraints, id_ce_nameConstraints } = await import('@peculiar/asn1-x509');
  const constraints = new NameConstraints({
    permittedSubtrees: new GeneralSubtrees(
      PERMITTED_DNS_SUBTREES.map((dNSName) => new GeneralSubtree({ base: new GeneralName({ dNSName }) })),
    ),
  });
  return new x509.Extension(id_ce_nameConstraints, true, AsnConvert.serialize(constraints));
}

function toPem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function serial(): string {
  // Positive 16-byte serial: clear the top bit.
  const hex = randomHex(16);
  return (parseInt(hex[0]!, 16) & 0x7).toString(16) + hex.slice(1);
}

interface CachedLeaf {
  names: string[];
  key: string;
  cert: string;
}

export class LocalCa {
  private leafKeys: Promise<CryptoKeyPair> | undefined;
  private readonly contexts = new Map<string, Promise<SecureContext>>();
  private issuerCert: Promise<X509Lib.X509Certificate> | undefined;

  private constructor(
    readonly certPem: string,
    private readonly key: CryptoKey,
    private readonly dataDir: string,
    private readonly sealer: Sealer,
  ) {}

  /** Loads the data directory's CA, creating it on first use. */
  static async loadOrCreate(dataDir: string, sealer: Sealer): Promise<LocalCa> {
    const certFile = paths.caCert(dataDir);
    const keyFile = paths.caKey(dataDir);
    if (existsSync(certFile) && existsSync(keyFile)) {
      const certPem = readFileSync(certFile, 'utf8');
      const pkcs8 = sealer.unseal(readFileSync(keyFile), CA_KEY_PURPOSE);
      const key = await webcrypto.subtle.importKey('pkcs8', pkcs8, EC_ALG, false, ['sign']);
      return new LocalCa(certPem, key, dataDir, sealer);
    }
    const x509 = await loadX509();
    const keys = (await webcrypto.subtle.generateKey(EC_ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: `CN=aksemu local CA ${randomHex(4)}, O=aksemu`,
      notBefore: new Date(now - 24 * 3600_000),
      notAfter: new Date(now + 10 * 365 * 24 * 3600_000),
      signingAlgorithm: SIGNING_ALG,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await nameConstraintsExtension(x509),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as webcrypto.CryptoKey));
    mkdirSync(dirname(certFile), { recursive: true, mode: 0o700 });
    writeFileAtomic(keyFile, sealer.seal(pkcs8, CA_KEY_PURPOSE), 0o600);
    writeFileAtomic(certFile, cert.toString('pem') + '\n', 0o644);
    return new LocalCa(cert.toString('pem') + '\n', keys.privateKey, dataDir, sealer);
  }

  /** A TLS context whose certificate names `names` (DNS names or IP addresses), issued on first use and cached. */
  secureContext(names: string[]): Promise<SecureContext> {
    const cacheKey = names.join(',');
    let ctx = this.contexts.get(cacheKey);
    if (!ctx) {
      ctx = this.issuePem(names).then((pem) => createSecureContext({ ...pem, minVersion: 'TLSv1.2' }));
      this.contexts.set(cacheKey, ctx);
      ctx.catch(() => this.contexts.delete(cacheKey));
    }
    return ctx;
  }

  /**
   * The certificate for the direct address (`names` = localhost and the listen addresses). It is kept, with its
   * key sealed, in the data directory and reused while it has more than a week to live, so that a restart does
   * not have to make one.
   */
  async defaultPem(names: string[]): Promise<{ key: string; cert: string }> {
    const file = join(this.dataDir, 'ca', 'default-leaf.sealed');
    if (existsSync(file)) {
      try {
        const cached = JSON.parse(this.sealer.unseal(readFileSync(file), DEFAULT_LEAF_PURPOSE).toString('utf8')) as CachedLeaf;
        const cert = new X509Certificate(cached.cert);
        const fresh = Date.parse(cert.validTo) - Date.now() > 7 * 24 * 3600_000;
        if (fresh && cached.names.join(',') === names.join(',') && cert.checkIssued(new X509Certificate(this.certPem))) {
          return { key: cached.key, cert: cached.cert };
        }
      } catch {
        // unreadable or from another CA: make a new one
      }
    }
    const pem = await this.issuePem(names);
    writeFileAtomic(file, this.sealer.seal(Buffer.from(JSON.stringify({ names, ...pem })), DEFAULT_LEAF_PURPOSE), 0o600);
    return pem;
  }

  /** A fresh leaf certificate (PEM) for `names`, signed by this CA, with the process's leaf key. */
  async issuePem(names: string[]): Promise<{ key: string; cert: string }> {
    const x509 = await loadX509();
    this.issuerCert ??= Promise.resolve(new x509.X509Certificate(this.certPem));
    const issuer = await this.issuerCert;
    this.leafKeys ??= webcrypto.subtle.generateKey(EC_ALG, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
    const leaf = await this.leafKeys;
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: 'CN=aksemu, O=aksemu',
      issuer: issuer.subject,
      notBefore: new Date(now - 3600_000),
      notAfter: new Date(now + LEAF_DAYS * 24 * 3600_000),
      signingAlgorithm: SIGNING_ALG,
      publicKey: leaf.publicKey,
      signingKey: this.key,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: isIP(value) ? 'ip' : 'dns', value }))),
        await x509.AuthorityKeyIdentifierExtension.create(issuer),
      ],
    });
    const keyPem = toPem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', leaf.privateKey as webcrypto.CryptoKey));
    return { key: keyPem, cert: cert.toString('pem') };
  }
}
