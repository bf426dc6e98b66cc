/**
 * Acceptance: @kubernetes/client-node informers (a list, then a watch from its resourceVersion, as controllers and
 * operators written in JavaScript use them) on Deployments and Pods stay in sync with the cluster through a rollout
 * (SPEC W-4, W-6): at the end each cache holds exactly the objects a fresh list returns, at the same
 * resourceVersions, and the informers saw the rollout happen (old pods deleted, new ones added, the Deployment's
 * status move to the new generation).
 */
import { AppsV1Api, CoreV1Api, KubeConfig, makeInformer, type Informer, type KubernetesObject, type ObjectCache, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { createArmCluster } from '../../testkit/kube/arm-cluster.js';
import { fetchKubeconfig, startEmulatorWithFixtures, waitFor, type TestEmulator } from '../../testkit/kube/kube-env.js';

const NS = 'default';
const LABELS = { app: 'informed' };

const deployment = (image: string): V1Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'informed' },
  spec: {
    replicas: 3,
    selector: { matchLabels: LABELS },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    template: { metadata: { labels: LABELS }, spec: { containers: [{ name: 'web', image }] } },
  },
});

/** name → resourceVersion of an informer's cache, or of a list. */
const versions = (items: readonly KubernetesObject[]) => Object.fromEntries(items.map((o) => [o.metadata!.name!, o.metadata!.resourceVersion!]).sort(([a], [b]) => a!.localeCompare(b!)));

describe('@kubernetes/client-node informers through a rollout', () => {
  let emu: TestEmulator;
  let cluster: FixtureCluster;
  let apps: AppsV1Api;
  let core: CoreV1Api;
  let deployments: Informer<V1Deployment> & ObjectCache<V1Deployment>;
  let pods: Informer<V1Pod> & ObjectCache<V1Pod>;
  const seen = { podAdds: new Set<string>(), podDeletes: new Set<string>(), deploymentUpdates: 0, errors: [] as unknown[] };

  beforeAll(async () => {
    emu = await startEmulatorWithFixtures();
    cluster = await createArmCluster(emu, { name: 'informers', resourceGroup: 'rg', pools: [{ name: 'nodepool1', count: 2 }] });
    const kc = new KubeConfig();
    kc.loadFromString(await fetchKubeconfig(emu, cluster));
    apps = kc.makeApiClient(AppsV1Api);
    core = kc.makeApiClient(CoreV1Api);
    deployments = makeInformer(kc, `/apis/apps/v1/namespaces/${NS}/deployments`, () => apps.listNamespacedDeployment({ namespace: NS }));
    pods = makeInformer(kc, `/api/v1/namespaces/${NS}/pods`, () => core.listNamespacedPod({ namespace: NS }), 'app=informed');
    pods.on('add', (p) => seen.podAdds.add(p.metadata!.name!));
    pods.on('delete', (p) => seen.podDeletes.add(p.metadata!.name!));
    deployments.on('update', () => seen.deploymentUpdates++);
    for (const i of [deployments, pods]) i.on('error', (err) => seen.errors.push(err));
    await deployments.start();
    await pods.start();
  });
  afterAll(async () => {
    await deployments?.stop();
    await pods?.stop();
    await emu?.close();
  });

  const cachedDeployment = () => deployments.list(NS).find((d) => d.metadata!.name === 'informed');
  const readyCachedPods = () => pods.list(NS).filter((p) => !p.metadata!.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));

  it('the caches follow a Deployment from creation through a rolling update to a fresh list, object for object', async () => {
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('nginx:1.25') });
    const first = await waitFor('the informer to see the first rollout complete', () => {
      const d = cachedDeployment();
      return d?.status?.availableReplicas === 3 && d.status.updatedReplicas === 3 ? readyCachedPods() : undefined;
    }, { timeoutMs: 60_000 });
    const firstNames = first.map((p) => p.metadata!.name!).sort();
    expect(firstNames).toHaveLength(3);

    const current = await apps.readNamespacedDeployment({ name: 'informed', namespace: NS });
    await apps.replaceNamespacedDeployment({ name: 'informed', namespace: NS, body: { ...current, spec: { ...current.spec!, template: deployment('nginx:1.27').spec!.template } } });

    const rolled = await waitFor('the informer to see the rolling update complete', () => {
      const d = cachedDeployment();
      const done = d?.metadata?.generation === 2 && d.status?.observedGeneration === 2 && d.status.updatedReplicas === 3 && d.status.replicas === 3 && d.status.availableReplicas === 3;
      const ready = readyCachedPods();
      return done && pods.list(NS).length === 3 && ready.every((p) => p.spec!.containers[0]!.image === 'nginx:1.27') ? ready : undefined;
    }, { timeoutMs: 90_000 });

    // The informers saw the rollout: every first-generation pod deleted, three new ones added.
    for (const name of firstNames) expect(seen.podDeletes).toContain(name);
    const newNames = rolled.map((p) => p.metadata!.name!);
    for (const name of newNames) {
      expect(firstNames).not.toContain(name);
      expect(seen.podAdds).toContain(name);
    }
    expect(seen.deploymentUpdates).toBeGreaterThan(2);

    // And once the cluster is quiet the caches are exactly what a fresh list says, resourceVersion for resourceVersion.
    const listedPods = await waitFor('the pod cache to match a fresh list', async () => {
      const listed = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=informed' });
      return JSON.stringify(versions(listed.items)) === JSON.stringify(versions(pods.list(NS))) ? listed : undefined;
    });
    expect(Object.keys(versions(listedPods.items)).sort()).toEqual([...newNames].sort());
    const listedDeployments = await apps.listNamespacedDeployment({ namespace: NS });
    expect(versions(deployments.list(NS))).toEqual(versions(listedDeployments.items));
    expect(seen.errors).toEqual([]);
  }, 180_000);

  it('a delete reaches both caches: the Deployment and, through garbage collection, its pods (SPEC W-7)', async () => {
    await apps.deleteNamespacedDeployment({ name: 'informed', namespace: NS });
    await waitFor('both caches to empty', () => (deployments.list(NS).length === 0 && pods.list(NS).length === 0 ? true : undefined), { timeoutMs: 60_000 });
    expect((await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=informed' })).items).toEqual([]);
    expect(seen.errors).toEqual([]);
  }, 90_000);
});
