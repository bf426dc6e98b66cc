/**
 * How the front door defends itself (SPEC ): every phase in which a client could hold a connection
 * without making progress has a deadline, and the number of open connections has a ceiling, so that idle or
 * slow sockets cannot exhaust the process's file descriptors.
 *
 * Only the phases before a request is complete are timed: a response may stream for as long as it likes
 * (`kubectl get -w`), and upgraded connections (exec/attach over WebSocket/SPDY) and CONNECT tunnels, once
 * their request is through, are never cut for being quiet.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface FrontDoorLimits {
  /** A new TCP connection must send its first byte (TLS ClientHello or CONNECT) within this time. */
  firstByteTimeoutMs: number;
  /** The TLS handshake must complete within this time (also for the TLS inside a CONNECT tunnel). */
  tlsHandshakeTimeoutMs: number;
  /** A request's headers must arrive within this time of the connection (or the previous request) starting. */
  headersTimeoutMs: number;
  /** A whole request, body included, must arrive within this time; responses are not timed. */
  requestTimeoutMs: number;
  /** A kept-alive connection with no request in flight is closed after this time. */
  keepAliveTimeoutMs: number;
  /** Open TCP connections at most; more are closed as soon as they are accepted. */
  maxConnections: number;
  /**
   * An early 4xx (body too large, bad token) is held back until the rest of the request body has been read
   * and discarded, up to this many bytes; beyond that the answer is sent with `Connection: close`.
   */
  maxDrainBytes: number;
}

export const DEFAULT_FRONT_DOOR_LIMITS: FrontDoorLimits = {
  firstByteTimeoutMs: 10_000,
  tlsHandshakeTimeoutMs: 10_000,
  headersTimeoutMs: 30_000,
  requestTimeoutMs: 120_000,
  // node's own default; clients' pools are used to it
  keepAliveTimeoutMs: 5_000,
  // well below the usual 1024 file descriptors of a shell, leaving room for the store, logs and child processes
  maxConnections: 512,
  maxDrainBytes: 16 * 1024 * 1024,
};

export function resolveLimits(given: Partial<FrontDoorLimits> = {}): FrontDoorLimits {
  const limits = { ...DEFAULT_FRONT_DOOR_LIMITS, ...given };
  // node refuses a headers timeout longer than the request timeout
  limits.headersTimeoutMs = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return limits;
}

/** The settings of node's HTTP(S) servers that enforce the header and request deadlines. */
export function httpServerTimeouts(limits: FrontDoorLimits) {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // node checks those deadlines every this often (30 s by default, too coarse for short deadlines)
    connectionsCheckingInterval: Math.max(50, Math.min(5_000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

/** Closes a raw accepted socket that has not sent its first byte in time; the timer ends with that byte. */
export function armFirstByteTimer(socket: Socket, limits: FrontDoorLimits): () => void {
  const timer = setTimeout(() => socket.destroy(), limits.firstByteTimeoutMs);
  timer.unref();
  const clear = () => clearTimeout(timer);
  socket.once('close', clear);
  return clear;
}

/**
 * Reads and discards what is left of a request body, so that an early answer reaches the client: closing a
 * connection with unread input makes TCP reset it, and the client sees ECONNRESET (or SSLEOFError) instead of
 * the answer. Resolves true once the body has been read, false if it is longer than `maxBytes` or the request
 * ended without completing (the caller then closes the connection after answering).
 */
export function drainRequestBody(req: IncomingMessage, maxBytes: number): Promise<boolean> {
  if (req.complete || req.readableEnded) return Promise.resolve(true);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve(false);
  return new Promise((resolve) => {
    let read = 0;
    const done = (drained: boolean) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onClose);
      if (!drained) req.pause();
      resolve(drained);
    };
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > maxBytes) done(false);
    };
    const onEnd = () => done(true);
    const onClose = () => done(req.complete);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onClose);
    req.resume();
  });
}

/**
 * The largest request line and header block a request may have: kube-apiserver's (Go's `MaxHeaderBytes`, 1 MiB),
 * so that a long label selector reaches the Kubernetes API and gets its Status there, as it would on AKS.
 */
export const MAX_HEADER_BYTES = 1024 * 1024;

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', `The request line and headers are larger than ${MAX_HEADER_BYTES / 1024} KiB.`],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'The request did not arrive in time.'],
};

/** A service's error body for a status and message (the front door picks the service; see `answerClientError`). */
export type ClientErrorFormat = (status: number, message: string) => { body: unknown; contentType?: string };

/**
 * The answer to a request node's HTTP parser refuses before any route sees it (SPEC R-4): a header block over
 * MAX_HEADER_BYTES (a URL that long), a malformed request line, a request past its deadline. No path is parsed
 * yet, so `format` picks the service from what the connection says (its TLS server name). The answer is written
 * and the connection ended once it is flushed: fastify's own handler destroys the socket right after writing,
 * which over TLS discards the answer, so the client saw a reset.
 */
export function answerClientError(err: { code?: string }, socket: Duplex, format: ClientErrorFormat): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'Bad Request', 'The request is not valid HTTP/1.1.'];
  const out = format(status, message);
  const body = JSON.stringify(out.body);
  if (socket.writable) {
    const type = out.contentType ?? 'application/json; charset=utf-8';
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  // A client that never reads the answer does not keep the connection.
  setTimeout(() => socket.destroy(), 5_000).unref();
}
