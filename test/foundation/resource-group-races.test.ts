/**
 * SPEC R-1: concurrent PUTs and PATCHes of one resource group are serialized, the last one winning as in ARM; none
 * answers 409 because another request changed the group meanwhile. On the etcd store every read and write is a
 * network round trip, so the requests really interleave.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmulatorOnEtcd, type EtcdEmulator } from '../../testkit/etcd-emulator.js';
import { getToken, httpsCall } from '../../testkit/http.js';
import { describeWith } from '../../testkit/optional.js';

describeWith(['etcd'], 'resource group races', () => {
  let running: EtcdEmulator | undefined;
  let token: string;
  beforeAll(async () => {
    running = await startEmulatorOnEtcd('/aksemu-races');
    token = await getToken(running.emu.url, running.emu.env);
  }, 60_000);
  afterAll(async () => {
    await running?.close();
  });

  it('60 concurrent PUTs and PATCHes of one group all succeed, and the group holds one of the tag sets sent', async () => {
    const emu = running!.emu;
    const url = `${emu.url}/subscriptions/${emu.info.subscriptionId}/resourcegroups/raceRG?api-version=2021-04-01`;
    const send = (method: string, i: number) =>
      httpsCall(url, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(method === 'PUT' ? { location: 'eastus', tags: { writer: String(i) } } : { tags: { writer: String(i) } }),
      });
    expect((await send('PUT', -1)).status).toBe(201);
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => send(i % 2 ? 'PATCH' : 'PUT', i)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s !== 200), answers.find((a) => a.status !== 200)?.text).toEqual([]);
    const final = await httpsCall(url, { headers: { authorization: `Bearer ${token}` } });
    expect(Number(final.json().tags.writer)).toBeGreaterThanOrEqual(0);
  });
});
