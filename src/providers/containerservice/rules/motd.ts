/** SPEC C-6: `messageOfTheDay` (base64) replaces the MOTD of Linux nodes; refused for Windows pools. */
import { ArmError } from '../../../arm/errors.js';
import type { PoolRule } from './types.js';

const T = 'agentPoolProfile.messageOfTheDay';

export const motdRule: PoolRule = ({ phase, pool, previous }) => {
  const motd = pool.messageOfTheDay;
  if (motd === undefined) return;
  if (pool.osType === 'Windows') {
    throw new ArmError(
      400,
      'MessageOfTheDayNotSupportedForWindows',
      `messageOfTheDay is supported only on Linux node pools; node pool '${pool.name}' is a Windows pool. Remove --message-of-the-day for Windows pools.`,
      T,
    );
  }
  const normalized = motd.replace(/\s+/g, '');
  if (normalized.length === 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(normalized) || normalized.length % 4 !== 0) {
    throw new ArmError(400, 'InvalidParameter', `The value of parameter agentPoolProfile.messageOfTheDay must be the base64 encoding of the message (az aks ... --message-of-the-day FILE does this).`, T);
  }
  if (phase === 'update' && previous && (previous.pool.messageOfTheDay ?? '') !== motd) {
    throw new ArmError(400, 'PropertyChangeNotAllowed', `Changing property 'messageOfTheDay' is not allowed: it is set when node pool '${pool.name}' is created. Add a new node pool with the new message.`, T);
  }
};
