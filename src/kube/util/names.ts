/** Random name suffixes as Kubernetes generates them (generateName, ReplicaSet and DaemonSet pod names). */
import { randomInt } from 'node:crypto';

/** The alphabet of apimachinery's rand.String: no vowels, no easily confused characters. */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHANUMS[randomInt(ALPHANUMS.length)];
  return s;
}

/** metadata.generateName + 5 random characters, the name length capped as SimpleNameGenerator does. */
export function generateName(prefix: string): string {
  const max = 63 - 5;
  return `${prefix.length > max ? prefix.slice(0, max) : prefix}${randomSuffix(5)}`;
}
