/**
 * Per-request authorization on the data plane (SPEC V-4, K-5, K-6), as pure functions over the vault:
 *
 * 1. network: `publicNetworkAccess: Disabled` admits only requests that came through one of the vault's private
 *    endpoints (403 ForbiddenByConnection); `networkAcls.defaultAction: Deny` admits private-endpoint requests and
 *    callers whose socket address matches an ipRule (403 ForbiddenByFirewall). The address is the TCP peer of the
 *    connection (never a header).
 * 2. permission: access-policy vaults look for a policy of the caller's object id (and, when the policy names one,
 *    application id) in the vault's tenant granting the key permission (403 ForbiddenByPolicy); RBAC vaults look
 *    for a role assignment granting the data action on the key's scope, inherited from the vault, resource group
 *    and subscription (403 ForbiddenByRbac).
 */
import { BlockList, isIP } from 'node:net';
import type { Caller } from '../identity/authenticate.js';
import type { VaultResource } from './vault-model.js';
import { KvError } from './errors.js';

export interface KeyOperationSpec {
  /** Key Vault's audit operation name (KeyDecrypt...). */
  name: string;
  /** The access policy key permission. */
  permission: string;
  /** The RBAC data action. */
  dataAction: string;
}

const A = 'Microsoft.KeyVault/vaults/';
export const OPERATIONS = {
  create: { name: 'KeyCreate', permission: 'create', dataAction: `${A}keys/create/action` },
  import: { name: 'KeyImport', permission: 'import', dataAction: `${A}keys/import/action` },
  get: { name: 'KeyGet', permission: 'get', dataAction: `${A}keys/read` },
  list: { name: 'KeyList', permission: 'list', dataAction: `${A}keys/read` },
  listVersions: { name: 'KeyListVersions', permission: 'list', dataAction: `${A}keys/read` },
  update: { name: 'KeyUpdate', permission: 'update', dataAction: `${A}keys/update/action` },
  delete: { name: 'KeyDelete', permission: 'delete', dataAction: `${A}keys/delete` },
  getDeleted: { name: 'KeyGetDeleted', permission: 'get', dataAction: `${A}keys/read` },
  listDeleted: { name: 'KeyListDeleted', permission: 'list', dataAction: `${A}keys/read` },
  recover: { name: 'KeyRecover', permission: 'recover', dataAction: `${A}keys/recover/action` },
  purge: { name: 'KeyPurge', permission: 'purge', dataAction: `${A}keys/purge/action` },
  backup: { name: 'KeyBackup', permission: 'backup', dataAction: `${A}keys/backup/action` },
  restore: { name: 'KeyRestore', permission: 'restore', dataAction: `${A}keys/restore/action` },
  rotate: { name: 'KeyRotate', permission: 'rotate', dataAction: `${A}keys/rotate/action` },
  getRotationPolicy: { name: 'KeyRotationPolicyGet', permission: 'getrotationpolicy', dataAction: `${A}keyrotationpolicies/read` },
  setRotationPolicy: { name: 'KeyRotationPolicySet', permission: 'setrotationpolicy', dataAction: `${A}keyrotationpolicies/write` },
  encrypt: { name: 'KeyEncrypt', permission: 'encrypt', dataAction: `${A}keys/encrypt/action` },
  decrypt: { name: 'KeyDecrypt', permission: 'decrypt', dataAction: `${A}keys/decrypt/action` },
  wrapkey: { name: 'KeyWrap', permission: 'wrapKey', dataAction: `${A}keys/wrap/action` },
  unwrapkey: { name: 'KeyUnwrap', permission: 'unwrapKey', dataAction: `${A}keys/unwrap/action` },
  sign: { name: 'KeySign', permission: 'sign', dataAction: `${A}keys/sign/action` },
  verify: { name: 'KeyVerify', permission: 'verify', dataAction: `${A}keys/verify/action` },
} satisfies Record<string, KeyOperationSpec>;

export type OperationId = keyof typeof OPERATIONS;

export function callerText(c: Caller): string {
  return `appid=${c.appId};oid=${c.objectId};iss=https://sts.windows.net/${c.tenantId}/`;
}

function vaultText(v: VaultResource): string {
  return `${v.name.toLowerCase()};location=${v.location}`;
}

/** The caller's IP as Key Vault would see it (IPv4-mapped IPv6 unwrapped). */
export function clientAddress(remote: string | undefined): string {
  if (!remote) return '';
  return remote.startsWith('::ffff:') && isIP(remote.slice(7)) === 4 ? remote.slice(7) : remote;
}

export function ipAllowed(address: string, rules: Array<{ value: string }>): boolean {
  const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  if (!isIP(address)) return false;
  const list = new BlockList();
  for (const r of rules) {
    const [net, bits] = r.value.split('/');
    const t = isIP(net!) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(net!, t);
    else list.addSubnet(net!, Number(bits), t);
  }
  return list.check(address, type);
}

/** Throws 403 ForbiddenByConnection / ForbiddenByFirewall unless the network path is allowed (SPEC K-6). */
export function checkNetwork(vault: VaultResource, caller: Caller, address: string, viaPrivateEndpointOfThisVault: boolean): void {
  if (viaPrivateEndpointOfThisVault) return;
  const p = vault.properties;
  if (p.publicNetworkAccess === 'Disabled') {
    throw new KvError(
      403,
      'Forbidden',
      `Public network access is disabled and request is not from a trusted service nor via an approved private link.\r\nCaller: ${callerText(caller)}\r\nVault: ${vaultText(vault)}`,
      'ForbiddenByConnection',
    );
  }
  if (p.networkAcls?.defaultAction === 'Deny' && !ipAllowed(address, p.networkAcls.ipRules)) {
    throw new KvError(
      403,
      'Forbidden',
      `Client address is not authorized and caller is not a trusted service.\r\nClient address: ${address}\r\nCaller: ${callerText(caller)}\r\nVault: ${vaultText(vault)}`,
      'ForbiddenByFirewall',
    );
  }
}

/** Whether an access policy of the vault grants `permission` to the caller (SPEC V-4, K-5). */
export function accessPolicyAllows(vault: VaultResource, caller: Caller, permission: string): boolean {
  const wanted = permission.toLowerCase();
  return vault.properties.accessPolicies.some(
    (p) =>
      p.objectId.toLowerCase() === caller.objectId.toLowerCase() &&
      p.tenantId.toLowerCase() === caller.tenantId.toLowerCase() &&
      (!p.applicationId || p.applicationId.toLowerCase() === caller.appId.toLowerCase()) &&
      (p.permissions.keys ?? []).some((k) => k.toLowerCase() === wanted || k.toLowerCase() === 'all'),
  );
}

export function forbiddenByPolicy(vault: VaultResource, caller: Caller, permission: string): KvError {
  return new KvError(
    403,
    'Forbidden',
    `The user, group or application '${callerText(caller)}' does not have keys ${permission} permission on key vault '${vaultText(vault)}'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`,
    'ForbiddenByPolicy',
  );
}

export function forbiddenByRbac(vault: VaultResource, caller: Caller, action: string, resource: string): KvError {
  return new KvError(
    403,
    'Forbidden',
    `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: ${callerText(caller)}\r\nAction: '${action}'\r\nResource: '${resource.toLowerCase()}'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: null \r\nVault: ${vaultText(vault)}\r\n`,
    'ForbiddenByRbac',
  );
}
