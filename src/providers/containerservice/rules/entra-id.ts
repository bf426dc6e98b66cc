/**
 * SPEC Z-2, Z-3: Microsoft Entra ID integration (`aadProfile`) and local accounts, as AKS validates them.
 *
 * - Only AKS-managed integration exists (`managed: true`); the legacy one (client and server applications of your
 *   own) was retired, so a profile without `managed` is refused.
 * - `enableAzureRBAC` (Azure RBAC for Kubernetes authorization) needs the managed integration.
 * - `disableLocalAccounts` needs the integration: without it nobody could sign in to the cluster.
 * - Once on, the integration cannot be turned off.
 */
import { ArmError } from '../../../arm/errors.js';
import type { ClusterRule } from './types.js';

interface AadProfile {
  managed?: unknown;
  enableAzureRBAC?: unknown;
  adminGroupObjectIDs?: unknown;
  tenantID?: unknown;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function profileOf(props: Record<string, unknown> | undefined): AadProfile | undefined {
  const p = props?.aadProfile;
  if (p === undefined || p === null) return undefined;
  if (typeof p !== 'object' || Array.isArray(p)) throw new ArmError(400, 'InvalidParameter', 'The value of parameter aadProfile must be an object.', 'properties.aadProfile');
  return p as AadProfile;
}

export const entraIdRule: ClusterRule = ({ phase, properties, previousProperties }) => {
  const aad = profileOf(properties);
  const managed = aad?.managed === true;
  if (aad && !managed) {
    throw new ArmError(
      400,
      'BadRequest',
      'Legacy Azure AD integration (aadProfile without managed: true) is retired: use AKS-managed Microsoft Entra integration (az aks create/update --enable-aad).',
      'properties.aadProfile.managed',
    );
  }
  if (aad) {
    for (const [name, v] of [['enableAzureRBAC', aad.enableAzureRBAC]] as const) {
      if (v !== undefined && typeof v !== 'boolean') throw new ArmError(400, 'InvalidParameter', `The value of parameter aadProfile.${name} must be true or false.`, `properties.aadProfile.${name}`);
    }
    const groups = aad.adminGroupObjectIDs;
    if (groups !== undefined && (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string' || !GUID.test(g)))) {
      throw new ArmError(400, 'InvalidParameter', 'The value of parameter aadProfile.adminGroupObjectIDs must be a list of group object ids (GUIDs).', 'properties.aadProfile.adminGroupObjectIDs');
    }
    if (aad.tenantID !== undefined && (typeof aad.tenantID !== 'string' || !GUID.test(aad.tenantID))) {
      throw new ArmError(400, 'InvalidParameter', 'The value of parameter aadProfile.tenantID must be a tenant id (a GUID).', 'properties.aadProfile.tenantID');
    }
  }
  if (properties.disableLocalAccounts === true && !managed) {
    throw new ArmError(
      400,
      'BadRequest',
      'Since kubernetes version 1.25, disableLocalAccounts can only be set on Azure AD integration enabled cluster. Please integrate your cluster with AAD.',
      'properties.disableLocalAccounts',
    );
  }
  if (phase === 'update' && profileOf(previousProperties)?.managed === true && !managed) {
    throw new ArmError(400, 'BadRequest', 'AKS-managed Microsoft Entra integration cannot be disabled once it is enabled.', 'properties.aadProfile');
  }
};
