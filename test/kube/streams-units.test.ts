/**
 * The pieces behind pods/attach and pods/exec (SPEC C-9), without a server: the node-debugging shell over a node's
 * facts, its command-line words, the terminal line discipline, the channel protocol's details and what the kubelet
 * reports when a container's process exits.
 */
import { describe, expect, it } from 'vitest';
import type { NodeFacts } from '../../src/fleet/model.js';
import { FIPS_POLICY_KEY } from '../../src/fleet/node-facts.js';
import { parseResize, selectProtocol } from '../../src/kube/streams/channel.js';
import { statusAfterExit } from '../../src/kube/streams/container-exit.js';
import { NodeDebugShell, type DebugTarget } from '../../src/kube/streams/node-debug-shell.js';
import { exitStatus, notExecutableStatus } from '../../src/kube/streams/session.js';
import { parseCommandLine, shellWords, ShellSyntaxError } from '../../src/kube/streams/shell-words.js';
import { debuggingContainer, parseStreamOptions, resolveStreamTarget } from '../../src/kube/streams/target.js';
import { LineDiscipline, onlcr } from '../../src/kube/streams/terminal.js';
import { KubeError } from '../../src/kube/api/machinery/errors.js';

const linuxFacts = (fips: boolean): NodeFacts => ({
  hostname: 'aks-fipsnp-12345678-vmss000000',
  osType: 'Linux',
  osImage: 'Ubuntu 22.04.5 LTS',
  kernel: '5.15.0-1079-azure-fips',
  arch: 'amd64',
  image: 'AKSUbuntu-2204fipscontainerd-202505.14.0',
  fipsEnabled: fips,
  openssl: '3.0',
  files: { '/proc/sys/crypto/fips_enabled': `${fips ? 1 : 0}\n`, '/etc/motd': 'Welcome to a FIPS-enabled node pool\n', '/etc/hostname': 'aks-fipsnp-12345678-vmss000000\n' },
  registry: {},
  secureBoot: 'enabled',
  vtpm: true,
  bootId: 'b',
  bootedAt: '2026-01-01T00:00:00Z',
});

const target = (facts: NodeFacts, hostRoot: string | null = '/host'): DebugTarget => ({ facts, hostRoot: hostRoot ?? undefined, image: 'mcr.microsoft.com/dotnet/runtime-deps:6.0', hostname: facts.hostname });

async function session(shell: NodeDebugShell, lines: string[], interactive = true): Promise<{ out: string; exited?: number }> {
  let out = '';
  const io = { write: (_s: 'stdout' | 'stderr', t: string) => (out += t) };
  for (const l of lines) {
    const r = await shell.runLine(l, io, interactive);
    if (r.exited !== undefined) return { out, exited: r.exited };
  }
  return { out };
}

describe('the node-debugging shell', () => {
  it('reads the kernel under /proc and the node under /host; the image files are not there', async () => {
    const shell = new NodeDebugShell(target(linuxFacts(true)));
    expect(shell.prompt()).toBe('root@aks-fipsnp-12345678-vmss000000:/# ');
    const r = await session(shell, ['cat /proc/sys/crypto/fips_enabled', 'cat /host/etc/motd', 'cat /etc/motd']);
    expect(r.out).toBe('1\nWelcome to a FIPS-enabled node pool\ncat: /etc/motd: No such file or directory\n');
    expect(shell.lastStatus).toBe(1);
    expect((await session(new NodeDebugShell(target(linuxFacts(false))), ['cat /proc/sys/crypto/fips_enabled'])).out).toBe('0\n');
  });

  it('chroot /host switches to the node paths; exit leaves the chroot, then the shell with its code', async () => {
    const shell = new NodeDebugShell(target(linuxFacts(true)));
    const r = await session(shell, ['chroot /host', 'cat /etc/motd', 'exit', 'cat /etc/motd', 'exit 5']);
    expect(r.out).toBe('Welcome to a FIPS-enabled node pool\nexit\ncat: /etc/motd: No such file or directory\nexit\n');
    expect(r.exited).toBe(5);
    expect((await session(new NodeDebugShell(target(linuxFacts(true))), ['chroot /nowhere'])).out).toContain("cannot change root directory to '/nowhere'");
    // Without a host-root mount (the baseline profile): only the kernel.
    const bare = new NodeDebugShell(target(linuxFacts(true), null));
    expect((await session(bare, ['cat /proc/sys/crypto/fips_enabled', 'chroot /host'])).out).toBe("1\nchroot: cannot change root directory to '/host': No such file or directory\n");
  });

  it('runs lists, pipes and builtins; cd and relative paths; syntax errors do not end it', async () => {
    const shell = new NodeDebugShell(target(linuxFacts(true)));
    const r = await session(shell, ['false && echo no || echo yes; true', 'cd /host/etc && pwd && cat motd', 'echo hi | cat', "echo 'a  b' \"c\\\"d\"", 'echo "open', 'ls', 'help']);
    const lines = r.out.split('\n');
    expect(lines.slice(0, 5)).toEqual(['yes', '/host/etc', 'Welcome to a FIPS-enabled node pool', 'hi', 'a  b c"d']);
    expect(r.out).toContain('bash: unexpected EOF while looking for matching `"\'');
    expect(r.out).toContain('bash: ls: command not found');
    expect(r.out).toContain("the node's root file system is at /host");
    expect(r.exited).toBeUndefined();
    expect(shell.prompt()).toBe('root@aks-fipsnp-12345678-vmss000000:/host/etc# ');
  });

  it('runs kubectl exec argv without a shell: sh -c scripts with their exit code, builtins only a shell has are not executables', async () => {
    const shell = new NodeDebugShell(target(linuxFacts(true)));
    expect(await shell.runArgv(['sh', '-c', 'cat /proc/sys/crypto/fips_enabled; exit 3'], Buffer.alloc(0), 'exec')).toEqual({ exitCode: 3, stdout: '1\n', stderr: '' });
    expect((await shell.runArgv(['cd', '/'], Buffer.alloc(0), 'exec')).exitCode).toBe(127);
    expect((await shell.runArgv(['/bin/cat'], Buffer.from('piped'), 'exec')).stdout).toBe('piped');
    expect((await shell.runArgv(['bash'], Buffer.from('hostname\nexit 2\n'), 'exec'))).toEqual({ exitCode: 2, stdout: 'aks-fipsnp-12345678-vmss000000\n', stderr: '' });
    // SPEC F-7 inside the debugging container: MD4 is refused on a FIPS node.
    expect((await shell.runArgv(['openssl', 'dgst', '-md4'], Buffer.from('x'), 'exec')).exitCode).toBe(1);
  });

  it('on a Windows node reads the FIPS registry value', async () => {
    const facts: NodeFacts = { ...linuxFacts(true), osType: 'Windows', hostname: 'aksfipsnp000000', files: {}, registry: { [FIPS_POLICY_KEY]: { Enabled: { type: 'REG_DWORD', data: 1 } } } };
    const shell = new NodeDebugShell(target(facts));
    expect(shell.prompt()).toBe('C:\\> ');
    const r = await session(shell, ['reg query HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\FIPSAlgorithmPolicy /v Enabled', 'exit']);
    expect(r.out).toContain('Enabled    REG_DWORD    0x1');
    expect(r.exited).toBe(0);
  });
});

describe('command-line words', () => {
  it('splits words, quotes and operators; refuses what the node shell does not have', () => {
    expect(shellWords(`a 'b c' "d\\"e" f\\ g # comment`)).toEqual([{ word: 'a' }, { word: 'b c' }, { word: 'd"e' }, { word: 'f g' }]);
    expect(parseCommandLine('a | b && c; d || e').items.map((i) => [i.after, i.pipeline])).toEqual([
      [';', [['a'], ['b']]],
      ['&&', [['c']]],
      [';', [['d']]],
      ['||', [['e']]],
    ]);
    expect(() => parseCommandLine('a &&')).toThrow(ShellSyntaxError);
    expect(() => parseCommandLine('| a')).toThrow("syntax error near unexpected token `|'");
    expect(() => shellWords('cat x > y')).toThrow('redirections');
    expect(() => shellWords('sleep 1 &')).toThrow('background jobs');
    expect(shellWords('reg query HKLM\\SYSTEM', { backslashEscapes: false })).toEqual([{ word: 'reg' }, { word: 'query' }, { word: 'HKLM\\SYSTEM' }]);
  });
});

describe('the terminal', () => {
  it('echoes, completes lines on CR or LF (CRLF once), erases, interrupts and ends on Ctrl-D', () => {
    const t = new LineDiscipline();
    expect(t.feed(Buffer.from('cat x\r\n'))).toEqual([{ type: 'echo', text: 'cat x\r\n' }, { type: 'line', line: 'cat x' }]);
    expect(t.feed(Buffer.from('ab\x7fc\x1b[Ad\r'))).toEqual([{ type: 'echo', text: 'ab\b \bcd\r\n' }, { type: 'line', line: 'acd' }]);
    expect(t.feed(Buffer.from('oops\x03'))).toEqual([{ type: 'echo', text: 'oops^C\r\n' }, { type: 'interrupt' }]);
    expect(t.feed(Buffer.from('x\x04'))).toEqual([{ type: 'echo', text: 'x' }]);
    expect(t.feed(Buffer.from('\x15\x04'))).toEqual([{ type: 'echo', text: '\b \b' }, { type: 'eof' }]);
    expect(onlcr('a\nb\r\nc')).toBe('a\r\nb\r\nc');
  });
});

describe('the channel protocol and the kubelet Status', () => {
  it('prefers v5 over v4 and knows no other', () => {
    expect(selectProtocol(['v4.channel.k8s.io', 'v5.channel.k8s.io'])).toBe('v5.channel.k8s.io');
    expect(selectProtocol([' v4.channel.k8s.io'])).toBe('v4.channel.k8s.io');
    expect(selectProtocol(['channel.k8s.io', 'base64.channel.k8s.io'])).toBeUndefined();
    expect(parseResize(Buffer.from('{"Width":120,"Height":40}'))).toEqual({ width: 120, height: 40 });
    expect(parseResize(Buffer.from('nope'))).toBeUndefined();
  });

  it('reports exit codes as NonZeroExitCode, and a missing executable as the runtime does', () => {
    expect(exitStatus(0, ['true'])).toEqual({ metadata: {}, status: 'Success' });
    expect(exitStatus(3, ['sh', '-c', 'exit 3'])).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    expect(notExecutableStatus('containerd://abc', 'ls')).toMatchObject({ reason: 'InternalError', code: 500, message: expect.stringContaining('exec: "ls": executable file not found in $PATH') });
  });

  it('parses attach/exec options as kube-apiserver does', () => {
    expect(parseStreamOptions('exec', new URLSearchParams('container=c&command=cat&command=/x&stdin=true&stdout=1&stderr=true&tty=true'))).toEqual({ container: 'c', stdin: true, stdout: true, stderr: false, tty: true, command: ['cat', '/x'] });
    const err = (q: string, kind: 'attach' | 'exec' = 'exec') => {
      try {
        parseStreamOptions(kind, new URLSearchParams(q));
      } catch (e) {
        return e instanceof KubeError ? `${e.code} ${e.message}` : String(e);
      }
      return 'accepted';
    };
    expect(err('command=x')).toBe('400 you must specify at least 1 of stdin, stdout, stderr');
    expect(err('stdout=true')).toBe('400 you must specify at least 1 command');
    expect(err('stdout=yes', 'attach')).toBe('400 stdout: Invalid value: "yes": must be a boolean');
  });
});

describe('a container process exits', () => {
  const pod = (restartPolicy: string): any => ({
    metadata: { name: 'p', namespace: 'default' },
    spec: { restartPolicy, containers: [{ name: 'debugger' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: 't0' }, { type: 'ContainersReady', status: 'True', lastTransitionTime: 't0' }],
      containerStatuses: [{ name: 'debugger', containerID: 'containerd://a', ready: true, started: true, restartCount: 0, state: { running: { startedAt: 't0' } } }],
    },
  });
  const now = new Date('2026-05-01T00:01:00Z');

  it('Never: terminated, the pod Succeeded (0) or Failed', () => {
    const ok = statusAfterExit(pod('Never'), 'debugger', 'containerd://a', 0, now)!;
    expect(ok.phase).toBe('Succeeded');
    expect(ok.containerStatuses![0]).toMatchObject({ ready: false, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: 't0', finishedAt: '2026-05-01T00:01:00Z' } } });
    expect(ok.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(statusAfterExit(pod('Never'), 'debugger', 'containerd://a', 2, now)!.phase).toBe('Failed');
  });

  it('Always / OnFailure after an error: restarted as a new container; a stale report changes nothing', () => {
    const r = statusAfterExit(pod('Always'), 'debugger', 'containerd://a', 0, now)!;
    expect(r.phase).toBe('Running');
    const cs = r.containerStatuses![0]!;
    expect(cs.restartCount).toBe(1);
    expect(cs.containerID).not.toBe('containerd://a');
    expect(cs.lastState).toMatchObject({ terminated: { exitCode: 0 } });
    expect(statusAfterExit(pod('OnFailure'), 'debugger', 'containerd://a', 1, now)!.containerStatuses![0]!.restartCount).toBe(1);
    expect(statusAfterExit(pod('OnFailure'), 'debugger', 'containerd://a', 0, now)!.phase).toBe('Succeeded');
    expect(statusAfterExit(pod('Never'), 'debugger', 'containerd://other', 0, now)).toBeUndefined();
  });
});

describe('what a stream request names', () => {
  const registryWith = (pod: any) => ({ get: async () => pod }) as any;
  const running = { containerID: 'containerd://a', state: { running: { startedAt: 't0' } } };
  const base = (over: any = {}): any => ({
    metadata: { name: 'p', namespace: 'default' },
    spec: { nodeName: 'n1', containers: [{ name: 'a', image: 'nginx' }], ...(over.spec ?? {}) },
    status: { phase: 'Running', containerStatuses: [{ name: 'a', ...running }], ...(over.status ?? {}) },
  });
  const check = async (pod: any, kind: 'attach' | 'exec' = 'attach', container?: string) => {
    try {
      const t = await resolveStreamTarget(registryWith(pod), kind, 'default', 'p', { container, stdin: true, stdout: true, stderr: false, tty: true, command: ['sh'] });
      return `ok ${t.container.name} ${t.containerId}`;
    } catch (e) {
      return e instanceof KubeError ? `${e.code} ${e.message}` : String(e);
    }
  };

  it('defaults the only container and checks the one named', async () => {
    expect(await check(base())).toBe('ok a containerd://a');
    expect(await check(base(), 'attach', 'b')).toBe('400 container b is not valid for pod p');
    const two = base({ spec: { containers: [{ name: 'a' }, { name: 'b' }] } });
    expect(await check(two)).toBe('400 a container name must be specified for pod p, choose one of: [a b]');
  });

  it('needs a node, a pod that has not completed and a running container', async () => {
    expect(await check(base({ spec: { nodeName: undefined } }))).toBe('400 pod p does not have a host assigned');
    expect(await check(base({ status: { phase: 'Succeeded' } }), 'exec')).toBe('400 cannot exec into a container in a completed pod; current phase is Succeeded');
    expect(await check(base({ status: { phase: 'Pending', containerStatuses: [{ name: 'a', state: { waiting: { reason: 'ContainerCreating' } } }] } }))).toBe(
      '400 container a is not running (ContainerCreating): unable to attach to it',
    );
  });

  it('gives a process only to debugging containers: a host-root mount, or stdin and tty', () => {
    const pod: any = { spec: { volumes: [{ name: 'host-root', hostPath: { path: '/' } }, { name: 'data', hostPath: { path: '/var' } }] } };
    expect(debuggingContainer(pod, { name: 'd', volumeMounts: [{ name: 'host-root', mountPath: '/host' }] })).toEqual({ hostRoot: '/host' });
    expect(debuggingContainer(pod, { name: 'd', stdin: true, tty: true, volumeMounts: [{ name: 'data', mountPath: '/var' }] })).toEqual({ hostRoot: undefined });
    expect(debuggingContainer(pod, { name: 'web', stdin: true })).toBeUndefined();
  });
});
