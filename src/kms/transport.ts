/**
 * How a plugin run by aksemu for a cluster reaches Key Vault over HTTPS, like any client (docs/architecture.md: the
 * plugin reaches Key Vault over HTTPS, never by a function call):
 *
 * - public vaults: through aksemu's front door as an HTTPS proxy — `CONNECT <vault>.vault.azure.net:443`, then TLS
 *   for the vault's host name, trusting aksemu's local CA (what `HTTPS_PROXY` + `NODE_EXTRA_CA_CERTS` do for a
 *   separate process);
 * - private vaults (SPEC K-6): through the vault's private endpoint, a unix socket created when KMS was enabled
 *   with Private access — TLS for the vault's host name over that socket. Nothing else reaches a private vault.
 *
 * Both are keep-alive https.Agents, so one TLS connection serves many plugin calls. They keep as many idle
 * connections as they may open (a plugin under load frees and reuses all of them between calls: with fewer kept,
 * each call past the kept ones paid a CONNECT and a TLS handshake, and the plugin ran at a sixth of the vault's
 * rate), and build the TLS context that trusts aksemu's CA once, not per connection.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { Agent, type AgentOptions } from 'node:https';
import { connect as tlsConnect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';

type ConnectCallback = (err: Error | null, socket?: Duplex) => void;
interface ConnectOptions {
  host?: string | null;
  servername?: string;
  port?: number | string | null;
}

const MAX_SOCKETS = 16;
const KEEP_ALIVE: AgentOptions = { keepAlive: true, maxSockets: MAX_SOCKETS, maxFreeSockets: MAX_SOCKETS, timeout: 60_000 };

/** Opens `CONNECT host:443` on an HTTP proxy and resolves with the tunnelled socket. */
export function openTunnel(proxyHost: string, proxyPort: number, host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ port: proxyPort, host: proxyHost, noDelay: true }, () => socket.write(`CONNECT ${host}:${port} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`));
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.off('error', reject);
      const head = buf.subarray(0, end).toString('latin1');
      const status = Number(head.split(' ')[1]);
      if (status !== 200) {
        socket.destroy();
        reject(new Error(`the proxy refused CONNECT ${host}:${port}: ${head.split('\r\n')[0]}`));
        return;
      }
      const rest = buf.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

/** HTTPS through an HTTP CONNECT proxy, trusting `ca`. */
export class ProxyTunnelAgent extends Agent {
  private readonly context: SecureContext;

  constructor(
    private readonly proxy: () => { host: string; port: number },
    ca: string,
  ) {
    super(KEEP_ALIVE);
    this.context = createSecureContext({ ca });
  }

  override createConnection(options: ConnectOptions, callback: ConnectCallback): Duplex | undefined {
    const host = String(options.servername || options.host || '');
    const port = Number(options.port || 443);
    const { host: proxyHost, port: proxyPort } = this.proxy();
    openTunnel(proxyHost, proxyPort, host, port).then(
      (raw) => {
        handOver(tlsConnect({ socket: raw, servername: host, secureContext: this.context, ALPNProtocols: ['http/1.1'] }), callback);
      },
      (err: Error) => callback(err),
    );
    return undefined;
  }
}

/** HTTPS over a unix socket (a vault's private endpoint), trusting `ca`. */
export class UnixSocketAgent extends Agent {
  private readonly context: SecureContext;

  constructor(
    private readonly socketPath: string,
    ca: string,
  ) {
    super(KEEP_ALIVE);
    this.context = createSecureContext({ ca });
  }

  override createConnection(options: ConnectOptions, callback: ConnectCallback): Duplex | undefined {
    const host = String(options.servername || options.host || '');
    handOver(tlsConnect({ path: this.socketPath, servername: host, secureContext: this.context, ALPNProtocols: ['http/1.1'] }), callback);
    return undefined;
  }
}

/** Gives the agent the TLS socket once its handshake is done, or the error that ended it before. */
function handOver(tls: TLSSocket, callback: ConnectCallback): void {
  let settled = false;
  tls.once('secureConnect', () => {
    settled = true;
    callback(null, tls);
  });
  tls.once('error', (err) => {
    if (!settled) callback(err);
  });
}
