/**
 * What az prints for a resource is not the wire JSON but the Python SDK model turned back into a dict:
 * - attribute names are camelCase of the SDK's snake_case names, so wire `enableFIPS` prints as `enableFips`,
 *   `osDiskSizeGB` as `osDiskSizeGb`, `enableVTPM` as `enableVtpm` (keys of free-form dicts such as tags, node
 *   labels or userAssignedIdentities are data and stay as they are);
 * - models whose `properties` are flattened by the SDK (managed clusters, agent pools, managed identities, role
 *   assignments) print those properties at the top level; an agent pool's `properties.type` becomes
 *   `typePropertiesType` because `type` is taken by the resource type.
 * These functions do that conversion for the resources the commands return.
 */

/** Keys whose values are dictionaries of user data: their own keys are kept verbatim. */
const FREE_FORM_DICTS = new Set(['tags', 'nodeLabels', 'userAssignedIdentities', 'identityProfile', 'addonProfiles', 'config', 'nodeSelector', 'labels', 'annotations']);

/** The name az prints for a wire attribute: autorest's snake_case name, camel-cased again. */
export function azAttributeName(wire: string): string {
  const words = wire.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+/g);
  if (!words || words.join('') !== wire) return wire;
  return words.map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1).toLowerCase())).join('');
}

export function azModel(value: unknown, parentKey?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => azModel(v));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  const free = parentKey !== undefined && FREE_FORM_DICTS.has(parentKey);
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const name = free ? k : azAttributeName(k);
    out[name] = azModel(v, free ? undefined : k);
  }
  return out;
}

/** Moves `properties` to the top level (the SDK's x-ms-client-flatten), renaming clashes with `renames`. */
export function flattenProperties(resource: Record<string, any>, renames: Record<string, string> = {}): Record<string, any> {
  const { properties, ...rest } = resource;
  const out: Record<string, any> = { ...rest };
  if (properties && typeof properties === 'object') {
    for (const [k, v] of Object.entries(properties as Record<string, unknown>)) out[renames[k] ?? k] = v;
  }
  return out;
}

/** A flattened resource in az's output form. */
export function azFlattened<T = any>(resource: unknown, renames: Record<string, string> = {}): T {
  if (!resource || typeof resource !== 'object') return resource as T;
  return azModel(flattenProperties(resource as Record<string, any>, renames)) as T;
}

/** Removes null and undefined members at every level (az's _remove_nulls for clusters works on a few fields;
 * the wire never carries nulls for those, so dropping all of them is equivalent). */
export function withoutNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutNulls) as T;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (v !== null && v !== undefined) out[k] = withoutNulls(v);
  return out as T;
}
