/**
 * Attach and exec sessions on a node-debugging container (SPEC C-9): the kubelet's side of the streams.
 *
 * attach  joins the container's process, a shell that lives as long as the container (a second attach finds the
 *         same shell, e.g. after a detach). The container's `tty` decides how it behaves, not the request's: with a
 *         terminal (kubectl debug -it) the shell prompts `root@<node>:/# `, echoes input and writes CRLF, all on
 *         stdout, even when kubectl's own stdin is a pipe. `exit` ends the process: the session ends with a
 *         Success Status (the kubelet reports attach that way) and the container terminates with the exit code.
 *         The client closing its stdin ends the process when the container has `stdinOnce`, else only the
 *         session (a real attach would stay open until the client is interrupted).
 * exec    starts a new process: `sh`/`bash` alone is a shell on the session's stdin (interactive with -t); any
 *         other command runs once. The Status reports its exit code (NonZeroExitCode) as the kubelet does, and a
 *         command the container cannot execute is the container runtime's error.
 */
import { CHANNEL, type ChannelConnection, type SessionStatus } from './channel.js';
import { isExecutable, NodeDebugShell, type ShellOutput } from './node-debug-shell.js';
import type { StreamOptions } from './target.js';
import { LineDiscipline, onlcr } from './terminal.js';

export const SUCCESS: SessionStatus = { metadata: {}, status: 'Success' };

/** The kubelet's Status for a command that exited non-zero (kubectl: "command terminated with exit code N"). */
export function exitStatus(code: number, argv: string[]): SessionStatus {
  if (code === 0) return SUCCESS;
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** The container runtime's answer to exec of something the container does not have. */
export function notExecutableStatus(containerId: string, cmd: string): SessionStatus {
  const message = `error executing command in container: failed to exec in container: failed to start exec "${containerId.replace(/^containerd:\/\//, '').slice(0, 64)}": OCI runtime exec failed: exec failed: unable to start container process: exec: "${cmd}": executable file not found in $PATH: unknown`;
  return { metadata: {}, status: 'Failure', message: `Internal error occurred: ${message}`, reason: 'InternalError', details: { causes: [{ message }] }, code: 500 };
}

/** Where a process's output goes on this session: one terminal, or stdout and stderr as requested. */
export function sessionOutput(conn: ChannelConnection, opts: StreamOptions, terminal: boolean): ShellOutput {
  return {
    write(stream, text) {
      if (terminal) {
        if (opts.stdout) conn.write(CHANNEL.stdout, onlcr(text));
        return;
      }
      if (stream === 'stdout' && opts.stdout) conn.write(CHANNEL.stdout, text);
      if (stream === 'stderr' && opts.stderr) conn.write(CHANNEL.stderr, text);
    },
  };
}

/**
 * A shell reading lines from a session's stdin. Everything it does (echo, running a line, prompting) is one
 * queue, so the echo of a typed-ahead line appears when the shell takes that line, as readline shows it.
 */
export class InteractiveShell {
  private queue: Promise<void> = Promise.resolve();
  private readonly discipline: LineDiscipline | undefined;
  private partial = '';
  private ended = false;

  constructor(
    readonly shell: NodeDebugShell,
    private readonly out: ShellOutput,
    private readonly terminal: boolean,
    private readonly onExit: (code: number) => void,
  ) {
    this.discipline = terminal ? new LineDiscipline() : undefined;
  }

  private enqueue(step: () => Promise<void> | void): void {
    this.queue = this.queue.then(async () => {
      if (!this.ended) await step();
    });
    this.queue.catch(() => undefined);
  }

  private exit(code: number): void {
    this.ended = true;
    this.onExit(code);
  }

  private runLine(line: string): void {
    this.enqueue(async () => {
      const r = await this.shell.runLine(line, this.out, this.terminal);
      if (r.exited !== undefined) return this.exit(r.exited);
      if (this.terminal) this.out.write('stdout', this.shell.prompt());
    });
  }

  /** The shell is ready for input: its banner (a new process on a terminal) and prompt. */
  start(banner: boolean): void {
    if (!this.terminal) return;
    this.enqueue(() => {
      if (banner) this.out.write('stdout', this.shell.banner());
      this.out.write('stdout', this.shell.prompt());
    });
  }

  input(data: Buffer): void {
    if (this.discipline) {
      for (const ev of this.discipline.feed(data)) {
        if (ev.type === 'echo') this.enqueue(() => this.out.write('stdout', ev.text));
        else if (ev.type === 'line') this.runLine(ev.line);
        else if (ev.type === 'interrupt') this.enqueue(() => this.out.write('stdout', this.shell.prompt()));
        else this.endOfFile();
      }
      return;
    }
    this.partial += data.toString('utf8');
    let nl: number;
    while ((nl = this.partial.indexOf('\n')) >= 0) {
      const line = this.partial.slice(0, nl).replace(/\r$/, '');
      this.partial = this.partial.slice(nl + 1);
      this.runLine(line);
    }
  }

  /** No more input: an unterminated last line still runs (as a shell reading a pipe does). */
  flushInput(): void {
    if (this.partial !== '') this.runLine(this.partial);
    this.partial = '';
  }

  /** End of file on the shell's stdin: the shell leaves with the last status (bash says "exit" on a terminal). */
  endOfFile(): void {
    this.enqueue(() => {
      if (this.terminal) this.out.write('stdout', 'exit\n');
      this.exit(this.shell.lastStatus);
    });
  }

  /** Runs `step` after everything queued so far (unless the shell has exited by then). */
  after(step: () => void): void {
    this.enqueue(step);
  }

  get exited(): boolean {
    return this.ended;
  }
}

/** A container's process: its shell, and whether it has been seen yet (the banner is shown once). */
export interface ContainerProcess {
  shell: NodeDebugShell;
  started: boolean;
}

/** attach: joins the container's process. `exited` is told the exit code when the process ends. */
export function runAttach(conn: ChannelConnection, opts: StreamOptions, proc: ContainerProcess, container: { tty: boolean; stdinOnce: boolean }, exited: (code: number) => void): void {
  const driver = new InteractiveShell(proc.shell, sessionOutput(conn, opts, container.tty), container.tty, (code) => {
    conn.finish(SUCCESS);
    exited(code);
  });
  const banner = !proc.started;
  proc.started = true;
  startWhenHeard(conn, opts, () => driver.start(banner));
  conn.events.stdin = (data) => driver.input(data);
  conn.events.stdinClosed = () => {
    driver.flushInput();
    if (container.stdinOnce) driver.endOfFile();
    else driver.after(() => conn.finish(SUCCESS));
  };
}

/**
 * Shows the shell's first output (banner, prompt) once the client can receive it: with stdin, after the client's
 * first message (see ChannelConnection.whenClientSpeaks); without, at once, as nothing will come from the client.
 */
function startWhenHeard(conn: ChannelConnection, opts: StreamOptions, start: () => void): void {
  if (opts.stdin) conn.whenClientSpeaks(start);
  else start();
}

/** exec: a new process running `opts.command` in the container. */
export function runExec(conn: ChannelConnection, opts: StreamOptions, shell: NodeDebugShell, containerId: string): void {
  const argv = opts.command;
  const name = (argv[0] ?? '').replace(/^(\/usr)?\/s?bin\//, '');
  if (!isExecutable(shell.target, argv[0]!)) return conn.finish(notExecutableStatus(containerId, argv[0]!));
  const out = sessionOutput(conn, opts, opts.tty);
  if ((name === 'sh' || name === 'bash') && argv.length === 1 && !shell.windows) {
    const driver = new InteractiveShell(shell, out, opts.tty, (code) => conn.finish(exitStatus(code, argv)));
    startWhenHeard(conn, opts, () => driver.start(false));
    conn.events.stdin = (data) => driver.input(data);
    conn.events.stdinClosed = () => {
      driver.flushInput();
      driver.endOfFile();
    };
    if (!opts.stdin) driver.endOfFile();
    return;
  }
  const run = async (stdin: Buffer) => {
    const r = await shell.runArgv(argv, stdin, 'exec');
    if (r.stdout) out.write('stdout', r.stdout);
    if (r.stderr) out.write('stderr', r.stderr);
    conn.finish(exitStatus(r.exitCode, argv));
  };
  const fail = (err: unknown) => conn.finish({ metadata: {}, status: 'Failure', reason: 'InternalError', code: 500, message: `Internal error occurred: ${(err as Error).message}` });
  if (!opts.stdin || !readsStdin(argv)) {
    run(Buffer.alloc(0)).catch(fail);
    return;
  }
  // A command that reads its stdin runs once the client has closed it (v5's CLOSE signal).
  const chunks: Buffer[] = [];
  conn.events.stdin = (data) => chunks.push(data);
  conn.events.stdinClosed = () => void run(Buffer.concat(chunks)).catch(fail);
}

/** Whether a command reads its standard input: `cat` and `openssl dgst` without files, a shell without -c. */
function readsStdin(argv: string[]): boolean {
  const [cmd0, ...args] = argv;
  const cmd = (cmd0 ?? '').replace(/^(\/usr)?\/s?bin\//, '');
  const operands = args.filter((a) => !a.startsWith('-'));
  if (cmd === 'cat') return operands.length === 0;
  if (cmd === 'openssl') return args[0] !== 'version' && args.slice(1).filter((a, i, all) => !a.startsWith('-') && all[i - 1] !== '-provider').length === 0;
  if (cmd === 'sh' || cmd === 'bash') return !args.includes('-c');
  if (cmd === 'chroot') return args.length === 1;
  return false;
}
