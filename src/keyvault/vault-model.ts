/**
 * The `Microsoft.KeyVault/vaults` resource model and its validation rules, as pure functions (SPEC V-1).
 *
 * Rules: vault names are 3–24 letters, digits and hyphens, start with a letter, end with a letter or digit, no
 * "--"; `tenantId` and `sku` are required; soft delete is mandatory; retention 7–90 days, fixed at creation;
 * purge protection cannot be turned off once on; access policy permissions come from Key Vault's lists; the vault
 * URI is always `https://<name>.vault.azure.net/`.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { ArmError } from '../arm/errors.js';
import type { ArmResource } from '../arm/repository.js';
import { isGuid } from '../util/ids.js';
import { shown } from '../util/shown.js';

export const VAULT_TYPE = 'Microsoft.KeyVault/vaults';
export const KV_NS = 'Microsoft.KeyVault';

/**
 * Management api-versions: what az 2.45 sends (2022-07-01) up to the Python SDK azure-mgmt-keyvault 14.1's
 * (2026-05-15; @azure/arm-keyvault 5 sends 2026-02-01). 2026-05-15 adds only enum members for managed HSMs
 * (key type oct-HSM, Standard_B*_v2 SKUs) to 2026-02-01, so a vault has the same shape in both.
 */
export const VAULT_API_VERSIONS = [
  '2026-05-15', '2026-02-01', '2025-05-01', '2024-12-01-preview', '2024-11-01', '2024-04-01-preview', '2023-08-01-preview', '2023-07-01',
  '2023-02-01', '2022-11-01', '2022-07-01', '2022-02-01-preview', '2021-11-01-preview', '2021-10-01', '2021-06-01-preview',
  '2021-04-01-preview', '2020-04-01-preview', '2019-09-01', '2018-02-14', '2016-10-01', '2015-06-01',
];

export const KEY_PERMISSIONS = [
  'all', 'encrypt', 'decrypt', 'wrapkey', 'unwrapkey', 'sign', 'verify', 'get', 'list', 'create', 'update', 'import',
  'delete', 'backup', 'restore', 'recover', 'purge', 'release', 'rotate', 'getrotationpolicy', 'setrotationpolicy',
];
export const SECRET_PERMISSIONS = ['all', 'get', 'list', 'set', 'delete', 'backup', 'restore', 'recover', 'purge'];
export const CERTIFICATE_PERMISSIONS = [
  'all', 'get', 'list', 'delete', 'create', 'import', 'update', 'managecontacts', 'getissuers', 'listissuers', 'setissuers',
  'deleteissuers', 'manageissuers', 'recover', 'purge', 'backup', 'restore',
];
export const STORAGE_PERMISSIONS = [
  'all', 'get', 'list', 'delete', 'set', 'update', 'regeneratekey', 'recover', 'purge', 'backup', 'restore', 'setsas',
  'listsas', 'getsas', 'deletesas',
];

export interface AccessPolicyEntry {
  tenantId: string;
  objectId: string;
  applicationId?: string;
  permissions: { keys?: string[]; secrets?: string[]; certificates?: string[]; storage?: string[] };
}

export interface NetworkAcls {
  bypass: 'AzureServices' | 'None';
  defaultAction: 'Allow' | 'Deny';
  ipRules: Array<{ value: string }>;
  virtualNetworkRules: Array<{ id: string; ignoreMissingVnetServiceEndpoint?: boolean }>;
}

export interface PrivateEndpointConnectionItem {
  id: string;
  etag: string;
  properties: {
    privateEndpoint: { id: string };
    privateLinkServiceConnectionState: { status: 'Approved' | 'Pending' | 'Rejected' | 'Disconnected'; description: string; actionsRequired: 'None' };
    provisioningState: 'Succeeded';
  };
}

export interface VaultProperties {
  [extra: string]: unknown;
  tenantId: string;
  sku: { family: 'A'; name: 'standard' | 'premium' };
  accessPolicies: AccessPolicyEntry[];
  vaultUri: string;
  enabledForDeployment: boolean;
  enabledForDiskEncryption: boolean;
  enabledForTemplateDeployment: boolean;
  enableSoftDelete: boolean;
  softDeleteRetentionInDays: number;
  enableRbacAuthorization: boolean;
  enablePurgeProtection?: boolean;
  networkAcls?: NetworkAcls;
  publicNetworkAccess: 'Enabled' | 'Disabled';
  privateEndpointConnections?: PrivateEndpointConnectionItem[];
  provisioningState: 'Succeeded' | 'RegisteringDns';
  hsmPoolResourceId?: string;
}

export interface VaultResource extends ArmResource {
  location: string;
  tags: Record<string, string>;
  properties: VaultProperties;
  systemData?: Record<string, string>;
}

/**
 * The HSM pool that holds a vault's keys (read-only `hsmPoolResourceId`, SPEC V-1, P-4): one pool per region and SKU,
 * named by a GUID derived from them, so every vault of a region and SKU shows the same pool.
 */
export function hsmPoolResourceId(location: string, sku: string): string {
  const h = createHash('sha256').update(`hsm-pool/${location.toLowerCase()}/${sku.toLowerCase()}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function vaultUri(name: string): string {
  return `https://${name.toLowerCase()}.vault.azure.net/`;
}

const NAME = /^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;

export function validVaultName(name: string): boolean {
  return NAME.test(name) && !name.includes('--');
}

export function requireValidVaultName(name: string): void {
  if (!validVaultName(name)) {
    throw new ArmError(
      400,
      'VaultNameNotValid',
      `The vault name '${name}' is invalid. A vault's name must be between 3-24 alphanumeric characters. The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens. Follow this link for more information: https://go.microsoft.com/fwlink/?linkid=2147742`,
    );
  }
}

const bad = (message: string) => new ArmError(400, 'BadRequest', message);

function permissionList(value: unknown, allowed: string[], where: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw bad(`Invalid value found at ${where}: it must be an array of permissions.`);
  return value.map((p, i) => {
    if (typeof p !== 'string' || !allowed.includes(p.toLowerCase())) {
      throw bad(`Invalid value found at ${where}[${i}]: '${shown(p)}'. Allowed values are ${allowed.join(', ')}.`);
    }
    return p;
  });
}

export function parseAccessPolicies(value: unknown, where = 'properties.accessPolicies'): AccessPolicyEntry[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw bad(`Invalid value found at ${where}: it must be an array.`);
  if (value.length > 1024) throw bad('The number of access policies exceeds the limit of 1024.');
  return value.map((raw, i) => {
    const at = `${where}[${i}]`;
    if (!raw || typeof raw !== 'object') throw bad(`Invalid value found at ${at}: it must be an object.`);
    const e = raw as Record<string, unknown>;
    if (!isGuid(e.tenantId)) throw bad(`Invalid value found at ${at}.tenantId: '${shown(e.tenantId)}' is not a GUID.`);
    if (typeof e.objectId !== 'string' || e.objectId.trim() === '') throw bad(`Invalid value found at ${at}.objectId: an object id is required.`);
    if (e.applicationId !== undefined && e.applicationId !== null && !isGuid(e.applicationId)) {
      throw bad(`Invalid value found at ${at}.applicationId: '${shown(e.applicationId)}' is not a GUID.`);
    }
    const perms = (e.permissions ?? {}) as Record<string, unknown>;
    if (typeof perms !== 'object') throw bad(`Invalid value found at ${at}.permissions: it must be an object.`);
    const keys = permissionList(perms.keys, KEY_PERMISSIONS, `${at}.permissions.keys`);
    const secrets = permissionList(perms.secrets, SECRET_PERMISSIONS, `${at}.permissions.secrets`);
    const certificates = permissionList(perms.certificates, CERTIFICATE_PERMISSIONS, `${at}.permissions.certificates`);
    const storage = permissionList(perms.storage, STORAGE_PERMISSIONS, `${at}.permissions.storage`);
    return {
      tenantId: e.tenantId as string,
      objectId: e.objectId,
      ...(typeof e.applicationId === 'string' ? { applicationId: e.applicationId } : {}),
      permissions: { ...(keys ? { keys } : {}), ...(secrets ? { secrets } : {}), ...(certificates ? { certificates } : {}), ...(storage ? { storage } : {}) },
    };
  });
}

/** IPv4/IPv6 address or CIDR range, as Key Vault's ipRules accept them. */
export function validIpRule(value: string): boolean {
  const [addr, bits, extra] = value.split('/');
  if (extra !== undefined || !addr) return false;
  const v = isIP(addr);
  if (v === 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n >= 0 && n <= (v === 4 ? 32 : 128);
}

export function parseNetworkAcls(value: unknown): NetworkAcls | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw bad('Invalid value found at properties.networkAcls: it must be an object.');
  const n = value as Record<string, unknown>;
  const bypass = n.bypass ?? 'AzureServices';
  const defaultAction = n.defaultAction ?? 'Allow';
  if (bypass !== 'AzureServices' && bypass !== 'None') throw bad(`Invalid value found at properties.networkAcls.bypass: '${shown(bypass)}'. Allowed values are AzureServices, None.`);
  if (defaultAction !== 'Allow' && defaultAction !== 'Deny') throw bad(`Invalid value found at properties.networkAcls.defaultAction: '${shown(defaultAction)}'. Allowed values are Allow, Deny.`);
  const ipRules = (n.ipRules ?? []) as unknown;
  if (!Array.isArray(ipRules)) throw bad('Invalid value found at properties.networkAcls.ipRules: it must be an array.');
  const rules = ipRules.map((r, i) => {
    const v = (r as { value?: unknown })?.value;
    if (typeof v !== 'string' || !validIpRule(v)) throw bad(`Invalid value found at properties.networkAcls.ipRules[${i}].value: '${shown(v)}' is not a valid IP address or CIDR range.`);
    return { value: v };
  });
  const vnets = (n.virtualNetworkRules ?? []) as unknown;
  if (!Array.isArray(vnets)) throw bad('Invalid value found at properties.networkAcls.virtualNetworkRules: it must be an array.');
  const vnetRules = vnets.map((r, i) => {
    const id = (r as { id?: unknown })?.id;
    if (typeof id !== 'string' || !id.startsWith('/subscriptions/')) throw bad(`Invalid value found at properties.networkAcls.virtualNetworkRules[${i}].id.`);
    return { id, ...((r as { ignoreMissingVnetServiceEndpoint?: boolean }).ignoreMissingVnetServiceEndpoint !== undefined ? { ignoreMissingVnetServiceEndpoint: Boolean((r as { ignoreMissingVnetServiceEndpoint?: boolean }).ignoreMissingVnetServiceEndpoint) } : {}) };
  });
  return { bypass, defaultAction, ipRules: rules, virtualNetworkRules: vnetRules };
}

function bool(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw bad(`Invalid value found at properties.${name}: '${shown(value)}' is not a boolean.`);
  return value;
}

/**
 * The properties of a vault after a PUT (create when `current` is undefined) or a PATCH (`patch`: absent fields
 * keep their current values). Throws ArmError 400 for invalid input; nothing is written by this function.
 */
export function mergeVaultProperties(name: string, input: Record<string, unknown>, current: VaultProperties | undefined, mode: 'put' | 'patch'): VaultProperties {
  const keep = mode === 'patch' && current !== undefined;
  const pick = <T>(field: string, parse: (v: unknown) => T, fallback: T): T => (input[field] === undefined && keep ? (current as unknown as Record<string, T>)[field]! : input[field] === undefined ? fallback : parse(input[field]));

  let tenantId = current?.tenantId;
  if (input.tenantId !== undefined) {
    if (!isGuid(input.tenantId)) throw bad(`Invalid value found at properties.tenantId: '${shown(input.tenantId)}' is not a GUID.`);
    tenantId = input.tenantId.toLowerCase();
  }
  if (!tenantId) throw bad("The parameter 'properties.tenantId' is required.");

  let sku = current?.sku;
  if (input.sku !== undefined) {
    const s = input.sku as { family?: unknown; name?: unknown } | null;
    const skuName = typeof s?.name === 'string' ? s.name.toLowerCase() : undefined;
    if (!s || (s.family !== undefined && s.family !== 'A') || (skuName !== 'standard' && skuName !== 'premium')) {
      throw bad(`Invalid value found at properties.sku: ${JSON.stringify(input.sku)}. The SKU family must be 'A' and its name 'standard' or 'premium'.`);
    }
    sku = { family: 'A', name: skuName };
  }
  if (!sku) throw bad("The parameter 'properties.sku' is required.");

  const enableSoftDelete = bool(input.enableSoftDelete, 'enableSoftDelete', true);
  if (!enableSoftDelete) {
    throw bad("The property \"enableSoftDelete\" has been set to false. Enabling the 'soft delete' functionality is mandatory for all key vaults. To learn more about it please refer https://aka.ms/softdeletechange.");
  }
  let retention = current?.softDeleteRetentionInDays ?? 90;
  if (input.softDeleteRetentionInDays !== undefined) {
    const r = input.softDeleteRetentionInDays;
    if (typeof r !== 'number' || !Number.isInteger(r) || r < 7 || r > 90) {
      throw bad(`Invalid value found at properties.softDeleteRetentionInDays: '${shown(r)}'. The retention period must be an integer from 7 to 90 days.`);
    }
    if (current && r !== current.softDeleteRetentionInDays) {
      throw bad(`The property "softDeleteRetentionInDays" of vault '${name}' cannot be changed once the vault has been created (it is ${current.softDeleteRetentionInDays}).`);
    }
    retention = r;
  }
  let purgeProtection = current?.enablePurgeProtection;
  if (input.enablePurgeProtection !== undefined && input.enablePurgeProtection !== null) {
    const p = bool(input.enablePurgeProtection, 'enablePurgeProtection', false);
    if (!p) {
      throw bad('The property "enablePurgeProtection" cannot be set to false. Enabling the purge protection for a vault is an irreversible action.');
    }
    purgeProtection = true;
  }
  const pna = input.publicNetworkAccess;
  if (pna !== undefined && pna !== null && pna !== 'Enabled' && pna !== 'Disabled') {
    throw bad(`Invalid value found at properties.publicNetworkAccess: '${shown(pna)}'. Allowed values are Enabled, Disabled.`);
  }
  const networkAcls = input.networkAcls === undefined && keep ? current!.networkAcls : parseNetworkAcls(input.networkAcls);
  const accessPolicies = input.accessPolicies === undefined && current ? current.accessPolicies : parseAccessPolicies(input.accessPolicies);

  return {
    tenantId,
    sku,
    accessPolicies,
    vaultUri: vaultUri(name),
    enabledForDeployment: pick('enabledForDeployment', (v) => bool(v, 'enabledForDeployment', false), current?.enabledForDeployment ?? false),
    enabledForDiskEncryption: pick('enabledForDiskEncryption', (v) => bool(v, 'enabledForDiskEncryption', false), current?.enabledForDiskEncryption ?? false),
    enabledForTemplateDeployment: pick('enabledForTemplateDeployment', (v) => bool(v, 'enabledForTemplateDeployment', false), current?.enabledForTemplateDeployment ?? false),
    enableSoftDelete: true,
    softDeleteRetentionInDays: retention,
    enableRbacAuthorization: pick('enableRbacAuthorization', (v) => bool(v, 'enableRbacAuthorization', false), current?.enableRbacAuthorization ?? false),
    ...(purgeProtection ? { enablePurgeProtection: true } : {}),
    ...(networkAcls ? { networkAcls } : {}),
    publicNetworkAccess: (pna as 'Enabled' | 'Disabled' | undefined) ?? (keep || (current && pna === undefined) ? current!.publicNetworkAccess : 'Enabled'),
    ...(current?.privateEndpointConnections?.length ? { privateEndpointConnections: current.privateEndpointConnections } : {}),
    provisioningState: 'Succeeded',
  };
}

/** Applies an accessPolicies add/replace/remove (what `PUT .../accessPolicies/{kind}` does). */
export function applyAccessPolicyChange(current: AccessPolicyEntry[], kind: 'add' | 'replace' | 'remove', changes: AccessPolicyEntry[]): AccessPolicyEntry[] {
  const same = (a: AccessPolicyEntry, b: AccessPolicyEntry) =>
    a.objectId.toLowerCase() === b.objectId.toLowerCase() && (a.applicationId ?? '').toLowerCase() === (b.applicationId ?? '').toLowerCase() && a.tenantId.toLowerCase() === b.tenantId.toLowerCase();
  let next = current.map((e) => ({ ...e, permissions: { ...e.permissions } }));
  for (const change of changes) {
    const existing = next.find((e) => same(e, change));
    if (kind === 'remove') {
      if (!existing) continue;
      for (const kindName of ['keys', 'secrets', 'certificates', 'storage'] as const) {
        const removeList = (change.permissions[kindName] ?? []).map((p) => p.toLowerCase());
        if (existing.permissions[kindName]) existing.permissions[kindName] = existing.permissions[kindName]!.filter((p) => !removeList.includes(p.toLowerCase()));
      }
      const empty = Object.values(existing.permissions).every((l) => !l || l.length === 0);
      if (empty) next = next.filter((e) => e !== existing);
    } else if (existing) {
      for (const kindName of ['keys', 'secrets', 'certificates', 'storage'] as const) {
        const given = change.permissions[kindName];
        if (given === undefined) continue;
        existing.permissions[kindName] = kind === 'replace' ? [...given] : [...new Set([...(existing.permissions[kindName] ?? []), ...given])];
      }
    } else {
      next.push({ ...change, permissions: { ...change.permissions } });
    }
  }
  return next;
}

/** Key Vault's recovery level for a vault's objects (shown in key attributes). */
export function recoveryLevel(p: Pick<VaultProperties, 'enablePurgeProtection' | 'softDeleteRetentionInDays'>): string {
  const customized = p.softDeleteRetentionInDays < 90 ? 'Customized' : '';
  return p.enablePurgeProtection ? `${customized}Recoverable` : `${customized}Recoverable+Purgeable`;
}
