/** The tenant an authority path segment names. */
import type { Directory, Tenant } from '../directory.js';

export async function resolveTenant(directory: Directory, name: string): Promise<Tenant | undefined> {
  const t = await directory.tenant();
  const n = name.toLowerCase();
  return n === t.tenantId.toLowerCase() || n === t.defaultDomain.toLowerCase() ? t : undefined;
}

/** The tenant a user signs in to: the tenant itself, or the generic authorities that stand for a user's home tenant. */
export async function resolveUserTenant(directory: Directory, name: string): Promise<Tenant | undefined> {
  return ['common', 'organizations'].includes(name.toLowerCase()) ? directory.tenant() : resolveTenant(directory, name);
}
