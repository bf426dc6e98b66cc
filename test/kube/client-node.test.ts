/**
 * Acceptance: the official JavaScript client, @kubernetes/client-node, configured only from the
 * kubeconfig that listClusterUserCredential returns, lists, watches and updates the objects of a managed cluster
 * created through ARM.
 */
import { CoreV1Api, KubeConfig, Watch, type V1Secret } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { createArmCluster } from '../../testkit/kube/arm-cluster.js';
import { fetchKubeconfig, startEmulatorWithFixtures, waitFor, type TestEmulator } from '../../testkit/kube/kube-env.js';

describe('@kubernetes/client-node against an emulated cluster', () => {
  let emu: TestEmulator;
  let cluster: FixtureCluster;
  let kc: KubeConfig;
  let core: CoreV1Api;

  beforeAll(async () => {
    emu = await startEmulatorWithFixtures();
    cluster = await createArmCluster(emu, { name: 'jsclient', resourceGroup: 'rg', pools: [{ name: 'nodepool1', count: 1 }, { name: 'fips', count: 2, enableFIPS: true, mode: 'User' }] });
    kc = new KubeConfig();
    kc.loadFromString(await fetchKubeconfig(emu, cluster));
    core = kc.makeApiClient(CoreV1Api);
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('lists nodes and kube-system pods', async () => {
    const nodes = await core.listNode({ labelSelector: 'kubernetes.azure.com/fips_enabled=true' });
    expect(nodes.items.map((n) => n.metadata!.name).sort()).toEqual(cluster.nodeNames.filter((n) => n.startsWith('aks-fips-')).sort());
    expect(nodes.items[0]!.status!.nodeInfo!.kernelVersion).toMatch(/-azure-fips$/);
    expect(nodes.items[0]!.metadata!.creationTimestamp).toBeInstanceOf(Date);
    const pods = await core.listNamespacedPod({ namespace: 'kube-system' });
    expect(pods.items.some((p) => p.metadata!.name!.startsWith('konnectivity-agent-'))).toBe(true);
    expect(pods.items.every((p) => p.status!.phase === 'Running')).toBe(true);
  });

  it('creates, updates (with conflict detection) and deletes a secret', async () => {
    const created = await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'js-secret' }, stringData: { token: 'abc' } } });
    expect(created.type).toBe('Opaque');
    expect(Buffer.from(created.data!.token!, 'base64').toString()).toBe('abc');
    const updated = await core.replaceNamespacedSecret({ name: 'js-secret', namespace: 'default', body: { ...created, data: { token: Buffer.from('def').toString('base64') } } });
    expect(Number(updated.metadata!.resourceVersion)).toBeGreaterThan(Number(created.metadata!.resourceVersion));
    await expect(core.replaceNamespacedSecret({ name: 'js-secret', namespace: 'default', body: created })).rejects.toMatchObject({ code: 409 });
    const listed = await core.listSecretForAllNamespaces();
    expect(listed.items.map((s: V1Secret) => s.metadata!.name)).toContain('js-secret');
    await core.deleteNamespacedSecret({ name: 'js-secret', namespace: 'default' });
    await expect(core.readNamespacedSecret({ name: 'js-secret', namespace: 'default' })).rejects.toMatchObject({ code: 404 });
  });

  it('watches secrets', async () => {
    const events: Array<[string, string]> = [];
    const list = await core.listNamespacedSecret({ namespace: 'default' });
    const controller = await new Watch(kc).watch(
      '/api/v1/namespaces/default/secrets',
      { resourceVersion: list.metadata!.resourceVersion, allowWatchBookmarks: true },
      (type, obj) => events.push([type, obj.metadata.name]),
      () => undefined,
    );
    try {
      await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'watched' }, stringData: { a: '1' } } });
      // client-node sends application/json-patch+json by default.
      await core.patchNamespacedSecret({ name: 'watched', namespace: 'default', body: [{ op: 'add', path: '/metadata/labels', value: { x: 'y' } }] });
      await core.deleteNamespacedSecret({ name: 'watched', namespace: 'default' });
      await waitFor('three events', () => events.length >= 3);
      expect(events).toEqual([
        ['ADDED', 'watched'],
        ['MODIFIED', 'watched'],
        ['DELETED', 'watched'],
      ]);
    } finally {
      controller.abort();
    }
  });
});
