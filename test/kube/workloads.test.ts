/**
 * Acceptance: apps/v1 Deployments and ReplicaSets with the real `kubectl` against an emulated cluster (SPEC W-4..W-7):
 * discovery, apply, validation, rollout status/history/undo/pause/resume/restart, scale, set image and deletion
 * with background, foreground and orphan propagation, and adoption of what an orphaning delete left.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../../testkit/optional.js';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { createArmCluster } from '../../testkit/kube/arm-cluster.js';
import { kubectl, kubectlHome, settle, startEmulatorWithFixtures, waitFor, type KubectlHome, type TestEmulator } from '../../testkit/kube/kube-env.js';

const deployment = (name: string, replicas: number, image = 'nginx:1.25', extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: ${name}
${extra}  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
      - name: web
        image: ${image}
`;

interface Obj {
  metadata: { name: string; uid: string; labels?: Record<string, string>; annotations?: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string; uid: string; controller?: boolean }> };
  spec: any;
  status: any;
}

describeWith(['kubectl'], 'Deployments and ReplicaSets with kubectl', () => {
  let emu: TestEmulator;
  let cluster: FixtureCluster;
  let h: KubectlHome;

  const json = async (args: string[]) => {
    const r = await kubectl(h, [...args, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    return r.json() as { items: Obj[] } & Obj;
  };
  const ownedBy = (items: Obj[], uid: string) => items.filter((o) => (o.metadata.ownerReferences ?? []).some((r) => r.uid === uid && r.controller));
  const rolledOut = async (name: string) => {
    const r = await kubectl(h, ['rollout', 'status', `deployment/${name}`, '--timeout=60s'], undefined, 90_000);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(`deployment "${name}" successfully rolled out`);
  };
  const replicaSetsOf = async (name: string) => {
    const d = await json(['get', 'deploy', name]);
    return ownedBy((await json(['get', 'rs'])).items, d.metadata.uid);
  };

  beforeAll(async () => {
    emu = await startEmulatorWithFixtures({ now: new Date('2026-05-01T00:00:00Z') });
    cluster = await createArmCluster(emu, { name: 'workloads', resourceGroup: 'rg', properties: { kubernetesVersion: '1.33' }, pools: [{ name: 'nodepool1', count: 2 }] });
    h = await kubectlHome(emu, cluster);
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('lists deployments (deploy) and replicasets (rs) in apps/v1 in api-resources (SPEC W-4)', async () => {
    const r = await kubectl(h, ['api-resources', '--api-group=apps']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/));
    expect(rows).toContainEqual(['deployments', 'deploy', 'apps/v1', 'true', 'Deployment']);
    expect(rows).toContainEqual(['replicasets', 'rs', 'apps/v1', 'true', 'ReplicaSet']);
    expect(rows).toContainEqual(['controllerrevisions', 'apps/v1', 'true', 'ControllerRevision']);
  });

  it('stores ControllerRevisions whose data cannot change (SPEC W-4)', async () => {
    const manifest = (v: string) => `apiVersion: apps/v1\nkind: ControllerRevision\nmetadata:\n  name: snap\ndata:\n  v: "${v}"\nrevision: 1\n`;
    const created = await kubectl(h, ['apply', '-f', '-'], manifest('1'));
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout.trim()).toBe('controllerrevision.apps/snap created');
    const table = await kubectl(h, ['get', 'controllerrevisions']);
    expect(table.stdout.split('\n')[0]!.split(/\s+/)).toEqual(['NAME', 'CONTROLLER', 'REVISION', 'AGE']);
    const changed = await kubectl(h, ['apply', '-f', '-'], manifest('2'));
    expect(changed.code).not.toBe(0);
    expect(changed.stderr).toContain('data: Invalid value');
  });

  it('applies a Deployment with upstream defaults; rollout status completes; its ReplicaSet and pods are owned and named as upstream names them (SPEC W-4, W-5, W-6)', async () => {
    const applied = await kubectl(h, ['apply', '-f', '-'], deployment('web', 3));
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout.trim()).toBe('deployment.apps/web created');
    await rolledOut('web');

    const d = await json(['get', 'deploy', 'web']);
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
    expect(d.spec.revisionHistoryLimit).toBe(10);
    expect(d.spec.progressDeadlineSeconds).toBe(600);
    expect(d.metadata.annotations!['deployment.kubernetes.io/revision']).toBe('1');
    expect(d.status.observedGeneration).toBe(1);
    const conds = Object.fromEntries((d.status.conditions as Array<{ type: string; reason: string; status: string }>).map((c) => [c.type, c]));
    expect(conds.Available).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(conds.Progressing).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });

    const table = await kubectl(h, ['get', 'deploy', 'web']);
    const [head, row] = table.stdout.trim().split('\n');
    expect(head!.split(/\s+/)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(row!.split(/\s+/).slice(0, 4)).toEqual(['web', '3/3', '3', '3']);

    const [rs, ...more] = await replicaSetsOf('web');
    expect(more).toHaveLength(0);
    const hash = rs!.metadata.labels!['pod-template-hash']!;
    expect(rs!.metadata.name).toBe(`web-${hash}`);
    expect(rs!.spec.selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    const pods = ownedBy((await json(['get', 'pods', '-l', 'app=web'])).items, rs!.metadata.uid);
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(new RegExp(`^web-${hash}-[a-z0-9]{5}$`));
      expect(p.status.phase).toBe('Running');
    }
    // Once rolled out, the controllers go quiet: no pass keeps rewriting the Deployment or its ReplicaSet.
    await settle(emu, cluster);
    const rv = (await json(['get', 'deploy', 'web'])).metadata as { resourceVersion?: string };
    await settle(emu, cluster);
    expect(((await json(['get', 'deploy', 'web'])).metadata as { resourceVersion?: string }).resourceVersion).toBe(rv.resourceVersion);
    const rsTable = await kubectl(h, ['get', 'rs']);
    expect(rsTable.stdout.split('\n')[0]!.split(/\s+/)).toEqual(['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
  });

  it('refuses a selector that does not match the template, negative replicas and a selector change (SPEC W-4)', async () => {
    const mismatch = await kubectl(h, ['apply', '-f', '-'], deployment('bad', 1).replace('      app: bad\n  template', '      app: other\n  template'));
    expect(mismatch.code).not.toBe(0);
    expect(mismatch.stderr).toContain('`selector` does not match template `labels`');
    const negative = await kubectl(h, ['apply', '-f', '-'], deployment('neg', -1));
    expect(negative.code).not.toBe(0);
    expect(negative.stderr).toContain('spec.replicas: Invalid value: -1: must be greater than or equal to 0');
    const moved = await kubectl(h, ['patch', 'deploy', 'web', '--type=merge', '-p', '{"spec":{"selector":{"matchLabels":{"app":"web","tier":"x"}}}}']);
    expect(moved.code).not.toBe(0);
    expect(moved.stderr).toContain('field is immutable');
  });

  it('scales through the scale subresource (SPEC W-4, W-5)', async () => {
    const up = await kubectl(h, ['scale', 'deploy/web', '--replicas=5']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout.trim()).toBe('deployment.apps/web scaled');
    await rolledOut('web');
    expect((await json(['get', 'pods', '-l', 'app=web'])).items).toHaveLength(5);
    const down = await kubectl(h, ['scale', 'deploy/web', '--replicas=2']);
    expect(down.code, down.stderr).toBe(0);
    await waitFor('two web pods', async () => (await json(['get', 'pods', '-l', 'app=web'])).items.filter((p) => !(p.metadata as { deletionTimestamp?: string }).deletionTimestamp).length === 2);
    const [rs] = await replicaSetsOf('web');
    const messages = (await json(['get', 'events', '--field-selector', `involvedObject.uid=${rs!.metadata.uid}`])).items.map((e) => (e as unknown as { reason: string; message: string }));
    expect(messages.filter((e) => e.reason === 'SuccessfulCreate' && e.message.startsWith(`Created pod: ${rs!.metadata.name}-`)).length).toBeGreaterThanOrEqual(5);
    expect(messages.filter((e) => e.reason === 'SuccessfulDelete')).toHaveLength(3);
    const scale = await kubectl(h, ['get', '--raw', '/apis/apps/v1/namespaces/default/deployments/web/scale']);
    expect(JSON.parse(scale.stdout)).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 }, status: { selector: 'app=web' } });
  });

  it('rolls out a new image to a second ReplicaSet; history lists both revisions and undo returns to the first (SPEC W-6)', async () => {
    const set = await kubectl(h, ['set', 'image', 'deploy/web', 'web=nginx:1.27']);
    expect(set.code, set.stderr).toBe(0);
    await rolledOut('web');
    const rss = await replicaSetsOf('web');
    expect(rss).toHaveLength(2);
    const byRevision = Object.fromEntries(rss.map((rs) => [rs.metadata.annotations!['deployment.kubernetes.io/revision'], rs]));
    expect(byRevision['2']!.spec.template.spec.containers[0].image).toBe('nginx:1.27');
    expect(byRevision['2']!.spec.replicas).toBe(2);
    expect(byRevision['1']!.spec.replicas).toBe(0);

    const history = await kubectl(h, ['rollout', 'history', 'deploy/web']);
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout.trim().split('\n').slice(2).map((l) => l.split(/\s+/)[0])).toEqual(['1', '2']);

    const undo = await kubectl(h, ['rollout', 'undo', 'deploy/web']);
    expect(undo.code, undo.stderr).toBe(0);
    expect(undo.stdout.trim()).toBe('deployment.apps/web rolled back');
    await rolledOut('web');
    const d = await json(['get', 'deploy', 'web']);
    expect(d.spec.template.spec.containers[0].image).toBe('nginx:1.25');
    expect(d.metadata.annotations!['deployment.kubernetes.io/revision']).toBe('3');
    const after = await replicaSetsOf('web');
    expect(after).toHaveLength(2);
    const first = after.find((rs) => rs.metadata.uid === byRevision['1']!.metadata.uid)!;
    expect(first.metadata.annotations!['deployment.kubernetes.io/revision']).toBe('3');
    expect(first.spec.replicas).toBe(2);
  });

  it('pauses (no rollout), resumes (the rollout happens) and restarts (a new ReplicaSet) (SPEC W-6)', async () => {
    expect((await kubectl(h, ['rollout', 'pause', 'deploy/web'])).stdout.trim()).toBe('deployment.apps/web paused');
    expect((await kubectl(h, ['set', 'image', 'deploy/web', 'web=nginx:1.28'])).code).toBe(0);
    await waitFor('the paused condition', async () => (await json(['get', 'deploy', 'web'])).status.conditions?.some((c: { reason: string }) => c.reason === 'DeploymentPaused'));
    expect((await replicaSetsOf('web')).some((rs) => rs.spec.template.spec.containers[0].image === 'nginx:1.28')).toBe(false);

    expect((await kubectl(h, ['rollout', 'resume', 'deploy/web'])).stdout.trim()).toBe('deployment.apps/web resumed');
    await rolledOut('web');
    expect((await replicaSetsOf('web')).find((rs) => rs.spec.replicas === 2)!.spec.template.spec.containers[0].image).toBe('nginx:1.28');

    const before = new Set((await replicaSetsOf('web')).map((rs) => rs.metadata.uid));
    expect((await kubectl(h, ['rollout', 'restart', 'deploy/web'])).stdout.trim()).toBe('deployment.apps/web restarted');
    await rolledOut('web');
    const fresh = (await replicaSetsOf('web')).filter((rs) => !before.has(rs.metadata.uid));
    expect(fresh).toHaveLength(1);
    expect(fresh[0]!.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toBeTruthy();
  });

  it('replaces every pod at once with the Recreate strategy (SPEC W-6)', async () => {
    const manifest = deployment('recreate', 2, 'nginx:1.25', '  strategy:\n    type: Recreate\n');
    expect((await kubectl(h, ['apply', '-f', '-'], manifest)).code).toBe(0);
    await rolledOut('recreate');
    const d = await json(['get', 'deploy', 'recreate']);
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    expect((await kubectl(h, ['set', 'image', 'deploy/recreate', 'web=nginx:1.27'])).code).toBe(0);
    await rolledOut('recreate');
    const rss = await replicaSetsOf('recreate');
    expect(rss.map((rs) => [rs.spec.template.spec.containers[0].image, rs.spec.replicas]).sort()).toEqual([
      ['nginx:1.25', 0],
      ['nginx:1.27', 2],
    ]);
    const scaledUp = (await json(['get', 'events', '--field-selector', `involvedObject.uid=${d.metadata.uid}`])).items.map((e) => (e as unknown as { message: string }).message);
    const newRs = rss.find((rs) => rs.spec.replicas === 2)!.metadata.name;
    const oldRs = rss.find((rs) => rs.spec.replicas === 0)!.metadata.name;
    // Recreate scales the old ReplicaSet down before the new one up (the events say so, in order).
    expect(scaledUp.indexOf(`Scaled down replica set ${oldRs} from 2 to 0`)).toBeGreaterThanOrEqual(0);
    expect(scaledUp.indexOf(`Scaled up replica set ${newRs} from 0 to 2`)).toBeGreaterThan(scaledUp.indexOf(`Scaled down replica set ${oldRs} from 2 to 0`));
  });

  it('keeps revisionHistoryLimit old ReplicaSets and describes the rollout (SPEC W-6)', async () => {
    expect((await kubectl(h, ['apply', '-f', '-'], deployment('short', 1, 'nginx:1.0', '  revisionHistoryLimit: 1\n'))).code).toBe(0);
    await rolledOut('short');
    for (const tag of ['1.1', '1.2', '1.3']) {
      expect((await kubectl(h, ['set', 'image', 'deploy/short', `web=nginx:${tag}`])).code).toBe(0);
      await rolledOut('short');
    }
    await waitFor('one old ReplicaSet left', async () => (await replicaSetsOf('short')).length === 2);
    const revisions = (await replicaSetsOf('short')).map((rs) => rs.metadata.annotations!['deployment.kubernetes.io/revision']).sort();
    expect(revisions).toEqual(['3', '4']);
    const described = await kubectl(h, ['describe', 'deploy', 'short']);
    expect(described.code, described.stderr).toBe(0);
    expect(described.stdout).toMatch(/Replicas:\s+1 desired \| 1 updated \| 1 total \| 1 available \| 0 unavailable/);
    expect(described.stdout).toMatch(/Progressing\s+True\s+NewReplicaSetAvailable/);
    expect(described.stdout).toMatch(/NewReplicaSet:\s+short-[a-z0-9]{10} \(1\/1 replicas created\)/);
    expect(described.stdout).toContain('ScalingReplicaSet');
  });

  it('creates a Deployment with kubectl create deployment (SPEC W-4)', async () => {
    const r = await kubectl(h, ['create', 'deployment', 'made', '--image=nginx:1.25', '--replicas=2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('deployment.apps/made created');
    await rolledOut('made');
  });

  it('deletes a Deployment with its ReplicaSets and pods; --cascade=orphan leaves them without the owner (SPEC W-7)', async () => {
    expect((await kubectl(h, ['apply', '-f', '-'], deployment('gone', 2))).code).toBe(0);
    await rolledOut('gone');
    const del = await kubectl(h, ['delete', 'deploy', 'gone']);
    expect(del.code, del.stderr).toBe(0);
    await waitFor('the ReplicaSets and pods of gone to be deleted', async () => (await json(['get', 'rs,pods', '-l', 'app=gone'])).items.length === 0, { timeoutMs: 30_000 });

    expect((await kubectl(h, ['apply', '-f', '-'], deployment('fg', 1))).code).toBe(0);
    await rolledOut('fg');
    const fg = await kubectl(h, ['delete', 'deploy', 'fg', '--cascade=foreground'], undefined, 60_000);
    expect(fg.code, fg.stderr).toBe(0);
    expect((await json(['get', 'rs,pods', '-l', 'app=fg'])).items).toHaveLength(0);

    expect((await kubectl(h, ['apply', '-f', '-'], deployment('kept', 2))).code).toBe(0);
    await rolledOut('kept');
    const [rs] = await replicaSetsOf('kept');
    const orphan = await kubectl(h, ['delete', 'deploy', 'kept', '--cascade=orphan']);
    expect(orphan.code, orphan.stderr).toBe(0);
    await waitFor('the Deployment to be gone', async () => (await kubectl(h, ['get', 'deploy', 'kept'])).code !== 0);
    await new Promise((r) => setTimeout(r, 500));
    const left = await json(['get', 'rs', rs!.metadata.name]);
    expect(left.metadata.ownerReferences ?? []).toHaveLength(0);
    expect(ownedBy((await json(['get', 'pods', '-l', 'app=kept'])).items, rs!.metadata.uid)).toHaveLength(2);

    // Applied again, the Deployment adopts the orphaned ReplicaSet instead of making another.
    expect((await kubectl(h, ['apply', '-f', '-'], deployment('kept', 2))).code).toBe(0);
    await rolledOut('kept');
    const again = await replicaSetsOf('kept');
    expect(again.map((r) => r.metadata.uid)).toEqual([rs!.metadata.uid]);
    expect((await json(['get', 'pods', '-l', 'app=kept'])).items).toHaveLength(2);
  });
});
