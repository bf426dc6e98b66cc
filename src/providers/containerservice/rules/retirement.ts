/**
 * SPEC C-7: OS retirement by date (the emulator's clock): Ubuntu 18.04 from 2025-06-17, Ubuntu 20.04 from
 * 2027-03-17, Azure Linux 2.0 images removed from 2026-03-31. A retired OS's images are gone: pools cannot be
 * created on it and its pools cannot scale; upgrading to a Kubernetes version whose image is supported is the way
 * out. The dates are data in fleet/catalog/os-versions.ts.
 */
import { ArmError } from '../../../arm/errors.js';
import { retirementAt, type OsVersion } from '../../../fleet/catalog/os-versions.js';
import type { PoolRule } from './types.js';

function retired(os: OsVersion, what: string): ArmError {
  const r = os.retirement!;
  return new ArmError(
    400,
    'OSVersionRetired',
    `${os.displayName} is retired since ${r.removedFrom}: its node images were removed and ${what}. To move to a supported OS version, ${r.migrate}.`,
    'agentPoolProfile.osSKU',
  );
}

export const retirementRule: PoolRule = ({ phase, pool, plan, previous, now }) => {
  const os = plan.os;
  if (phase === 'create') {
    if (os && retirementAt(os, now) === 'removed') throw retired(os, `node pools using it cannot be created (node pool '${pool.name}')`);
    return;
  }
  if (!previous) return;
  const scaling = pool.count !== previous.pool.count;
  const newImage = os && previous.plan.os && (os.id !== previous.plan.os.id || plan.trustedLaunch !== previous.plan.trustedLaunch || pool.enableFIPS !== previous.pool.enableFIPS);
  if (newImage && retirementAt(os!, now) === 'removed') throw retired(os!, `node pool '${pool.name}' cannot move to it`);
  const current = previous.plan.os;
  if (scaling && current && retirementAt(current, now) === 'removed' && (!os || os.id === current.id)) {
    throw retired(current, `node pool '${pool.name}' cannot scale (count ${previous.pool.count} → ${pool.count})`);
  }
};
