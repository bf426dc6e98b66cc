/**
 * Acceptance: the real, preinstalled `kubectl` (Google's dispatcher in front of kubectl 1.27–1.33), in a
 * clean HOME whose only configuration is the kubeconfig `listClusterUserCredential` returned, runs the seeds'
 * commands against a managed cluster created through ARM, with a FIPS node pool (SPEC A-1, A-2, C-3, C-4, F-1,
 * K-2, K-7).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registryKey } from '../../src/clusters/cluster-registry.js';
import { describeWith } from '../../testkit/optional.js';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { createArmCluster } from '../../testkit/kube/arm-cluster.js';
import { kubectl, kubectlHome, kubectlStream, settle, startEmulatorWithFixtures, waitFor, type KubectlHome, type TestEmulator } from '../../testkit/kube/kube-env.js';

const podManifest = (name: string, selector: Record<string, string>) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  nodeSelector:
${Object.entries(selector)
  .map(([k, v]) => `    ${k}: "${v}"`)
  .join('\n')}
  containers:
  - name: app
    image: mcr.microsoft.com/dotnet/runtime-deps:6.0
`;

describeWith(['kubectl'], 'kubectl against an emulated cluster', () => {
  let emu: TestEmulator;
  let cluster: FixtureCluster;
  let h: KubectlHome;

  beforeAll(async () => {
    // An emulated date on which Kubernetes 1.33 is supported, so that the dispatcher runs kubectl 1.33.
    emu = await startEmulatorWithFixtures({ now: new Date('2026-05-01T00:00:00Z') });
    cluster = await createArmCluster(emu, {
      name: 'myAKSCluster',
      resourceGroup: 'myResourceGroup',
      properties: { kubernetesVersion: '1.33' },
      pools: [
        { name: 'nodepool1', count: 1 },
        { name: 'fipsnp', count: 3, enableFIPS: true, mode: 'User' },
      ],
    });
    h = await kubectlHome(emu, cluster);
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('lists the nodes with the seed column layout (NAME STATUS ROLES AGE VERSION)', async () => {
    const res = await kubectl(h, ['get', 'nodes']);
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines[0]!.split(/\s+/)).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
    expect(lines).toHaveLength(5);
    for (const line of lines.slice(1)) {
      const [name, status, roles, age, version] = line.split(/\s+/);
      expect(name).toMatch(/^aks-(nodepool1|fipsnp)-\d{8}-vmss[0-9a-z]{6}$/);
      expect(status).toBe('Ready');
      expect(roles).toBe('agent');
      expect(age).toMatch(/^\d+s$/);
      expect(version).toMatch(/^v1\.33\.\d+$/);
    }
    expect(lines.filter((l) => l.startsWith('aks-fipsnp-'))).toHaveLength(3);
  });

  it('shows node labels and selects FIPS nodes by label', async () => {
    const all = await kubectl(h, ['get', 'nodes', '--show-labels']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout.split('\n')[0]).toMatch(/LABELS$/);
    const fipsLine = all.stdout.split('\n').find((l) => l.startsWith('aks-fipsnp-'))!;
    expect(fipsLine).toContain('kubernetes.azure.com/fips_enabled=true');
    expect(fipsLine).toContain('kubernetes.azure.com/agentpool=fipsnp');
    const fips = await kubectl(h, ['get', 'nodes', '-l', 'kubernetes.azure.com/fips_enabled=true', '-o', 'name']);
    expect(fips.code, fips.stderr).toBe(0);
    expect(fips.stdout.trim().split('\n').sort()).toEqual(cluster.nodeNames.filter((n) => n.startsWith('aks-fipsnp-')).map((n) => `node/${n}`).sort());
    const wide = await kubectl(h, ['get', 'nodes', '-o', 'wide', '-l', 'kubernetes.azure.com/agentpool=fipsnp']);
    expect(wide.stdout.split('\n')[0]!.split(/\s{2,}/)).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME']);
    expect(wide.stdout).toMatch(/-azure-fips\s/);
  });

  it('lists the kube-system pods, konnectivity-agent among them (SPEC K-7)', async () => {
    const res = await kubectl(h, ['get', 'po', '-n', 'kube-system']);
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines[0]!.split(/\s+/)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    const rows = lines.slice(1).map((l) => l.split(/\s+/));
    const named = (prefix: RegExp) => rows.filter((r) => prefix.test(r[0]!));
    expect(named(/^konnectivity-agent-[a-z0-9]{10}-[a-z0-9]{5}$/)).toHaveLength(2);
    expect(named(/^coredns-[a-z0-9]{10}-[a-z0-9]{5}$/)).toHaveLength(2);
    expect(named(/^kube-proxy-[a-z0-9]{5}$/)).toHaveLength(4);
    expect(named(/^metrics-server-/)).toHaveLength(2);
    for (const r of rows) {
      expect(r[2]).toBe('Running');
      const [ready, total] = r[1]!.split('/');
      expect(ready).toBe(total);
    }
  });

  it('applies a pod with a FIPS nodeSelector that lands on a FIPS node, and one that matches nothing and stays Pending', async () => {
    const fips = await kubectl(h, ['apply', '-f', '-'], podManifest('fips-app', { 'kubernetes.azure.com/fips_enabled': 'true' }));
    expect(fips.code, fips.stderr).toBe(0);
    expect(fips.stdout.trim()).toBe('pod/fips-app created');
    const nowhere = await kubectl(h, ['apply', '-f', '-'], podManifest('nowhere', { 'kubernetes.azure.com/fips_enabled': 'true', disktype: 'ssd' }));
    expect(nowhere.code, nowhere.stderr).toBe(0);
    await settle(emu, cluster);

    const pod = (await kubectl(h, ['get', 'pod', 'fips-app', '-o', 'json'])).json();
    expect(pod.status.phase).toBe('Running');
    expect(pod.spec.nodeName).toMatch(/^aks-fipsnp-/);
    const node = (await kubectl(h, ['get', 'node', pod.spec.nodeName, '-o', 'json'])).json();
    expect(node.metadata.labels['kubernetes.azure.com/fips_enabled']).toBe('true');
    expect(pod.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain('fips_enabled');

    const table = await kubectl(h, ['get', 'pods']);
    const row = (name: string) => table.stdout.split('\n').find((l) => l.startsWith(`${name} `))!.split(/\s+/);
    expect(row('fips-app').slice(1, 3)).toEqual(['1/1', 'Running']);
    expect(row('nowhere').slice(1, 3)).toEqual(['0/1', 'Pending']);

    const events = await kubectl(h, ['get', 'events', '--field-selector', 'involvedObject.name=nowhere,reason=FailedScheduling', '-o', 'json']);
    const messages = events.json().items.map((e: any) => e.message);
    expect(messages).toEqual(["0/4 nodes are available: 4 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling."]);
    const describe = await kubectl(h, ['describe', 'pod', 'nowhere']);
    expect(describe.stdout).toContain('FailedScheduling');

    // Re-apply: kubectl computes a strategic merge patch from last-applied and sends a PATCH.
    const reapplied = await kubectl(h, ['apply', '-f', '-'], podManifest('fips-app', { 'kubernetes.azure.com/fips_enabled': 'true' }).replace('runtime-deps:6.0', 'runtime-deps:8.0'));
    expect(reapplied.code, reapplied.stderr).toBe(0);
    expect(reapplied.stdout.trim()).toBe('pod/fips-app configured');
    const after = (await kubectl(h, ['get', 'pod', 'fips-app', '-o', 'json'])).json();
    expect(after.spec.containers[0].image).toBe('mcr.microsoft.com/dotnet/runtime-deps:8.0');
    expect(after.metadata.generation).toBe(2);
  });

  it('creates a generic secret (protobuf request body), defaulted to type Opaque', async () => {
    const res = await kubectl(h, ['create', 'secret', 'generic', 'db-password', '--from-literal=password=s3cr3t']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.trim()).toBe('secret/db-password created');
    const got = (await kubectl(h, ['get', 'secret', 'db-password', '-o', 'json'])).json();
    expect(got.type).toBe('Opaque');
    expect(Buffer.from(got.data.password, 'base64').toString()).toBe('s3cr3t');
    expect(got.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    const table = await kubectl(h, ['get', 'secrets']);
    expect(table.stdout.split('\n')[0]!.split(/\s+/)).toEqual(['NAME', 'TYPE', 'DATA', 'AGE']);
    expect(table.stdout).toMatch(/db-password\s+Opaque\s+1\s+\d+s/);
  });

  it('rewrites every secret with get secrets -A -o json | kubectl replace -f - (resourceVersion bumped)', async () => {
    for (const ns of ['default', 'team-a']) {
      if (ns !== 'default') expect((await kubectl(h, ['create', 'namespace', ns])).code).toBe(0);
      for (let i = 0; i < 3; i++) expect((await kubectl(h, ['create', 'secret', 'generic', `s${i}`, '-n', ns, `--from-literal=k=v${i}`])).code).toBe(0);
    }
    const before = (await kubectl(h, ['get', 'secrets', '-A', '-o', 'json'])).json();
    expect(before.items.length).toBeGreaterThanOrEqual(7);
    const storeRevs = new Map<string, number>();
    for (const s of before.items) {
      const kv = await emu.core.store.get(registryKey(cluster.uid, 'secrets', s.metadata.namespace, s.metadata.name));
      storeRevs.set(`${s.metadata.namespace}/${s.metadata.name}`, kv!.modRevision);
      expect(String(kv!.modRevision)).toBe(s.metadata.resourceVersion);
    }
    const replaced = await kubectl(h, ['replace', '-f', '-'], JSON.stringify(before));
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stdout.trim().split('\n')).toHaveLength(before.items.length);
    const after = (await kubectl(h, ['get', 'secrets', '-A', '-o', 'json'])).json();
    expect(after.items).toHaveLength(before.items.length);
    for (const s of after.items) {
      const key = `${s.metadata.namespace}/${s.metadata.name}`;
      const old = before.items.find((b: any) => `${b.metadata.namespace}/${b.metadata.name}` === key);
      expect(Number(s.metadata.resourceVersion)).toBeGreaterThan(Number(old.metadata.resourceVersion));
      expect(s.metadata.uid).toBe(old.metadata.uid);
      expect(s.data).toEqual(old.data);
      const kv = await emu.core.store.get(registryKey(cluster.uid, 'secrets', s.metadata.namespace, s.metadata.name));
      expect(kv!.modRevision).toBeGreaterThan(storeRevs.get(key)!);
    }
  });

  it('answers a stale replace with 409 Conflict', async () => {
    expect((await kubectl(h, ['create', 'secret', 'generic', 'stale', '--from-literal=a=1'])).code).toBe(0);
    const old = (await kubectl(h, ['get', 'secret', 'stale', '-o', 'json'])).stdout;
    const patched = await kubectl(h, ['patch', 'secret', 'stale', '-p', '{"stringData":{"a":"2"}}']);
    expect(patched.code, patched.stderr).toBe(0);
    const res = await kubectl(h, ['replace', '-f', '-'], old);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('Error from server (Conflict)');
    expect(res.stderr).toContain('Operation cannot be fulfilled on secrets "stale": the object has been modified; please apply your changes to the latest version and try again');
    const now = (await kubectl(h, ['get', 'secret', 'stale', '-o', 'jsonpath={.data.a}'])).stdout;
    expect(Buffer.from(now, 'base64').toString()).toBe('2');
  });

  it('deletes objects: a secret at once, a running pod after its kubelet stops it', async () => {
    const del = await kubectl(h, ['delete', 'secret', 'db-password']);
    expect(del.code, del.stderr).toBe(0);
    expect(del.stdout.trim()).toBe('secret "db-password" deleted');
    const gone = await kubectl(h, ['get', 'secret', 'db-password']);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr.trim()).toBe('Error from server (NotFound): secrets "db-password" not found');
    // kubectl waits until the pod is really gone (watching it); the kubelet simulation removes it.
    const delPod = await kubectl(h, ['delete', 'pod', 'fips-app']);
    expect(delPod.code, delPod.stderr).toBe(0);
    expect(delPod.stdout.trim()).toBe('pod "fips-app" deleted');
    expect((await kubectl(h, ['get', 'pod', 'fips-app'])).code).not.toBe(0);
  });

  it('puts back a deleted default service account and kube-root-ca.crt, and a changed CA bundle, as upstream controllers do', async () => {
    const ca = JSON.parse((await kubectl(h, ['get', 'configmap', 'kube-root-ca.crt', '-o', 'json'])).stdout).data['ca.crt'] as string;
    expect(ca).toContain('BEGIN CERTIFICATE');
    expect((await kubectl(h, ['delete', 'configmap', 'kube-root-ca.crt'])).code).toBe(0);
    expect((await kubectl(h, ['delete', 'serviceaccount', 'default'])).code).toBe(0);
    await waitFor('kube-root-ca.crt again', async () => (await kubectl(h, ['get', 'configmap', 'kube-root-ca.crt'])).code === 0);
    await waitFor('the default service account again', async () => (await kubectl(h, ['get', 'serviceaccount', 'default'])).code === 0);
    const emptied = await kubectl(h, ['patch', 'configmap', 'kube-root-ca.crt', '--type=merge', '-p', '{"data":{"ca.crt":""}}']);
    expect(emptied.code, emptied.stderr).toBe(0);
    await waitFor('the CA bundle set back', async () => JSON.parse((await kubectl(h, ['get', 'configmap', 'kube-root-ca.crt', '-o', 'json'])).stdout).data['ca.crt'] === ca);
  });

  it('stores PodTemplates with their pod defaults and kubectl columns, and refuses a template without containers (SPEC W-4)', async () => {
    const template = (name: string, containers: unknown[]) =>
      JSON.stringify({ apiVersion: 'v1', kind: 'PodTemplate', metadata: { name }, template: { metadata: { labels: { app: name } }, spec: { containers } } });
    const made = await kubectl(h, ['create', '-f', '-'], template('batch-tpl', [{ name: 'worker', image: 'busybox:1.36' }]));
    expect(made.code, made.stderr).toBe(0);
    const [head, row] = (await kubectl(h, ['get', 'podtemplates'])).stdout.trim().split('\n');
    expect(head!.split(/\s{2,}/)).toEqual(['NAME', 'CONTAINERS', 'IMAGES', 'POD LABELS', 'AGE']);
    expect(row!.split(/\s+/).slice(0, 4)).toEqual(['batch-tpl', 'worker', 'busybox:1.36', 'app=batch-tpl']);
    const stored = JSON.parse((await kubectl(h, ['get', 'podtemplate', 'batch-tpl', '-o', 'json'])).stdout);
    expect(stored.template.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' });
    const empty = await kubectl(h, ['create', '-f', '-'], template('empty-tpl', []));
    expect(empty.stderr).toContain('PodTemplate "empty-tpl" is invalid: template.spec.containers: Required value');
  });

  it('streams changes to kubectl get -w', async () => {
    const w = kubectlStream(h, ['get', 'configmaps', '-n', 'default', '-w', '--output-watch-events']);
    try {
      await waitFor('the initial listing', () => w.output().includes('kube-root-ca.crt'));
      expect((await kubectl(h, ['create', 'configmap', 'watched', '--from-literal=a=1'])).code).toBe(0);
      expect((await kubectl(h, ['patch', 'configmap', 'watched', '--type', 'merge', '-p', '{"data":{"b":"2"}}'])).code).toBe(0);
      expect((await kubectl(h, ['delete', 'configmap', 'watched'])).code).toBe(0);
      await waitFor('the DELETED event', () => /DELETED\s+watched/.test(w.output()));
      const lines = w.output().trim().split('\n');
      const events = lines.filter((l) => /\swatched\s/.test(l)).map((l) => l.split(/\s+/).slice(0, 3));
      expect(events).toEqual([
        ['ADDED', 'watched', '1'],
        ['MODIFIED', 'watched', '2'],
        ['DELETED', 'watched', '2'],
      ]);
    } finally {
      w.child.kill('SIGTERM');
      await w.exited;
    }
  });

  it('signs in with the local account on a cluster without Entra ID integration, user and admin credentials alike (SPEC Z-2)', async () => {
    const res = await kubectl(h, ['auth', 'whoami', '-o', 'json']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.json().status.userInfo.username).toBe('masterclient');
    const admin = await kubectlHome(emu, cluster, true);
    const adminWho = await kubectl(admin, ['auth', 'whoami', '-o', 'json']);
    expect(adminWho.json().status.userInfo.username).toBe('masterclient');
    expect(adminWho.json().status.userInfo.groups).toContain('system:masters');
    const ctx = await kubectl(admin, ['config', 'current-context']);
    // As on AKS the admin kubeconfig's context is named after the cluster (az renames it <name>-admin on merge).
    expect(ctx.stdout.trim()).toBe('myAKSCluster');
    expect((await kubectl(admin, ['config', 'view', '-o', 'jsonpath={.contexts[0].context.user}'])).stdout).toBe('clusterAdmin_myResourceGroup_myAKSCluster');
  });
});
