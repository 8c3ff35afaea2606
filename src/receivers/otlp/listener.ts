/**
 * The TCP listener both OTLP servers sit behind: we own the `net.Server` and hand each accepted socket to the HTTP or
 * gRPC server, which gives us (1) an exact open-connection count, (2) hard close of every socket on shutdown and
 * (3) a clear answer to a plaintext client on a TLS port: the first byte of a TLS connection is a handshake record
 * (0x16); anything else is answered with a plain-text `400` ("Client sent an HTTP request to an HTTPS server", as Go
 * servers do) and closed, and logged once per interval, instead of a silent reset.
 *
 * Contract: `listen()` rejects with "cannot listen on <endpoint>: <reason>"; `address` is "host:port" once
 * listening (port 0 resolved); `close()` stops accepting and destroys remaining sockets after `graceMs`.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { ServerTlsConfig } from './config.ts';
import { boundAddress } from '../../util/net.ts';

export interface TlsMaterial {
  key: Buffer;
  cert: Buffer;
  ca: Buffer | undefined;
}

export function readServerTls(tls: ServerTlsConfig, who: string): TlsMaterial {
  const read = (f: string, what: string): Buffer => {
    try {
      return readFileSync(f);
    } catch (err) {
      throw new Error(`${who}: cannot read tls.${what} "${f}": ${(err as Error).message}`);
    }
  };
  return { cert: read(tls.cert_file, 'cert_file'), key: read(tls.key_file, 'key_file'), ca: tls.client_ca_file ? read(tls.client_ca_file, 'client_ca_file') : undefined };
}

export function splitEndpoint(endpoint: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(endpoint);
  if (!m) throw new Error(`invalid endpoint "${endpoint}": expected host:port`);
  return { host: m[1] === '' ? '0.0.0.0' : m[1]!, port: Number(m[2]) };
}

const FIRST_BYTE_TIMEOUT_MS = 60_000;
const PLAINTEXT_ON_TLS = 'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nClient sent an HTTP request to an HTTPS server: this OTLP endpoint requires TLS (use https:// or enable TLS in the client).\n';

export class Listener {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private lastPlainLog = 0;
  address = '';
  private readonly endpoint: string;
  private readonly tls: boolean;
  private readonly logger: Logger;
  private readonly onSocket: (s: Socket) => void;
  private readonly onCount: (delta: number) => void;

  constructor(endpoint: string, tls: boolean, logger: Logger, onSocket: (s: Socket) => void, onCount: (delta: number) => void) {
    this.endpoint = endpoint;
    this.tls = tls;
    this.logger = logger;
    this.onSocket = onSocket;
    this.onCount = onCount;
  }

  get connections(): number {
    return this.sockets.size;
  }

  async listen(): Promise<void> {
    const { host, port } = splitEndpoint(this.endpoint);
    const server = createServer({ noDelay: true }, (sock) => this.accept(sock));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`cannot listen on ${this.endpoint}: ${err.message}`)));
      server.listen(port, host, () => resolve());
    });
    server.on('error', (err) => this.logger.error({ err: err.message }, 'listener error'));
    this.server = server;
    this.address = boundAddress(server, this.endpoint);
  }

  private accept(sock: Socket): void {
    this.sockets.add(sock);
    this.onCount(1);
    sock.once('close', () => {
      this.sockets.delete(sock);
      this.onCount(-1);
    });
    sock.on('error', () => undefined); // the owning server reports protocol errors; resets are normal
    if (!this.tls) return this.onSocket(sock);
    // A client that connects and never sends is dropped (the TLS/HTTP servers' own timeouts start later).
    sock.setTimeout(FIRST_BYTE_TIMEOUT_MS, () => sock.destroy());
    sock.once('data', (first: Buffer) => {
      sock.setTimeout(0);
      sock.pause();
      sock.unshift(first);
      if (first[0] !== 0x16) {
        const now = Date.now();
        if (now - this.lastPlainLog > 60_000) {
          this.lastPlainLog = now;
          this.logger.warn({ remote: sock.remoteAddress, endpoint: this.address }, 'plaintext connection on a TLS port refused (client must use TLS; logged at most once a minute)');
        }
        // HTTP/1.x clients get a readable answer; an HTTP/2 (gRPC) prior-knowledge client cannot parse one, so close.
        if (first.subarray(0, 3).toString('latin1') === 'PRI') sock.destroy();
        else sock.end(PLAINTEXT_ON_TLS);
        return;
      }
      this.onSocket(sock);
      process.nextTick(() => sock.resume());
    });
  }

  /** Stops accepting new connections now; destroys the remaining ones after `graceMs`. */
  async close(graceMs: number): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    const closed = new Promise<void>((r) => s.close(() => r()));
    if (this.sockets.size > 0) {
      const timer = setTimeout(() => {
        for (const sock of this.sockets) sock.destroy();
      }, graceMs);
      await closed;
      clearTimeout(timer);
    } else await closed;
  }

  destroyAll(): void {
    for (const sock of this.sockets) sock.destroy();
  }
}
