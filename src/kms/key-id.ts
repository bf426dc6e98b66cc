/**
 * Key identifiers and plugin addresses, as Azure's KMS plugin (Azure/kubernetes-kms) understands them:
 *
 * - a key is named by its full, versioned Key Vault key id `https://<vault>.vault.azure.net/keys/<name>/<version>`
 *   (the plugin always decrypts with the configured version, so a versionless id is refused);
 * - the KMS v2 `key_id` is the lowercase hex SHA-256 of that URL, so a rotation (new name or new version) is a new
 *   key id, and a key id is never reused;
 * - plugins listen on `unix:///absolute/path` (or the abstract socket `unix:///@name`): src/encryption/kms-api/address.ts.
 */
import { createHash } from 'node:crypto';

export interface KeyRef {
  /** The full key id, as given. */
  kid: string;
  /** https://<vault>.<suffix>/ */
  vaultUrl: string;
  vaultName: string;
  /** The vault host name, e.g. myvault.vault.azure.net. */
  vaultHost: string;
  keyName: string;
  keyVersion: string;
}

export class KeyIdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyIdError';
  }
}

/** Key Vault and Managed HSM host suffixes of the public cloud and the sovereign clouds. */
const VAULT_SUFFIX = /^([a-z0-9-]{3,24})\.(vault\.azure\.net|vault\.azure\.cn|vault\.usgovcloudapi\.net|managedhsm\.azure\.net)$/i;

/** Parses a versioned Key Vault key id; throws KeyIdError with the reason otherwise. */
export function parseKeyId(kid: string): KeyRef {
  let url: URL;
  try {
    url = new URL(kid);
  } catch {
    throw new KeyIdError(`'${kid}' is not a Key Vault key id: expected https://<vault>.vault.azure.net/keys/<name>/<version>`);
  }
  if (url.protocol !== 'https:') throw new KeyIdError(`the key id '${kid}' must be an https URL`);
  const host = url.hostname.toLowerCase();
  const m = VAULT_SUFFIX.exec(host);
  if (!m) throw new KeyIdError(`the key id '${kid}' does not name a Key Vault host (<vault>.vault.azure.net)`);
  if (url.port && url.port !== '443') throw new KeyIdError(`the key id '${kid}' must not name a port`);
  const parts = url.pathname.split('/').filter((p) => p.length > 0);
  if (parts.length !== 3 || parts[0]!.toLowerCase() !== 'keys') {
    throw new KeyIdError(`the key id '${kid}' must have the form https://<vault>.vault.azure.net/keys/<name>/<version> (a versioned key id)`);
  }
  const [, keyName, keyVersion] = parts as [string, string, string];
  if (!/^[0-9a-zA-Z-]{1,127}$/.test(keyName)) throw new KeyIdError(`the key name '${keyName}' in '${kid}' is not a valid Key Vault key name`);
  if (!/^[0-9a-fA-F]{32}$/.test(keyVersion)) throw new KeyIdError(`the key version '${keyVersion}' in '${kid}' is not a Key Vault key version (32 hex digits)`);
  if (url.search || url.hash) throw new KeyIdError(`the key id '${kid}' must not carry a query or fragment`);
  return { kid, vaultUrl: `https://${host}/`, vaultName: m[1]!.toLowerCase(), vaultHost: host, keyName, keyVersion };
}

/** The KMS v2 key id Azure's plugin reports for a key: hex SHA-256 of the key id URL. */
export function keyIdHash(kid: string): string {
  return createHash('sha256').update(kid, 'utf8').digest('hex');
}
