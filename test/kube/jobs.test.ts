/**
 * Acceptance: batch/v1 Jobs with the real `kubectl` (SPEC W-9, W-10): `kubectl create job` (a protobuf body) runs to
 * completion as `kubectl wait --for=condition=complete` sees it, with kubectl's columns and the labels and selector
 * kube-apiserver generates; a failing Job stops at its backoffLimit (BackoffLimitExceeded), also by container
 * restarts under OnFailure; completions and parallelism on the emulated clock; an Indexed Job; the deadline, the
 * TTL after finishing, suspension, and the cascade of a delete.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../../testkit/optional.js';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { addCluster, kubectl, kubectlHome, settle, startEmulatorWithFixtures, waitFor, type KubectlHome, type TestEmulator, kubectlOk } from '../../testkit/kube/kube-env.js';

const job = (name: string, command: string, spec = '', policy = 'Never') => `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
spec:
${spec}  template:
    spec:
      restartPolicy: ${policy}
      containers:
      - name: work
        image: busybox:1.36
        command: ["sh", "-c", ${JSON.stringify(command)}]
`;

interface JobObj {
  metadata: { labels?: Record<string, string>; uid: string; resourceVersion: string };
  spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> } }; backoffLimit: number; completionMode: string; parallelism: number; completions: number };
  status: { active?: number; succeeded?: number; failed?: number; ready?: number; startTime?: string; completionTime?: string; completedIndexes?: string; conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
}

interface PodObj {
  metadata: { name: string; labels: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] };
  spec: { hostname?: string; containers: Array<{ env?: Array<{ name: string }> }> };
  status: { phase: string; containerStatuses?: Array<{ restartCount: number; state: Record<string, { exitCode?: number; reason?: string }> }> };
}

describeWith(['kubectl'], 'Jobs with kubectl', () => {
  let emu: TestEmulator;
  let cluster: FixtureCluster;
  let h: KubectlHome;

  const ok = (args: string[], stdin?: string) => kubectlOk(h, args, stdin, 90_000);
  const getJob = async (name: string): Promise<JobObj> => (await ok(['get', 'job', name, '-o', 'json'])).json();
  const podsOf = async (name: string): Promise<PodObj[]> => (await ok(['get', 'pods', '-l', `batch.kubernetes.io/job-name=${name}`, '-o', 'json'])).json().items;
  const condition = (j: JobObj, type: string) => j.status.conditions?.find((c) => c.type === type && c.status === 'True');
  /** Moves the emulated clock on and lets the controllers catch up. */
  const advance = async (seconds: number) => {
    emu.core.clock.advance(seconds * 1000);
    await settle(emu, cluster);
  };

  beforeAll(async () => {
    emu = await startEmulatorWithFixtures({ now: new Date('2026-05-01T00:00:00Z') });
    cluster = await addCluster(emu, { name: 'batch', resourceGroup: 'rg', kubernetesVersion: '1.33.2', pools: [{ name: 'nodepool1', count: 2 }] });
    h = await kubectlHome(emu, cluster);
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('runs `kubectl create job` to completion: kubectl wait, COMPLETIONS 1/1, generated labels and selector, Completed pod', async () => {
    await ok(['create', 'job', 'pi', '--image=perl:5.34.0', '--', 'perl', '-Mbignum=bpi', '-wle', 'print bpi(2000)']);
    const wait = await ok(['wait', '--for=condition=complete', 'job/pi', '--timeout=60s']);
    expect(wait.stdout).toContain('job.batch/pi condition met');
    const j = await getJob('pi');
    expect(j.spec.selector.matchLabels).toEqual({ 'batch.kubernetes.io/controller-uid': j.metadata.uid });
    expect(j.spec.template.metadata.labels).toMatchObject({ 'batch.kubernetes.io/job-name': 'pi', 'job-name': 'pi', 'controller-uid': j.metadata.uid });
    expect(j.spec.backoffLimit).toBe(6);
    expect(j.status).toMatchObject({ succeeded: 1, ready: 0 });
    expect(j.status.active).toBeUndefined();
    expect(condition(j, 'SuccessCriteriaMet')).toMatchObject({ reason: 'CompletionsReached' });
    expect(condition(j, 'Complete')).toMatchObject({ reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' });
    expect(j.status.completionTime).toBeDefined();

    const table = await ok(['get', 'jobs']);
    expect(table.stdout).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\n/);
    expect(table.stdout).toMatch(/\npi\s+Complete\s+1\/1\s+\d+s\s+\d+s\n/);
    const pods = await podsOf('pi');
    expect(pods).toHaveLength(1);
    expect(pods[0]!.status.phase).toBe('Succeeded');
    expect(pods[0]!.metadata.finalizers ?? []).not.toContain('batch.kubernetes.io/job-tracking');
    expect((await ok(['get', 'pods', '-l', 'job-name=pi'])).stdout).toMatch(/pi-[a-z0-9]{5}\s+0\/1\s+Completed\s+0/);
    expect((await ok(['logs', 'job/pi'])).stdout).toContain('exited with code 0 (Completed)');
  });

  it('stops a failing Job at its backoffLimit: Failed with BackoffLimitExceeded, backoffLimit + 1 failed pods', async () => {
    await ok(['apply', '-f', '-'], job('fails', 'echo boom; exit 3', '  backoffLimit: 2\n'));
    await ok(['wait', '--for=condition=failed', 'job/fails', '--timeout=60s']);
    const j = await getJob('fails');
    expect(condition(j, 'FailureTarget')).toMatchObject({ reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(condition(j, 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded' });
    expect(condition(j, 'Complete')).toBeUndefined();
    expect(j.status.failed).toBe(3);
    const pods = await podsOf('fails');
    expect(pods.map((p) => p.status.phase)).toEqual(['Failed', 'Failed', 'Failed']);
    expect(pods[0]!.status.containerStatuses![0]!.state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect((await ok(['get', 'job', 'fails'])).stdout).toMatch(/\nfails\s+Failed\s+0\/1\s/);
    const events = await ok(['get', 'events', '--field-selector', 'involvedObject.name=fails', '-o', 'jsonpath={.items[*].reason}']);
    expect(events.stdout).toContain('BackoffLimitExceeded');
  });

  it('counts container restarts of an OnFailure Job against its backoffLimit (CrashLoopBackOff on the emulated clock)', async () => {
    await ok(['apply', '-f', '-'], job('crashes', 'exit 1', '  backoffLimit: 2\n', 'OnFailure'));
    await settle(emu, cluster);
    const [pod] = await podsOf('crashes');
    expect(pod!.status.phase).toBe('Running');
    expect(pod!.status.containerStatuses![0]!.state.waiting).toMatchObject({ reason: 'CrashLoopBackOff' });
    await advance(11); // first restart after 10 s
    expect((await podsOf('crashes'))[0]!.status.containerStatuses![0]!.restartCount).toBe(1);
    expect(condition(await getJob('crashes'), 'Failed')).toBeUndefined();
    await advance(21); // second restart after 20 s more: 2 restarts reach backoffLimit 2
    await waitFor('the OnFailure Job to fail', async () => condition(await getJob('crashes'), 'Failed'), { between: () => settle(emu, cluster) });
    expect(condition(await getJob('crashes'), 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded' });
    expect(await podsOf('crashes')).toHaveLength(0);
  });

  it('kubectl logs --previous prints the run before a restart, and is the kubelet\'s refusal before any (SPEC W-22)', async () => {
    await ok(['apply', '-f', '-'], job('relogs', 'sleep 30; exit 1', '  backoffLimit: 6\n', 'OnFailure'));
    await settle(emu, cluster);
    const [pod] = await podsOf('relogs');
    const name = pod!.metadata.name;
    const never = await kubectl(h, ['logs', name, '--previous']);
    expect(never.code).not.toBe(0);
    expect(never.stderr).toContain(`previous terminated container "work" in pod "${name}" not found`);
    await advance(31); // the first run exits 1: CrashLoopBackOff, its log is the current one until the restart
    const ended = await ok(['logs', name]);
    expect(ended.stdout).toMatch(/exited with code 1 \(Error\)\n$/);
    await advance(11); // restarted after 10 s of back-off
    expect((await podsOf('relogs'))[0]!.status.containerStatuses![0]!.restartCount).toBe(1);
    const previous = await ok(['logs', name, '--previous']);
    const current = await ok(['logs', name]);
    expect(previous.stdout).toBe(ended.stdout);
    expect(previous.stdout).toMatch(/^aksemu: simulated container "work" of pod default\/relogs-\w+ started on node \S+ with image docker.io\/library\/busybox:1.36\n/);
    expect(current.stdout).toMatch(/^aksemu: simulated container "work" of pod default\/relogs-\w+ started on node \S+ with image docker.io\/library\/busybox:1.36 \(restart 1\)\n/);
    expect(current.stdout).not.toContain('exited with code');
    const id = (log: string) => /, container (containerd:\/\/[0-9a-f]{64})\n/.exec(log)?.[1];
    expect(id(previous.stdout)).toBeDefined();
    expect(id(current.stdout)).toBeDefined();
    expect(id(current.stdout)).not.toBe(id(previous.stdout));
    const status = (await podsOf('relogs'))[0]!.status.containerStatuses![0]! as unknown as { containerID: string; lastState: { terminated: { containerID: string } } };
    expect(id(current.stdout)).toBe(status.containerID);
    expect(id(previous.stdout)).toBe(status.lastState.terminated.containerID);
    await ok(['delete', 'job', 'relogs']);
  });

  it('runs completions with at most parallelism pods at a time, as the emulated clock runs their sleeps', async () => {
    await ok(['apply', '-f', '-'], job('batch5', 'sleep 30', '  completions: 5\n  parallelism: 2\n'));
    await settle(emu, cluster);
    let j = await getJob('batch5');
    expect(j.status.active).toBe(2);
    expect(j.status.ready).toBe(2);
    // Nothing changes while the pods run: the controller does not rewrite the Job on every pass.
    await settle(emu, cluster);
    expect((await getJob('batch5')).metadata.resourceVersion).toBe(j.metadata.resourceVersion);
    expect((await ok(['get', 'job', 'batch5'])).stdout).toMatch(/\nbatch5\s+Running\s+0\/5\s/);
    await advance(31);
    j = await getJob('batch5');
    expect(j.status).toMatchObject({ succeeded: 2, active: 2 });
    await advance(31);
    j = await getJob('batch5');
    expect(j.status).toMatchObject({ succeeded: 4, active: 1 });
    await advance(31);
    await ok(['wait', '--for=condition=complete', 'job/batch5', '--timeout=30s']);
    expect((await getJob('batch5')).status.succeeded).toBe(5);
    expect(await podsOf('batch5')).toHaveLength(5);
    expect((await ok(['get', 'job', 'batch5'])).stdout).toMatch(/\nbatch5\s+Complete\s+5\/5\s+9\ds\s/);
  });

  it('runs an Indexed Job: one pod per index with the index annotation, label, hostname and JOB_COMPLETION_INDEX', async () => {
    await ok(['apply', '-f', '-'], job('indexed', 'echo $JOB_COMPLETION_INDEX', '  completions: 3\n  parallelism: 3\n  completionMode: Indexed\n'));
    await ok(['wait', '--for=condition=complete', 'job/indexed', '--timeout=60s']);
    const j = await getJob('indexed');
    expect(j.status.completedIndexes).toBe('0-2');
    expect(j.status.succeeded).toBe(3);
    const pods = await podsOf('indexed');
    const indexes = pods.map((p) => p.metadata.annotations!['batch.kubernetes.io/job-completion-index']).sort();
    expect(indexes).toEqual(['0', '1', '2']);
    for (const p of pods) {
      const ix = p.metadata.labels['batch.kubernetes.io/job-completion-index'];
      expect(p.metadata.name).toMatch(new RegExp(`^indexed-${ix}-[a-z0-9]{5}$`));
      expect(p.spec.hostname).toBe(`indexed-${ix}`);
      expect(p.spec.containers[0]!.env!.map((e) => e.name)).toContain('JOB_COMPLETION_INDEX');
    }
  });

  it('fails a Job past its activeDeadlineSeconds on the emulated clock (DeadlineExceeded), deleting its pods', async () => {
    await ok(['apply', '-f', '-'], job('slow', 'sleep 600', '  activeDeadlineSeconds: 20\n'));
    await settle(emu, cluster);
    expect((await getJob('slow')).status.active).toBe(1);
    await advance(21);
    await waitFor('the deadline to fail the Job', async () => condition(await getJob('slow'), 'Failed'), { between: () => settle(emu, cluster) });
    expect(condition(await getJob('slow'), 'Failed')).toMatchObject({ reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
    expect(await podsOf('slow')).toHaveLength(0);
  });

  it('deletes a finished Job and its pods ttlSecondsAfterFinished later', async () => {
    await ok(['apply', '-f', '-'], job('shortlived', 'true', '  ttlSecondsAfterFinished: 30\n'));
    await ok(['wait', '--for=condition=complete', 'job/shortlived', '--timeout=60s']);
    await advance(10);
    expect((await kubectl(h, ['get', 'job', 'shortlived'])).code).toBe(0);
    await advance(25);
    await waitFor('the TTL to delete the Job and its pods', async () => (await kubectl(h, ['get', 'job', 'shortlived'])).code !== 0 && (await podsOf('shortlived')).length === 0, { between: () => settle(emu, cluster) });
  });

  it('holds a suspended Job without pods (Suspended), and runs it once resumed', async () => {
    await ok(['apply', '-f', '-'], job('held', 'true', '  suspend: true\n'));
    await settle(emu, cluster);
    let j = await getJob('held');
    expect(condition(j, 'Suspended')).toMatchObject({ reason: 'JobSuspended', message: 'Job suspended' });
    expect(j.status.startTime).toBeUndefined();
    expect(await podsOf('held')).toHaveLength(0);
    expect((await ok(['get', 'job', 'held'])).stdout).toMatch(/\nheld\s+Suspended\s+0\/1\s/);
    await ok(['patch', 'job', 'held', '--type=merge', '-p', '{"spec":{"suspend":false}}']);
    await ok(['wait', '--for=condition=complete', 'job/held', '--timeout=60s']);
    j = await getJob('held');
    expect(j.status.conditions!.find((c) => c.type === 'Suspended')).toMatchObject({ status: 'False', reason: 'JobResumed' });

    // Suspending a running Job deletes its pods without counting them as failures.
    await ok(['apply', '-f', '-'], job('sleeper', 'sleep 600'));
    await settle(emu, cluster);
    expect((await getJob('sleeper')).status.active).toBe(1);
    await ok(['patch', 'job', 'sleeper', '--type=merge', '-p', '{"spec":{"suspend":true}}']);
    await waitFor('the suspension to remove the pod', async () => (await podsOf('sleeper')).length === 0, { between: () => settle(emu, cluster) });
    j = await getJob('sleeper');
    expect(condition(j, 'Suspended')).toMatchObject({ reason: 'JobSuspended' });
    expect(j.status.failed).toBeUndefined();
    expect(j.status.active).toBeUndefined();
  });

  it('refuses a Job whose pods would restart Always, and a changed template', async () => {
    const bad = await kubectl(h, ['apply', '-f', '-'], job('always', 'true', '', 'Always'));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"');
    await ok(['create', 'job', 'frozen', '--image=busybox:1.36', '--', 'true']);
    const changed = await kubectl(h, ['set', 'image', 'job/frozen', 'frozen=busybox:1.37']);
    expect(changed.code).not.toBe(0);
    expect(changed.stderr).toContain('field is immutable');
  });

  it('deletes the pods with their Job (kubectl delete job cascades)', async () => {
    expect((await podsOf('batch5')).length).toBe(5);
    await ok(['delete', 'job', 'batch5']);
    await waitFor('the Job pods to be collected', async () => (await podsOf('batch5')).length === 0, { between: () => settle(emu, cluster) });
  });
});
