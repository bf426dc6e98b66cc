/**
 * Acceptance: managed fields and server-side apply with the real `kubectl` against an emulated cluster (SPEC W-18,
 * W-19): `apply --server-side` creating, then pruning what it no longer names; ownership conflicts after `kubectl
 * scale` in kubectl's words and `--force-conflicts`; `get --show-managed-fields`; managers kubectl names itself
 * (create, edit, label); `--dry-run=server` writing nothing; `kubectl diff`.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../../testkit/optional.js';
import { createArmCluster } from '../../testkit/kube/arm-cluster.js';
import { kubeApi, kubectl, kubectlHome, startEmulatorWithFixtures, type KubeApiClient, type KubectlHome, type TestEmulator, kubectlOk } from '../../testkit/kube/kube-env.js';

const deployment = (name: string, replicas: number, labels: Record<string, string>, image = 'nginx:1.25') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels:
${Object.entries(labels).map(([k, v]) => `    ${k}: ${v}`).join('\n')}
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
      - name: web
        image: ${image}
        ports:
        - containerPort: 80
`;

interface Entry {
  manager: string;
  operation: string;
  apiVersion: string;
  subresource?: string;
  time?: string;
  fieldsType: string;
  fieldsV1: any;
}

describeWith(['kubectl'], 'server-side apply and managed fields with kubectl', () => {
  let emu: TestEmulator;
  let h: KubectlHome;
  let api: KubeApiClient;

  const ok = (args: string[], stdin?: string) => kubectlOk(h, args, stdin);
  const managed = async (kind: string, name: string): Promise<Entry[]> => {
    const r = await ok(['get', kind, name, '-o', 'json', '--show-managed-fields']);
    return (r.json() as { metadata: { managedFields?: Entry[] } }).metadata.managedFields ?? [];
  };

  beforeAll(async () => {
    emu = await startEmulatorWithFixtures({ now: new Date('2026-05-01T00:00:00Z') });
    const cluster = await createArmCluster(emu, { name: 'ssa', resourceGroup: 'rg', properties: { kubernetesVersion: '1.33' }, pools: [{ name: 'nodepool1', count: 1 }] });
    h = await kubectlHome(emu, cluster);
    api = await kubeApi(emu, cluster, true);
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('applies server-side twice: the second apply removes the label it no longer names; get --show-managed-fields shows the Apply entry (SPEC W-18, W-19)', async () => {
    const first = await ok(['apply', '--server-side', '-f', '-'], deployment('ssa', 2, { app: 'ssa', tier: 'front' }));
    expect(first.stdout.trim()).toBe('deployment.apps/ssa serverside-applied');
    const entries = await managed('deploy', 'ssa');
    const apply = entries.find((e) => e.operation === 'Apply');
    expect(apply).toMatchObject({ manager: 'kubectl', apiVersion: 'apps/v1', fieldsType: 'FieldsV1' });
    expect(apply!.fieldsV1['f:metadata']).toEqual({ 'f:labels': { 'f:app': {}, 'f:tier': {} } });
    expect(apply!.fieldsV1['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"web"}']['f:ports']).toEqual({
      'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} },
    });
    const yaml = await ok(['get', 'deploy', 'ssa', '-o', 'yaml', '--show-managed-fields']);
    expect(yaml.stdout).toContain('managedFields:');
    expect(yaml.stdout).toContain('operation: Apply');
    // Without the flag kubectl hides them, as it does against any cluster.
    expect((await ok(['get', 'deploy', 'ssa', '-o', 'yaml'])).stdout).not.toContain('managedFields');

    const second = await ok(['apply', '--server-side', '-f', '-'], deployment('ssa', 2, { app: 'ssa' }));
    expect(second.stdout.trim()).toBe('deployment.apps/ssa serverside-applied');
    const d = (await ok(['get', 'deploy', 'ssa', '-o', 'json'])).json() as { metadata: { labels: Record<string, string> } };
    expect(d.metadata.labels).toEqual({ app: 'ssa' });
  });

  it('refuses an apply changing replicas that kubectl scale set, in upstream words, until --force-conflicts (SPEC W-19)', async () => {
    await ok(['scale', 'deploy', 'ssa', '--replicas=4']);
    const scaled = (await managed('deploy', 'ssa')).find((e) => e.subresource === 'scale');
    // kubectl scale names no field manager: the User-Agent's product ("kubectl/v1.x ...") is the manager.
    expect(scaled).toMatchObject({ manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } });

    const refused = await kubectl(h, ['apply', '--server-side', '-f', '-'], deployment('ssa', 3, { app: 'ssa' }));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas');
    expect(refused.stderr).toContain('Please review the fields above--they currently have other managers.');
    expect(((await ok(['get', 'deploy', 'ssa', '-o', 'json'])).json() as { spec: { replicas: number } }).spec.replicas).toBe(4);

    await ok(['apply', '--server-side', '--force-conflicts', '-f', '-'], deployment('ssa', 3, { app: 'ssa' }));
    expect(((await ok(['get', 'deploy', 'ssa', '-o', 'json'])).json() as { spec: { replicas: number } }).spec.replicas).toBe(3);
    const after = await managed('deploy', 'ssa');
    expect(after.find((e) => e.subresource === 'scale')).toBeUndefined();
  });

  it('names the conflict with a client-side apply as kubectl-client-side-apply (SPEC W-18, W-19)', async () => {
    await ok(['apply', '-f', '-'], deployment('csa', 1, { app: 'csa' }));
    expect((await managed('deploy', 'csa')).map((e) => [e.manager, e.operation])).toContainEqual(['kubectl-client-side-apply', 'Update']);
    const refused = await kubectl(h, ['apply', '--server-side', '--field-manager=deployer', '-f', '-'], deployment('csa', 2, { app: 'csa' }));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
    // The same configuration applied server-side agrees; kubectl then moves the client-side entry to its own by
    // patching managedFields, which the server takes as sent.
    await ok(['apply', '--server-side', '-f', '-'], deployment('csa', 1, { app: 'csa' }));
    const migrated = await managed('deploy', 'csa');
    expect(migrated.find((e) => e.manager === 'kubectl-client-side-apply')).toBeUndefined();
    expect(migrated.find((e) => e.manager === 'kubectl' && e.operation === 'Apply')!.fieldsV1['f:spec']['f:replicas']).toEqual({});
  });

  it('records the managers kubectl names itself: create, label, edit (SPEC W-18)', async () => {
    await ok(['create', 'configmap', 'settings', '--from-literal=a=1']);
    await ok(['label', 'configmap', 'settings', 'team=blue']);
    const edited = await kubectl({ ...h, env: { ...h.env, KUBE_EDITOR: 'sed -i -e s/a:\\ \\"1\\"/a:\\ \\"2\\"/' } }, ['edit', 'configmap', 'settings']);
    expect(edited.code, edited.stderr).toBe(0);
    const entries = await managed('configmap', 'settings');
    const byManager = Object.fromEntries(entries.map((e) => [e.manager, e]));
    expect(Object.keys(byManager).sort()).toEqual(['kubectl-create', 'kubectl-edit', 'kubectl-label']);
    expect(byManager['kubectl-label']!.fieldsV1).toEqual({ 'f:metadata': { 'f:labels': { '.': {}, 'f:team': {} } } });
    // The edited value moved from its creator to the editor.
    expect(byManager['kubectl-edit']!.fieldsV1).toEqual({ 'f:data': { 'f:a': {} } });
    expect(byManager['kubectl-create']!.fieldsV1['f:data']?.['f:a']).toBeUndefined();
  });

  it('writes nothing on --dry-run=server (apply, server-side apply, create, delete) (SPEC W-19)', async () => {
    const created = await ok(['apply', '--server-side', '--dry-run=server', '-f', '-'], deployment('ghost', 1, { app: 'ghost' }));
    expect(created.stdout.trim()).toBe('deployment.apps/ghost serverside-applied (server dry run)');
    await ok(['apply', '--dry-run=server', '-f', '-'], deployment('ghost', 1, { app: 'ghost' }));
    await ok(['create', 'configmap', 'ghost', '--dry-run=server']);
    expect((await kubectl(h, ['get', 'deploy', 'ghost'])).stderr).toContain('NotFound');
    expect((await kubectl(h, ['get', 'configmap', 'ghost'])).stderr).toContain('NotFound');

    const before = (await ok(['get', 'deploy', 'ssa', '-o', 'json'])).json() as { metadata: { resourceVersion: string } };
    await ok(['apply', '--server-side', '--force-conflicts', '--dry-run=server', '-f', '-'], deployment('ssa', 7, { app: 'ssa' }));
    await ok(['delete', 'deploy', 'ssa', '--dry-run=server']);
    const after = (await ok(['get', 'deploy', 'ssa', '-o', 'json'])).json() as { metadata: { resourceVersion: string }; spec: { replicas: number } };
    expect(after.spec.replicas).toBe(3);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('diffs against the server (kubectl diff, client- and server-side)', async () => {
    const same = await kubectl(h, ['diff', '--server-side', '--force-conflicts', '-f', '-'], deployment('ssa', 3, { app: 'ssa' }));
    expect(same.code, same.stderr + same.stdout).toBe(0);
    expect(same.stdout).toBe('');
    const changed = await kubectl(h, ['diff', '--server-side', '--force-conflicts', '-f', '-'], deployment('ssa', 5, { app: 'ssa' }));
    expect(changed.code, changed.stderr).toBe(1);
    expect(changed.stdout).toMatch(/-\s+replicas: 3/);
    expect(changed.stdout).toMatch(/\+\s+replicas: 5/);
    const client = await kubectl(h, ['diff', '-f', '-'], deployment('csa', 2, { app: 'csa' }, 'nginx:1.27'));
    expect(client.code, client.stderr).toBe(1);
    expect(client.stdout).toMatch(/\+\s+- image: nginx:1\.27/);
  });

  it('answers the patch options upstream refuses with 422 on PatchOptions, and clears managed fields on [{}] (SPEC W-18, W-19)', async () => {
    const cm = '/api/v1/namespaces/default/configmaps';
    const apply = { 'content-type': 'application/apply-patch+yaml' };
    const body = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: raw\ndata:\n  a: "1"\n';
    const missing = await api.call('PATCH', `${cm}/raw`, body, apply);
    expect(missing.status, missing.text).toBe(422);
    expect(missing.json()).toMatchObject({ reason: 'Invalid', message: 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch' });
    const created = await api.call('PATCH', `${cm}/raw?fieldManager=raw-applier`, body, apply);
    expect(created.status, created.text).toBe(201);
    expect(created.json().metadata.managedFields).toMatchObject([{ manager: 'raw-applier', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} } } }]);
    const forced = await api.call('PATCH', `${cm}/raw?force=true`, { data: { a: '2' } }, { 'content-type': 'application/merge-patch+json' });
    expect(forced.status, forced.text).toBe(422);
    expect(forced.json().message).toBe('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
    const reset = await api.call('PATCH', `${cm}/raw`, [{ op: 'replace', path: '/metadata/managedFields', value: [{}] }], { 'content-type': 'application/json-patch+json' });
    expect(reset.status, reset.text).toBe(200);
    expect(reset.json().metadata.managedFields).toBeUndefined();
  });
});
