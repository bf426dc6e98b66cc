/**
 * Acceptance: OpenAPI v3 (SPEC W-26). The documents' shape (every served kind with its group-version-kind, refs
 * that resolve, the strategic-merge extensions the server acts on, upstream's hash and caching), and the real
 * kubectl using them: `explain`, and a client-side `apply` (and `diff`) whose patch kubectl computes from the v3
 * schemas.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../../testkit/optional.js';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { createArmCluster } from '../../testkit/kube/arm-cluster.js';
import { kubeApi, kubectl, kubectlHome, type KubeApiClient, type KubectlHome, type TestEmulator, startEmulatorWithFixtures } from '../../testkit/kube/kube-env.js';

type Schema = Record<string, any>;

const deployment = (containers: string, strategy = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  replicas: 1
  selector:
    matchLabels:
      app: shop
${strategy}  template:
    metadata:
      labels:
        app: shop
    spec:
      containers:
${containers}`;

describeWith(['kubectl'], 'OpenAPI v3', () => {
  let emu: TestEmulator;
  let cluster: FixtureCluster;
  let h: KubectlHome;
  let api: KubeApiClient;

  beforeAll(async () => {
    emu = await startEmulatorWithFixtures({ now: new Date('2026-05-01T00:00:00Z') });
    cluster = await createArmCluster(emu, { name: 'openapi', resourceGroup: 'rg', properties: { kubernetesVersion: '1.33' }, pools: [{ name: 'nodepool1', count: 1 }] });
    h = await kubectlHome(emu, cluster);
    api = await kubeApi(emu, cluster);
  });
  afterAll(async () => {
    await emu?.close();
  });

  const index = async () => {
    const res = await api.call('GET', '/openapi/v3');
    expect(res.status).toBe(200);
    return res.json() as { paths: Record<string, { serverRelativeURL: string }> };
  };

  it('lists a document for every served group-version, each describing every kind with resolvable refs', async () => {
    const { paths } = await index();
    const groups = (await api.call('GET', '/apis')).json() as { groups: Array<{ versions: Array<{ groupVersion: string }> }> };
    const served = ['api/v1', ...groups.groups.flatMap((g) => g.versions.map((v) => `apis/${v.groupVersion}`))];
    // metrics.k8s.io has no schema here (as an aggregated API's document is its own server's)
    expect(Object.keys(paths).sort()).toEqual(served.filter((p) => !p.startsWith('apis/metrics.k8s.io/')).sort());
    for (const [gv, { serverRelativeURL }] of Object.entries(paths)) {
      expect(serverRelativeURL).toMatch(new RegExp(`^/openapi/v3/${gv.replace(/\./g, '\\.')}\\?hash=[0-9A-F]{128}$`));
      const res = await api.call('GET', serverRelativeURL);
      expect(res.status, gv).toBe(200);
      const doc = res.json() as { openapi: string; paths: Record<string, Schema>; components: { schemas: Record<string, Schema> } };
      expect(doc.openapi).toBe('3.0.0');
      const gvks = Object.values(doc.components.schemas).flatMap((s) => (s['x-kubernetes-group-version-kind'] ?? []) as Array<{ group: string; version: string; kind: string }>);
      const list = (await api.call('GET', `/${gv}`)).json() as { groupVersion: string; resources: Array<{ name: string; kind: string; verbs: string[] }> };
      const [group, version] = list.groupVersion.includes('/') ? list.groupVersion.split('/') : ['', list.groupVersion];
      for (const r of list.resources.filter((x) => !x.name.includes('/'))) {
        expect(gvks, `${gv} ${r.kind}`).toContainEqual({ group, version, kind: r.kind });
      }
      const refs = JSON.stringify(doc).match(/"#\/components\/schemas\/[^"]+"/g) ?? [];
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of new Set(refs)) expect(doc.components.schemas, `${gv} ${ref}`).toHaveProperty([ref.slice('"#/components/schemas/'.length, -1)]);
    }
  });

  it('carries the strategic-merge and list extensions the server merges by, and PATCH takes fieldValidation', async () => {
    const { paths } = await index();
    const apps = (await api.call('GET', paths['apis/apps/v1']!.serverRelativeURL)).json() as { paths: Record<string, Schema>; components: { schemas: Record<string, Schema> } };
    const schemas = apps.components.schemas;
    expect(schemas['io.k8s.api.apps.v1.Deployment']!['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    const spec = schemas['io.k8s.api.apps.v1.DeploymentSpec']!.properties;
    expect(spec.strategy['x-kubernetes-patch-strategy']).toBe('retainKeys');
    expect(spec.template.allOf).toEqual([{ $ref: '#/components/schemas/io.k8s.api.core.v1.PodTemplateSpec' }]);
    expect(spec.selector.allOf).toEqual([{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector' }]);
    const podSpec = schemas['io.k8s.api.core.v1.PodSpec']!.properties;
    expect(podSpec.containers).toMatchObject({ type: 'array', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] });
    expect(podSpec.volumes['x-kubernetes-patch-strategy']).toBe('merge,retainKeys');
    expect(podSpec.tolerations['x-kubernetes-patch-strategy']).toBeUndefined();
    expect(podSpec.tolerations['x-kubernetes-list-type']).toBe('atomic');
    const container = schemas['io.k8s.api.core.v1.Container']!.properties;
    expect(container.ports).toMatchObject({ 'x-kubernetes-patch-merge-key': 'containerPort', 'x-kubernetes-list-map-keys': ['containerPort', 'protocol'] });
    expect(container.volumeMounts['x-kubernetes-patch-merge-key']).toBe('mountPath');
    expect(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']!.properties.finalizers).toMatchObject({ 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'set' });
    expect(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector']!['x-kubernetes-map-type']).toBe('atomic');
    const patch = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']!.patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
    expect(patch.parameters.map((p: Schema) => p.name)).toContain('fieldValidation');
    expect(Object.keys(patch.requestBody.content)).toContain('application/strategic-merge-patch+json');
    const scale = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale']!.put;
    expect(scale['x-kubernetes-group-version-kind']).toEqual({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
  });

  it("describes the pods' streaming subresources as upstream: log a GET of text, exec and attach connect actions", async () => {
    const { paths } = await index();
    const core = (await api.call('GET', paths['api/v1']!.serverRelativeURL)).json() as { paths: Record<string, Schema> };
    const pod = '/api/v1/namespaces/{namespace}/pods/{name}';
    const log = core.paths[`${pod}/log`]!;
    expect(log.get).toMatchObject({ operationId: 'readCoreV1NamespacedPodLog', 'x-kubernetes-action': 'get', 'x-kubernetes-group-version-kind': { group: '', version: 'v1', kind: 'Pod' } });
    expect(log.get.responses['200'].content['text/plain'].schema).toEqual({ type: 'string' });
    expect(log.parameters.map((p: Schema) => p.name)).toEqual(expect.arrayContaining(['name', 'namespace', 'container', 'follow', 'previous', 'sinceSeconds', 'tailLines', 'timestamps']));
    for (const [sub, kind, options] of [['exec', 'PodExecOptions', ['command', 'container', 'stdin', 'tty']], ['attach', 'PodAttachOptions', ['container', 'stdin', 'tty']]] as const) {
      const entry = core.paths[`${pod}/${sub}`]!;
      const Sub = sub[0]!.toUpperCase() + sub.slice(1);
      expect(entry.get).toMatchObject({ operationId: `connectCoreV1GetNamespacedPod${Sub}`, 'x-kubernetes-action': 'connect', 'x-kubernetes-group-version-kind': { group: '', version: 'v1', kind } });
      expect(entry.post.operationId).toBe(`connectCoreV1PostNamespacedPod${Sub}`);
      expect(entry.parameters.map((p: Schema) => p.name)).toEqual(expect.arrayContaining([...options]));
    }
    expect(core.paths[`${pod}/binding`]!.post).toMatchObject({ operationId: 'createCoreV1NamespacedPodBinding', 'x-kubernetes-group-version-kind': { group: '', version: 'v1', kind: 'Binding' } });
  });

  it('caches by hash as kube-apiserver does: immutable with the current hash, redirected from an old one', async () => {
    const url = (await index()).paths['api/v1']!.serverRelativeURL;
    const hash = url.split('hash=')[1]!;
    const current = await api.call('GET', url);
    expect(current.headers['cache-control']).toBe('public, immutable');
    expect(current.headers['etag']).toBe(`"${hash}"`);
    expect(Date.parse(current.headers['expires'] as string)).toBeGreaterThan(Date.now() + 300 * 24 * 3600 * 1000);
    const plain = await api.call('GET', '/openapi/v3/api/v1');
    expect(plain.status).toBe(200);
    expect(plain.headers['cache-control']).toBeUndefined();
    expect(plain.headers['etag']).toBe(`"${hash}"`);
    const old = await api.call('GET', `/openapi/v3/api/v1?hash=${'0'.repeat(128)}`);
    expect(old.status).toBe(301);
    expect(old.headers['location']).toBe(url);
    expect((await api.call('GET', '/openapi/v3/api/v1', undefined, { 'if-none-match': `"${hash}"` })).status).toBe(304);
    expect((await api.call('GET', '/openapi/v3/api/v1', undefined, { accept: 'application/com.github.proto-openapi.spec.v3@v1.0+protobuf' })).status).toBe(406);
    const missing = await api.call('GET', '/openapi/v3/apis/example.com/v1');
    expect(missing.status).toBe(404);
    expect(missing.json()).toMatchObject({ kind: 'Status', reason: 'NotFound' });
  });

  it('kubectl explain prints a field path and a whole kind recursively', async () => {
    const apps = (await api.call('GET', (await index()).paths['apis/apps/v1']!.serverRelativeURL)).json() as { components: { schemas: Record<string, Schema> } };
    const described = apps.components.schemas['io.k8s.api.apps.v1.DeploymentStrategy']!;
    expect(described.description).toMatch(/\w+ \w+ \w+/);
    expect(described.properties.type.description).toMatch(/\w+ \w+ \w+/);
    const strategy = await kubectl(h, ['explain', 'deployment.spec.strategy']);
    expect(strategy.code, strategy.stderr).toBe(0);
    // the API's own descriptions (client-node's, as the decoder's types are), not "<empty>"
    expect(strategy.stdout).toContain(`DESCRIPTION:\n    ${described.description.split(' ').slice(0, 5).join(' ')}`);
    expect(strategy.stdout).toContain(described.properties.type.description.split(' ').slice(0, 4).join(' '));
    expect(strategy.stdout).toMatch(/^GROUP:\s+apps\nKIND:\s+Deployment\nVERSION:\s+v1\n/);
    expect(strategy.stdout).toMatch(/FIELD: strategy <DeploymentStrategy>/);
    expect(strategy.stdout).toMatch(/\n {2}rollingUpdate\t<RollingUpdateDeployment>\n/);
    expect(strategy.stdout).toMatch(/\n {2}type\t<string>\n/);
    const pods = await kubectl(h, ['explain', 'pods', '--recursive']);
    expect(pods.code, pods.stderr).toBe(0);
    expect(pods.stdout).toMatch(/^KIND:\s+Pod\nVERSION:\s+v1\n/);
    expect(pods.stdout).toMatch(/\n {4}containers\t<\[\]Container> -required-\n/);
    expect(pods.stdout).toMatch(/\n {6}image\t<string>\n/);
    expect(pods.stdout).toMatch(/\n {6}resources\t<ResourceRequirements>\n {8}claims\t<\[\]ResourceClaim>/);
    const missing = await kubectl(h, ['explain', 'deployment.spec.nonsense']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('field "nonsense" does not exist');
  });

  it('kubectl apply computes its patch from the v3 schemas and merges containers by name', async () => {
    const first = deployment(`      - name: web
        image: nginx:1.25
        env:
        - name: MODE
          value: blue
      - name: sidecar
        image: busybox:1.36
      - name: metrics
        image: prom/statsd-exporter:v0.26.0
`);
    const created = await kubectl(h, ['apply', '-f', '-'], first);
    expect(created.code, created.stderr).toBe(0);
    // A container kubectl never applied, added by another writer: a merge by name keeps it, a replaced list would not.
    const added = await kubectl(h, ['patch', 'deployment', 'shop', '--type=strategic', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"injected","image":"envoy:v1.30"}]}}}}']);
    expect(added.code, added.stderr).toBe(0);
    const second = deployment(
      `      - name: web
        image: nginx:1.27
        env:
        - name: MODE
          value: green
      - name: metrics
        image: prom/statsd-exporter:v0.26.0
`,
      `  strategy:
    type: Recreate
`,
    );
    const applied = await kubectl(h, ['apply', '-f', '-', '-v=6'], second);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stderr).toMatch(/verb="GET" url="https:\/\/\S+\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}\S*" status="200 OK"/);
    expect(applied.stderr).not.toContain('error calculating patch');
    const got = await kubectl(h, ['get', 'deployment', 'shop', '-o', 'json']);
    const d = got.json() as { spec: { strategy: Schema; template: { spec: { containers: Array<{ name: string; image: string; env?: unknown[] }> } } } };
    const containers = d.spec.template.spec.containers;
    expect(containers.map((c) => c.name).sort()).toEqual(['injected', 'metrics', 'web']);
    expect(containers.find((c) => c.name === 'web')).toMatchObject({ image: 'nginx:1.27', env: [{ name: 'MODE', value: 'green' }] });
    // retainKeys: the server-defaulted rollingUpdate goes with the switch to Recreate
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    // kubectl diff computes the same patch and has the server dry-run it
    const diff = await kubectl(h, ['diff', '-f', '-'], second.replace('nginx:1.27', 'nginx:1.28'));
    expect(diff.code, diff.stderr).toBe(1);
    expect(diff.stderr).not.toContain('error calculating patch');
    expect(diff.stdout).toMatch(/\n-\s+image: nginx:1\.27\n\+\s+image: nginx:1\.28\n/);
    expect(diff.stdout).not.toMatch(/^[-+]\s+- name: injected/m);
  });
});
