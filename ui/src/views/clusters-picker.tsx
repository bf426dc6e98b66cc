/** A labelled choice of one cluster the principal can read (for the KMS page), from the resource groups ARM lists. */
import { clusters, inEveryGroup } from '../arm.js';
import { useLoad } from '../live.js';

export interface ClusterRef {
  rg: string;
  cluster: string;
}

export function useReadableClusters(): ClusterRef[] | undefined {
  const found = useLoad((s) => inEveryGroup(s, clusters), []);
  return found.state === 'ok' ? found.value.map((c) => ({ rg: c.rg, cluster: c.item.name })) : undefined;
}

export function ClusterPicker({ value, onPick }: { value: ClusterRef | undefined; onPick: (c: ClusterRef) => void }) {
  const found = useReadableClusters();
  if (!found) return <p role="status">Loading clusters…</p>;
  if (found.length === 0) return <p>No managed clusters you can read.</p>;
  const key = (c: ClusterRef) => `${c.rg}/${c.cluster}`;
  return (
    <p>
      <label for="cluster-pick">Cluster </label>
      <select id="cluster-pick" value={value ? key(value) : ''} onChange={(e) => onPick(found.find((c) => key(c) === (e.target as HTMLSelectElement).value)!)}>
        <option value="" disabled>
          choose a cluster
        </option>
        {found.map((c) => (
          <option key={key(c)} value={key(c)}>
            {c.rg} / {c.cluster}
          </option>
        ))}
      </select>
    </p>
  );
}
