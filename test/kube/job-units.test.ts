/**
 * The arithmetic of Jobs and CronJobs (SPEC W-9..W-11) without a cluster: how a simulated container ends, how
 * many pods a Job wants, the back-offs, completed-index lists, kubectl's cells, and cron schedules on the emulated
 * clock (most recent unmet time, missed counts, job names, the scheduled-timestamp annotation in a time zone).
 */
import { describe, expect, it } from 'vitest';
import type { Container, Job, Pod } from '../../src/kube/api/machinery/types.js';
import { crashLoopBackOffMs, exitCode, finishedStatus, runTimeMs } from '../../src/kube/controllers/container-exit.js';
import { completionIndex, formatIndexes, jobPod, matchPodFailurePolicy, parseIndexes, podBackOffMs, wantedActive } from '../../src/kube/controllers/job-pods.js';
import { completionsCell, durationCell, jobStatusCell } from '../../src/kube/resources/jobs.js';
import { MANY_MISSED, mostRecentScheduleTime, nextScheduleTime, rfc3339In, scheduleError, scheduledJobName } from '../../src/kube/util/cron.js';

const T = (s: string) => Date.parse(s);
const container = (command: string[], args: string[] = []): Container => ({ name: 'c', image: 'busybox', command, args });

describe('simulated container ends', () => {
  it('runs for its sleeps (with units), forever on sleep infinity, else the default run time', () => {
    expect(runTimeMs(container(['sh', '-c', 'sleep 30; sleep 1.5']), 5000)).toBe(31_500);
    expect(runTimeMs(container(['sleep'], ['2m']), 5000)).toBe(120_000);
    expect(runTimeMs(container(['sleep', 'infinity']), 5000)).toBe(Infinity);
    expect(runTimeMs(container(['perl', '-Mbignum=bpi', '-wle', 'print bpi(2000)']), 5000)).toBe(5000);
    expect(runTimeMs(container(['echo', 'sleepy 5']), 0)).toBe(0);
  });

  it('exits with the last exit code it states, else 0', () => {
    expect(exitCode(container(['sh', '-c', 'echo hi; exit 3']))).toBe(3);
    expect(exitCode(container(['sh', '-c', 'exit 1 || exit 0']))).toBe(0);
    expect(exitCode(container(['date']))).toBe(0);
    expect(exitCode(container(['sh', '-c', 'exit 257']))).toBe(1);
  });

  const running = (policy: string, command: string[], startedAt = '2026-05-01T00:00:00Z'): Pod =>
    ({
      metadata: { name: 'p', namespace: 'default', uid: 'u' },
      spec: { restartPolicy: policy, containers: [container(command)] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True' }, { type: 'ContainersReady', status: 'True' }],
        containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'busybox', imageID: '', containerID: 'containerd://a', state: { running: { startedAt } } }],
      },
    }) as Pod;

  it('ends a Never pod at its run time: Succeeded or Failed with the container terminated', () => {
    const pod = running('Never', ['sh', '-c', 'sleep 10; exit 2']);
    expect(finishedStatus(pod, new Date(T('2026-05-01T00:00:05Z')), 0)).toEqual({ next: T('2026-05-01T00:00:10Z') });
    const done = finishedStatus(pod, new Date(T('2026-05-01T00:00:10Z')), 0).status!;
    expect(done.phase).toBe('Failed');
    expect(done.containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 2, reason: 'Error', finishedAt: '2026-05-01T00:00:10Z' });
    expect(done.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(finishedStatus(running('Never', ['true']), new Date(T('2026-05-01T00:00:00Z')), 0).status!.phase).toBe('Succeeded');
  });

  it('leaves Always pods and stdin containers running', () => {
    expect(finishedStatus(running('Always', ['sh', '-c', 'exit 1']), new Date(T('2027-01-01T00:00:00Z')), 0)).toEqual({});
    const debug = running('Never', ['sh']);
    debug.spec!.containers[0]!.stdin = true;
    expect(finishedStatus(debug, new Date(T('2027-01-01T00:00:00Z')), 0)).toEqual({});
  });

  it('restarts a failed OnFailure container after the crash-loop back-off', () => {
    expect([0, 1, 2, 5, 20].map(crashLoopBackOffMs)).toEqual([10_000, 20_000, 40_000, 300_000, 300_000]);
    const crashed = finishedStatus(running('OnFailure', ['sh', '-c', 'exit 1']), new Date(T('2026-05-01T00:00:00Z')), 0).status!;
    expect(crashed.phase).toBe('Running');
    expect(crashed.containerStatuses![0]!.state!.waiting!.reason).toBe('CrashLoopBackOff');
    const pod = { ...running('OnFailure', ['sh', '-c', 'exit 1']), status: crashed } as Pod;
    expect(finishedStatus(pod, new Date(T('2026-05-01T00:00:05Z')), 0).next).toBe(T('2026-05-01T00:00:10Z'));
    const restarted = finishedStatus(pod, new Date(T('2026-05-01T00:00:10Z')), 0).status!.containerStatuses![0]!;
    expect(restarted.restartCount).toBe(1);
    expect(restarted.state!.running!.startedAt).toBe('2026-05-01T00:00:10Z');
    expect(restarted.containerID).not.toBe('containerd://a');
  });
});

describe('Job arithmetic', () => {
  const job = (spec: Record<string, unknown>, status: Record<string, unknown> = {}): Job =>
    ({ metadata: { name: 'pi', namespace: 'default', uid: 'ju', creationTimestamp: '2026-05-01T00:00:00Z' }, spec: { template: { spec: { containers: [container(['true'])] } }, ...spec }, status }) as Job;

  it('wants min(parallelism, completions - succeeded) pods, a work queue parallelism until one succeeds', () => {
    expect(wantedActive(job({ parallelism: 2, completions: 5 }), 0)).toBe(2);
    expect(wantedActive(job({ parallelism: 2, completions: 5 }), 4)).toBe(1);
    expect(wantedActive(job({ parallelism: 2, completions: 5 }), 5)).toBe(0);
    expect(wantedActive(job({ parallelism: 3 }), 0)).toBe(3);
    expect(wantedActive(job({ parallelism: 3 }), 1)).toBe(0);
  });

  it('backs off 10 s doubling per failure, at most 6 minutes', () => {
    expect([0, 1, 2, 3, 7, 30].map(podBackOffMs)).toEqual([0, 10_000, 20_000, 40_000, 360_000, 360_000]);
  });

  it('writes completed indexes as upstream compresses them, and reads them back', () => {
    expect(formatIndexes([4, 0, 1, 2, 6, 7])).toBe('0-2,4,6,7');
    expect(formatIndexes([])).toBe('');
    expect([...parseIndexes('0-2,4,6,7')]).toEqual([0, 1, 2, 4, 6, 7]);
    expect([...parseIndexes('x,3')]).toEqual([3]);
  });

  it('names an Indexed pod <job>-<index>-<suffix> with the index as annotation, label, hostname and env', () => {
    const p = jobPod(job({ completionMode: 'Indexed', completions: 3 }), 2);
    expect(p.metadata.name).toMatch(/^pi-2-[a-z0-9]{5}$/);
    expect(completionIndex(p)).toBe(2);
    expect(p.metadata.labels!['batch.kubernetes.io/job-completion-index']).toBe('2');
    expect(p.spec!.hostname).toBe('pi-2');
    expect(p.spec!.containers[0]!.env).toContainEqual({ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } });
    expect(p.metadata.finalizers).toEqual(['batch.kubernetes.io/job-tracking']);
    expect(p.metadata.ownerReferences![0]).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: 'ju', controller: true });
    expect(jobPod(job({})).metadata.name).toMatch(/^pi-[a-z0-9]{5}$/);
  });

  it('matches a podFailurePolicy FailJob rule on a container exit code', () => {
    const j = job({ podFailurePolicy: { rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [42] } }, { action: 'FailJob', onExitCodes: { operator: 'NotIn', values: [0, 42] } }] } });
    const failed = (code: number) => ({ metadata: { name: 'pi-x', namespace: 'default' }, status: { containerStatuses: [{ name: 'c', state: { terminated: { exitCode: code } } }] } }) as Pod;
    expect(matchPodFailurePolicy(j, failed(42))?.action).toBe('Ignore');
    expect(matchPodFailurePolicy(j, failed(3))).toEqual({ action: 'FailJob', message: 'Container c for pod default/pi-x failed with exit code 3 matching FailJob rule at index 1' });
  });

  it("prints kubectl's STATUS, COMPLETIONS and DURATION cells", () => {
    const now = new Date(T('2026-05-01T00:01:59Z'));
    expect(completionsCell(job({ completions: 3 }, { succeeded: 1 }))).toBe('1/3');
    expect(completionsCell(job({ parallelism: 4 }))).toBe('0/1 of 4');
    expect(durationCell(job({}), now)).toBe('');
    expect(durationCell(job({}, { startTime: '2026-05-01T00:00:00Z' }), now)).toBe('119s');
    expect(durationCell(job({}, { startTime: '2026-05-01T00:00:00Z', completionTime: '2026-05-01T00:00:07Z' }), now)).toBe('7s');
    expect(jobStatusCell(job({}, { conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }] }))).toBe('Complete');
    expect(jobStatusCell(job({}, { conditions: [{ type: 'FailureTarget', status: 'True' }] }))).toBe('FailureTarget');
    expect(jobStatusCell(job({}, { conditions: [{ type: 'Suspended', status: 'False' }] }))).toBe('Running');
  });
});

describe('cron schedules', () => {
  it('refuses what robfig/cron refuses', () => {
    expect(scheduleError('*/5 * * * *')).toBeUndefined();
    expect(scheduleError('0 0 * * MON-FRI')).toBeUndefined();
    expect(scheduleError('@hourly')).toBeUndefined();
    expect(scheduleError('* * * * * *')).toBe('expected exactly 5 fields, found 6: * * * * * *');
    expect(scheduleError('H * * * *')).toMatch(/H/);
    expect(scheduleError('61 * * * *')).toBeDefined();
    expect(scheduleError('@every 5m')).toBe('unrecognized descriptor: @every 5m');
    expect(scheduleError('TZ=UTC 0 * * * *')).toBe('cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
  });

  it('finds the most recent unmet time and how many were missed', () => {
    const created = T('2026-05-01T00:00:00Z');
    expect(mostRecentScheduleTime('*/5 * * * *', undefined, created, T('2026-05-01T00:04:59Z'))).toEqual({ missed: 0 });
    expect(mostRecentScheduleTime('*/5 * * * *', undefined, created, T('2026-05-01T00:05:00Z'))).toEqual({ time: T('2026-05-01T00:05:00Z'), missed: 1 });
    expect(mostRecentScheduleTime('*/5 * * * *', undefined, created, T('2026-05-01T00:17:00Z'))).toEqual({ time: T('2026-05-01T00:15:00Z'), missed: 3 });
    expect(mostRecentScheduleTime('*/5 * * * *', undefined, T('2026-05-01T00:15:00Z'), T('2026-05-01T00:17:00Z'))).toEqual({ missed: 0 });
    const many = mostRecentScheduleTime('* * * * *', undefined, created, T('2026-05-02T00:00:30Z'));
    expect(many.time).toBe(T('2026-05-02T00:00:00Z'));
    expect(many.missed).toBeGreaterThan(MANY_MISSED);
  });

  it('evaluates in the time zone, and names and stamps the Job as upstream', () => {
    expect(nextScheduleTime('0 9 * * *', 'Europe/Berlin', T('2026-05-01T00:00:00Z'))).toBe(T('2026-05-01T07:00:00Z'));
    expect(nextScheduleTime('0 9 * * *', undefined, T('2026-05-01T00:00:00Z'))).toBe(T('2026-05-01T09:00:00Z'));
    expect(scheduledJobName('hello', T('2026-05-01T00:05:00Z'))).toBe(`hello-${T('2026-05-01T00:05:00Z') / 60_000}`);
    expect(rfc3339In(T('2026-05-01T07:00:00Z'), 'Europe/Berlin')).toBe('2026-05-01T09:00:00+02:00');
    expect(rfc3339In(T('2026-05-01T07:00:00Z'), undefined)).toBe('2026-05-01T07:00:00Z');
    expect(rfc3339In(T('2026-05-01T07:00:00Z'), 'Asia/Kolkata')).toBe('2026-05-01T12:30:00+05:30');
  });
});
