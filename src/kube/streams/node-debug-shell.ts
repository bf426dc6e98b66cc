/**
 * The "process" of a node-debugging container (SPEC C-9): what `kubectl debug node/<node> -it --image=...` runs.
 * aksemu does not run container images; the container's shell is a line-oriented shell over the node's facts
 * (src/fleet/node-shell.ts `execOnNode`), seen the way a node-debugging container sees the node:
 *
 * - the node's root file system is mounted at the pod's host-root mount (`/host` for kubectl debug);
 * - `/proc` and `/sys` are the node's kernel (hostPID, and the kernel is shared anyway): `cat
 *   /proc/sys/crypto/fips_enabled` prints 1 on a FIPS node, 0 elsewhere;
 * - the image's own files are not there (the image is not run); `chroot /host` switches to the node's view, as
 *   AKS's troubleshooting guides do; `exit` leaves the chroot, then the shell.
 *
 * Builtins: exit [n], cd, pwd, chroot DIR [CMD...], sh|bash [-c SCRIPT], true, false, help. Commands: the node
 * shell's (cat, uname, hostname, echo, openssl, mokutil, mount). Lists: `;`, `&&`, `||`, pipes. On a Windows node
 * the shell runs the Windows node shell's commands (reg query, powershell -Command, cmd /c, hostname, ver).
 */
import { posix } from 'node:path';
import { execOnNode, type ExecResult } from '../../fleet/node-shell.js';
import type { NodeFacts } from '../../fleet/model.js';
import { parseCommandLine, ShellSyntaxError } from './shell-words.js';

export interface DebugTarget {
  facts: NodeFacts;
  /** Where the node's root file system is mounted in the container, e.g. `/host`; undefined when it is not. */
  hostRoot: string | undefined;
  image: string;
  /** The host name the container sees: the node's for hostNetwork pods. */
  hostname: string;
}

/** Where output goes: with a TTY both streams are the terminal. */
export interface ShellOutput {
  write(stream: 'stdout' | 'stderr', text: string): void;
}

interface Frame {
  /** 'container': the debugging container's view; 'host': after `chroot /host`. */
  root: 'container' | 'host';
  cwd: string;
}

/** Commands of the Linux node shell (execOnNode), by their names in /usr/bin. */
const LINUX_COMMANDS = new Set(['cat', 'uname', 'hostname', 'echo', 'openssl', 'mount', 'mokutil']);
const SHELLS = new Set(['sh', 'bash']);

const WINDOWS_HELP =
  'aksemu node shell (Windows node): container images are not run; this shell reads the node the pod runs on.\r\n' +
  '  commands: reg query KEY [/v NAME], powershell -Command Get-ItemPropertyValue -Path KEY -Name NAME, cmd /c CMD, hostname, ver\r\n' +
  '  builtins: exit [n], help\r\n';

function help(hostRoot: string | undefined): string {
  return [
    'aksemu node shell: container images are not run; this shell reads the node the pod runs on.',
    hostRoot
      ? `  the node's root file system is at ${hostRoot} (chroot ${hostRoot} to use the node's paths); /proc and /sys are the node's kernel`
      : "  /proc and /sys are the node's kernel; the node's root file system is not mounted in this container",
    '  commands: cat, uname, hostname, echo, openssl (dgst, version), mokutil --sb-state, mount -t cifs',
    '  builtins: exit [n], cd, pwd, chroot DIR [CMD], sh|bash [-c SCRIPT], true, false, help',
    '  lists: ;  &&  ||  |',
  ].join('\n');
}

function basename(cmd: string): string {
  return cmd.replace(/^(\/usr)?\/s?bin\//, '');
}

/** Whether `argv[0]` names something the container can execute (kubectl exec runs it without a shell). */
export function isExecutable(target: DebugTarget, cmd: string): boolean {
  if (target.facts.osType === 'Windows') return true;
  const name = basename(cmd);
  return LINUX_COMMANDS.has(name) || SHELLS.has(name) || ['true', 'false', 'pwd', 'chroot'].includes(name);
}

export class NodeDebugShell {
  private readonly frames: Frame[];
  /** `$?`: the status of the last command. */
  lastStatus = 0;

  constructor(
    readonly target: DebugTarget,
    start: Frame = { root: 'container', cwd: '/' },
  ) {
    this.frames = [{ ...start }];
  }

  /** A child process (sh -c, chroot DIR CMD): a new shell starting where this one is. */
  private child(frame: Frame = this.frame): NodeDebugShell {
    return new NodeDebugShell(this.target, frame);
  }

  get windows(): boolean {
    return this.target.facts.osType === 'Windows';
  }

  private get frame(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  prompt(): string {
    if (this.windows) return 'C:\\> ';
    const cwd = this.frame.cwd === '/root' ? '~' : this.frame.cwd;
    return `root@${this.target.hostname}:${cwd}# `;
  }

  /** Said once when the shell starts on a terminal: what this shell is (the image is not run). */
  banner(): string {
    const where = this.windows
      ? 'the Windows node'
      : this.target.hostRoot
        ? `the node (its root file system is at ${this.target.hostRoot})`
        : "the node's kernel (/proc, /sys; the node's root file system is not mounted)";
    return `aksemu: the image ${this.target.image} is not run (emulator); this shell reads ${where}. Type 'help' for its commands.\n`;
  }

  /** The files the current frame sees, keyed by their path in that view. */
  private view(frame: Frame = this.frame): NodeFacts {
    const facts = this.target.facts;
    if (this.windows || frame.root === 'host') return facts;
    const files: Record<string, string> = {};
    for (const [path, content] of Object.entries(facts.files)) {
      if (this.target.hostRoot) files[posix.join(this.target.hostRoot, path)] = content;
      // The kernel is the node's: /proc (hostPID) and /sys read the same in the container.
      if (path.startsWith('/proc/') || path.startsWith('/sys/')) files[path] = content;
    }
    return { ...facts, files };
  }

  private isDirectory(path: string, frame: Frame): boolean {
    if (path === '/' || path === '/root' || path === '/tmp') return true;
    if (frame.root === 'container' && this.target.hostRoot && path === this.target.hostRoot) return true;
    const prefix = path.endsWith('/') ? path : `${path}/`;
    return Object.keys(this.view(frame).files).some((f) => f.startsWith(prefix));
  }

  private resolve(path: string, frame: Frame = this.frame): string {
    return posix.resolve(frame.cwd, path);
  }

  /**
   * Runs one command line; answers the exit status of the shell when the line ended it (`exit` in the outermost
   * frame). `interactive`: a shell on a terminal, which says "exit" when it leaves.
   */
  async runLine(line: string, out: ShellOutput, interactive: boolean): Promise<{ exited?: number }> {
    let list;
    try {
      list = parseCommandLine(line, { backslashEscapes: !this.windows });
    } catch (err) {
      if (!(err instanceof ShellSyntaxError)) throw err;
      out.write('stderr', this.windows ? `${err.message}\r\n` : `bash: ${err.message}\n`);
      this.lastStatus = 2;
      return {};
    }
    for (const item of list.items) {
      if (item.after === '&&' && this.lastStatus !== 0) continue;
      if (item.after === '||' && this.lastStatus === 0) continue;
      let stdin = Buffer.alloc(0);
      for (let i = 0; i < item.pipeline.length; i++) {
        const argv = item.pipeline[i]!;
        const last = i === item.pipeline.length - 1;
        if (argv[0] === 'exit' && item.pipeline.length === 1) {
          const code = this.exitCode(argv[1]);
          if (code === undefined) {
            out.write('stderr', `bash: exit: ${argv[1]}: numeric argument required\n`);
          }
          if (interactive) out.write('stderr', 'exit\n');
          if (this.frames.length > 1) {
            this.frames.pop();
            this.lastStatus = code ?? 2;
            return {};
          }
          return { exited: code ?? 2 };
        }
        const r = await this.runArgv(argv, stdin, 'shell', out, interactive);
        if (r.stderr) out.write('stderr', r.stderr);
        if (last && r.stdout) out.write('stdout', r.stdout);
        stdin = Buffer.from(r.stdout, 'utf8');
        this.lastStatus = r.exitCode;
      }
    }
    return {};
  }

  private exitCode(arg: string | undefined): number | undefined {
    if (arg === undefined) return this.lastStatus;
    if (!/^-?\d+$/.test(arg)) return undefined;
    return ((Number(arg) % 256) + 256) % 256;
  }

  /**
   * Runs one command: a builtin or a node shell command. `mode` 'exec' is kubectl exec's direct argv (no shell:
   * builtins that only a shell has are not executables).
   */
  async runArgv(argv: string[], stdin: Buffer, mode: 'shell' | 'exec', out?: ShellOutput, interactive = false): Promise<ExecResult> {
    const ok = (stdout = ''): ExecResult => ({ exitCode: 0, stdout, stderr: '' });
    const fail = (exitCode: number, stderr: string): ExecResult => ({ exitCode, stdout: '', stderr });
    if (this.windows) {
      if (argv[0]?.toLowerCase() === 'help') return ok(WINDOWS_HELP);
      return execOnNode(this.target.facts, argv, stdin);
    }
    const [cmd0, ...args] = argv;
    const cmd = basename(cmd0 ?? '');
    const frame = this.frame;
    switch (cmd) {
      case 'true':
        return ok();
      case 'false':
        return { exitCode: 1, stdout: '', stderr: '' };
      case 'help':
        return mode === 'shell' ? ok(`${help(this.target.hostRoot)}\n`) : fail(127, 'help: command not found\n');
      case 'pwd':
        return ok(`${frame.cwd}\n`);
      case 'cd': {
        if (mode === 'exec') return fail(127, 'cd: command not found\n');
        const dir = this.resolve(args[0] ?? '/root');
        if (!this.isDirectory(dir, frame)) return fail(1, `bash: cd: ${args[0]}: No such file or directory\n`);
        frame.cwd = dir;
        return ok();
      }
      case 'chroot': {
        const dir = args[0] === undefined ? undefined : this.resolve(args[0]);
        if (dir === undefined) return fail(125, "chroot: missing operand\nTry 'chroot --help' for more information.\n");
        if (!this.isDirectory(dir, frame)) return fail(125, `chroot: cannot change root directory to '${args[0]}': No such file or directory\n`);
        if (frame.root !== 'container' || dir !== this.target.hostRoot) return fail(127, `chroot: failed to run command '${args[1] ?? '/bin/bash'}': No such file or directory\n`);
        const host: Frame = { root: 'host', cwd: '/' };
        if (args.length > 1) return this.child(host).runArgv(args.slice(1), stdin, 'exec');
        if (mode === 'exec' || !interactive) return this.child(host).runScript(stdin.toString('utf8'));
        this.frames.push(host);
        return ok();
      }
      case 'sh':
      case 'bash': {
        if (args[0] === '-c') {
          if (args[1] === undefined) return fail(2, `${cmd}: -c: option requires an argument\n`);
          return this.child().runScript(args[1]!);
        }
        if (args.length > 0) return fail(127, `${cmd}: ${args[0]}: No such file or directory\n`);
        if (mode === 'shell' && interactive) {
          this.frames.push({ ...frame });
          return ok();
        }
        // A non-interactive shell reads its commands from stdin.
        return this.child().runScript(stdin.toString('utf8'));
      }
      default:
        break;
    }
    if (!LINUX_COMMANDS.has(cmd)) return fail(127, mode === 'shell' ? `bash: ${cmd0}: command not found\n` : `${cmd0}: command not found\n`);
    // `cat` takes paths relative to the working directory; everything else names absolute paths.
    const resolved = cmd === 'cat' ? args.map((a) => (a.startsWith('-') ? a : this.resolve(a))) : args;
    return execOnNode(this.view(frame), [cmd, ...resolved], stdin);
  }

  /** Runs a script (sh -c, or commands on stdin) non-interactively; its output is collected. */
  async runScript(script: string): Promise<ExecResult> {
    let stdout = '';
    let stderr = '';
    const collect: ShellOutput = { write: (s, t) => (s === 'stdout' ? (stdout += t) : (stderr += t)) };
    for (const line of script.split('\n')) {
      const r = await this.runLine(line, collect, false);
      if (r.exited !== undefined) return { exitCode: r.exited, stdout, stderr };
    }
    return { exitCode: this.lastStatus, stdout, stderr };
  }
}
