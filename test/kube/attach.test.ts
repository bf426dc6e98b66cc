/**
 * SPEC C-9: `kubectl debug node/<node> -it --image=...` (seeds 000 and 001) with the real kubectl, and the pods/attach
 * and pods/exec upgrades behind it: WebSockets with the v5/v4 channel protocols, authenticated and routed like every
 * cluster request, answering Kubernetes Status errors.
 *
 * kubectl builds: the dispatcher runs the build of the cluster's minor (1.33 here); 1.30–1.32 are run directly
 * (all use WebSockets by default), 1.29 with KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true, and 1.28 (SPDY only) is shown
 * the refusal that says which builds work.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { describeWith } from '../../testkit/optional.js';
import { testCa } from '../../testkit/http.js';
import { createArmCluster } from '../../testkit/kube/arm-cluster.js';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { kubeApi, kubectl, kubectlHome, settle, startEmulatorWithFixtures, waitFor, type KubeApiClient, type KubectlHome, type TestEmulator } from '../../testkit/kube/kube-env.js';

const IMAGE = 'mcr.microsoft.com/dotnet/runtime-deps:6.0';
const SESSION = 'cat /proc/sys/crypto/fips_enabled\nexit\n';
const BUILDS = '/usr/lib/google-cloud-sdk/bin';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl (the dispatcher, or one build) with stdin piped, as the seed runner does. */
function run(h: KubectlHome, args: string[], stdin = '', opts: { build?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const bin = opts.build ? `${BUILDS}/kubectl.${opts.build}` : 'kubectl';
  return new Promise((resolve) => {
    const child = execFile(bin, args, { env: { ...h.env, ...(opts.env ?? {}) }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(stdin);
  });
}

/** The session as the articles show it: the prompt, the command, its output on the next line. */
function expectSession(out: string, node: string, value: '0' | '1'): void {
  const lines = out.replace(/\r/g, '').split('\n');
  const at = lines.indexOf(`root@${node}:/# cat /proc/sys/crypto/fips_enabled`);
  expect(at, out).toBeGreaterThanOrEqual(0);
  expect(lines[at + 1], out).toBe(value);
  expect(lines[at + 2], out).toBe(`root@${node}:/# exit`);
}

interface WsOutcome {
  status?: number;
  body?: any;
  protocol?: string;
  channels: Record<number, string>;
  closeCode?: number;
}

/** A raw WebSocket stream request; sends `send` (channel-prefixed messages) once open. */
function wsStream(url: string, opts: { token?: string; protocols?: string[]; send?: Buffer[]; servername?: string; headers?: Record<string, string> } = {}): Promise<WsOutcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts.protocols ?? ['v5.channel.k8s.io'], {
      ca: testCa(),
      headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...(opts.headers ?? {}) },
      ...(opts.servername ? { servername: opts.servername } : {}),
    });
    const out: WsOutcome = { channels: {} };
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        out.status = res.statusCode;
        try {
          out.body = JSON.parse(text);
        } catch {
          out.body = text;
        }
        resolve(out);
      });
    });
    ws.on('open', () => {
      out.protocol = ws.protocol;
      for (const m of opts.send ?? []) ws.send(m);
    });
    ws.on('message', (data) => {
      const b = data as Buffer;
      out.channels[b[0]!] = (out.channels[b[0]!] ?? '') + b.subarray(1).toString();
    });
    ws.on('close', (code) => {
      out.closeCode = code;
      resolve(out);
    });
    ws.on('error', (err) => {
      if (out.status === undefined) reject(err);
    });
  });
}

const msg = (channel: number, text: string | Buffer) => Buffer.concat([Buffer.from([channel]), Buffer.isBuffer(text) ? text : Buffer.from(text)]);

describeWith(['kubectl'], 'kubectl debug node/... -it, attach and exec', () => {
  let emu: TestEmulator;
  let cluster: FixtureCluster;
  let h: KubectlHome;
  let api: KubeApiClient;
  let fipsNode: string;
  let plainNode: string;

  beforeAll(async () => {
    // An emulated date on which Kubernetes 1.33 is supported, so that the dispatcher runs kubectl 1.33.
    emu = await startEmulatorWithFixtures({ now: new Date('2026-05-01T00:00:00Z') });
    cluster = await createArmCluster(emu, {
      name: 'myAKSCluster',
      resourceGroup: 'myResourceGroup',
      properties: { kubernetesVersion: '1.33' },
      pools: [
        { name: 'nodepool1', count: 1 },
        { name: 'fipsnp', count: 1, enableFIPS: true, mode: 'User' },
      ],
    });
    h = await kubectlHome(emu, cluster);
    api = await kubeApi(emu, cluster);
    fipsNode = cluster.nodeNames.find((n) => n.startsWith('aks-fipsnp-'))!;
    plainNode = cluster.nodeNames.find((n) => n.startsWith('aks-nodepool1-'))!;
  });
  afterAll(async () => {
    await emu?.close();
  });

  const podsOn = async (node: string) =>
    (await kubectl(h, ['get', 'pods', '-o', 'json'])).json().items.filter((p: any) => p.spec.nodeName === node && p.metadata.name.startsWith(`node-debugger-${node}-`));

  it('kubectl debug on a FIPS node: the prompt root@<node>:/#, fips_enabled 1, and the pod Completed after exit (seed 000/001)', async () => {
    const r = await run(h, ['debug', `node/${fipsNode}`, '-it', `--image=${IMAGE}`], SESSION);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Creating debugging pod node-debugger-${fipsNode}-`);
    expectSession(r.stdout, fipsNode, '1');
    expect(r.stdout).toContain(`the image ${IMAGE} is not run (emulator)`);
    expect(r.stderr).not.toContain("couldn't attach");
    // exit ended the container's process: the kubelet reports it terminated, the pod Completed.
    await settle(emu, cluster);
    const [pod] = await podsOn(fipsNode);
    expect(pod.status.phase).toBe('Succeeded');
    expect(pod.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    const table = await kubectl(h, ['get', 'pod', pod.metadata.name]);
    expect(table.stdout).toMatch(/0\/1\s+Completed\s+0/);
  });

  it('kubectl debug on a node without FIPS prints 0', async () => {
    const r = await run(h, ['debug', `node/${plainNode}`, '-it', `--image=${IMAGE}`], SESSION);
    expect(r.code, r.stderr).toBe(0);
    expectSession(r.stdout, plainNode, '0');
  });

  it('works with kubectl 1.30, 1.31 and 1.32 (WebSockets by default) and 1.29 with KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true', async () => {
    const builds: Array<[string, Record<string, string>]> = [
      ['1.29', { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'true' }],
      ['1.30', {}],
      ['1.31', {}],
      ['1.32', {}],
    ];
    const present = builds.filter(([b]) => existsSync(`${BUILDS}/kubectl.${b}`));
    expect(present.length, `kubectl builds under ${BUILDS}`).toBeGreaterThan(0);
    for (const [build, env] of present) {
      const r = await run(h, ['debug', `node/${fipsNode}`, '-it', `--image=${IMAGE}`], SESSION, { build, env });
      expect(r.code, `${build}: ${r.stderr}`).toBe(0);
      expectSession(r.stdout, fipsNode, '1');
    }
  });

  it('refuses SPDY (kubectl 1.28) with a Status that says which kubectl builds work', async () => {
    if (!existsSync(`${BUILDS}/kubectl.1.28`)) return;
    const r = await run(h, ['debug', `node/${fipsNode}`, '-it', `--image=${IMAGE}`], SESSION, { build: '1.28' });
    // kubectl debug falls back to the (simulated) logs; the warning carries the Status message.
    expect(r.stderr).toContain("couldn't attach to pod/");
    expect(r.stderr).toContain('not over SPDY/3.1: use kubectl 1.30 or later');
    expect(r.stdout).not.toContain('root@');
  });

  it('keeps the container process between attaches: chroot /host, detach, attach again and read the node /etc/motd', async () => {
    const created = await run(h, ['debug', `node/${fipsNode}`, `--image=${IMAGE}`, '--stdin', '--tty', '--attach=false']);
    expect(created.code, created.stderr).toBe(0);
    const name = /pod (node-debugger-\S+) with container/.exec(created.stdout)?.[1];
    expect(name, created.stdout).toBeDefined();
    await waitFor('the debugger running', async () => (await kubectl(h, ['get', 'pod', name!, '-o', 'json'])).json().status.phase === 'Running');
    // No exit: the client's stdin ends, the session with it; the shell stays in the chroot.
    const first = await run(h, ['attach', '-i', name!, '-c', 'debugger'], 'chroot /host\ncat /etc/motd\n');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('Welcome to');
    const second = await run(h, ['attach', '-i', name!, '-c', 'debugger'], 'cat /etc/os-release\nexit\nexit 3\n');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('ID=ubuntu');
    expect(second.stdout).not.toContain('aksemu: the image'); // the banner belongs to the process start
    await settle(emu, cluster);
    const pod = (await kubectl(h, ['get', 'pod', name!, '-o', 'json'])).json();
    expect(pod.status.phase).toBe('Failed');
    expect(pod.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
  });

  describe('kubectl exec', () => {
    let debugPod: string;
    beforeAll(async () => {
      // A node-debugging pod without a session (kubectl debug without -it): its container mounts the node's root.
      const created = await run(h, ['debug', `node/${fipsNode}`, `--image=${IMAGE}`, '--', 'sleep', 'infinity']);
      expect(created.code, created.stderr).toBe(0);
      debugPod = /pod (node-debugger-\S+) with container/.exec(created.stdout)![1]!;
      await waitFor('the debugger running', async () => (await kubectl(h, ['get', 'pod', debugPod, '-o', 'json'])).json().status.phase === 'Running');
    });

    it('runs a command in a debugging container: node facts through /proc and /host', async () => {
      const fips = await run(h, ['exec', debugPod, '--', 'cat', '/proc/sys/crypto/fips_enabled']);
      expect(fips.code, fips.stderr).toBe(0);
      expect(fips.stdout).toBe('1\n');
      const release = await run(h, ['exec', debugPod, '--', 'chroot', '/host', 'cat', '/etc/os-release']);
      expect(release.stdout).toContain('ID=ubuntu');
      const script = await run(h, ['exec', debugPod, '--', 'sh', '-c', 'hostname && cat /host/etc/hostname']);
      expect(script.stdout).toBe(`${fipsNode}\n${fipsNode}\n`);
    });

    it('passes stdin to the command and reports exit codes as the kubelet does', async () => {
      const echo = await run(h, ['exec', '-i', debugPod, '--', 'cat'], 'hello from stdin\n');
      expect(echo.code, echo.stderr).toBe(0);
      expect(echo.stdout).toBe('hello from stdin\n');
      const failed = await run(h, ['exec', debugPod, '--', 'sh', '-c', 'cat /nope; exit 3']);
      expect(failed.code).toBe(3);
      expect(failed.stderr).toContain('cat: /nope: No such file or directory');
      expect(failed.stderr).toContain('command terminated with exit code 3');
      const md4 = await run(h, ['exec', '-i', debugPod, '--', 'openssl', 'dgst', '-md4'], 'x');
      expect(md4.code).toBe(1); // SPEC F-7: refused on a FIPS node
      const missing = await run(h, ['exec', debugPod, '--', 'ls', '/']);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toContain('exec: "ls": executable file not found in $PATH');
    });

    it('runs an interactive shell with -it (stdin piped) and ends with its exit code', async () => {
      const r = await run(h, ['exec', '-it', debugPod, '--', 'bash'], 'cat /host/proc/sys/crypto/fips_enabled\nexit 4\n');
      expect(r.code).toBe(4);
      expect(r.stdout).toContain('1\n');
    });

    it('refuses a container that is not a debugging one, with a clear error', async () => {
      const applied = await kubectl(h, ['run', 'web', '--image=nginx:1.27']);
      expect(applied.code, applied.stderr).toBe(0);
      await waitFor('web running', async () => (await kubectl(h, ['get', 'pod', 'web', '-o', 'json'])).json().status.phase === 'Running');
      const r = await run(h, ['exec', 'web', '--', 'cat', '/proc/sys/crypto/fips_enabled']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('aksemu does not run container images: container web of pod default/web (image nginx:1.27) has no process to exec in');
    });
  });

  describe('the upgrade itself', () => {
    const url = (pod: string, sub: 'attach' | 'exec', query: string) => `${api.base.replace(/^https/, 'wss')}/api/v1/namespaces/default/pods/${pod}/${sub}?${query}`;

    it('refuses an unauthenticated upgrade with a 401 Status', async () => {
      const r = await wsStream(url('whatever', 'attach', 'container=debugger&stdin=true&stdout=true&tty=true'));
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 });
      const bad = await wsStream(url('whatever', 'attach', 'stdout=true'), { token: 'not-a-token' });
      expect(bad.status).toBe(401);
    });

    it('answers an attach to a missing pod with a 404 Status', async () => {
      const r = await wsStream(url('nope', 'attach', 'container=debugger&stdin=true&stdout=true&tty=true'), { token: api.token });
      expect(r.status).toBe(404);
      expect(r.body).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'pods "nope" not found', code: 404 });
    });

    it('checks the container and the options (400 Status)', async () => {
      const pod = (await podsOn(fipsNode)).find((p: any) => p.status.phase === 'Succeeded');
      const wrong = await wsStream(url(pod.metadata.name, 'attach', 'container=other&stdout=true'), { token: api.token });
      expect(wrong.status).toBe(400);
      expect(wrong.body.message).toBe(`container other is not valid for pod ${pod.metadata.name}`);
      const none = await wsStream(url(pod.metadata.name, 'exec', 'command=true'), { token: api.token });
      expect(none.body.message).toBe('you must specify at least 1 of stdin, stdout, stderr');
      const completed = await wsStream(url(pod.metadata.name, 'attach', 'stdout=true'), { token: api.token });
      expect(completed.body.message).toBe('cannot attach a container in a completed pod; current phase is Succeeded');
    });

    it('speaks v4.channel.k8s.io, and refuses unknown subprotocols, SPDY and plain requests', async () => {
      const pods = (await kubectl(h, ['get', 'pods', '-o', 'json'])).json().items;
      const running = pods.find((p: any) => p.metadata.name.startsWith('node-debugger-') && p.status.phase === 'Running');
      expect(running, 'a running debugging pod (kubectl exec tests)').toBeDefined();
      const name = running.metadata.name;
      const v4 = await wsStream(url(name, 'exec', 'command=uname&command=-r&stdout=true&stderr=true'), { token: api.token, protocols: ['v4.channel.k8s.io'] });
      expect(v4.protocol).toBe('v4.channel.k8s.io');
      expect(v4.channels[1]).toMatch(/fips/);
      expect(JSON.parse(v4.channels[3]!)).toEqual({ metadata: {}, status: 'Success' });
      expect(v4.closeCode).toBe(1000);
      // v5: stdin, then its CLOSE signal; a non-zero exit is NonZeroExitCode with the code as cause.
      const v5 = await wsStream(url(name, 'exec', 'command=sh&stdin=true&stdout=true&stderr=true'), { token: api.token, send: [msg(0, 'hostname\nexit 7\n'), Buffer.from([255, 0])] });
      expect(v5.channels[1]).toBe(`${fipsNode}\n`);
      expect(JSON.parse(v5.channels[3]!)).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '7' }] } });
      const unknown = await wsStream(url(name, 'exec', 'command=true&stdout=true'), { token: api.token, protocols: ['base64.channel.k8s.io'] });
      expect(unknown.status).toBe(400);
      expect(unknown.body.message).toContain('unable to negotiate protocol');
      const plain = await api.call('GET', `/api/v1/namespaces/default/pods/${name}/exec?command=true&stdout=true`);
      expect(plain.status).toBe(400);
      expect(plain.json().message).toBe('Upgrade request required');
      const spdy = await api.call('POST', `/api/v1/namespaces/default/pods/${name}/exec?command=true&stdout=true`, undefined, { connection: 'Upgrade', upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'v4.channel.k8s.io' });
      expect(spdy.status).toBe(400);
      expect(spdy.json().message).toContain('not over SPDY/3.1');
    });

    it('holds a shell\'s first prompt until the client has spoken (client-go drops frames that arrive before its streams exist)', async () => {
      const pods = (await kubectl(h, ['get', 'pods', '-o', 'json'])).json().items;
      const running = pods.find((p: any) => p.metadata.name.startsWith('node-debugger-') && p.status.phase === 'Running');
      expect(running, 'a running debugging pod (kubectl exec tests)').toBeDefined();
      const ws = new WebSocket(url(running.metadata.name, 'exec', 'command=bash&stdin=true&stdout=true&tty=true'), ['v5.channel.k8s.io'], {
        ca: testCa(),
        headers: { authorization: `Bearer ${api.token}` },
      });
      const stdout: string[] = [];
      ws.on('message', (data: Buffer) => {
        if (data[0] === 1) stdout.push(data.subarray(1).toString());
      });
      const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
      await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(stdout, 'nothing written before the client spoke').toEqual([]);
      ws.send(msg(0, 'exit\n'));
      ws.send(Buffer.from([255, 0]));
      await closed;
      // The prompt first, then the echo of what was typed, as a terminal shows them.
      expect(stdout.join('').replace(/\r/g, '')).toMatch(new RegExp(`^root@${fipsNode}:/# exit\n`));
    });

    it('answers the other refusals with Status too: unknown cluster or path, a bad escape, a POST WebSocket, another upgrade', async () => {
      const direct = new URL(api.base);
      const otherCluster = await wsStream(`wss://${direct.host}/_k8s/nope.hcp.eastus.azmk8s.io/api/v1/namespaces/default/pods/p/attach?stdout=true`, { token: api.token });
      expect(otherCluster.status).toBe(404);
      expect(otherCluster.body).toMatchObject({ kind: 'Status', reason: 'NotFound' });
      const portForward = await wsStream(`${api.base.replace(/^https/, 'wss')}/api/v1/namespaces/default/pods/p/portforward`, { token: api.token });
      expect(portForward.status).toBe(404);
      expect(portForward.body).toMatchObject({ kind: 'Status', reason: 'NotFound' });
      const escape = await wsStream(url('%zz', 'attach', 'stdout=true'), { token: api.token });
      expect(escape.status).toBe(400);
      expect(escape.body.message).toBe('the request path contains an invalid escape sequence');
      const pods = (await kubectl(h, ['get', 'pods', '-o', 'json'])).json().items;
      const name = pods.find((p: any) => p.metadata.name.startsWith('node-debugger-') && p.status.phase === 'Running').metadata.name;
      const headers = { connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13', 'sec-websocket-protocol': 'v5.channel.k8s.io' };
      const post = await api.call('POST', `/api/v1/namespaces/default/pods/${name}/exec?command=true&stdout=true`, undefined, { ...headers, upgrade: 'websocket' });
      expect(post.status).toBe(400);
      expect(post.json().message).toBe('a WebSocket upgrade is a GET request, not POST');
      const h2c = await api.call('GET', `/api/v1/namespaces/default/pods/${name}/exec?command=true&stdout=true`, undefined, { connection: 'Upgrade', upgrade: 'h2c' });
      expect(h2c.status).toBe(400);
      expect(h2c.json().message).toContain('the upgrade "h2c" is not supported');
    });

    it('answers 503 while the API server is down and 500 when the node kubelet is unreachable', async () => {
      const pods = (await kubectl(h, ['get', 'pods', '-o', 'json'])).json().items;
      const name = pods.find((p: any) => p.metadata.name.startsWith('node-debugger-') && p.status.phase === 'Running').metadata.name;
      const q = 'command=true&stdout=true';
      const availability = emu.services.kube.availability;
      const down = async () => 'aksemu: the API server is down for this test';
      availability.push(down);
      try {
        const r = await wsStream(url(name, 'exec', q), { token: api.token });
        expect(r.status).toBe(503);
        expect(r.body).toMatchObject({ reason: 'ServiceUnavailable', message: 'aksemu: the API server is down for this test' });
      } finally {
        availability.splice(availability.indexOf(down), 1);
      }
      // The node stops (its instance is no longer Running): the kubelet does not answer.
      const { listJson, putJson } = await import('../../src/store/json.js');
      const [inst] = (await listJson<any>(emu.core.store, `/fleet/${cluster.uid}/instances/`)).filter((d) => d.value.name === fipsNode);
      await putJson(emu.core.store, inst!.key, { ...inst!.value, state: 'Deallocated' });
      try {
        const r = await wsStream(url(name, 'exec', q), { token: api.token });
        expect(r.status).toBe(500);
        expect(r.body.message).toBe(`error dialing backend: dial tcp ${inst!.value.privateIp}:10250: connect: connection refused`);
      } finally {
        await putJson(emu.core.store, inst!.key, inst!.value);
      }
    });

    it('routes by the TLS server name like every cluster request (the kubeconfig form)', async () => {
      const pods = (await kubectl(h, ['get', 'pods', '-o', 'json'])).json().items;
      const name = pods.find((p: any) => p.metadata.name.startsWith('node-debugger-') && p.status.phase === 'Running').metadata.name;
      const direct = new URL(api.base);
      const r = await wsStream(`wss://${direct.host}/api/v1/namespaces/default/pods/${name}/exec?command=cat&command=/proc/sys/crypto/fips_enabled&stdout=true`, {
        token: api.token,
        servername: cluster.fqdn,
      });
      expect(r.channels[1]).toBe('1\n');
    });
  });
});
