/** SPEC C-2: node pool names — lowercase letters and digits, starting with a letter; Linux 1–11, Windows 1–6. */
import { ArmError } from '../../../arm/errors.js';
import type { PoolRule } from './types.js';

export const POOL_NAME_LIMITS = { Linux: 11, Windows: 6 } as const;

export function poolNameProblem(name: string, osType: 'Linux' | 'Windows'): string | undefined {
  const max = POOL_NAME_LIMITS[osType];
  if (!/^[a-z][a-z0-9]*$/.test(name) || name.length > max) {
    return `The value of parameter agentPoolProfile.name is invalid: '${name}'. ${osType} node pool names must be 1-${max} characters of lowercase letters and digits, starting with a letter. Please see https://aka.ms/aks-naming-rules for more details.`;
  }
  return undefined;
}

// SPEC C-2
export const poolNameRule: PoolRule = ({ phase, pool }) => {
  if (phase !== 'create') return;
  const problem = poolNameProblem(pool.name, pool.osType);
  if (problem) throw new ArmError(400, 'InvalidParameter', problem, 'agentPoolProfile.name');
};
