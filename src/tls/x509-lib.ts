/**
 * @peculiar/x509, loaded only when a certificate has to be made or read in depth (the local CA's first start or
 * a host name not seen before; the Trusted Launch PKI): a restart serves cached certificates without it, which
 * keeps start-up fast. It resolves its ASN.1 schemas through tsyringe, which needs the Reflect metadata API first,
 * and signs with Node's WebCrypto.
 */
import { webcrypto } from 'node:crypto';
import type * as X509Lib from '@peculiar/x509';

let x509Loading: Promise<typeof X509Lib> | undefined;

export function loadX509(): Promise<typeof X509Lib> {
  x509Loading ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return x509;
  })();
  return x509Loading;
}
