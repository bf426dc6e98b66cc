/**
 * Resource groups → clusters → node pools → nodes, with each cluster's posture: KMS (key, network access),
 * Kubernetes version, and per pool FIPS, Trusted Launch (Secure Boot, vTPM) and the OS image, all as ARM answers
 * them; the nodes as aksemu's node API answers them (what `aksemu node show` prints).
 */
import { useState } from 'preact/hooks';
import { agentPools, clusters, nodes, resourceGroups, subscriptions, type ManagedCluster, type NodeSummary } from '../arm.js';
import { ColumnHeads, hashLink, SecureBootState, Show, YesNo } from '../components.js';
import { useLoad } from '../live.js';

function keyParts(keyId: string | undefined): { vault: string; key: string; version: string } | undefined {
  const m = keyId ? /^https:\/\/([^.]+)\.vault\.azure\.net\/keys\/([^/]+)\/([^/]+)/.exec(keyId) : null;
  return m ? { vault: m[1]!, key: m[2]!, version: m[3]! } : undefined;
}

/**
 * The nodes of a cluster, the first page of them at first: a table of 1,000 rows is 20,000 elements for the browser
 * to lay out, half a second before anything shows; the rest is one button away.
 */
const NODE_PAGE = 100;

function NodeTable({ cluster, rg, nodes: list }: { cluster: string; rg: string; nodes: NodeSummary[] }) {
  const [all, setAll] = useState(false);
  const shown = all ? list : list.slice(0, NODE_PAGE);
  return (
    <>
      <table>
        <caption>Nodes of {cluster}</caption>
        <ColumnHeads names={['Node', 'Pool', 'State', 'Ready', 'FIPS', 'Secure Boot', 'vTPM', 'Node image']} />
        <tbody>
          {shown.map((n) => (
            <tr key={n.name}>
              <th scope="row">
                <a href={hashLink('node', { rg, cluster, name: n.name })}>{n.name}</a>
              </th>
              <td>{n.pool}</td>
              <td>{n.state}</td>
              <td>
                <YesNo value={n.ready} />
              </td>
              <td>
                <YesNo value={n.fipsEnabled} />
              </td>
              <td>
                <SecureBootState value={n.facts?.secureBoot} />
              </td>
              <td>
                <YesNo value={n.facts?.vtpm} />
              </td>
              <td>{n.nodeImageVersion}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown.length < list.length ? (
        <p>
          Showing {shown.length} of {list.length} nodes.{' '}
          <button type="button" onClick={() => setAll(true)}>
            Show all {list.length} nodes
          </button>
        </p>
      ) : null}
    </>
  );
}

function ClusterPosture({ cluster, rg }: { cluster: ManagedCluster; rg: string }) {
  const pools = useLoad((s) => agentPools(s, cluster.id), [cluster.id]);
  const nodeList = useLoad((s) => nodes(s, rg, cluster.name), [rg, cluster.name]);
  const kms = cluster.properties.securityProfile?.azureKeyVaultKms;
  const key = keyParts(kms?.keyId);
  const headingId = `cluster-${rg}-${cluster.name}`;
  return (
    <section class="cluster" aria-labelledby={headingId}>
      <h4 id={headingId}>Cluster {cluster.name}</h4>
      <dl class="facts" aria-label={`KMS and version of ${cluster.name}`}>
        <dt>Kubernetes version</dt>
        <dd>{cluster.properties.currentKubernetesVersion ?? cluster.properties.kubernetesVersion}</dd>
        <dt>KMS etcd encryption</dt>
        <dd data-field="kms-enabled">
          <YesNo value={kms?.enabled === true} />
          {kms?.enabled ? (
            <>
              {' '}
              (<a href={hashLink('kms', { rg, cluster: cluster.name })}>encryption status</a>)
            </>
          ) : null}
        </dd>
        {kms?.enabled ? (
          <>
            <dt>KMS key</dt>
            <dd data-field="kms-key">{key ? `${key.vault}/${key.key}, version ${key.version}` : kms.keyId}</dd>
            <dt>Key Vault network access</dt>
            <dd data-field="kms-network">{kms.keyVaultNetworkAccess ?? 'Public'}</dd>
          </>
        ) : null}
      </dl>
      <Show what={`the node pools of ${cluster.name}`} loaded={pools}>
        {(list) => (
          <table>
            <caption>Node pool posture of {cluster.name}</caption>
            <ColumnHeads names={['Node pool', 'Mode', 'Nodes', 'FIPS', 'Secure Boot', 'vTPM', 'Kubernetes version', 'OS image']} />
            <tbody>
              {list.value.map((p) => (
                <tr key={p.name}>
                  <th scope="row">{p.name}</th>
                  <td>{p.properties.mode}</td>
                  <td>{p.properties.count}</td>
                  <td>
                    <YesNo value={p.properties.enableFIPS === true} />
                  </td>
                  <td>
                    <YesNo value={p.properties.securityProfile?.enableSecureBoot === true} />
                  </td>
                  <td>
                    <YesNo value={p.properties.securityProfile?.enableVTPM === true} />
                  </td>
                  <td>{p.properties.currentOrchestratorVersion ?? p.properties.orchestratorVersion}</td>
                  <td>
                    {p.properties.osSKU} {p.properties.nodeImageVersion}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Show>
      <Show what={`the nodes of ${cluster.name}`} loaded={nodeList}>
        {(list) => <NodeTable cluster={cluster.name} rg={rg} nodes={list.value} />}
      </Show>
    </section>
  );
}

function Group({ sub, rg }: { sub: string; rg: string }) {
  const list = useLoad((s) => clusters(s, sub, rg), [sub, rg]);
  return (
    <section class="group" aria-labelledby={`rg-${rg}`}>
      <h3 id={`rg-${rg}`}>Resource group {rg}</h3>
      <Show what={`the clusters of ${rg}`} loaded={list}>
        {(l) => (l.value.length === 0 ? <p>No managed clusters.</p> : <>{l.value.map((c) => <ClusterPosture key={c.id} cluster={c} rg={rg} />)}</>)}
      </Show>
    </section>
  );
}

function Subscription({ sub }: { sub: string }) {
  const groups = useLoad((s) => resourceGroups(s, sub), [sub]);
  return (
    <Show what="the resource groups" loaded={groups}>
      {(l) => (l.value.length === 0 ? <p>No resource groups you can read.</p> : <>{l.value.map((g) => <Group key={g.id} sub={sub} rg={g.name} />)}</>)}
    </Show>
  );
}

export function OverviewView() {
  const subs = useLoad(subscriptions, []);
  return (
    <>
      <h2 class="view-title">Clusters</h2>
      <Show what="the subscriptions" loaded={subs}>
        {(l) => (l.value.length === 0 ? <p>No subscription you can read.</p> : <>{l.value.map((s) => <Subscription key={s.subscriptionId} sub={s.subscriptionId} />)}</>)}
      </Show>
    </>
  );
}
