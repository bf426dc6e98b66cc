/**
 * The front door: one TCP port (loopback by default) that speaks
 *   - HTTPS, with certificates from the local CA chosen by SNI, for direct requests and for tunnelled ones;
 *   - plain HTTP only for CONNECT: clients that use it as their HTTPS_PROXY open a tunnel to an Azure host
 *     name, and the tunnel is handed back to the HTTPS side, which terminates TLS with that host's certificate.
 * The first byte of a connection tells the two apart (0x16 starts a TLS handshake).
 *
 * Only the Azure host names aksemu serves may be tunnelled to (hosts.ts); anything else gets 403, so the port is
 * never an open proxy. Requests are routed by host name into fastify (see `rewriteUrl`).
 */
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createHttpServer, METHODS, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { isIP } from 'node:net';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import type { LocalCa } from '../tls/local-ca.js';
import { internalUrl, isLoopbackHost, isServicePath, routeForHost, splitHostPort } from './hosts.js';
import { answerClientError, armFirstByteTimer, drainRequestBody, httpServerTimeouts, MAX_HEADER_BYTES, resolveLimits, type FrontDoorLimits } from './limits.js';
import { redactingLogger } from './log-redaction.js';

export type { FrontDoorLimits } from './limits.js';

export interface FrontDoorOptions {
  host: string;
  port: number;
  ca: LocalCa;
  logger: Logger;
  /** Largest request body accepted by any service (services may enforce smaller limits). */
  bodyLimit?: number;
  /** Deadlines and ceilings that keep idle or slow clients from exhausting the process (limits.ts has the defaults). */
  limits?: Partial<FrontDoorLimits>;
}

/** Writes an error that fastify itself raised (bad URL, bad headers) in the format of the service at `url`. */
export type FrameworkErrorFormatter = (status: number, message: string, url: string) => { body: unknown; contentType?: string };

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

export interface FrontDoor {
  app: FastifyInstance;
  /** Finishes route registration and listens; resolves with the URL of the direct address. */
  listen(): Promise<{ url: string; port: number }>;
  /** The direct address once listening (services that hand out URLs, e.g. kubeconfigs, need it). */
  url(): string | undefined;
  /** Formats framework-level errors (e.g. a malformed URL) for requests under a path prefix; ARM's by default. */
  setFrameworkErrorFormatter(prefix: string, formatter: FrameworkErrorFormatter): void;
  /** Lets a service take over HTTP upgrades (WebSocket/SPDY for kubectl exec); return true if handled. */
  onUpgrade(handler: UpgradeHandler): void;
  close(): Promise<void>;
}

const TLS_HANDSHAKE = 0x16;

export async function createFrontDoor(opts: FrontDoorOptions): Promise<FrontDoor> {
  const localNames = new Set(['localhost', '127.0.0.1', '::1', opts.host.toLowerCase()]);
  const defaultNames = ['localhost', '127.0.0.1', '::1', ...(isIP(opts.host) && !['0.0.0.0', '::'].includes(opts.host) ? [opts.host] : [])];
  const defaultPem = await opts.ca.defaultPem([...new Set(defaultNames)]);
  const limits = resolveLimits(opts.limits);
  const sockets = new Set<Socket | Duplex>();
  const upgradeHandlers: UpgradeHandler[] = [];
  let httpsServer!: HttpsServer;
  const errorFormatters: Array<[string, FrameworkErrorFormatter]> = [];
  const ARM_CODES: Record<number, string> = { 400: 'InvalidRequestUri', 408: 'RequestTimeout', 413: 'RequestEntityTooLarge', 431: 'RequestHeaderFieldsTooLarge' };
  const armFormatter: FrameworkErrorFormatter = (status, message) => ({ body: { error: { code: ARM_CODES[status] ?? 'BadRequest', message } } });

  /**
   * The internal URL of a request (fastify's rewriteUrl, and upgrades, which bypass fastify): host-named services
   * map onto their direct path prefixes. A request to the direct address whose TLS server name (SNI) is an
   * emulated host is for that host: a kubeconfig with `server: https://127.0.0.1:PORT` and `tls-server-name:
   * <cluster fqdn>` reaches its cluster on every path, without a proxy (kubectl get --raw builds paths without
   * the server's own path).
   */
  const internalRequestUrl = (req: IncomingMessage): string => {
    const { host } = splitHostPort(req.headers.host ?? opts.host);
    let route = routeForHost(host, localNames);
    const sni = (req.socket as { servername?: string | false }).servername;
    if (route?.service === 'direct' && typeof sni === 'string' && sni !== '' && !isServicePath(req.url ?? '/')) {
      const bySni = routeForHost(sni, localNames);
      if (bySni && bySni.service !== 'direct') route = bySni;
    }
    return route ? internalUrl(route, req.url ?? '/') : (req.url ?? '/');
  };

  const app: FastifyInstance = Fastify({
    // Request lines carry the URL with its credentials (a client secret in a query string) redacted.
    loggerInstance: redactingLogger(opts.logger) as FastifyBaseLogger,
    bodyLimit: opts.bodyLimit ?? 8 * 1024 * 1024,
    exposeHeadRoutes: false,
    return503OnClosing: true,
    genReqId: () => randomUUID(),
    // Errors fastify raises before routing (a URL that cannot be decoded, ...) still get the service's format.
    frameworkErrors: (error, req, reply) => {
      const url = req.url ?? '/';
      const status = (error as { statusCode?: number }).statusCode ?? 400;
      const formatter = errorFormatters.find(([prefix]) => url.startsWith(prefix))?.[1] ?? armFormatter;
      const out = formatter(status, `The request could not be processed: ${error.message}`, url);
      void (reply as unknown as FastifyReply).code(status).type(out.contentType ?? 'application/json; charset=utf-8').send(JSON.stringify(out.body));
    },
    // A request the HTTP parser refuses (headers over the limit, a broken request line) still gets its answer, in
    // the format of the service the connection's TLS server name names (kubectl's tls-server-name), else ARM's.
    clientErrorHandler: (err, socket) =>
      answerClientError(err, socket, (status, message) => {
        const sni = (socket as { servername?: string | false }).servername;
        const route = typeof sni === 'string' && sni !== '' ? routeForHost(sni, localNames) : undefined;
        const url = route && route.service !== 'direct' ? internalUrl(route, '/') : '/';
        return (errorFormatters.find(([prefix]) => url.startsWith(prefix))?.[1] ?? armFormatter)(status, message, url);
      }),
    // Host-named services are mapped onto their direct path prefixes, so both ways of addressing meet one router.
    rewriteUrl: (req) => internalRequestUrl(req),
    serverFactory: (handler) => {
      httpsServer = createHttpsServer(
        {
          key: defaultPem.key,
          cert: defaultPem.cert,
          minVersion: 'TLSv1.2',
          handshakeTimeout: limits.tlsHandshakeTimeoutMs,
          maxHeaderSize: MAX_HEADER_BYTES,
          ...httpServerTimeouts(limits),
          ALPNProtocols: ['http/1.1'],
          SNICallback: (servername, cb) => {
            const { host } = splitHostPort(servername);
            const route = routeForHost(host, localNames);
            if (!route || route.service === 'direct') return cb(null, undefined);
            opts.ca.secureContext([host]).then((ctx) => cb(null, ctx), (err: Error) => cb(err, undefined));
          },
        },
        handler,
      );
      httpsServer.keepAliveTimeout = limits.keepAliveTimeoutMs;
      return httpsServer;
    },
  });

  // Every method node accepts reaches the services' routes (each registers them all), so that one they do not
  // serve (PROPFIND, M-SEARCH, ...) gets the service's own 404 or 405 rather than the web framework's (SPEC R-4).
  for (const method of METHODS) if (method !== 'CONNECT' && !app.supportedMethods.includes(method)) app.addHttpMethod(method, { hasBody: true });

  // Every service parses its own bodies, so that malformed input is answered in that service's error format.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // A declared body over the limit is refused before it is read (the onSend hook below reads and drops it).
  const bodyLimit = opts.bodyLimit ?? 8 * 1024 * 1024;
  app.addHook('onRequest', async (req, reply) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (!(declared > bodyLimit)) return;
    const url = req.url;
    const formatter = errorFormatters.find(([prefix]) => url.startsWith(prefix))?.[1] ?? armFormatter;
    const out = formatter(413, `The request content is too large: ${declared} bytes, the limit is ${bodyLimit}.`, url);
    return reply.code(413).type(out.contentType ?? 'application/json; charset=utf-8').send(JSON.stringify(out.body));
  });

  // Every service's early refusal (a body over its limit, a missing token) waits until the rest of the request
  // body has been read and dropped (up to a bound): answering and closing with unread input makes TCP reset the
  // connection, and the client sees ECONNRESET or SSLEOFError instead of the answer (SPEC R-4).
  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode < 400 || req.raw.complete) return payload;
    if (!(await drainRequestBody(req.raw, limits.maxDrainBytes))) reply.header('connection', 'close');
    return payload;
  });

  const plainServer: HttpServer = createHttpServer(httpServerTimeouts(limits), (_req, res) => {
    res.writeHead(400, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({
        error: {
          code: 'HttpsRequired',
          message: 'aksemu serves HTTPS on this port; plain HTTP is accepted only for CONNECT (use it as HTTPS_PROXY).',
        },
      }),
    );
  });

  const refuse = (socket: Duplex, status: string, message: string) => {
    socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(message)}\r\nConnection: close\r\n\r\n${message}`);
  };

  const onConnect = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const { host, port } = splitHostPort(req.url ?? '');
    const route = routeForHost(host, localNames);
    if (!route || route.service === 'direct' || (port !== undefined && port !== 443)) {
      opts.logger.info({ target: req.url }, 'proxy: refused a tunnel to a host aksemu does not serve');
      refuse(socket, '403 Forbidden', `aksemu only tunnels to the Azure endpoints it emulates; '${req.url}' is not one of them.\n`);
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) socket.unshift(head);
    // The tunnel's bytes are a TLS handshake for `host`: the HTTPS server terminates it like any connection.
    httpsServer.emit('connection', socket);
  };
  plainServer.on('connect', onConnect);
  plainServer.on('clientError', (_err, socket) => socket.destroy());
  plainServer.keepAliveTimeout = limits.keepAliveTimeoutMs;

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Upgrades (kubectl attach/exec over WebSockets) are routed like every other request.
    req.url = internalRequestUrl(req);
    for (const handler of upgradeHandlers) if (handler(req, socket, head)) return;
    refuse(socket, '404 Not Found', 'no upgrade handler for this URL\n');
  };

  httpsServer.on('connect', onConnect); // CONNECT over TLS, for clients whose proxy URL is https://
  httpsServer.on('upgrade', onUpgrade);
  httpsServer.on('tlsClientError', (err, socket) => {
    opts.logger.debug({ err }, 'TLS handshake failed');
    socket.destroy();
  });

  // noDelay: responses on kept-alive connections must not wait for the client's delayed ACK (Nagle), ~40 ms each.
  const raw: NetServer = createNetServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const firstByteArrived = armFirstByteTimer(socket, limits);
    socket.once('data', (first: Buffer) => {
      firstByteArrived();
      socket.pause();
      socket.unshift(first);
      (first[0] === TLS_HANDSHAKE ? httpsServer : plainServer).emit('connection', socket);
      process.nextTick(() => socket.resume());
    });
  });

  // Connections over the ceiling are closed by node as they are accepted; say so, at most once a minute.
  raw.maxConnections = limits.maxConnections;
  let lastDropWarning = 0;
  raw.on('drop', (info) => {
    if (Date.now() - lastDropWarning < 60_000) return;
    lastDropWarning = Date.now();
    opts.logger.warn({ remoteAddress: info?.remoteAddress, maxConnections: limits.maxConnections }, 'front door: too many open connections; closing new ones');
  });

  let boundPort = opts.port;
  let boundUrl: string | undefined;
  return {
    app,
    url: () => boundUrl,
    onUpgrade: (handler) => upgradeHandlers.push(handler),
    setFrameworkErrorFormatter: (prefix, formatter) => {
      errorFormatters.push([prefix, formatter]);
    },
    listen: async () => {
      await app.ready();
      return new Promise((resolve, reject) => {
        raw.once('error', reject);
        raw.listen({ host: opts.host, port: opts.port }, () => {
          raw.off('error', reject);
          // The HTTP servers are fed connections rather than listening themselves, and node starts the checks
          // behind headersTimeout/requestTimeout on 'listening': without this, neither deadline would apply.
          httpsServer.emit('listening');
          plainServer.emit('listening');
          const addr = raw.address();
          boundPort = typeof addr === 'object' && addr ? addr.port : opts.port;
          const urlHost = isIP(opts.host) === 6 ? `[${opts.host}]` : opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host;
          boundUrl = `https://${urlHost}:${boundPort}`;
          if (!isLoopbackHost(opts.host)) {
            opts.logger.warn({ host: opts.host, port: boundPort }, `listening on ${opts.host}, not a loopback address: other machines can reach the emulator`);
          }
          resolve({ url: boundUrl, port: boundPort });
        });
      });
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        raw.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      httpsServer.closeAllConnections?.();
      // Stops the deadline checks started at listen (the servers hold no listening socket of their own).
      httpsServer.close();
      plainServer.close();
      await app.close();
    },
  };
}
