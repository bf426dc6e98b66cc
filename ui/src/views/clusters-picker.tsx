/** A labelled choice of one cluster the principal can read (for the KMS page), from the resource groups ARM lists. */
import { useEffect, useState } from 'preact/hooks';
import { clusters, resourceGroups, subscriptions } from '../arm.js';
import { useLive } from '../live.js';

export interface ClusterRef {
  rg: string;
  cluster: string;
}

export function useReadableClusters(): ClusterRef[] | undefined {
  const { session, version } = useLive();
  const [found, setFound] = useState<ClusterRef[]>();
  useEffect(() => {
    let current = true;
    (async () => {
      const out: ClusterRef[] = [];
      const subs = await subscriptions(session);
      for (const sub of subs.ok ? subs.body.value : []) {
        const groups = await resourceGroups(session, sub.subscriptionId);
        for (const g of groups.ok ? groups.body.value : []) {
          const list = await clusters(session, sub.subscriptionId, g.name);
          for (const c of list.ok ? list.body.value : []) out.push({ rg: g.name, cluster: c.name });
        }
      }
      if (current) setFound(out);
    })();
    return () => {
      current = false;
    };
  }, [session, version]);
  return found;
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
