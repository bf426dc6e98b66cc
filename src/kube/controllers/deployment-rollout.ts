/**
 * The Deployment controller's arithmetic (SPEC W-6), pure functions: the pod-template hash that names a
 * Deployment's ReplicaSets, the template comparison that finds its new ReplicaSet, maxSurge/maxUnavailable
 * resolved against the replica count, and the RollingUpdate steps (how far the new ReplicaSet may scale up, how
 * far the old ones may scale down) as upstream's rolling.go computes them.
 */
import { createHash } from 'node:crypto';
import type { Deployment, PodTemplateSpec, ReplicaSet } from '../api/machinery/types.js';
import { clone, deepEqual } from '../util/deep.js';

export const REVISION = 'deployment.kubernetes.io/revision';
export const HASH_LABEL = 'pod-template-hash';
/** The alphabet of rand.SafeEncodeString: no vowels, no look-alike digits. */
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/** A short stable hash of a template (and the collision count), in the alphabet upstream's names use. */
export function templateHash(t: PodTemplateSpec | undefined, collisionCount = 0): string {
  const digest = createHash('sha256').update(JSON.stringify(t ?? {})).update(String(collisionCount)).digest();
  let out = '';
  for (let i = 0; i < 10; i++) out += SAFE[digest[i]! % SAFE.length];
  return out;
}

function withoutHash(t: PodTemplateSpec | undefined): PodTemplateSpec {
  const c = clone(t ?? {});
  if (c.metadata?.labels) {
    delete c.metadata.labels[HASH_LABEL];
    if (Object.keys(c.metadata.labels).length === 0) delete c.metadata.labels;
  }
  return c;
}

/** EqualIgnoreHash: the same template but for the pod-template-hash label. */
export function sameTemplate(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return deepEqual(withoutHash(a), withoutHash(b));
}

/**
 * A ReplicaSet's revision annotation: an int64 upstream, so a BigInt here (a revision beyond 2^53 stays exact, and
 * the next one is one more); 0 when absent or not a number.
 */
export function revisionOf(rs: ReplicaSet): bigint {
  const v = rs.metadata.annotations?.[REVISION] ?? '0';
  return /^-?\d{1,19}$/.test(v) ? BigInt(v) : 0n;
}

/** Orders ReplicaSets by revision, oldest first. */
export function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  const ra = revisionOf(a);
  const rb = revisionOf(b);
  return ra < rb ? -1 : ra > rb ? 1 : 0;
}

/** An int-or-percent value against a total: percentages round up for maxSurge, down for maxUnavailable. */
function scaled(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const pct = Number(v.replace('%', ''));
  const exact = (pct * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** ResolveFenceposts: maxSurge and maxUnavailable as counts, never both 0. */
export function fenceposts(d: Deployment): { maxSurge: number; maxUnavailable: number } {
  const replicas = d.spec?.replicas ?? 1;
  const ru = d.spec?.strategy?.rollingUpdate;
  const maxSurge = scaled(ru?.maxSurge as number | string | undefined, replicas, true);
  let maxUnavailable = scaled(ru?.maxUnavailable as number | string | undefined, replicas, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

const specReplicas = (rs: ReplicaSet) => rs.spec?.replicas ?? 0;
const availableOf = (rs: ReplicaSet) => rs.status?.availableReplicas ?? 0;

/** The new ReplicaSet's replicas after one RollingUpdate step up (reconcileNewReplicaSet / NewRSNewReplicas). */
export function rollingNewReplicas(d: Deployment, newRS: ReplicaSet, all: ReplicaSet[]): number {
  const replicas = d.spec?.replicas ?? 1;
  if (specReplicas(newRS) >= replicas) return replicas;
  const { maxSurge } = fenceposts(d);
  const current = all.reduce((n, rs) => n + specReplicas(rs), 0);
  const room = replicas + maxSurge - current;
  if (room <= 0) return specReplicas(newRS);
  return specReplicas(newRS) + Math.min(room, replicas - specReplicas(newRS));
}

/**
 * The old ReplicaSets' replicas after one RollingUpdate step down (reconcileOldReplicaSets): unavailable old pods
 * go first, then available ones, oldest ReplicaSet first, never below minAvailable = replicas - maxUnavailable.
 */
export function rollingOldReplicas(d: Deployment, newRS: ReplicaSet, old: ReplicaSet[]): Map<string, number> {
  const out = new Map<string, number>();
  const replicas = d.spec?.replicas ?? 1;
  const all = [newRS, ...old];
  const allPods = all.reduce((n, rs) => n + specReplicas(rs), 0);
  const minAvailable = replicas - fenceposts(d).maxUnavailable;
  const newUnavailable = specReplicas(newRS) - availableOf(newRS);
  let budget = allPods - minAvailable - newUnavailable;
  if (budget <= 0) return out;
  const oldest = [...old].sort((a, b) => byRevision(a, b) || Date.parse(a.metadata.creationTimestamp ?? '0') - Date.parse(b.metadata.creationTimestamp ?? '0'));
  for (const rs of oldest) {
    if (budget <= 0) break;
    const unhealthy = Math.max(0, specReplicas(rs) - availableOf(rs));
    const cut = Math.min(unhealthy, budget);
    if (cut > 0) {
      out.set(rs.metadata.uid!, specReplicas(rs) - cut);
      budget -= cut;
    }
  }
  const after = (rs: ReplicaSet) => out.get(rs.metadata.uid!) ?? specReplicas(rs);
  const available = all.reduce((n, rs) => n + Math.min(availableOf(rs), after(rs)), 0);
  let down = available - minAvailable;
  for (const rs of oldest) {
    if (down <= 0) break;
    const cut = Math.min(after(rs), down);
    if (cut > 0) {
      out.set(rs.metadata.uid!, after(rs) - cut);
      down -= cut;
    }
  }
  return out;
}
