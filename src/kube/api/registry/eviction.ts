/**
 * pods/eviction (SPEC W-13): a delete that respects PodDisruptionBudgets, as kube-apiserver's eviction REST does.
 * A pod no budget covers, a terminal or pending pod, or one already being deleted is deleted at once; a pod covered
 * by one budget is deleted when its status allows a disruption (decremented, the pod recorded in disruptedPods so
 * the disruption controller does not count it healthy before its deletion shows), else the eviction is refused with
 * 429 TooManyRequests and the DisruptionBudget cause. Callers: the HTTP subresource and the node drainer.
 */
import { KubeError, kubeErrors } from '../machinery/errors.js';
import type { Pod, PodDisruptionBudget } from '../machinery/types.js';
import { kubeTime } from '../../util/age.js';
import { pods as podDef } from '../../resources/pods.js';
import { poddisruptionbudgets as pdbDef, podsCoveredBy } from '../../resources/poddisruptionbudgets.js';
import type { DeleteOptions, Registry } from './registry.js';

/** Upstream's refusal text (kubectl drain prints it and retries). */
export const EVICTION_REFUSED = "Cannot evict pod as it would violate the pod's disruption budget.";

function tooManyRequests(cause: string, retryAfterSeconds: number): KubeError {
  const headers: Record<string, string> | undefined = retryAfterSeconds > 0 ? { 'Retry-After': String(retryAfterSeconds) } : undefined;
  return new KubeError(429, 'TooManyRequests', EVICTION_REFUSED, { causes: [{ reason: 'DisruptionBudget', message: cause }], ...(retryAfterSeconds > 0 ? { retryAfterSeconds } : {}) }, headers);
}

function isReady(p: Pod): boolean {
  return (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Evicts one pod; throws the Status error a refused or failed eviction answers. */
export async function evictPod(registry: Registry, ns: string, name: string, opts: DeleteOptions = {}): Promise<void> {
  const gr = { group: podDef.group, resource: podDef.resource };
  for (let attempt = 0; attempt < 5; attempt++) {
    const pod = await registry.get<Pod>(podDef, ns, name);
    const phase = pod.status?.phase;
    if (pod.metadata.deletionTimestamp || phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending') {
      await registry.delete(podDef, ns, name, opts);
      return;
    }
    const budgets = (await registry.list<PodDisruptionBudget>(pdbDef, ns)).items.filter((b) => podsCoveredBy(b, [pod]).length > 0);
    if (budgets.length > 1) throw kubeErrors.internal('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    const pdb = budgets[0];
    if (!pdb) {
      await registry.delete(podDef, ns, name, opts);
      return;
    }
    const st: Partial<NonNullable<PodDisruptionBudget['status']>> = pdb.status ?? {};
    // An unready pod may go while the budget is otherwise met (IfHealthyBudget), or always (AlwaysAllow).
    if (!isReady(pod)) {
      const policy = pdb.spec?.unhealthyPodEvictionPolicy ?? 'IfHealthyBudget';
      if (policy === 'AlwaysAllow' || ((st.currentHealthy ?? 0) >= (st.desiredHealthy ?? 0) && (st.desiredHealthy ?? 0) > 0)) {
        await registry.delete(podDef, ns, name, { ...opts, preconditions: { uid: pod.metadata.uid!, ...(opts.preconditions ?? {}) } });
        return;
      }
    }
    if ((st.observedGeneration ?? 0) < (pdb.metadata.generation ?? 1)) {
      throw tooManyRequests(`The disruption budget ${pdb.metadata.name} is still being processed by the server.`, 10);
    }
    if ((st.disruptionsAllowed ?? 0) <= 0) {
      throw tooManyRequests(`The disruption budget ${pdb.metadata.name} needs ${st.desiredHealthy ?? 0} healthy pods and has ${st.currentHealthy ?? 0} currently`, 0);
    }
    const allowed = (st.disruptionsAllowed ?? 0) - 1;
    const conditions = allowed > 0 ? st.conditions : (st.conditions ?? []).map((c) => (c.type === 'DisruptionAllowed' ? { ...c, status: 'False', reason: 'InsufficientPods', lastTransitionTime: kubeTime(registry.now()) } : c));
    if (opts.dryRun) return;
    const status = { ...st, disruptionsAllowed: allowed, disruptedPods: { ...(st.disruptedPods ?? {}), [name]: kubeTime(registry.now()) }, ...(conditions ? { conditions } : {}) };
    try {
      await registry.update(pdbDef, ns, pdb.metadata.name!, { ...pdb, status }, { subresource: 'status' });
    } catch (err) {
      if (err instanceof KubeError && err.code === 409) continue; // the budget changed meanwhile: decide again
      throw err;
    }
    await registry.delete(podDef, ns, name, opts);
    return;
  }
  throw kubeErrors.conflict(gr, name, 'the disruption budget kept changing; please try again');
}
