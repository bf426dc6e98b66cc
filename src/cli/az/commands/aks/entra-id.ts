/**
 * `az aks create|update` options of AKS-managed Microsoft Entra integration and Azure RBAC for Kubernetes
 * authorization (SPEC Z-3): the flags, az's own checks, and the `aadProfile` they produce.
 */
import { ValidationError } from '../../framework/errors.js';
import type { ArgSpec } from '../../framework/spec.js';

const groupsArg: ArgSpec = {
  dest: 'aadAdminGroupObjectIds',
  options: ['--aad-admin-group-object-ids'],
  help: 'Comma-separated list of aad group object IDs that will be set as cluster admin.',
};
const tenantArg: ArgSpec = { dest: 'aadTenantId', options: ['--aad-tenant-id'], help: 'The ID of an Azure Active Directory tenant.' };

export const entraCreateArgs: ArgSpec[] = [
  { dest: 'enableAad', options: ['--enable-aad'], kind: 'flag', help: 'Enable managed AAD feature for cluster.' },
  { dest: 'enableAzureRbac', options: ['--enable-azure-rbac'], kind: 'flag', help: 'Enable Azure RBAC to control authorization checks on cluster.' },
  groupsArg,
  tenantArg,
];

export const entraUpdateArgs: ArgSpec[] = [
  ...entraCreateArgs,
  { dest: 'disableAzureRbac', options: ['--disable-azure-rbac'], kind: 'flag', help: 'Disable Azure RBAC to control authorization checks on cluster.' },
];

/** The update flags of this group (an update with any of them is not a bare re-apply). */
export const ENTRA_UPDATE_FLAGS = ['enableAad', 'enableAzureRbac', 'disableAzureRbac', 'aadAdminGroupObjectIds', 'aadTenantId'];

interface EntraArgs {
  enableAad?: boolean;
  enableAzureRbac?: boolean;
  disableAzureRbac?: boolean;
  aadAdminGroupObjectIds?: string;
  aadTenantId?: string;
}

const groups = (v: string | undefined) => (v === undefined ? undefined : v.split(',').map((g) => g.trim()).filter((g) => g !== ''));

export function aadProfileForCreate(a: EntraArgs): Record<string, unknown> | undefined {
  if (!a.enableAad) {
    if (a.enableAzureRbac) throw new ValidationError('--enable-azure-rbac can only be used together with --enable-aad');
    if (a.aadAdminGroupObjectIds !== undefined || a.aadTenantId !== undefined) throw new ValidationError('"--aad-admin-group-object-ids" or "--aad-tenant-id" can only be used together with "--enable-aad"');
    return undefined;
  }
  const g = groups(a.aadAdminGroupObjectIds);
  return { managed: true, enableAzureRBAC: Boolean(a.enableAzureRbac), ...(g ? { adminGroupObjectIDs: g } : {}), ...(a.aadTenantId ? { tenantID: a.aadTenantId } : {}) };
}

/** The cluster's next `aadProfile` from its current one and the flags; undefined when the flags leave it alone. */
export function aadProfileForUpdate(current: Record<string, unknown> | undefined, a: EntraArgs): Record<string, unknown> | undefined {
  const managed = current?.managed === true;
  if (a.enableAzureRbac && a.disableAzureRbac) throw new ValidationError('Cannot specify "--enable-azure-rbac" and "--disable-azure-rbac" at the same time');
  if (a.enableAad && managed) throw new ValidationError('Cannot specify "--enable-aad" if managed AAD is already enabled');
  if (!a.enableAad && !managed && (a.enableAzureRbac || a.disableAzureRbac || a.aadAdminGroupObjectIds !== undefined || a.aadTenantId !== undefined)) {
    throw new ValidationError('Cannot specify "--enable-azure-rbac", "--disable-azure-rbac", "--aad-admin-group-object-ids" or "--aad-tenant-id" if managed AAD is not enabled');
  }
  if (!a.enableAad && !managed) return undefined;
  const next: Record<string, unknown> = { ...(current ?? {}), managed: true };
  if (a.enableAzureRbac) next.enableAzureRBAC = true;
  if (a.disableAzureRbac) next.enableAzureRBAC = false;
  if (next.enableAzureRBAC === undefined) next.enableAzureRBAC = false;
  const g = groups(a.aadAdminGroupObjectIds);
  if (g) next.adminGroupObjectIDs = g;
  if (a.aadTenantId) next.tenantID = a.aadTenantId;
  return next;
}
