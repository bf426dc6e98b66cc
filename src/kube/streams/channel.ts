/**
 * The remote-command channel protocol over a WebSocket (k8s.io/apimachinery util/remotecommand, KEP-4006), as
 * kube-apiserver and the kubelet speak it to kubectl (≥ 1.30 by default) for pods/attach and pods/exec:
 *
 * - every message is binary; its first byte is the channel: 0 stdin, 1 stdout, 2 stderr, 3 error (one
 *   metav1.Status JSON, written once when the process ends), 4 resize ({"Width":n,"Height":n} JSON);
 * - `v5.channel.k8s.io` adds the CLOSE signal: a message [255, channel] half-closes that channel (kubectl sends
 *   [255, 0] when its stdin ends); `v4.channel.k8s.io` has no way to close stdin;
 * - the server ends the session by writing the Status on channel 3 and closing the WebSocket normally (1000):
 *   kubectl then sees EOF on every stream.
 *
 * The WebSocket framing itself is the `ws` package's.
 */
import type { WebSocket, RawData } from 'ws';
import type { Status } from '../api/machinery/errors.js';

export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** Subprotocols served, in order of preference. */
export const CHANNEL_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
export type ChannelProtocol = (typeof CHANNEL_PROTOCOLS)[number];

/** The best subprotocol both sides speak, or undefined (the client offered none of ours). */
export function selectProtocol(offered: Iterable<string>): ChannelProtocol | undefined {
  const set = new Set([...offered].map((p) => p.trim()));
  return CHANNEL_PROTOCOLS.find((p) => set.has(p));
}

export interface TerminalSize {
  width: number;
  height: number;
}

export interface ChannelEvents {
  stdin(data: Buffer): void;
  /** The client closed its stdin (v5 only). */
  stdinClosed(): void;
  resize(size: TerminalSize): void;
  /** The connection is gone (the client detached, was killed, or the session finished). */
  closed(): void;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** One attach/exec session's connection: demultiplexes what the client sends, multiplexes what the process writes. */
export class ChannelConnection {
  private finished = false;
  private stdinOpen = true;
  private heard = false;
  private readonly onHeard: Array<() => void> = [];

  /** What the process does with the client's input; set by the session. */
  readonly events: Partial<ChannelEvents> = {};

  constructor(
    private readonly ws: WebSocket,
    readonly protocol: ChannelProtocol,
  ) {
    const events = this.events;
    ws.on('message', (raw, isBinary) => {
      const msg = toBuffer(raw);
      // Every remote-command message is binary with a channel byte; anything else is ignored, as the kubelet does.
      if (!isBinary || msg.length === 0) return;
      this.clientSpoke();
      const channel = msg[0]!;
      const payload = msg.subarray(1);
      if (channel === CHANNEL.stdin) {
        if (this.stdinOpen && payload.length > 0) events.stdin?.(payload);
      } else if (channel === CHANNEL.resize) {
        const size = parseResize(payload);
        if (size) events.resize?.(size);
      } else if (channel === CHANNEL.close && protocol === 'v5.channel.k8s.io' && payload[0] === CHANNEL.stdin) {
        if (this.stdinOpen) {
          this.stdinOpen = false;
          events.stdinClosed?.();
        }
      }
    });
    ws.on('close', () => {
      this.finished = true;
      events.closed?.();
    });
    ws.on('error', () => ws.terminate());
  }

  /**
   * Runs `step` once the client has sent its first message (at once if it has). client-go's WebSocket executor
   * reads frames before it has created its streams and drops those for a stream it does not know yet, so output
   * written the moment the session opens can be lost; a client that sends anything has its streams in place.
   */
  whenClientSpeaks(step: () => void): void {
    if (this.heard) step();
    else this.onHeard.push(step);
  }

  private clientSpoke(): void {
    if (this.heard) return;
    this.heard = true;
    // Before the message itself is handled, so that the output it unblocks comes first (the prompt before the echo).
    for (const step of this.onHeard.splice(0)) step();
  }

  get open(): boolean {
    return !this.finished;
  }

  write(channel: typeof CHANNEL.stdout | typeof CHANNEL.stderr, data: string | Buffer): void {
    if (this.finished) return;
    const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (body.length === 0) return;
    this.ws.send(Buffer.concat([Buffer.from([channel]), body]));
  }

  /** Reports how the process ended (the kubelet's Status on the error channel) and closes the session. */
  finish(status: SessionStatus): void {
    if (this.finished) return;
    this.finished = true;
    this.ws.send(Buffer.concat([Buffer.from([CHANNEL.error]), Buffer.from(JSON.stringify(status), 'utf8')]));
    this.ws.close(1000);
  }
}

/** What the kubelet writes on the error channel: a metav1.Status without type meta. */
export interface SessionStatus {
  metadata: Record<string, never>;
  status: Status['status'];
  message?: string;
  /** A StatusReason, or NonZeroExitCode (remotecommand's reason for a command's exit code). */
  reason?: string;
  details?: { causes?: Array<{ reason?: string; message: string }> };
  code?: number;
}

export function parseResize(payload: Buffer): TerminalSize | undefined {
  try {
    const o = JSON.parse(payload.toString('utf8')) as { Width?: unknown; Height?: unknown };
    if (typeof o.Width === 'number' && typeof o.Height === 'number') return { width: o.Width, height: o.Height };
  } catch {
    /* a malformed resize is ignored, as the kubelet does */
  }
  return undefined;
}
