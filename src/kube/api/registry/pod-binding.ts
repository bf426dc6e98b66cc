/** pods/binding: assigns a pending pod to a node (what the scheduler does, and what POST .../binding asks). */
import { kubeErrors } from '../machinery/errors.js';
import type { Pod } from '../machinery/types.js';
import { kubeTime } from '../../util/age.js';
import { clone } from '../../util/deep.js';
import { pods } from '../../resources/pods.js';
import type { Registry, WriteOptions } from './registry.js';

export async function bindPod(registry: Registry, ns: string, name: string, nodeName: string, opts: WriteOptions = {}): Promise<void> {
  const gr = { group: pods.group, resource: pods.resource };
  await registry.guaranteedUpdate<Pod, void>(pods, ns, name, (current) => {
    if (!current) throw kubeErrors.notFound(gr, name);
    const pod = clone(current.obj);
    if (pod.metadata.deletionTimestamp) throw kubeErrors.conflict(gr, name, 'pod is being deleted, cannot be assigned to a host');
    if (pod.spec?.nodeName) throw kubeErrors.conflict(gr, name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
    pod.spec!.nodeName = nodeName;
    const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
    conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null as unknown as string, lastTransitionTime: kubeTime(registry.now()) });
    pod.status = { ...(pod.status ?? {}), conditions };
    if (opts.dryRun) return { write: 'none', result: undefined };
    delete pod.metadata.resourceVersion;
    return { write: 'put', obj: registry.withTypeMeta(pods, pod), result: () => undefined };
  });
}
