/**
 * The per-identity secret of aksemu's managed identity endpoint (the App Service protocol that @azure/identity's
 * ManagedIdentityCredential speaks when IDENTITY_ENDPOINT and IDENTITY_HEADER are set).
 *
 * The header value is `aksmsi.<principal object id>.<HMAC-SHA256(master key, purpose + object id)>`: derived, never
 * stored, so only someone who can read the data directory's master key (`aksemu env --identity`) or who is allowed
 * to assign the identity (the `/_msi/credentials` call, Owner/Managed Identity Operator) can obtain it. A deleted
 * and recreated identity has a new object id, hence a new secret.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Sealer } from '../../secrets/sealer.js';
import { GUID_PATTERN } from '../../util/ids.js';

const PURPOSE = 'aksemu/msi-identity-header/';
export const MSI_PATH = '/_msi/token';
export const MSI_HEADER = 'x-identity-header';

export function identityHeaderFor(sealer: Sealer, principalObjectId: string): string {
  const oid = principalObjectId.toLowerCase();
  return `aksmsi.${oid}.${sealer.derive(`${PURPOSE}${oid}`).toString('base64url')}`;
}

/** The principal object id a header value was made for, or undefined when it is not a valid header. */
export function verifyIdentityHeader(sealer: Sealer, header: string): string | undefined {
  const m = /^aksmsi\.([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/.exec(header.trim());
  if (!m || !GUID_PATTERN.test(m[1]!)) return undefined;
  const expected = Buffer.from(identityHeaderFor(sealer, m[1]!));
  const given = Buffer.from(header.trim());
  return expected.length === given.length && timingSafeEqual(expected, given) ? m[1]! : undefined;
}
