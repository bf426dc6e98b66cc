/**
 * The instance's default credentials, derived from the master key and never stored: the directory sets them at
 * bootstrap, and the aksemu CLI (`aksemu env`, its own sign-in) derives the same values from the same data
 * directory, so neither has to read the other.
 */
import type { Sealer } from './sealer.js';

/** The default user's password. */
export function defaultUserPassword(sealer: Sealer, objectId: string): string {
  // Entra ID's password rules want three of: lower case, upper case, digit, symbol; the prefix has all four.
  return `Aks1-${sealer.derive(`aksemu/default-user-password/${objectId.toLowerCase()}`).toString('base64url')}`;
}

/** The default principal's client secret. */
export function defaultPrincipalSecret(sealer: Sealer, appId: string): string {
  return `aks~${sealer.derive(`aksemu/default-principal-secret/${appId.toLowerCase()}`).toString('base64url')}`;
}
