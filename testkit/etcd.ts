/**
 * Test harness for Debian's etcd (etcd-server 3.4): starts one member or a 3-member static cluster on free loopback
 * ports in a temporary data directory, and kills, restarts and stops members.
 *
 * Only the `etcd` binary is needed (CI installs `etcd-server`, which does not bring `etcdctl`): health and leader
 * are read over etcd's own HTTP endpoints (`/health` and the v3 gRPC gateway's `/v3/maintenance/status`, the same
 * call `etcdctl endpoint status` makes).
 *
 * Every process started here is killed when the test process exits, even if a test forgets `stop()`.
 * No vitest import: the benchmarks use this module too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EtcdMember {
  readonly index: number;
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  /** host:port, as EtcdStore and etcd3 take it. */
  readonly endpoint: string;
  readonly dataDir: string;
  proc: ChildProcess | undefined;
  /** The last lines etcd wrote to stderr (for failure messages). */
  readonly log: string[];
}

export interface EtcdClusterOptions {
  /** 1 (default) or 3. */
  members?: number;
  /** Short heartbeat and election timeouts so a lost leader is replaced within about a second (default true). */
  fastElections?: boolean;
  /** etcd's --log-level (default "error"). */
  logLevel?: string;
}

export interface MemberStatus {
  index: number;
  memberId: string;
  leaderId: string;
  revision: number;
  raftTerm: number;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killAll(): void {
  for (const proc of live) {
    try {
      proc.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killAll);
  // A signal that ends this process skips 'exit': kill the members, then die of the same signal as before.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAll();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/** Distinct free loopback ports (all held open at once so none is handed out twice). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  const ports: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      const addr = server.address();
      if (addr === null || typeof addr === 'string') throw new Error('unexpected server address');
      ports.push(addr.port);
    }
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
  return ports;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class EtcdCluster {
  readonly members: EtcdMember[];
  private readonly initialCluster: string;
  private readonly token: string;
  private stopped = false;

  private constructor(
    readonly baseDir: string,
    members: EtcdMember[],
    private readonly opts: Required<EtcdClusterOptions>,
  ) {
    this.members = members;
    this.initialCluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
    this.token = `aksemu-test-${process.pid}-${Date.now()}`;
  }

  static async start(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
    installExitHook();
    const opts: Required<EtcdClusterOptions> = {
      members: options.members ?? 1,
      fastElections: options.fastElections ?? true,
      logLevel: options.logLevel ?? 'error',
    };
    const baseDir = mkdtempSync(join(tmpdir(), 'aksemu-etcd-'));
    const ports = await freePorts(opts.members * 2);
    const members: EtcdMember[] = [];
    for (let i = 0; i < opts.members; i++) {
      const clientPort = ports[2 * i]!;
      members.push({
        index: i,
        name: `m${i}`,
        clientPort,
        peerPort: ports[2 * i + 1]!,
        endpoint: `127.0.0.1:${clientPort}`,
        dataDir: join(baseDir, `m${i}`),
        proc: undefined,
        log: [],
      });
    }
    const cluster = new EtcdCluster(baseDir, members, opts);
    try {
      for (const m of members) cluster.spawnMember(m, 'new');
      await cluster.waitHealthy(members.map((m) => m.index));
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  get endpoints(): string[] {
    return this.members.map((m) => m.endpoint);
  }

  /** Endpoints of the members that are currently running. */
  get liveEndpoints(): string[] {
    return this.members.filter((m) => m.proc !== undefined).map((m) => m.endpoint);
  }

  private spawnMember(m: EtcdMember, state: 'new' | 'existing'): void {
    const args = [
      `--name=${m.name}`,
      `--data-dir=${m.dataDir}`,
      `--listen-client-urls=http://127.0.0.1:${m.clientPort}`,
      `--advertise-client-urls=http://127.0.0.1:${m.clientPort}`,
      `--listen-peer-urls=http://127.0.0.1:${m.peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${m.peerPort}`,
      `--initial-cluster=${this.initialCluster}`,
      `--initial-cluster-state=${state}`,
      `--initial-cluster-token=${this.token}`,
      '--logger=zap',
      '--log-outputs=stderr',
      `--log-level=${this.opts.logLevel}`,
    ];
    if (this.opts.fastElections) args.push('--heartbeat-interval=50', '--election-timeout=500');
    const proc = spawn('etcd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    m.proc = proc;
    live.add(proc);
    let partial = '';
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        m.log.push(line);
        if (m.log.length > 200) m.log.shift();
      }
    });
    proc.on('exit', () => {
      live.delete(proc);
      if (m.proc === proc) m.proc = undefined;
    });
  }

  /** GET /health on one member: true when it is up and its raft has a leader. */
  async healthy(index: number): Promise<boolean> {
    const m = this.members[index]!;
    try {
      const res = await fetch(`http://${m.endpoint}/health`, { signal: AbortSignal.timeout(1000) });
      if (!res.ok) return false;
      const body = (await res.json()) as { health?: string };
      return body.health === 'true';
    } catch {
      return false;
    }
  }

  async waitHealthy(indexes: number[] = this.members.filter((m) => m.proc).map((m) => m.index), timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(indexes.map((i) => this.healthy(i)));
      if (states.every(Boolean)) return;
      for (const i of indexes) {
        const m = this.members[i]!;
        if (!m.proc) throw new Error(`etcd member ${m.name} exited while starting:\n${m.log.slice(-20).join('\n')}`);
      }
      if (Date.now() > deadline) {
        const logs = indexes.map((i) => `${this.members[i]!.name}:\n${this.members[i]!.log.slice(-10).join('\n')}`).join('\n');
        throw new Error(`etcd members ${indexes.join(',')} not healthy after ${timeoutMs} ms\n${logs}`);
      }
      await sleep(100);
    }
  }

  /** What `etcdctl endpoint status` reports for one member (its id, the leader it follows, revision, term). */
  async status(index: number): Promise<MemberStatus | undefined> {
    const m = this.members[index]!;
    try {
      const res = await fetch(`http://${m.endpoint}/v3/maintenance/status`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
        signal: AbortSignal.timeout(1000),
      });
      if (!res.ok) return undefined;
      const body = (await res.json()) as {
        header?: { member_id?: string; revision?: string; raft_term?: string };
        leader?: string;
      };
      if (!body.header?.member_id) return undefined;
      return {
        index,
        memberId: body.header.member_id,
        leaderId: body.leader ?? '0',
        revision: Number(body.header.revision ?? 0),
        raftTerm: Number(body.header.raft_term ?? 0),
      };
    } catch {
      return undefined;
    }
  }

  /** Index of the current leader as the running members see it (undefined while there is none). */
  async leader(): Promise<number | undefined> {
    const statuses = (await Promise.all(this.members.filter((m) => m.proc).map((m) => this.status(m.index)))).filter(
      (s): s is MemberStatus => s !== undefined,
    );
    for (const s of statuses) {
      if (s.leaderId !== '0' && s.leaderId === s.memberId) return s.index;
    }
    return undefined;
  }

  /** Waits until the running members agree on a leader and returns its index. */
  async waitLeader(timeoutMs = 15_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const leader = await this.leader();
      if (leader !== undefined) return leader;
      if (Date.now() > deadline) throw new Error(`no etcd leader after ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** Sends `signal` to one member and waits for it to exit. */
  async kill(index: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const m = this.members[index]!;
    const proc = m.proc;
    if (!proc) return;
    const exited = new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) resolve();
      else proc.once('exit', () => resolve());
    });
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** Starts a stopped member again on its existing data dir and waits until it is healthy. */
  async restart(index: number): Promise<void> {
    const m = this.members[index]!;
    if (m.proc) throw new Error(`member ${m.name} is still running`);
    this.spawnMember(m, 'existing');
    await this.waitHealthy([index]);
  }

  /** Stops every member (SIGTERM, then SIGKILL after 5 s) and removes the data directories. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(
      this.members.map(async (m) => {
        const proc = m.proc;
        if (!proc) return;
        const exited = new Promise<void>((resolve) => {
          if (proc.exitCode !== null || proc.signalCode !== null) resolve();
          else proc.once('exit', () => resolve());
        });
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    rmSync(this.baseDir, { recursive: true, force: true });
  }
}
