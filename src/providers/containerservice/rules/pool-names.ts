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

/**
 * SPEC C-2, on every PUT: the name in the request (the URL's or the profile's) must be valid, also when it names an
 * existing pool in another casing (`agentPools/FIPSNP` for `fipsnp`): ARM ids are case-insensitive, AKS's pool names
 * are not, so such a request is refused instead of updating `fipsnp`.
 */
export const poolNameRule: PoolRule = ({ pool }) => {
  const problem = poolNameProblem(pool.name, pool.osType);
  if (problem) throw new ArmError(400, 'InvalidParameter', problem, 'agentPoolProfile.name');
};
