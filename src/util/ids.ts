import { randomBytes, randomUUID } from 'node:crypto';

/** A random GUID in Azure's lowercase form (subscription, tenant, object and application ids). */
export function newGuid(): string {
  return randomUUID();
}

/** `n` random bytes as lowercase hex (Key Vault key versions are 32 hex digits: `randomHex(16)`). */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

export const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: unknown): value is string {
  return typeof value === 'string' && GUID_PATTERN.test(value);
}
