/**
 * The drain of a node the fleet is about to reimage (SPEC W-3, W-14), one eviction pass as AKS's drain runs it:
 * every pod bound to the node except DaemonSet-owned and mirror pods is evicted through the eviction subresource's
 * logic (disruption budgets respected); the node is empty once none of those pods is left (terminating ones
 * included). A pod a budget keeps is reported in AKS's UpgradeFailed words.
 */
import { KubeError } from '../api/machinery/errors.js';
import type { Pod, PodDisruptionBudget } from '../api/machinery/types.js';
import { EVICTION_REFUSED, evictPod } from '../api/registry/eviction.js';
import type { Registry } from '../api/registry/registry.js';
import { poddisruptionbudgets as pdbDef, podsCoveredBy } from '../resources/poddisruptionbudgets.js';
import { pods as podDef } from '../resources/pods.js';
import type { DrainOutcome } from '../../fleet/drain.js';
import type { OwnerReference } from './workload-common.js';

function drained(p: Pod, node: string): boolean {
  if (p.spec?.nodeName !== node) return false;
  if (p.metadata.annotations?.['kubernetes.io/config.mirror']) return false;
  return !(p.metadata.ownerReferences as OwnerReference[] | undefined)?.some((o) => o.controller && o.kind === 'DaemonSet');
}

function isReady(p: Pod): boolean {
  return (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** AKS's message for a drain a disruption budget blocks. */
async function blockedMessage(registry: Registry, node: string, pod: Pod, all: Pod[]): Promise<string> {
  const ns = pod.metadata.namespace!;
  const pdb = (await registry.list<PodDisruptionBudget>(pdbDef, ns)).items.find((b) => podsCoveredBy(b, [pod]).length > 0);
  const unready = pdb ? podsCoveredBy(pdb, all).filter((p) => !isReady(p)) : [];
  const list = unready.length > 0 ? `: [${unready.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(' ')}]` : '';
  return (
    `Drain node ${node} failed when evicting pod ${pod.metadata.name} failed with Too Many Requests error. This is often caused by a restrictive ` +
    `Pod Disruption Budget (PDB) policy. See http://aka.ms/aks/debugdrainfailures. Original error: ${EVICTION_REFUSED}. PDB debug info: ` +
    `${ns}/${pod.metadata.name} blocked by pdb ${pdb?.metadata.name ?? '<unknown>'} with ${unready.length} unready pods${list}.`
  );
}

/** Evicts what is left on `node`; answers whether it is empty, and the budget refusal that keeps a pod there. */
export async function drainNode(registry: Registry, node: string): Promise<DrainOutcome> {
  const all = (await registry.list<Pod>(podDef, undefined)).items;
  const left = all.filter((p) => drained(p, node));
  if (left.length === 0) return { empty: true };
  let blocked: string | undefined;
  for (const p of left) {
    if (p.metadata.deletionTimestamp) continue;
    try {
      await evictPod(registry, p.metadata.namespace!, p.metadata.name!);
    } catch (err) {
      if (!(err instanceof KubeError)) throw err;
      if (err.code === 429 && !blocked) blocked = await blockedMessage(registry, node, p, all);
      // 404: already gone; other refusals are retried on the next pass.
    }
  }
  const still = (await registry.list<Pod>(podDef, undefined)).items.filter((p) => drained(p, node));
  return still.length === 0 ? { empty: true } : { empty: false, ...(blocked ? { blocked } : {}) };
}
