/**
 * A pool's upgradeSettings.maxSurge and maxUnavailable (SPEC C-16): each an integer ("5") or a percentage of the
 * pool up to 100% ("33%"), and, as AKS documents for AgentPoolUpgradeSettings, one of them greater than 0: a rollout
 * with no surge node and no node allowed to be unavailable could never rebuild a node. nodeSoakDurationInMinutes is
 * a whole number of minutes from 0 to 30, as AKS documents it; undrainableNodeBehavior is one of the API's values,
 * Cordon or Schedule (SPEC W-14).
 */
import { ArmError } from '../../../arm/errors.js';
import type { PoolRule } from './types.js';

const FORMAT = /^(\d+)(%?)$/;
const UNDRAINABLE = new Set(['cordon', 'schedule']);

export const upgradeSettingsRule: PoolRule = ({ pool }) => {
  const settings = (pool.raw.upgradeSettings ?? {}) as Record<string, unknown>;
  const zero: Record<string, boolean> = {};
  for (const field of ['maxSurge', 'maxUnavailable']) {
    const value = settings[field];
    if (value === undefined || value === null || value === '') {
      zero[field] = field === 'maxUnavailable';
      continue;
    }
    const m = typeof value === 'string' ? FORMAT.exec(value) : null;
    if (!m || (m[2] && Number(m[1]) > 100)) {
      throw new ArmError(
        400,
        'InvalidParameter',
        `The value of parameter agentPoolProfile.upgradeSettings.${field} is invalid: ${JSON.stringify(value)}. Use a whole number of nodes such as "5" or a percentage of the pool up to 100% such as "33%".`,
        `agentPoolProfile.upgradeSettings.${field}`,
      );
    }
    zero[field] = Number(m[1]) === 0;
  }
  const soak = settings.nodeSoakDurationInMinutes;
  if (soak !== undefined && soak !== null && !(typeof soak === 'number' && Number.isInteger(soak) && soak >= 0 && soak <= 30)) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `The value of parameter agentPoolProfile.upgradeSettings.nodeSoakDurationInMinutes is invalid: ${JSON.stringify(soak)}. Use a whole number of minutes from 0 to 30.`,
      'agentPoolProfile.upgradeSettings.nodeSoakDurationInMinutes',
    );
  }
  const undrainable = settings.undrainableNodeBehavior;
  if (undrainable !== undefined && undrainable !== null && !(typeof undrainable === 'string' && UNDRAINABLE.has(undrainable.toLowerCase()))) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `The value of parameter agentPoolProfile.upgradeSettings.undrainableNodeBehavior is invalid: ${JSON.stringify(undrainable)}. The allowed values are Cordon and Schedule.`,
      'agentPoolProfile.upgradeSettings.undrainableNodeBehavior',
    );
  }
  if (zero.maxSurge && zero.maxUnavailable) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `Node pool '${pool.name}' sets upgradeSettings.maxSurge to ${JSON.stringify(settings.maxSurge)} without a maxUnavailable above 0: one of maxSurge and maxUnavailable must be greater than 0, or no node could ever be upgraded.`,
      'agentPoolProfile.upgradeSettings.maxSurge',
    );
  }
};
