/**
 * Acceptance: batch/v1 CronJobs with the real `kubectl` (SPEC W-11): `kubectl create cronjob` (a protobuf body)
 * fires at its schedule on the emulated clock (moved forward as a test or the admin API moves it) with upstream's
 * Job name and scheduled-timestamp annotation, keeps successfulJobsHistoryLimit Jobs, honours timeZone,
 * concurrencyPolicy Forbid and Replace, suspend and startingDeadlineSeconds, and `kubectl create job
 * --from=cronjob/...` runs its template by hand; deleting the CronJob deletes its Jobs.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../../testkit/optional.js';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { addCluster, kubectl, kubectlHome, settle, startEmulatorWithFixtures, waitFor, type KubectlHome, type TestEmulator, kubectlOk } from '../../testkit/kube/kube-env.js';

const cronJob = (name: string, schedule: string, command: string, spec = '') => `apiVersion: batch/v1
kind: CronJob
metadata:
  name: ${name}
spec:
  schedule: ${JSON.stringify(schedule)}
${spec}  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - name: tick
            image: busybox:1.36
            command: ["sh", "-c", ${JSON.stringify(command)}]
`;

interface JobObj {
  metadata: { name: string; annotations?: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }> };
  status: { conditions?: Array<{ type: string; status: string }> };
}

describeWith(['kubectl'], 'CronJobs with kubectl', () => {
  let emu: TestEmulator;
  let cluster: FixtureCluster;
  let h: KubectlHome;

  const ok = (args: string[], stdin?: string) => kubectlOk(h, args, stdin, 90_000);
  const jobsOf = async (cj: string): Promise<JobObj[]> =>
    ((await ok(['get', 'jobs', '-o', 'json'])).json().items as JobObj[]).filter((j) => j.metadata.ownerReferences?.some((o) => o.kind === 'CronJob' && o.name === cj && o.controller)).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const cronStatus = async (name: string) => (await ok(['get', 'cronjob', name, '-o', 'json'])).json().status as { active?: Array<{ name: string }>; lastScheduleTime?: string; lastSuccessfulTime?: string };
  /** Sets the emulated clock (it then runs on from there) and lets the controllers catch up. */
  const clockAt = async (iso: string) => {
    emu.core.clock.set(new Date(iso));
    await settle(emu, cluster);
  };
  const minutes = (iso: string) => Date.parse(iso) / 60_000;

  beforeAll(async () => {
    emu = await startEmulatorWithFixtures({ now: new Date('2026-05-01T00:00:00Z') });
    cluster = await addCluster(emu, { name: 'cron', resourceGroup: 'rg', kubernetesVersion: '1.33.2', pools: [{ name: 'nodepool1', count: 2 }] });
    h = await kubectlHome(emu, cluster);
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('fires `kubectl create cronjob` at its emulated schedule time, as <name>-<minutes>, and records its success', async () => {
    await ok(['create', 'cronjob', 'hello', '--image=busybox:1.36', '--schedule=*/5 * * * *', '--', 'sh', '-c', 'date; echo Hello']);
    await settle(emu, cluster);
    const table = await ok(['get', 'cronjobs']);
    expect(table.stdout).toMatch(/^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE\n/);
    expect(table.stdout).toMatch(/\nhello\s+\*\/5 \* \* \* \*\s+<none>\s+False\s+0\s+<none>\s+\d+s\n/);
    expect(await jobsOf('hello')).toHaveLength(0);

    await clockAt('2026-05-01T00:05:03Z');
    const [job] = await waitFor('the first scheduled Job', async () => {
      const js = await jobsOf('hello');
      return js.length === 1 ? js : undefined;
    });
    expect(job!.metadata.name).toBe(`hello-${minutes('2026-05-01T00:05:00Z')}`);
    expect(job!.metadata.annotations!['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe('2026-05-01T00:05:00Z');
    await ok(['wait', '--for=condition=complete', `job/${job!.metadata.name}`, '--timeout=60s']);
    await settle(emu, cluster);
    const st = await waitFor('the CronJob to see its Job complete', async () => {
      const s = await cronStatus('hello');
      return s.lastSuccessfulTime && !s.active ? s : undefined;
    }, { between: () => settle(emu, cluster) });
    expect(st.lastScheduleTime).toBe('2026-05-01T00:05:00Z');
    const events = await ok(['get', 'events', '--field-selector', 'involvedObject.name=hello', '-o', 'jsonpath={.items[*].reason}']);
    expect(events.stdout).toContain('SuccessfulCreate');
    expect(events.stdout).toContain('SawCompletedJob');
  });

  it('runs only the most recent missed time after a jump, and keeps successfulJobsHistoryLimit Jobs', async () => {
    await ok(['patch', 'cronjob', 'hello', '--type=merge', '-p', '{"spec":{"successfulJobsHistoryLimit":2}}']);
    await clockAt('2026-05-01T00:10:02Z');
    await waitFor('the 00:10 Job to complete', async () => (await jobsOf('hello')).filter((j) => j.status.conditions?.some((c) => c.type === 'Complete')).length === 2, { between: () => settle(emu, cluster) });
    await clockAt('2026-05-01T00:26:00Z'); // 00:15, 00:20 and 00:25 were due: only 00:25 runs
    await waitFor('the 00:25 Job and the pruning', async () => {
      const names = (await jobsOf('hello')).map((j) => j.metadata.name);
      return names.length === 2 && names.includes(`hello-${minutes('2026-05-01T00:25:00Z')}`) && !names.includes(`hello-${minutes('2026-05-01T00:05:00Z')}`);
    }, { between: () => settle(emu, cluster) });
    const names = (await jobsOf('hello')).map((j) => j.metadata.name);
    expect(names).toEqual([`hello-${minutes('2026-05-01T00:10:00Z')}`, `hello-${minutes('2026-05-01T00:25:00Z')}`]);
    expect(names).not.toContain(`hello-${minutes('2026-05-01T00:20:00Z')}`);
  });

  it('runs the template by hand with `kubectl create job --from=cronjob/...`', async () => {
    await ok(['create', 'job', 'hello-manual', '--from=cronjob/hello']);
    await ok(['wait', '--for=condition=complete', 'job/hello-manual', '--timeout=60s']);
    const j = (await ok(['get', 'job', 'hello-manual', '-o', 'json'])).json() as JobObj;
    expect(j.metadata.annotations!['cronjob.kubernetes.io/instantiate']).toBe('manual');
    expect(j.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'CronJob', name: 'hello', controller: true })]);
  });

  it('evaluates the schedule in its timeZone', async () => {
    await ok(['apply', '-f', '-'], cronJob('india', '0 9 * * *', 'true', '  timeZone: Asia/Kolkata\n'));
    await clockAt('2026-05-01T03:29:00Z');
    expect(await jobsOf('india')).toHaveLength(0);
    await clockAt('2026-05-01T03:30:02Z'); // 09:00 in India
    const [job] = await waitFor('the 09:00 IST Job', async () => {
      const js = await jobsOf('india');
      return js.length === 1 ? js : undefined;
    });
    expect(job!.metadata.annotations!['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe('2026-05-01T09:00:00+05:30');
    expect((await ok(['get', 'cronjob', 'india'])).stdout).toMatch(/\nindia\s+0 9 \* \* \*\s+Asia\/Kolkata\s+False\s/);
  });

  it('skips a run while one is active under Forbid, and replaces it under Replace', async () => {
    await ok(['apply', '-f', '-'], cronJob('forbid', '* * * * *', 'sleep 3600', '  concurrencyPolicy: Forbid\n'));
    await ok(['apply', '-f', '-'], cronJob('replace', '* * * * *', 'sleep 3600', '  concurrencyPolicy: Replace\n'));
    await clockAt('2026-05-01T04:00:02Z');
    await waitFor('both to run once', async () => (await jobsOf('forbid')).length === 1 && (await jobsOf('replace')).length === 1, { between: () => settle(emu, cluster) });
    const first = (await jobsOf('replace'))[0]!.metadata.name;
    await clockAt('2026-05-01T04:01:02Z');
    await waitFor('Replace to replace its Job', async () => {
      const names = (await jobsOf('replace')).map((j) => j.metadata.name);
      return names.length === 1 && names[0] !== first;
    }, { between: () => settle(emu, cluster) });
    expect((await jobsOf('forbid')).map((j) => j.metadata.name)).toEqual([`forbid-${minutes('2026-05-01T04:00:00Z')}`]);
    const events = await ok(['get', 'events', '--field-selector', 'involvedObject.name=forbid', '-o', 'jsonpath={.items[*].reason}']);
    expect(events.stdout).toContain('JobAlreadyActive');
    expect((await cronStatus('replace')).active).toEqual([expect.objectContaining({ name: `replace-${minutes('2026-05-01T04:01:00Z')}` })]);
  });

  it('does not run while suspended, nor a time missed by more than startingDeadlineSeconds', async () => {
    await ok(['apply', '-f', '-'], cronJob('paused', '*/10 * * * *', 'true', '  suspend: true\n'));
    await ok(['apply', '-f', '-'], cronJob('strict', '0 * * * *', 'true', '  startingDeadlineSeconds: 60\n'));
    await clockAt('2026-05-01T05:02:00Z'); // 05:00 is 120 s late for strict
    expect(await jobsOf('paused')).toHaveLength(0);
    expect(await jobsOf('strict')).toHaveLength(0);
    expect((await ok(['get', 'cronjob', 'paused'])).stdout).toMatch(/\npaused\s+\*\/10 \* \* \* \*\s+<none>\s+True\s/);
    await clockAt('2026-05-01T06:00:30Z');
    await waitFor('strict to run in time', async () => (await jobsOf('strict')).length === 1, { between: () => settle(emu, cluster) });
    expect(await jobsOf('paused')).toHaveLength(0);
  });

  it('refuses a schedule robfig/cron cannot parse and an unknown time zone', async () => {
    const bad = await kubectl(h, ['create', 'cronjob', 'bad', '--image=busybox', '--schedule=* * * * * *']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('spec.schedule: Invalid value: "* * * * * *"');
    const tz = await kubectl(h, ['apply', '-f', '-'], cronJob('tz', '0 * * * *', 'true', '  timeZone: Mars/Olympus\n'));
    expect(tz.code).not.toBe(0);
    expect(tz.stderr).toContain('spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus');
  });

  it('deletes its Jobs and their pods with the CronJob', async () => {
    expect((await jobsOf('hello')).length).toBeGreaterThan(0);
    await ok(['delete', 'cronjob', 'hello']);
    await waitFor('the Jobs and pods to be collected', async () => {
      const pods = (await ok(['get', 'pods', '-o', 'json'])).json().items as Array<{ metadata: { name: string } }>;
      return (await jobsOf('hello')).length === 0 && !pods.some((p) => p.metadata.name.startsWith('hello-'));
    }, { between: () => settle(emu, cluster) });
  });
});
