/** The shape of a managed cluster (SPEC C-1): names, DNS prefix, identity, pools, and what cannot change. */
import { ArmError } from '../../../arm/errors.js';
import { shown } from '../../../util/shown.js';
import type { ClusterRule } from './types.js';

export const clusterNameRule: ClusterRule = ({ phase, cluster }) => {
  if (phase !== 'create') return;
  if (!/^[a-zA-Z0-9]$|^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]$/.test(cluster.name)) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `The managed cluster name '${cluster.name}' is invalid: use 1-63 letters, digits, '-' and '_', starting and ending with a letter or digit.`,
      'name',
    );
  }
};

export const dnsPrefixRule: ClusterRule = ({ properties, previousProperties }) => {
  const p = properties.dnsPrefix;
  if (p !== undefined && (typeof p !== 'string' || !/^[a-zA-Z0-9]$|^[a-zA-Z0-9][-a-zA-Z0-9]{0,52}[a-zA-Z0-9]$/.test(p))) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `The value of parameter properties.dnsPrefix is invalid: '${shown(p)}'. Use 1-54 letters, digits and '-', starting and ending with a letter or digit.`,
      'properties.dnsPrefix',
    );
  }
  if (previousProperties && typeof p === 'string' && p.toLowerCase() !== String(previousProperties.dnsPrefix).toLowerCase()) {
    throw new ArmError(400, 'PropertyChangeNotAllowed', `Changing property 'dnsPrefix' is not allowed.`, 'properties.dnsPrefix');
  }
};

export const identityRule: ClusterRule = ({ identity }) => {
  if (!identity) return;
  const type = shown(identity.type ?? '');
  if (!['SystemAssigned', 'UserAssigned', 'None'].includes(type)) {
    throw new ArmError(400, 'InvalidParameter', `The value '${type}' of parameter identity.type is invalid. Allowed values: SystemAssigned, UserAssigned.`, 'identity.type');
  }
  if (type === 'UserAssigned') {
    const ids = Object.keys((identity.userAssignedIdentities ?? {}) as Record<string, unknown>);
    if (ids.length !== 1) {
      throw new ArmError(400, 'InvalidParameter', `A managed cluster with identity type UserAssigned needs exactly one user-assigned identity, not ${ids.length}.`, 'identity.userAssignedIdentities');
    }
  }
};

export const poolsRule: ClusterRule = ({ pools, phase }) => {
  if (phase === 'create' && pools.length === 0) {
    throw new ArmError(400, 'InvalidParameter', 'A managed cluster needs at least one agent pool in properties.agentPoolProfiles.', 'properties.agentPoolProfiles');
  }
  const seen = new Set<string>();
  for (const p of pools) {
    if (seen.has(p.name)) throw new ArmError(400, 'InvalidParameter', `Agent pool name '${p.name}' is used twice: node pool names must be unique in a cluster.`, 'properties.agentPoolProfiles');
    seen.add(p.name);
  }
  if (pools.length > 100) throw new ArmError(400, 'InvalidParameter', `A managed cluster can have at most 100 node pools, not ${pools.length}.`, 'properties.agentPoolProfiles');
  if (!pools.some((p) => p.mode === 'System')) {
    throw new ArmError(400, 'MustDefineAtLeastOneSystemPool', 'Must define at least one system pool: set mode System on a Linux node pool.', 'properties.agentPoolProfiles');
  }
};
