/** What the workload controllers share: controller owner references and adoption, pod availability, tolerant writes. */
import { KubeError } from '../api/machinery/errors.js';
import type { LabelSelector, Pod } from '../api/machinery/types.js';
import type { ResourceDef } from '../api/machinery/resource.js';
import { matchesLabels } from '../api/machinery/selectors.js';
import type { Registry } from '../api/registry/registry.js';
import { selectorRequirements } from '../resources/apps-common.js';
import type { KubeObject } from '../../clusters/stored-object.js';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The owner reference a controller puts on what it creates (controller and blockOwnerDeletion set). */
export function controllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

/** The uid of an object's controller (the owner reference with controller: true), if any. */
export function controllerUid(obj: KubeObject): string | undefined {
  return (obj.metadata.ownerReferences as OwnerReference[] | undefined)?.find((o) => o.controller)?.uid;
}

/** A pod that counts toward a workload's replicas: not terminating and not finished. */
export function isActivePod(p: Pod): boolean {
  return !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
}

function readySince(p: Pod): number | undefined {
  const c = (p.status?.conditions ?? []).find((x) => x.type === 'Ready');
  if (c?.status !== 'True') return undefined;
  return c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : 0;
}

export function isPodReady(p: Pod): boolean {
  return readySince(p) !== undefined;
}

/**
 * Whether a pod is available (ready for minReadySeconds, podutil.IsPodAvailable), and else when it will be if it
 * stays ready (the emulated time a controller pass must run again).
 */
export function podAvailability(p: Pod, minReadySeconds: number, nowMs: number): { available: boolean; at?: number } {
  const since = readySince(p);
  if (since === undefined) return { available: false };
  if (minReadySeconds <= 0) return { available: true };
  const at = since + minReadySeconds * 1000;
  return at <= nowMs ? { available: true } : { available: false, at };
}

/** Runs a controller's write; a conflict, a missing object or a refused create (terminating namespace) waits for the next pass. */
export async function tolerant<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof KubeError && [403, 404, 409, 422].includes(err.code)) return undefined;
    throw err;
  }
}

export function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/**
 * Adoption (ControllerRefManager's claim): objects in the owner's namespace that no controller owns and whose
 * labels match its selector get the owner's controller reference; answers them as adopted (stale copies dropped).
 */
export async function adoptOrphans<T extends KubeObject>(registry: Registry, def: ResourceDef<any>, candidates: T[], owner: KubeObject, kind: string, selector: LabelSelector | undefined): Promise<T[]> {
  const reqs = selectorRequirements(selector);
  if (reqs.length === 0 || owner.metadata.deletionTimestamp) return [];
  const adopted: T[] = [];
  for (const o of candidates) {
    if (o.metadata.namespace !== owner.metadata.namespace || controllerUid(o) || o.metadata.deletionTimestamp) continue;
    if (!matchesLabels(reqs, o.metadata.labels as Record<string, string> | undefined)) continue;
    const ownerReferences = [...((o.metadata.ownerReferences as OwnerReference[] | undefined) ?? []), controllerRef(owner, 'apps/v1', kind)];
    const stored = await tolerant(registry.update(def, o.metadata.namespace, o.metadata.name!, { ...o, metadata: { ...o.metadata, ownerReferences } }));
    if (stored) adopted.push(stored.obj as T);
  }
  return adopted;
}
