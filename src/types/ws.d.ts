/**
 * The part of the `ws` package (8.x) aksemu uses: the pods' attach/exec WebSocket endpoints (src/kube/streams)
 * and their tests. `ws` ships no types and @types/ws is not a dependency; this declares what is used, with the
 * package's own documented signatures. Replace with @types/ws if it is added.
 */
declare module 'ws' {
  import { EventEmitter } from 'node:events';
  import type { ClientRequest, IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
  import type { Duplex } from 'node:stream';
  import type { SecureContextOptions } from 'node:tls';

  type RawData = Buffer | ArrayBuffer | Buffer[];

  interface ClientOptions extends SecureContextOptions {
    headers?: OutgoingHttpHeaders;
    servername?: string;
    perMessageDeflate?: boolean;
    handshakeTimeout?: number;
    rejectUnauthorized?: boolean;
    maxPayload?: number;
  }

  class WebSocket extends EventEmitter {
    static readonly CONNECTING: 0;
    static readonly OPEN: 1;
    static readonly CLOSING: 2;
    static readonly CLOSED: 3;
    constructor(address: string | URL, protocols?: string | string[], options?: ClientOptions);
    readonly protocol: string;
    readonly readyState: 0 | 1 | 2 | 3;
    readonly bufferedAmount: number;
    send(data: Buffer | Uint8Array | string, cb?: (err?: Error) => void): void;
    send(data: Buffer | Uint8Array | string, options: { binary?: boolean; compress?: boolean; fin?: boolean }, cb?: (err?: Error) => void): void;
    close(code?: number, reason?: string | Buffer): void;
    terminate(): void;
    ping(data?: Buffer, mask?: boolean, cb?: (err?: Error) => void): void;
    on(event: 'message', listener: (data: RawData, isBinary: boolean) => void): this;
    on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    on(event: 'open', listener: () => void): this;
    on(event: 'unexpected-response', listener: (req: ClientRequest, res: IncomingMessage) => void): this;
    on(event: 'upgrade', listener: (res: IncomingMessage) => void): this;
    once(event: 'close', listener: (code: number, reason: Buffer) => void): this;
    once(event: 'open', listener: () => void): this;
    once(event: 'error', listener: (err: Error) => void): this;
  }

  interface ServerOptions {
    noServer?: boolean;
    perMessageDeflate?: boolean;
    maxPayload?: number;
    clientTracking?: boolean;
    handleProtocols?: (protocols: Set<string>, request: IncomingMessage) => string | false;
  }

  class WebSocketServer extends EventEmitter {
    constructor(options: ServerOptions);
    handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, callback: (ws: WebSocket, request: IncomingMessage) => void): void;
    close(cb?: (err?: Error) => void): void;
    on(event: 'wsClientError', listener: (err: Error, socket: Duplex, request: IncomingMessage) => void): this;
    on(event: 'headers', listener: (headers: string[], request: IncomingMessage) => void): this;
  }

  export { WebSocket, WebSocketServer, type RawData, type ClientOptions, type ServerOptions, type IncomingHttpHeaders };
  export default WebSocket;
}
