/**
 * Acceptance: apps/v1 StatefulSets, their PersistentVolumeClaims and AKS's StorageClasses with the real `kubectl`
 * against an emulated cluster (SPEC W-15, W-16, W-17): ordinals made in order and removed from the highest,
 * Parallel pods, rolling updates from the highest ordinal with a partition, rollout history/undo/status, claims
 * bound to provisioned Azure Disk volumes and kept (or not) by the retention policy, garbage collection on delete.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../../testkit/optional.js';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { createArmCluster } from '../../testkit/kube/arm-cluster.js';
import { kubectl, kubectlHome, settle, startEmulatorWithFixtures, waitFor, type KubectlHome, type TestEmulator } from '../../testkit/kube/kube-env.js';

/** A StatefulSet with a 1Gi claim template; `probe` makes each pod Ready 60 s (emulated) after it starts. */
const statefulSet = (name: string, replicas: number, opts: { image?: string; probe?: boolean; extra?: string } = {}) => `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: ${name}
spec:
  serviceName: ${name}
  replicas: ${replicas}
  selector:
    matchLabels:
      app: ${name}
${opts.extra ?? ''}  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
      - name: main
        image: ${opts.image ?? 'nginx:1.25'}
${opts.probe ? '        readinessProbe:\n          tcpSocket:\n            port: 80\n          initialDelaySeconds: 60\n' : ''}  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: ["ReadWriteOnce"]
      resources:
        requests:
          storage: 1Gi
`;

interface Obj {
  metadata: { name: string; uid: string; labels?: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: string; ownerReferences?: Array<{ kind: string; name: string; uid: string; controller?: boolean }> };
  spec: any;
  status: any;
}

describeWith(['kubectl'], 'StatefulSets and persistent volumes with kubectl', () => {
  let emu: TestEmulator;
  let cluster: FixtureCluster;
  let h: KubectlHome;

  const json = async (args: string[]) => {
    const r = await kubectl(h, [...args, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    return r.json() as { items: Obj[] } & Obj;
  };
  const podNames = async (app: string) =>
    (await json(['get', 'pods', '-l', `app=${app}`])).items
      .filter((p) => !p.metadata.deletionTimestamp)
      .map((p) => p.metadata.name)
      .sort();
  const images = async (app: string) => Object.fromEntries((await json(['get', 'pods', '-l', `app=${app}`])).items.map((p) => [p.metadata.name, p.spec.containers[0].image as string]));
  const advance = async (seconds: number) => {
    emu.core.clock.advance(seconds * 1000);
    await settle(emu, cluster);
  };
  const rolledOut = async (name: string) => {
    const r = await kubectl(h, ['rollout', 'status', `sts/${name}`, '--timeout=60s'], undefined, 90_000);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    emu = await startEmulatorWithFixtures({ now: new Date('2026-05-01T00:00:00Z') });
    cluster = await createArmCluster(emu, { name: 'stateful', resourceGroup: 'rg', properties: { kubernetesVersion: '1.33' }, pools: [{ name: 'nodepool1', count: 2 }] });
    h = await kubectlHome(emu, cluster);
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('serves statefulsets (sts), persistentvolumeclaims (pvc), persistentvolumes (pv) and AKS storage classes (sc) (SPEC W-15, W-17)', async () => {
    const apps = await kubectl(h, ['api-resources']);
    expect(apps.code, apps.stderr).toBe(0);
    const rows = apps.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/));
    expect(rows).toContainEqual(['statefulsets', 'sts', 'apps/v1', 'true', 'StatefulSet']);
    expect(rows).toContainEqual(['persistentvolumeclaims', 'pvc', 'v1', 'true', 'PersistentVolumeClaim']);
    expect(rows).toContainEqual(['persistentvolumes', 'pv', 'v1', 'false', 'PersistentVolume']);
    expect(rows).toContainEqual(['storageclasses', 'sc', 'storage.k8s.io/v1', 'false', 'StorageClass']);
    await settle(emu, cluster);
    const sc = await kubectl(h, ['get', 'sc']);
    const lines = sc.stdout.trim().split('\n').map((l) => l.split(/\s{2,}/));
    expect(lines[0]).toEqual(['NAME', 'PROVISIONER', 'RECLAIMPOLICY', 'VOLUMEBINDINGMODE', 'ALLOWVOLUMEEXPANSION', 'AGE']);
    const byName = Object.fromEntries(lines.slice(1).map((l) => [l[0], l.slice(1, 5)]));
    expect(byName['default (default)']).toEqual(['disk.csi.azure.com', 'Delete', 'WaitForFirstConsumer', 'true']);
    expect(byName['managed-csi-premium']).toEqual(['disk.csi.azure.com', 'Delete', 'WaitForFirstConsumer', 'true']);
    expect(byName['azurefile-csi']).toEqual(['file.csi.azure.com', 'Delete', 'Immediate', 'true']);
  });

  it('creates ordinals in order, each after the previous one is Running and Ready, with identity labels, hostname and a bound claim (SPEC W-15, W-17)', async () => {
    const applied = await kubectl(h, ['apply', '-f', '-'], statefulSet('db', 3, { probe: true }));
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout.trim()).toBe('statefulset.apps/db created');
    await settle(emu, cluster);
    expect(await podNames('db')).toEqual(['db-0']);
    await advance(61);
    expect(await podNames('db')).toEqual(['db-0', 'db-1']);
    await advance(61);
    expect(await podNames('db')).toEqual(['db-0', 'db-1', 'db-2']);
    await advance(61);
    expect(await rolledOut('db')).toContain('partitioned roll out complete: 3 new pods have been updated...');

    const sts = await json(['get', 'sts', 'db']);
    expect(sts.spec.podManagementPolicy).toBe('OrderedReady');
    expect(sts.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(sts.status).toMatchObject({ replicas: 3, readyReplicas: 3, availableReplicas: 3, currentReplicas: 3, updatedReplicas: 3, observedGeneration: 1, collisionCount: 0 });
    expect(sts.status.currentRevision).toBe(sts.status.updateRevision);
    const table = await kubectl(h, ['get', 'sts', 'db']);
    const [head, row] = table.stdout.trim().split('\n');
    expect(head!.split(/\s+/)).toEqual(['NAME', 'READY', 'AGE']);
    expect(row!.split(/\s+/).slice(0, 2)).toEqual(['db', '3/3']);

    const pod = await json(['get', 'pod', 'db-1']);
    expect(pod.metadata.labels).toMatchObject({ app: 'db', 'statefulset.kubernetes.io/pod-name': 'db-1', 'apps.kubernetes.io/pod-index': '1', 'controller-revision-hash': sts.status.updateRevision });
    expect(pod.spec.hostname).toBe('db-1');
    expect(pod.spec.subdomain).toBe('db');
    expect(pod.spec.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'data-db-1' } });
    expect(pod.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'StatefulSet', name: 'db', uid: sts.metadata.uid, controller: true })]);

    const pvc = await json(['get', 'pvc', 'data-db-1']);
    expect(pvc.metadata.labels).toEqual({ app: 'db' });
    expect(pvc.spec.storageClassName).toBe('default');
    expect(pvc.status).toMatchObject({ phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] });
    expect(pvc.spec.volumeName).toBe(`pvc-${pvc.metadata.uid}`);
    expect(pvc.metadata.annotations!['volume.kubernetes.io/selected-node']).toBe(pod.spec.nodeName);
    const pv = await json(['get', 'pv', pvc.spec.volumeName]);
    expect(pv.spec.csi.driver).toBe('disk.csi.azure.com');
    expect(pv.spec.csi.volumeHandle).toMatch(new RegExp(`/resourceGroups/MC_rg_stateful_[a-z0-9]+/providers/Microsoft.Compute/disks/${pv.metadata.name}$`));
    expect(pv.spec.claimRef).toMatchObject({ namespace: 'default', name: 'data-db-1', uid: pvc.metadata.uid });
    expect(pv.status.phase).toBe('Bound');
    const pvcTable = await kubectl(h, ['get', 'pvc', 'data-db-1']);
    const [pvcHead, pvcRow] = pvcTable.stdout.trim().split('\n');
    expect(pvcHead!.split(/\s{2,}/)).toEqual(['NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE']);
    expect(pvcRow!.split(/\s+/).slice(0, 7)).toEqual(['data-db-1', 'Bound', pv.metadata.name, '1Gi', 'RWO', 'default', '<unset>']);
  });

  it('rolls an update from the highest ordinal down, one pod at a time, and undoes it from the revision history (SPEC W-16)', async () => {
    const before = (await json(['get', 'sts', 'db'])).status.currentRevision as string;
    expect((await kubectl(h, ['set', 'image', 'sts/db', 'main=nginx:1.27'])).code).toBe(0);
    await settle(emu, cluster);
    expect(await images('db')).toEqual({ 'db-0': 'nginx:1.25', 'db-1': 'nginx:1.25', 'db-2': 'nginx:1.27' });
    await advance(61);
    expect(await images('db')).toEqual({ 'db-0': 'nginx:1.25', 'db-1': 'nginx:1.27', 'db-2': 'nginx:1.27' });
    const mid = await json(['get', 'sts', 'db']);
    expect(mid.status.currentRevision).toBe(before);
    expect(mid.status.updateRevision).not.toBe(before);
    await advance(61);
    await advance(61);
    expect(await images('db')).toEqual({ 'db-0': 'nginx:1.27', 'db-1': 'nginx:1.27', 'db-2': 'nginx:1.27' });
    expect(await rolledOut('db')).toContain('partitioned roll out complete: 3 new pods have been updated...');
    expect((await json(['get', 'sts', 'db'])).status.currentRevision).toBe(mid.status.updateRevision);

    const history = await kubectl(h, ['rollout', 'history', 'sts/db']);
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout.trim().split('\n').slice(2).map((l) => l.split(/\s+/)[0])).toEqual(['1', '2']);
    const revisions = (await json(['get', 'controllerrevisions', '-l', 'app=db'])).items;
    expect(revisions.map((r) => r.metadata.name).sort()).toEqual([before, mid.status.updateRevision].sort());

    const undo = await kubectl(h, ['rollout', 'undo', 'sts/db']);
    expect(undo.code, undo.stderr).toBe(0);
    expect(undo.stdout.trim()).toBe('statefulset.apps/db rolled back');
    for (let i = 0; i < 4; i++) await advance(61);
    expect(await images('db')).toEqual({ 'db-0': 'nginx:1.25', 'db-1': 'nginx:1.25', 'db-2': 'nginx:1.25' });
    const back = await json(['get', 'sts', 'db']);
    expect(back.status.updateRevision).toBe(before);
    const first = (await json(['get', 'controllerrevision', before])) as unknown as { revision: number };
    expect(first.revision).toBe(3);
  });

  it('updates only the ordinals at or above the partition; lowering it finishes the rollout (SPEC W-16)', async () => {
    expect((await kubectl(h, ['apply', '-f', '-'], statefulSet('web', 4))).code).toBe(0);
    await rolledOut('web');
    const patch = await kubectl(h, ['patch', 'sts', 'web', '-p', '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}},"template":{"spec":{"containers":[{"name":"main","image":"nginx:1.27"}]}}}}']);
    expect(patch.code, patch.stderr).toBe(0);
    await waitFor('the partitioned rollout', async () => (await json(['get', 'sts', 'web'])).status.updatedReplicas === 2);
    expect(await images('web')).toEqual({ 'web-0': 'nginx:1.25', 'web-1': 'nginx:1.25', 'web-2': 'nginx:1.27', 'web-3': 'nginx:1.27' });
    expect(await rolledOut('web')).toContain('partitioned roll out complete: 2 new pods have been updated...');
    // A pod below the partition that is deleted comes back at the current revision.
    // --wait=false: kubectl's own wait lists the pod by name after its GET, and with instant pod stops the
    // controller's replacement (same name, new uid) can be what that list finds; kubectl then waits for it forever.
    const gone = (await json(['get', 'pod', 'web-0'])).metadata.uid;
    expect((await kubectl(h, ['delete', 'pod', 'web-0', '--wait=false'])).code).toBe(0);
    await waitFor('web-0 back', async () => {
      const pods = (await json(['get', 'pods', '-l', 'app=web'])).items.filter((p) => !p.metadata.deletionTimestamp);
      return pods.length === 4 && pods.some((p) => p.metadata.name === 'web-0' && p.metadata.uid !== gone);
    });
    expect((await images('web'))['web-0']).toBe('nginx:1.25');

    expect((await kubectl(h, ['patch', 'sts', 'web', '-p', '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}'])).code).toBe(0);
    // kubectl reports every RollingUpdate set as partitioned: kube-apiserver defaults the partition to 0.
    expect(await rolledOut('web')).toContain('partitioned roll out complete: 4 new pods have been updated...');
    expect(await images('web')).toEqual({ 'web-0': 'nginx:1.27', 'web-1': 'nginx:1.27', 'web-2': 'nginx:1.27', 'web-3': 'nginx:1.27' });
  });

  it('scales down from the highest ordinal, keeping the claims, and back up reusing them (SPEC W-15, W-17)', async () => {
    const claimUid = (await json(['get', 'pvc', 'data-web-3'])).metadata.uid;
    const deletes = async () =>
      (await json(['get', 'events', '--field-selector', 'involvedObject.name=web,reason=SuccessfulDelete'])).items.map((e) => ({ name: e.metadata.name, message: (e as unknown as { message: string }).message }));
    const earlier = new Set((await deletes()).map((e) => e.name));
    const down = await kubectl(h, ['scale', 'sts/web', '--replicas=2']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout.trim()).toBe('statefulset.apps/web scaled');
    await waitFor('two web pods', async () => (await podNames('web')).join() === 'web-0,web-1');
    expect((await json(['get', 'pvc', 'data-web-3'])).status.phase).toBe('Bound');
    const now = (await deletes()).filter((e) => !earlier.has(e.name)).map((e) => e.message);
    expect(now.sort()).toEqual(['delete Pod web-2 in StatefulSet web successful', 'delete Pod web-3 in StatefulSet web successful']);
    expect((await kubectl(h, ['scale', 'sts/web', '--replicas=4'])).code).toBe(0);
    await rolledOut('web');
    expect((await json(['get', 'pod', 'web-3'])).spec.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'data-web-3' } });
    expect((await json(['get', 'pvc', 'data-web-3'])).metadata.uid).toBe(claimUid);
  });

  it('creates Parallel pods at once; whenScaled/whenDeleted Delete remove the claims and their volumes (SPEC W-15, W-17)', async () => {
    const extra = '  podManagementPolicy: Parallel\n  persistentVolumeClaimRetentionPolicy:\n    whenScaled: Delete\n    whenDeleted: Delete\n';
    expect((await kubectl(h, ['apply', '-f', '-'], statefulSet('cache', 3, { probe: true, extra }))).code).toBe(0);
    await settle(emu, cluster);
    expect(await podNames('cache')).toEqual(['cache-0', 'cache-1', 'cache-2']);
    await advance(61);
    await rolledOut('cache');
    const volume = (await json(['get', 'pvc', 'data-cache-2'])).spec.volumeName as string;
    expect((await kubectl(h, ['scale', 'sts/cache', '--replicas=2'])).code).toBe(0);
    await waitFor('the scaled-down claim gone', async () => (await kubectl(h, ['get', 'pvc', 'data-cache-2'])).code !== 0);
    await waitFor('its volume gone', async () => (await kubectl(h, ['get', 'pv', volume])).code !== 0);
    expect((await json(['get', 'pvc', 'data-cache-1'])).metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'StatefulSet', name: 'cache' })]);

    expect((await kubectl(h, ['delete', 'sts', 'cache'])).code).toBe(0);
    await waitFor('the claims of cache gone', async () => (await json(['get', 'pvc', '-l', 'app=cache'])).items.length === 0);
    await waitFor('the pods of cache gone', async () => (await json(['get', 'pods', '-l', 'app=cache'])).items.length === 0);
  });

  it('deletes the pods and revisions of a deleted set and keeps its claims (Retain); a deleted claim takes its volume (SPEC W-7, W-17)', async () => {
    const sts = await json(['get', 'sts', 'web']);
    expect((await kubectl(h, ['delete', 'sts', 'web'])).code).toBe(0);
    await waitFor('the pods of web gone', async () => (await json(['get', 'pods', '-l', 'app=web'])).items.length === 0);
    await waitFor('the revisions of web gone', async () => (await json(['get', 'controllerrevisions'])).items.every((r) => !(r.metadata.ownerReferences ?? []).some((o) => o.uid === sts.metadata.uid)));
    const claims = (await json(['get', 'pvc', '-l', 'app=web'])).items.map((c) => c.metadata.name).sort();
    expect(claims).toEqual(['data-web-0', 'data-web-1', 'data-web-2', 'data-web-3']);
    const volume = (await json(['get', 'pvc', 'data-web-0'])).spec.volumeName as string;
    expect((await kubectl(h, ['delete', 'pvc', 'data-web-0'])).code).toBe(0);
    await waitFor('the volume of data-web-0 gone', async () => (await kubectl(h, ['get', 'pv', volume])).code !== 0);
  });

  it('refuses changes to fields upstream does not let change, and an invalid policy (SPEC W-15)', async () => {
    const moved = await kubectl(h, ['patch', 'sts', 'db', '--type=merge', '-p', '{"spec":{"serviceName":"other"}}']);
    expect(moved.code).not.toBe(0);
    expect(moved.stderr).toContain("spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden");
    const policy = await kubectl(h, ['apply', '-f', '-'], statefulSet('bad', 1, { extra: '  podManagementPolicy: Sometimes\n' }));
    expect(policy.code).not.toBe(0);
    expect(policy.stderr).toContain('spec.podManagementPolicy: Unsupported value: "Sometimes"');
    const mismatch = await kubectl(h, ['apply', '-f', '-'], statefulSet('bad', 1).replace('      app: bad\n  template', '      app: other\n  template'));
    expect(mismatch.code).not.toBe(0);
    expect(mismatch.stderr).toContain('`selector` does not match template `labels`');
  });
});
