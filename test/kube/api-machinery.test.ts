/**
 * The API machinery as the Kubernetes API conventions define it, checked on the wire:
 * discovery (legacy and aggregated, exact content types), tables, paging, selectors, resourceVersion semantics,
 * uid/creationTimestamp/generation, dryRun, defaulting, patches, watch (resourceVersion, selectors, bookmarks,
 * timeouts, watch-list, 410 Gone after compaction), graceful deletion, finalizers, namespace termination.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { addCluster, kubeApi, openWatch, settle, startEmulatorWithFixtures, waitFor, type KubeApiClient, type TestEmulator } from '../../testkit/kube/kube-env.js';

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

describe('Kubernetes API machinery', () => {
  let emu: TestEmulator;
  let cluster: FixtureCluster;
  let api: KubeApiClient;

  beforeAll(async () => {
    emu = await startEmulatorWithFixtures();
    cluster = await addCluster(emu, { name: 'machinery', resourceGroup: 'rg', kubernetesVersion: '1.31.7', pools: [{ name: 'nodepool1', count: 2 }] });
    api = await kubeApi(emu, cluster);
  });
  afterAll(async () => {
    await emu?.close();
  });

  describe('discovery', () => {
    it('serves aggregated discovery v2 and v2beta1 with their exact content types', async () => {
      for (const v of ['v2', 'v2beta1']) {
        const accept = `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList,application/json`;
        const core = await api.call('GET', '/api', undefined, { accept });
        expect(core.status).toBe(200);
        expect(core.headers['content-type']).toBe(`application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`);
        const body = core.json();
        expect(body).toMatchObject({ kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${v}` });
        const pods = body.items[0].versions[0].resources.find((r: any) => r.resource === 'pods');
        expect(pods).toMatchObject({ responseKind: { group: '', version: 'v1', kind: 'Pod' }, scope: 'Namespaced', singularResource: 'pod', shortNames: ['po'], categories: ['all'] });
        expect(pods.subresources.map((s: any) => s.subresource)).toEqual(['attach', 'binding', 'eviction', 'exec', 'log', 'status']);
        expect(pods.subresources.find((s: any) => s.subresource === 'eviction').responseKind).toEqual({ group: 'policy', version: 'v1', kind: 'Eviction' });
        const groups = (await api.call('GET', '/apis', undefined, { accept })).json();
        expect(groups.items.map((g: any) => g.metadata.name)).toEqual(['apps', 'authentication.k8s.io', 'authorization.k8s.io', 'batch', 'coordination.k8s.io', 'metrics.k8s.io', 'policy', 'rbac.authorization.k8s.io', 'storage.k8s.io']);
      }
    });

    it('serves legacy discovery documents', async () => {
      expect((await api.call('GET', '/api')).json()).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
      const groups = (await api.call('GET', '/apis')).json();
      expect(groups.kind).toBe('APIGroupList');
      expect(groups.groups.find((g: any) => g.name === 'coordination.k8s.io').preferredVersion).toEqual({ groupVersion: 'coordination.k8s.io/v1', version: 'v1' });
      const v1 = (await api.call('GET', '/api/v1')).json();
      expect(v1.groupVersion).toBe('v1');
      const names = v1.resources.map((r: any) => r.name);
      expect(names).toEqual(expect.arrayContaining(['configmaps', 'events', 'namespaces', 'namespaces/status', 'nodes', 'nodes/status', 'pods', 'pods/binding', 'pods/status', 'secrets', 'serviceaccounts']));
      expect((await api.call('GET', '/apis/coordination.k8s.io/v1')).json().resources.map((r: any) => r.name)).toEqual(['leases']);
      expect((await api.call('GET', '/version')).json().gitVersion).toBe('v1.31.7');
    });
  });

  it('answers tables with the usual columns and PartialObjectMetadata rows', async () => {
    const res = await api.call('GET', '/api/v1/nodes', undefined, { accept: TABLE });
    expect(res.headers['content-type']).toBe('application/json;as=Table;v=v1;g=meta.k8s.io');
    const t = res.json();
    expect(t.kind).toBe('Table');
    expect(t.columnDefinitions.filter((c: any) => c.priority === 0).map((c: any) => c.name)).toEqual(['Name', 'Status', 'Roles', 'Age', 'Version']);
    expect(t.rows).toHaveLength(2);
    expect(t.rows[0].cells.slice(1, 5)).toEqual(['Ready', 'agent', expect.stringMatching(/^\d+s$/), 'v1.31.7']);
    expect(t.rows[0].object).toMatchObject({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1' });
    expect(t.rows[0].object.metadata.labels['kubernetes.azure.com/agentpool']).toBe('nodepool1');
    const none = (await api.call('GET', '/api/v1/nodes?includeObject=None', undefined, { accept: TABLE })).json();
    expect(none.rows[0].object).toBeUndefined();
    const single = (await api.call('GET', '/api/v1/namespaces/default', undefined, { accept: TABLE })).json();
    expect(single.rows.map((r: any) => r.cells)).toEqual([['default', 'Active', expect.any(String)]]);
  });

  it('pages lists with limit and continue at one resourceVersion', async () => {
    await api.call('POST', '/api/v1/namespaces', { metadata: { name: 'paging' } });
    for (let i = 0; i < 7; i++) expect((await api.call('POST', '/api/v1/namespaces/paging/configmaps', { metadata: { name: `cm-${i}`, labels: { n: String(i % 2) } } })).status).toBe(201);
    await settle(emu, cluster);
    const seen: string[] = [];
    let next = '/api/v1/namespaces/paging/configmaps?limit=3';
    let rv: string | undefined;
    let pages = 0;
    for (;;) {
      const page = (await api.call('GET', next)).json();
      pages++;
      expect(page.kind).toBe('ConfigMapList');
      expect(page.items.length).toBeLessThanOrEqual(3);
      expect(page.items[0].kind).toBeUndefined(); // list items carry no apiVersion/kind, as kube-apiserver encodes them
      rv ??= page.metadata.resourceVersion;
      expect(page.metadata.resourceVersion).toBe(rv);
      // remainingItemCount: what follows this page, only while there is a next page.
      expect(page.metadata.remainingItemCount).toBe(page.metadata.continue ? 8 - seen.length - page.items.length : undefined);
      seen.push(...page.items.map((i: any) => i.metadata.name));
      if (!page.metadata.continue) break;
      next = `/api/v1/namespaces/paging/configmaps?limit=3&continue=${encodeURIComponent(page.metadata.continue)}`;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5', 'cm-6', 'kube-root-ca.crt']);
    // With a selector, a page still holds `limit` matching items.
    const odd = (await api.call('GET', '/api/v1/namespaces/paging/configmaps?limit=2&labelSelector=n%3D1')).json();
    expect(odd.items.map((i: any) => i.metadata.name)).toEqual(['cm-1', 'cm-3']);
    expect(odd.metadata.continue).toBeTruthy();
    expect(odd.metadata.remainingItemCount).toBeUndefined(); // not counted under a selector, as upstream
    const rest = (await api.call('GET', `/api/v1/namespaces/paging/configmaps?limit=2&labelSelector=n%3D1&continue=${odd.metadata.continue}`)).json();
    expect(rest.items.map((i: any) => i.metadata.name)).toEqual(['cm-5']);
    expect(rest.metadata.continue).toBeUndefined();
  });

  it('filters by label and field selectors', async () => {
    const sel = async (q: string) => (await api.call('GET', `/api/v1/namespaces/paging/configmaps?${q}`)).json().items.map((i: any) => i.metadata.name);
    expect(await sel('labelSelector=' + encodeURIComponent('n in (0),n!=1'))).toEqual(['cm-0', 'cm-2', 'cm-4', 'cm-6']);
    expect(await sel('labelSelector=!n')).toEqual(['kube-root-ca.crt']);
    expect(await sel('fieldSelector=metadata.name%3Dcm-3')).toEqual(['cm-3']);
    const kubeSystemOnNode = (await api.call('GET', `/api/v1/pods?fieldSelector=spec.nodeName%3D${cluster.nodeNames[0]},metadata.namespace%3Dkube-system`)).json();
    expect(kubeSystemOnNode.items.length).toBeGreaterThan(0);
    expect(kubeSystemOnNode.items.every((p: any) => p.spec.nodeName === cluster.nodeNames[0] && p.metadata.namespace === 'kube-system')).toBe(true);
  });

  it('keeps resourceVersion, uid, creationTimestamp and generation as the conventions say', async () => {
    const created = (await api.call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'gen' }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } })).json();
    expect(created.metadata).toMatchObject({ generation: 1, uid: expect.stringMatching(/^[0-9a-f-]{36}$/), creationTimestamp: expect.stringMatching(/Z$/) });
    const kv = await emu.core.store.get(`/clusters/${cluster.uid}/registry/pods/default/gen`);
    expect(created.metadata.resourceVersion).toBe(String(kv!.modRevision));
    // The spec changes: generation +1; a label changes: generation stays.
    const img = await api.call('PATCH', '/api/v1/namespaces/default/pods/gen', { spec: { containers: [{ name: 'c', image: 'nginx:1.28' }] } }, { 'content-type': 'application/strategic-merge-patch+json' });
    expect(img.json().metadata.generation).toBe(2);
    const lbl = await api.call('PATCH', '/api/v1/namespaces/default/pods/gen', { metadata: { labels: { a: 'b' } } }, { 'content-type': 'application/merge-patch+json' });
    expect(lbl.json().metadata.generation).toBe(2);
    // A stale resourceVersion is a conflict; uid and creationTimestamp cannot be changed.
    const stale = await api.call('PUT', '/api/v1/namespaces/default/pods/gen', { ...created });
    expect(stale.status).toBe(409);
    expect(stale.json().reason).toBe('Conflict');
    const current = lbl.json();
    const wrongUid = await api.call('PUT', '/api/v1/namespaces/default/pods/gen', { ...current, metadata: { ...current.metadata, uid: '00000000-0000-0000-0000-000000000000' } });
    expect(wrongUid.status).toBe(409);
    expect(wrongUid.json().message).toContain('Precondition failed: UID in precondition');
    const { resourceVersion: _rv, ...unconditionalMeta } = current.metadata;
    const unconditional = await api.call('PUT', '/api/v1/namespaces/default/pods/gen', { ...current, metadata: { ...unconditionalMeta, creationTimestamp: '2000-01-01T00:00:00Z' } });
    expect(unconditional.status).toBe(200);
    expect(unconditional.json().metadata.creationTimestamp).toBe(created.metadata.creationTimestamp);
    expect(Number(unconditional.json().metadata.resourceVersion)).toBeGreaterThan(Number(current.metadata.resourceVersion));
    // A pod's spec is immutable but for images and a few fields.
    const immutable = await api.call('PATCH', '/api/v1/namespaces/default/pods/gen', { spec: { restartPolicy: 'Never' } }, { 'content-type': 'application/merge-patch+json' });
    expect(immutable.status).toBe(422);
    expect(immutable.json().message).toMatch(/^Pod "gen" is invalid: spec: Forbidden: pod updates may not change fields other than/);
  });

  it('defaults on the server: secret type Opaque, stringData merged into data, pod defaults and admission', async () => {
    const s = (await api.call('POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'sd' }, data: { a: 'b2xk' }, stringData: { a: 'new', b: 'two' } })).json();
    expect(s.type).toBe('Opaque');
    expect(s.stringData).toBeUndefined();
    expect(s.data).toEqual({ a: Buffer.from('new').toString('base64'), b: Buffer.from('two').toString('base64') });
    const p = (await api.call('GET', '/api/v1/namespaces/default/pods/gen')).json();
    expect(p.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler', terminationGracePeriodSeconds: 30, serviceAccountName: 'default', enableServiceLinks: true });
    expect(p.spec.containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
    expect(p.spec.tolerations.map((t: any) => t.key)).toEqual(['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']);
    expect(p.spec.volumes[0].name).toMatch(/^kube-api-access-[a-z0-9]{5}$/);
    const q = (await api.call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'qty' }, spec: { containers: [{ name: 'c', image: 'x:1', resources: { limits: { cpu: 0.5, memory: '1024Mi' } } }] } })).json();
    expect(q.spec.containers[0].resources).toEqual({ limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } });
    expect(q.status.qosClass).toBe('Guaranteed');
  });

  it('mounts the service account token unless the pod or, when the pod leaves it open, its service account opts out', async () => {
    const tokenVolumes = (pod: any) => (pod.spec.volumes ?? []).filter((v: any) => /^kube-api-access-/.test(v.name)).length;
    const pod = (name: string, extra: Record<string, unknown>) => ({ metadata: { name }, spec: { containers: [{ name: 'c', image: 'x:1' }], ...extra } });
    expect((await api.call('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'quiet' }, automountServiceAccountToken: false })).status).toBe(201);
    const byAccount = (await api.call('POST', '/api/v1/namespaces/default/pods', pod('sa-off', { serviceAccountName: 'quiet' }))).json();
    expect(tokenVolumes(byAccount)).toBe(0);
    expect(byAccount.spec.containers[0].volumeMounts).toBeUndefined();
    const podOverrides = (await api.call('POST', '/api/v1/namespaces/default/pods', pod('sa-on', { serviceAccountName: 'quiet', automountServiceAccountToken: true }))).json();
    expect(tokenVolumes(podOverrides)).toBe(1);
    const podOptsOut = (await api.call('POST', '/api/v1/namespaces/default/pods', pod('pod-off', { automountServiceAccountToken: false }))).json();
    expect(tokenVolumes(podOptsOut)).toBe(0);
    const plain = (await api.call('POST', '/api/v1/namespaces/default/pods', pod('plain', {}))).json();
    expect(tokenVolumes(plain)).toBe(1);
  });

  it('answers 406 when a review is asked for only as a Table, which a review has no form of', async () => {
    const review = { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { nonResourceAttributes: { path: '/', verb: 'get' } } };
    const asTable = await api.call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', review, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(asTable.status).toBe(406);
    expect(asTable.json()).toMatchObject({ kind: 'Status', reason: 'NotAcceptable' });
    const plain = await api.call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', review, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io, application/json' });
    expect(plain.status).toBe(201);
    expect(plain.json().status.allowed).toBe(true);
  });

  it('runs every step of a dryRun=All request except the write', async () => {
    const dry = await api.call('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', { metadata: { name: 'dry' }, data: { a: '1' } });
    expect(dry.status).toBe(201);
    expect(dry.json().metadata.uid).toBeTruthy();
    expect(dry.json().metadata.resourceVersion).toBeUndefined();
    expect((await api.call('GET', '/api/v1/namespaces/default/configmaps/dry')).status).toBe(404);
    expect((await api.call('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', { metadata: { name: 'Dry' } })).status).toBe(422);
    await api.call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'keep' } });
    expect((await api.call('DELETE', '/api/v1/namespaces/default/configmaps/keep?dryRun=All')).status).toBe(200);
    expect((await api.call('GET', '/api/v1/namespaces/default/configmaps/keep')).status).toBe(200);
  });

  it('applies JSON patches, merge patches and strategic merge patches', async () => {
    await api.call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'patch', labels: { a: '1', b: '2' } }, data: { x: '1' } });
    const merge = await api.call('PATCH', '/api/v1/namespaces/default/configmaps/patch', { metadata: { labels: { a: null, c: '3' } }, data: { y: '2' } }, { 'content-type': 'application/merge-patch+json' });
    expect(merge.json().metadata.labels).toEqual({ b: '2', c: '3' });
    expect(merge.json().data).toEqual({ x: '1', y: '2' });
    const json = await api.call('PATCH', '/api/v1/namespaces/default/configmaps/patch', JSON.stringify([{ op: 'remove', path: '/data/x' }, { op: 'add', path: '/data/z', value: '3' }]), { 'content-type': 'application/json-patch+json' });
    expect(json.json().data).toEqual({ y: '2', z: '3' });
    await api.call('POST', '/api/v1/namespaces/default/pods', {
      metadata: { name: 'smp' },
      spec: { containers: [{ name: 'a', image: 'a:1', env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }] }, { name: 'b', image: 'b:1' }] },
    });
    // Containers merge by name (a pod's images may change; the rest of its spec may not).
    const smp = await api.call('PATCH', '/api/v1/namespaces/default/pods/smp', { spec: { containers: [{ name: 'b', image: 'b:2' }] } }, { 'content-type': 'application/strategic-merge-patch+json' });
    expect(smp.status).toBe(200);
    const containers = smp.json().spec.containers;
    expect(containers.map((c: any) => `${c.name}=${c.image}`)).toEqual(['a=a:1', 'b=b:2']);
    expect(containers[0].env).toEqual([{ name: 'X', value: '1' }, { name: 'Y', value: '2' }]);
    const status = await api.call('PATCH', '/api/v1/namespaces/default/pods/smp/status', { status: { conditions: [{ type: 'Custom', status: 'True' }] } }, { 'content-type': 'application/strategic-merge-patch+json' });
    expect(status.json().status.conditions.map((c: any) => c.type)).toContain('Custom');
  });

  describe('watch', () => {
    it('follows changes after a resourceVersion, including objects leaving a label selector', async () => {
      await api.call('POST', '/api/v1/namespaces', { metadata: { name: 'watched' } });
      const created = (await api.call('POST', '/api/v1/namespaces/watched/configmaps', { metadata: { name: 'w1', labels: { tier: 'web' } } })).json();
      const w = await openWatch(api, `/api/v1/namespaces/watched/configmaps?watch=true&labelSelector=tier%3Dweb&resourceVersion=${created.metadata.resourceVersion}`);
      try {
        expect(w.status).toBe(200);
        expect(w.contentType).toBe('application/json');
        await api.call('POST', '/api/v1/namespaces/watched/configmaps', { metadata: { name: 'w2', labels: { tier: 'web' } } });
        await api.call('PATCH', '/api/v1/namespaces/watched/configmaps/w1', { data: { a: 'b' } }, { 'content-type': 'application/merge-patch+json' });
        await api.call('PATCH', '/api/v1/namespaces/watched/configmaps/w2', { metadata: { labels: { tier: 'db' } } }, { 'content-type': 'application/merge-patch+json' });
        const del = await api.call('DELETE', '/api/v1/namespaces/watched/configmaps/w1');
        expect(del.status).toBe(200);
        await waitFor('four events', () => w.events.length >= 4);
        expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED w2', 'MODIFIED w1', 'DELETED w2', 'DELETED w1']);
        expect(w.events[0].object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1' });
        const rvs = w.events.map((e) => Number(e.object.metadata.resourceVersion));
        expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
      } finally {
        w.close();
      }
    });

    it('starts with the current state when no resourceVersion is given, and ends after timeoutSeconds with a bookmark', async () => {
      const w = await openWatch(api, '/api/v1/namespaces/watched/configmaps?watch=true&allowWatchBookmarks=true&timeoutSeconds=1');
      const t0 = Date.now();
      await w.ended;
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(w.events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.name).sort()).toEqual(['kube-root-ca.crt', 'w2']);
      const last = w.events[w.events.length - 1];
      expect(last.type).toBe('BOOKMARK');
      expect(Number(last.object.metadata.resourceVersion)).toBeGreaterThan(0);
    });

    it('supports watch-list: initial events end with an annotated bookmark', async () => {
      const w = await openWatch(api, '/api/v1/namespaces/watched/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=2');
      try {
        await waitFor('the initial-events-end bookmark', () => w.events.some((e) => e.type === 'BOOKMARK'));
        const i = w.events.findIndex((e) => e.type === 'BOOKMARK');
        expect(w.events.slice(0, i).every((e) => e.type === 'ADDED')).toBe(true);
        expect(w.events[i].object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
      } finally {
        w.close();
      }
      const bad = await api.call('GET', '/api/v1/namespaces/watched/configmaps?watch=true&sendInitialEvents=true');
      expect(bad.status).toBe(422);
    });

    it('streams one-row tables for kubectl get -w', async () => {
      const w = await openWatch(api, '/api/v1/namespaces/watched/configmaps?watch=true', { accept: TABLE });
      try {
        expect(w.contentType).toBe('application/json;as=Table;v=v1;g=meta.k8s.io');
        await waitFor('initial events', () => w.events.length >= 2);
        expect(w.events[0].object.kind).toBe('Table');
        expect(w.events[0].object.rows).toHaveLength(1);
        expect(w.events[0].object.columnDefinitions.map((c: any) => c.name)).toEqual(['Name', 'Data', 'Age']);
      } finally {
        w.close();
      }
    });

    it('answers a watch from a compacted resourceVersion with 410 Expired', async () => {
      const start = (await api.call('GET', '/api/v1/namespaces/watched/configmaps')).json().metadata.resourceVersion;
      await api.call('POST', '/api/v1/namespaces/watched/configmaps', { metadata: { name: 'after-compaction' } });
      await api.call('POST', '/api/v1/namespaces/watched/configmaps', { metadata: { name: 'after-compaction-2' } });
      const store = emu.core.store as SqliteStore;
      store.compact(await store.revision());
      const w = await openWatch(api, `/api/v1/namespaces/watched/configmaps?watch=true&resourceVersion=${start}`);
      await Promise.race([w.ended, new Promise((r) => setTimeout(r, 5000))]);
      w.close();
      expect(w.events).toHaveLength(1);
      expect(w.events[0].type).toBe('ERROR');
      expect(w.events[0].object).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });
      expect(w.events[0].object.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
    });
  });

  describe('deletion', () => {
    it('deletes a running pod gracefully (202 with deletionTimestamp, then its kubelet removes it) and an unscheduled pod at once', async () => {
      await api.call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'graceful' }, spec: { containers: [{ name: 'c', image: 'x:1' }] } });
      await settle(emu, cluster);
      expect((await api.call('GET', '/api/v1/namespaces/default/pods/graceful')).json().status.phase).toBe('Running');
      const del = await api.call('DELETE', '/api/v1/namespaces/default/pods/graceful');
      expect(del.status).toBe(202);
      expect(del.json().metadata.deletionTimestamp).toBeTruthy();
      expect(del.json().metadata.deletionGracePeriodSeconds).toBe(30);
      await waitFor('the pod to be gone', async () => (await api.call('GET', '/api/v1/namespaces/default/pods/graceful')).status === 404);
      await api.call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'unscheduled' }, spec: { nodeSelector: { none: 'x' }, containers: [{ name: 'c', image: 'x:1' }] } });
      const now = await api.call('DELETE', '/api/v1/namespaces/default/pods/unscheduled');
      expect(now.status).toBe(200);
      expect(now.json().kind).toBe('Pod');
      expect((await api.call('GET', '/api/v1/namespaces/default/pods/unscheduled')).status).toBe(404);
    });

    it('evicts a pod through pods/eviction', async () => {
      await api.call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'evictee' }, spec: { containers: [{ name: 'c', image: 'x:1' }] } });
      await settle(emu, cluster);
      const mismatch = await api.call('POST', '/api/v1/namespaces/default/pods/evictee/eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'other' } });
      expect(mismatch.status).toBe(400);
      const ev = await api.call('POST', '/api/v1/namespaces/default/pods/evictee/eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'evictee', namespace: 'default' }, deleteOptions: { gracePeriodSeconds: 0 } });
      expect(ev.status).toBe(201);
      expect(ev.json()).toMatchObject({ kind: 'Status', status: 'Success' });
      expect((await api.call('GET', '/api/v1/namespaces/default/pods/evictee')).status).toBe(404);
      expect((await api.call('POST', '/api/v1/namespaces/default/pods/evictee/eviction', { metadata: { name: 'evictee' } })).status).toBe(404);
    });

    it('waits for finalizers, and deletes with preconditions', async () => {
      await api.call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'fin', finalizers: ['example.com/hold'] } });
      const del = await api.call('DELETE', '/api/v1/namespaces/default/configmaps/fin');
      expect(del.status).toBe(202);
      expect(del.json().metadata.deletionTimestamp).toBeTruthy();
      expect((await api.call('GET', '/api/v1/namespaces/default/configmaps/fin')).status).toBe(200);
      const released = await api.call('PATCH', '/api/v1/namespaces/default/configmaps/fin', { metadata: { finalizers: null } }, { 'content-type': 'application/merge-patch+json' });
      expect(released.status).toBe(200);
      expect((await api.call('GET', '/api/v1/namespaces/default/configmaps/fin')).status).toBe(404);
      const cm = (await api.call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'pre' } })).json();
      const wrong = await api.call('DELETE', '/api/v1/namespaces/default/configmaps/pre', { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'nope' } });
      expect(wrong.status).toBe(409);
      const right = await api.call('DELETE', '/api/v1/namespaces/default/configmaps/pre', { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: cm.metadata.uid } });
      expect(right.status).toBe(200);
      expect(right.json()).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'pre', kind: 'configmaps', uid: cm.metadata.uid } });
    });

    it('terminates a namespace: Terminating, emptied, then gone', async () => {
      await api.call('POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
      // A finalizer holds the secret, and so the namespace, in Terminating until it is released.
      await api.call('POST', '/api/v1/namespaces/doomed/secrets', { metadata: { name: 's', finalizers: ['example.com/hold'] } });
      const del = await api.call('DELETE', '/api/v1/namespaces/doomed');
      expect(del.status).toBe(202);
      expect(del.json().status.phase).toBe('Terminating');
      expect((await api.call('POST', '/api/v1/namespaces/doomed/secrets', { metadata: { name: 't' } })).status).toBe(403);
      await waitFor('the secret being deleted', async () => Boolean((await api.call('GET', '/api/v1/namespaces/doomed/secrets/s')).json().metadata.deletionTimestamp));
      expect((await api.call('PATCH', '/api/v1/namespaces/doomed/secrets/s', { metadata: { finalizers: null } }, { 'content-type': 'application/merge-patch+json' })).status).toBe(200);
      await waitFor('the namespace to be gone', async () => (await api.call('GET', '/api/v1/namespaces/doomed')).status === 404);
      expect((await api.call('GET', '/api/v1/namespaces/doomed/secrets')).json().items).toEqual([]);
    });

    it('deletes a namespace’s pods first and says in its conditions what is left and which finalizers hold it', async () => {
      await api.call('POST', '/api/v1/namespaces', { metadata: { name: 'ordered' } });
      await waitFor('the default service account', async () => (await api.call('GET', '/api/v1/namespaces/ordered/serviceaccounts/default')).status === 200);
      const pod = await api.call('POST', '/api/v1/namespaces/ordered/pods', { metadata: { name: 'held', finalizers: ['example.com/hold'] }, spec: { containers: [{ name: 'c', image: 'x:1' }] } });
      expect(pod.status).toBe(201);
      expect((await api.call('POST', '/api/v1/namespaces/ordered/configmaps', { metadata: { name: 'kept' } })).status).toBe(201);
      expect((await api.call('DELETE', '/api/v1/namespaces/ordered')).status).toBe(202);
      const conditions = await waitFor('the deletion conditions', async () => {
        const ns = (await api.call('GET', '/api/v1/namespaces/ordered')).json();
        const byType = Object.fromEntries((ns.status?.conditions ?? []).map((c: any) => [c.type, c]));
        return byType.NamespaceDeletionContentFailure?.status === 'True' && byType.NamespaceFinalizersRemaining?.status === 'True' ? byType : undefined;
      });
      expect(conditions.NamespaceDeletionContentFailure).toMatchObject({ reason: 'ContentDeletionFailed', message: 'Failed to delete all resource types, 1 remaining: unexpected items still remain in namespace: ordered for gvr: /v1, Resource=pods' });
      expect(conditions.NamespaceContentRemaining).toMatchObject({ status: 'True', reason: 'SomeResourcesRemain', message: 'Some resources are remaining: pods. has 1 resource instances' });
      expect(conditions.NamespaceFinalizersRemaining).toMatchObject({ reason: 'SomeFinalizersRemain', message: 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances' });
      expect(conditions.NamespaceDeletionDiscoveryFailure).toMatchObject({ status: 'False', reason: 'ResourcesDiscovered' });
      // The pod is being deleted; nothing else is touched while it remains.
      expect((await api.call('GET', '/api/v1/namespaces/ordered/pods/held')).json().metadata.deletionTimestamp).toBeTruthy();
      expect((await api.call('GET', '/api/v1/namespaces/ordered/configmaps/kept')).status).toBe(200);
      const released = await api.call('PATCH', '/api/v1/namespaces/ordered/pods/held', { metadata: { finalizers: null } }, { 'content-type': 'application/merge-patch+json' });
      expect(released.status).toBe(200);
      await waitFor('the namespace to be gone', async () => (await api.call('GET', '/api/v1/namespaces/ordered')).status === 404);
      expect((await api.call('GET', '/api/v1/namespaces/ordered/configmaps')).json().items).toEqual([]);
    });
  });
});
