/**
 * SPEC: background work during a store outage. `aksemu start --store etcd://... --speed realistic` has a
 * long-running operation in progress (a preview feature registering, 90 s of emulated time) when etcd is killed;
 * its task comes due while etcd is down, and the emulated clock is moved during the outage (the admin API, as
 * `aksemu clock` does), which reschedules every task. Neither may end the process: it keeps answering (its status
 * says the store is down) and, once etcd is back, the operation completes by itself.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawnEmulator, type SpawnedEmulator } from '../../testkit/emulator.js';
import { EtcdCluster } from '../../testkit/etcd.js';
import { getToken, httpsCall } from '../../testkit/http.js';
import { describeWith } from '../../testkit/optional.js';
import { waitFor } from '../../testkit/wait.js';
import { printFigures, sleep } from './traffic.js';

/** Emulated time a feature takes to register at --speed realistic (src/providers/features/features.ts). */
const REGISTRATION_MS = 90_000;
/** How long after the clock is moved the registration's task comes due (real time, at --speed realistic). */
const DUE_IN_MS = 10_000;

describeWith(['etcd'], 'background work while etcd is down (a spawned aksemu start)', () => {
  let etcd: EtcdCluster;
  let emu: SpawnedEmulator;
  let token: string;
  const feature = () => `${emu.url}/subscriptions/${emu.env.AZURE_SUBSCRIPTION_ID}/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/MutableFipsPreview`;
  const admin = (path: string, method = 'GET', body?: unknown) =>
    httpsCall(`${emu.url}/_aksemu${path}`, { method, headers: { authorization: `Bearer ${token}` }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const alive = () => emu.process.exitCode === null && emu.process.signalCode === null;

  beforeAll(async () => {
    etcd = await EtcdCluster.start();
    emu = await spawnEmulator({ args: ['--store', `etcd://${etcd.endpoints[0]}/aksemu-faults-work`, '--speed', 'realistic'] });
    token = await getToken(emu.url, emu.env);
  }, 60_000);
  afterAll(async () => {
    await emu?.stop();
    await etcd?.stop();
  });

  it('keeps the process up through due tasks and clock jumps, and finishes the operation once etcd is back', async () => {
    const reg = await httpsCall(`${feature()}/register?api-version=2021-07-01`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(reg.json().properties.state).toBe('Registering');
    // The registration comes due DUE_IN_MS from now: after etcd is gone, with room for a loaded machine (CI runs
    // other suites beside this one) between the clock move and the kill.
    const advancedAt = Date.now();
    expect((await admin('/clock', 'PUT', { advanceSeconds: (REGISTRATION_MS - DUE_IN_MS) / 1000 })).status).toBe(200);
    const killedAt = Date.now();
    await etcd.kill(0);
    expect(Date.now() - advancedAt, 'etcd was not gone before the registration came due').toBeLessThan(DUE_IN_MS);
    await sleep(1_000);
    // A clock jump while the store is down (every task is rescheduled from the store).
    const jump = await admin('/clock', 'PUT', { advanceSeconds: 600 });
    expect(jump.status, jump.text).toBe(200);
    // Both paths are taken while etcd is down (each gives up on the store after its retry window): the due task
    // cannot read its record, the jump cannot list the tasks. The process stays up through both.
    const missing = () => ['the store did not answer for a task; retrying', 'could not reschedule the tasks after a clock jump; trying again'].filter((m) => !emu.stderr().includes(m));
    await waitFor('the due task and the reschedule to meet the outage', () => missing().length === 0 || !alive(), { timeoutMs: 45_000, intervalMs: 200 }).catch(() => undefined);
    const aliveDuringOutage = alive();
    expect(aliveDuringOutage, `aksemu start ended during the outage:\n${emu.stderr().slice(-2000)}`).toBe(true);
    expect(missing(), emu.stderr().slice(-6000)).toEqual([]);
    const down = await admin('/status');
    expect(down.status).toBe(503);

    const restartedAt = Date.now();
    await etcd.restart(0);
    const state = await waitFor(
      'the registration to complete after etcd is back',
      async () => {
        const res = await httpsCall(`${feature()}?api-version=2021-07-01`, { headers: { authorization: `Bearer ${token}` } });
        return res.status === 200 && res.json().properties.state === 'Registered' ? 'Registered' : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const doneSeconds = Math.round((Date.now() - restartedAt) / 100) / 10;
    expect(state).toBe('Registered');
    expect((await admin('/status')).status).toBe(200);
    expect(alive()).toBe(true);
    printFigures('background-work-outage', {
      store: 'etcd (1 member), spawned aksemu start',
      outageSeconds: Math.round((restartedAt - killedAt) / 100) / 10,
      processEnded: !aliveDuringOutage,
      secondsRestartToOperationDone: doneSeconds,
    });
  }, 90_000);
});
