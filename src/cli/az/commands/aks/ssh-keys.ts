/**
 * `aks create --generate-ssh-keys`: az's validate_ssh_key. Uses ~/.ssh/id_rsa.pub (or --ssh-key-value, a key or a
 * file); when there is none and --generate-ssh-keys is given, creates ~/.ssh/id_rsa (PKCS#1 PEM, 0600) and
 * ~/.ssh/id_rsa.pub (OpenSSH format) with a new RSA key, as az does, and warns where they are.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AzCliError } from '../../framework/errors.js';

/** The OpenSSH public key line for an RSA key (RFC 4253 ssh-rsa: string, mpint e, mpint n). */
export function opensshRsaPublicKey(jwk: { n?: string; e?: string }, comment?: string): string {
  const sshString = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  // An mpint is big-endian two's complement: a leading 0 byte keeps a high first bit positive.
  const mpint = (b64url: string) => {
    let b = Buffer.from(b64url, 'base64url');
    while (b.length > 1 && b[0] === 0 && (b[1]! & 0x80) === 0) b = b.subarray(1);
    if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return sshString(b);
  };
  const blob = Buffer.concat([sshString(Buffer.from('ssh-rsa')), mpint(jwk.e!), mpint(jwk.n!)]);
  return `ssh-rsa ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`;
}

const RSA_KEY_LINE = /^ssh-rsa AAAA[0-9A-Za-z+/]+[=]{0,3}( [^@]+@[^@]+)?/;

export function isSshRsaPublicKey(value: string): boolean {
  return RSA_KEY_LINE.test(value.trim());
}

export interface SshKeyResult {
  /** The public key line, or undefined when the cluster gets no SSH key. */
  publicKey: string | undefined;
  /** Files written (for the warning). */
  generated?: { privateKey: string; publicKey: string };
}

export function resolveSshKey(opts: { home: string; sshKeyValue?: string; generate: boolean; noSshKey: boolean }): SshKeyResult {
  if (opts.noSshKey) return { publicKey: undefined };
  const defaultPath = join(opts.home, '.ssh', 'id_rsa.pub');
  const given = opts.sshKeyValue?.replace(/^~(?=\/|$)/, opts.home) ?? defaultPath;
  if (existsSync(given)) return { publicKey: readFileSync(given, 'utf8').trim() };
  if (isSshRsaPublicKey(given)) return { publicKey: given.trim() };
  if (opts.generate) {
    const publicKeyPath = given;
    const privateKeyPath = publicKeyPath.toLowerCase().endsWith('.pub') ? publicKeyPath.slice(0, -4) : `${publicKeyPath}.private`;
    const dir = publicKeyPath.slice(0, publicKeyPath.lastIndexOf('/')) || '.';
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // An existing private key is kept and its public half written (az's keys.generate_ssh_keys does the same).
    let publicKey: KeyObject;
    if (existsSync(privateKeyPath)) {
      publicKey = createPublicKey(createPrivateKey(readFileSync(privateKeyPath)));
    } else {
      const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
      writeFileSync(privateKeyPath, pair.privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
      publicKey = pair.publicKey;
    }
    const line = opensshRsaPublicKey(publicKey.export({ format: 'jwk' }) as { n: string; e: string });
    writeFileSync(publicKeyPath, `${line}\n`, { mode: 0o644 });
    return { publicKey: line, generated: { privateKey: privateKeyPath, publicKey: publicKeyPath } };
  }
  if (!opts.sshKeyValue || opts.sshKeyValue.trim() === '' || given === defaultPath) return { publicKey: undefined };
  throw new AzCliError(
    "The SSH key provided is not a valid RSA public key. Provide the contents of a valid SSH public key (for example, '~/.ssh/id_rsa.pub'), specify a path to a public key file, or add --generate-ssh-keys as a parameter to create a new key pair.",
  );
}
