/**
 * The front door defends itself (SPEC R-1, R-4): connections that never send a byte, never finish their TLS
 * handshake or never finish their headers are closed on a deadline; connections over the ceiling are closed as
 * they arrive while an open `kubectl get -w` keeps streaming; an early refusal of an oversized body reaches a
 * client that sends the whole body before reading (no reset); and `aksemu start --host 0.0.0.0` warns.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { isLoopbackHost } from '../../src/frontdoor/hosts.js';
import { spawnEmulator, startTestEmulator } from '../../testkit/emulator.js';
import { getToken, testCa } from '../../testkit/http.js';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { createArmCluster } from '../../testkit/kube/arm-cluster.js';
import { kubeApi, kubectl, kubectlHome, kubectlStream, waitFor, type KubectlHome, type TestEmulator } from '../../testkit/kube/kube-env.js';
import { describeWith } from '../../testkit/optional.js';

const LIMITS = {
  firstByteTimeoutMs: 700,
  tlsHandshakeTimeoutMs: 700,
  headersTimeoutMs: 1_000,
  requestTimeoutMs: 2_500,
  keepAliveTimeoutMs: 1_000,
  maxConnections: 16,
};

/** Resolves with how long the server took to close the socket (its end, a reset, or a close all count). */
function closedAfter(socket: Socket | TLSSocket, limitMs: number): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${limitMs} ms`));
    }, limitMs);
    socket.on('error', () => undefined);
    socket.resume();
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}

const rawConnect = (port: number) =>
  new Promise<Socket>((resolve, reject) => {
    const s = netConnect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });

const tlsOpen = (port: number) =>
  new Promise<TLSSocket>((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: testCa() }, () => resolve(s));
    s.once('error', reject);
  });

/**
 * Sends a request the way python's requests (az) does: the whole body first, slowly, then reads the answer.
 * Rejects if the connection is reset or closed before a complete answer arrived.
 */
function sendSlowlyThenRead(port: number, head: string[], bodyBytes: number, chunk = 16 * 1024, pauseMs = 5): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: testCa() }, async () => {
      s.write(`${[...head, `Content-Length: ${bodyBytes}`].join('\r\n')}\r\n\r\n`);
      for (let sent = 0; sent < bodyBytes && !s.destroyed; sent += chunk) {
        s.write(Buffer.alloc(Math.min(chunk, bodyBytes - sent), 0x61));
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    });
    let raw = Buffer.alloc(0);
    let failure: Error | undefined;
    s.on('data', (d: Buffer) => {
      raw = Buffer.concat([raw, d]);
      const text = raw.toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, end));
      if (end >= 0 && length && Buffer.byteLength(text.slice(end + 4)) >= Number(length[1])) {
        s.destroy();
        resolve({ status: Number(text.split(' ')[1]), headers: text.slice(0, end), body: text.slice(end + 4) });
      }
    });
    s.on('error', (err) => (failure ??= err));
    s.on('close', () => reject(new Error(`the connection ended before a whole answer (${failure?.message ?? 'closed'}): ${raw.toString('utf8').slice(0, 200)}`)));
  });
}

describe('front door deadlines and early answers', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ now: new Date('2026-05-01T00:00:00Z'), frontDoorLimits: LIMITS });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('closes a connection that never sends a byte within the first-byte deadline', async () => {
    const ms = await closedAfter(await rawConnect(emu.port), 5_000);
    expect(ms).toBeGreaterThanOrEqual(LIMITS.firstByteTimeoutMs - 100);
    expect(ms).toBeLessThan(LIMITS.firstByteTimeoutMs + 1_500);
  });

  it('closes a TLS handshake that stops half way, and a CONNECT line that never ends', async () => {
    const tls = await rawConnect(emu.port);
    tls.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00])); // a ClientHello record header, then nothing
    expect(await closedAfter(tls, 5_000)).toBeLessThan(LIMITS.tlsHandshakeTimeoutMs + 1_500);
    const connect = await rawConnect(emu.port);
    connect.write('CONNECT management.azure.com:443 HTTP/1.1\r\nHost: manage'); // never finished
    expect(await closedAfter(connect, 5_000)).toBeLessThan(LIMITS.headersTimeoutMs + 1_500);
  });

  it('closes a TLS connection that sends no request, or headers that never end', async () => {
    const silent = await tlsOpen(emu.port);
    expect(await closedAfter(silent, 5_000)).toBeLessThan(LIMITS.headersTimeoutMs + 1_500);
    const slow = await tlsOpen(emu.port);
    slow.write('GET /subscriptions?api-version=2022-12-01 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    const drip = setInterval(() => slow.writable && slow.write('a'), 100);
    try {
      expect(await closedAfter(slow, 5_000)).toBeLessThan(LIMITS.headersTimeoutMs + 1_500);
    } finally {
      clearInterval(drip);
    }
  });

  it('answers a Key Vault body over 256 KiB, sent slowly in full, with its 400 and no reset', async () => {
    const res = await sendSlowlyThenRead(
      emu.port,
      ['PUT /_vault/somevault/secrets/big?api-version=7.4 HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json', 'Authorization: Bearer x'],
      300 * 1024,
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'BadParameter', message: 'The request body is too large: Key Vault requests are at most 262144 bytes here.' } });
  });

  it('answers an ARM body over 8 MiB, sent in full before reading, with its 413 and no reset', async () => {
    const token = await getToken(emu.url, emu.env);
    const sub = emu.env.AZURE_SUBSCRIPTION_ID!;
    const res = await sendSlowlyThenRead(
      emu.port,
      [`PUT /subscriptions/${sub}/resourcegroups/big?api-version=2021-04-01 HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/json', `Authorization: Bearer ${token}`],
      9 * 1024 * 1024,
      256 * 1024,
      1,
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.code).toBe('RequestEntityTooLarge');
  });
});

describeWith(['kubectl'], 'the connection ceiling, long-lived watches and quiet exec sessions', () => {
  let emu: TestEmulator;
  let h: KubectlHome;
  let cluster: FixtureCluster;
  beforeAll(async () => {
    emu = await startTestEmulator({ now: new Date('2026-05-01T00:00:00Z'), frontDoorLimits: LIMITS });
    // Through ARM, as a user creates it: its nodes have kubelets, which exec needs.
    cluster = await createArmCluster(emu, { name: 'limits', resourceGroup: 'rg', properties: { kubernetesVersion: '1.33' }, pools: [{ name: 'nodepool1', count: 1 }] });
    h = await kubectlHome(emu, cluster);
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('a watch streams past every deadline, and keeps streaming while connections over the ceiling are closed', async () => {
    const w = kubectlStream(h, ['get', 'configmaps', '-n', 'default', '-w', '--output-watch-events']);
    try {
      await waitFor('the watch listing', () => /kube-root-ca\.crt/.test(w.output()));
      // Longer than the request, header and keep-alive deadlines: only phases before a request completes are timed.
      await new Promise((r) => setTimeout(r, LIMITS.requestTimeoutMs + 1_000));
      expect((await kubectl(h, ['create', 'configmap', 'first', '--from-literal=a=1'])).code).toBe(0);
      await waitFor('the first ADDED event', () => /ADDED\s+first/.test(w.output()));

      // More idle connections than the ceiling: those beyond it are closed at once, long before any deadline.
      const flood = await Promise.all(Array.from({ length: LIMITS.maxConnections + 4 }, () => rawConnect(emu.port)));
      const closedAt = await Promise.all(flood.map((s) => closedAfter(s, 5_000).catch(() => Infinity)));
      const early = closedAt.filter((ms) => ms < LIMITS.firstByteTimeoutMs / 2).length;
      expect(early).toBeGreaterThanOrEqual(5); // the watch holds a connection too
      expect(closedAt.every((ms) => ms < LIMITS.firstByteTimeoutMs + 1_500)).toBe(true);

      // The flood is gone: new requests are served, and the watch that was open all along still streams.
      expect((await kubectl(h, ['create', 'configmap', 'second', '--from-literal=b=2'])).code).toBe(0);
      await waitFor('the second ADDED event', () => /ADDED\s+second/.test(w.output()));
      expect(w.child.exitCode).toBeNull();
      expect(w.stderr()).toBe('');
    } finally {
      w.child.kill();
    }
  });

  it('an exec session (WebSocket upgrade) that stays quiet past every deadline still works', async () => {
    const created = await kubectl(h, ['debug', `node/${cluster.nodeNames[0]}`, '--image=mcr.microsoft.com/dotnet/runtime-deps:6.0', '--stdin', '--tty', '--attach=false']);
    expect(created.code, created.stderr).toBe(0);
    const pod = /pod (node-debugger-\S+) with container/.exec(created.stdout)?.[1];
    expect(pod, created.stdout).toBeDefined();
    await waitFor('the debugger running', async () => (await kubectl(h, ['get', 'pod', pod!, '-o', 'json'])).json().status.phase === 'Running');
    const api = await kubeApi(emu, cluster);
    const url = `${api.base.replace(/^https/, 'wss')}/api/v1/namespaces/default/pods/${pod}/exec?command=sh&stdin=true&stdout=true&stderr=true`;
    const ws = new WebSocket(url, ['v5.channel.k8s.io'], { ca: testCa(), headers: { authorization: `Bearer ${api.token}` } });
    let stdout = '';
    ws.on('message', (data: Buffer) => data[0] === 1 && (stdout += data.subarray(1).toString()));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await new Promise((r) => setTimeout(r, LIMITS.requestTimeoutMs + 1_000));
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('hostname\nexit 0\n')]));
    ws.send(Buffer.from([255, 0])); // stdin closed
    expect(await closed).toBe(1000);
    expect(stdout).toBe(`${cluster.nodeNames[0]}\n`);
  });
});

describe('aksemu start on a non-loopback address', () => {
  it('tells loopback addresses from the others', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect({ host, loopback: isLoopbackHost(host) }).toEqual({ host, loopback: true });
    for (const host of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.com', '::ffff:10.0.0.1']) expect({ host, loopback: isLoopbackHost(host) }).toEqual({ host, loopback: false });
  });

  it('warns on stderr when binding 0.0.0.0, and keeps the ready line as it is', async () => {
    const emu = await spawnEmulator({ args: ['--host', '0.0.0.0'] });
    try {
      expect(emu.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/); // spawnEmulator parsed the unchanged ready line
      await waitFor('the warning', () => /WARNING: listening on 0\.0\.0\.0, which is not a loopback address/.test(emu.stderr()));
      expect(emu.stderr()).toMatch(/"level":40.*listening on 0\.0\.0\.0, not a loopback address/);
    } finally {
      await emu.stop();
    }
    const local = await spawnEmulator();
    try {
      await new Promise((r) => setTimeout(r, 200));
      expect(local.stderr()).not.toMatch(/loopback/);
    } finally {
      await local.stop();
    }
  }, 60_000);
});
