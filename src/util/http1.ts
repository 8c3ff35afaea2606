/**
 * Lean HTTP/1.1 client over node:net with kept-alive connections: the FAST PATH of plain-HTTP requests without a
 * proxy for scrapes (`HttpClient`, receivers/prometheus/scrape) and remote-write POSTs (https and proxies keep
 * node:http). Why not node:http there: W1 (100 targets every 2 s) measured ~550 us of CPU per spaced-out 90 KB scrape
 * through http.request + IncomingMessage against ~330 us for this client (ClientRequest set-up, the agent's socket
 * bookkeeping and the readable-stream machinery per request); a scrape is one GET with a streamed body and a remote
 * write one POST whose answer is a status line.
 *
 * Contract
 * - `request(method, url, head, body, signal, onHead, onBody)`: writes `<method> <path?query> HTTP/1.1` to the http:
 *   `url`'s host and port, `Host`, the caller's header lines (`head`, each ending in CRLF, see `headerBlock`;
 *   Content-Length is added for a body) and the body, parses the response (status line, headers, then a body framed
 *   by Content-Length, chunked transfer coding, or the connection's end), calls `onHead` once with the final (non-1xx)
 *   response and `onBody` with each body chunk (raw bytes, before any content decoding), and resolves when the body
 *   ended. A chunk is a view of the client's read buffer, valid only during the `onBody` call: the next socket read
 *   overwrites it, so a consumer that keeps bytes past the call copies them. `onHead` returning false discards the
 *   body (still read, so the connection can be reused). An exception from either callback aborts the request (the
 *   connection is closed) and rejects with it.
 * - `headerBlock(headers)`: the header lines for `head`; throws an Error with `code` OB_HTTP_HEADER when a name or
 *   value holds CR or LF.
 * - Errors reject with the socket's own error (`code` ECONNREFUSED, ECONNRESET, ...), or an Error with `code`
 *   OB_HTTP_EOF (the connection ended before the response was complete; message "EOF" before any byte of the
 *   response, "unexpected EOF" after) or OB_HTTP_PROTOCOL (malformed response; the message says what). A kept-alive
 *   connection that ends before any byte of the response is retried once on a new connection (as Go's transport does;
 *   also a POST: remote-write requests may be repeated, receivers keep one sample per series and timestamp).
 * - `signal` abort closes the connection and rejects with an AbortError.
 * - Reads: FAST PATH `net.connect({onread})` into one 64 KiB buffer shared by the client's connections (reads are
 *   handled synchronously, one at a time): no Readable-stream push, nextTick and fresh Buffer per read.
 * - A connection goes back to the idle set after a complete response unless the server asked to close it, the body
 *   was close-delimited, or the request failed. Idle connections are unref'd and dropped when the server closes them,
 *   after `idleTimeoutMs` idle (0: never), and beyond `maxIdlePerHost` idle ones per host:port (the Collector's
 *   `idle_conn_timeout` / `max_idle_conns`).
 */
import net from 'node:net';

const MAX_HEAD = 64 * 1024;
const READ_BUFFER = 64 * 1024;
const CRLF_CRLF = Buffer.from('\r\n\r\n');

export interface Http1Head {
  status: number;
  statusText: string;
  /** Lower-cased header names; the first value of each. */
  headers: Map<string, string>;
}

function protocolError(message: string): Error {
  return Object.assign(new Error(message), { code: 'OB_HTTP_PROTOCOL' });
}

function eofError(started: boolean): Error {
  return Object.assign(new Error(started ? 'unexpected EOF' : 'EOF'), { code: 'OB_HTTP_EOF' });
}

/** Body framing states. */
const Body = {
  LENGTH: 0,
  CHUNK_SIZE: 1,
  CHUNK_DATA: 2,
  CHUNK_CRLF: 3,
  TRAILER: 4,
  UNTIL_CLOSE: 5,
} as const;
type Body = (typeof Body)[keyof typeof Body];

/** One request/response on a connection: the response parser's state and the caller's callbacks. */
class Exchange {
  readonly onHead: (h: Http1Head) => boolean;
  readonly onBody: (chunk: Buffer) => void;
  readonly resolve: (reuse: boolean) => void;
  readonly reject: (err: Error, retryable: boolean) => void;
  /** Bytes of the response received so far (0: a closed kept-alive connection may be retried). */
  received = 0;
  inHead = true;
  headBuf: Buffer | null = null;
  deliver = true;
  keepAlive = true;
  mode: Body = Body.LENGTH;
  left = 0;
  line = '';
  done = false;
  constructor(onHead: Exchange['onHead'], onBody: Exchange['onBody'], resolve: Exchange['resolve'], reject: Exchange['reject']) {
    this.onHead = onHead;
    this.onBody = onBody;
    this.resolve = resolve;
    this.reject = reject;
  }
}

/** A connection and the exchange in flight on it (none while idle). */
class Conn {
  readonly sock: net.Socket;
  readonly key: string;
  ex: Exchange | null = null;
  reused = false;
  constructor(sock: net.Socket, key: string) {
    this.sock = sock;
    this.key = key;
  }
}

export interface Http1Options {
  /** Idle connections are closed after this long (0 = kept until the server closes them). */
  idleTimeoutMs?: number;
  /** At most this many idle connections per host:port (more are closed). */
  maxIdlePerHost?: number;
}

export class Http1Client {
  private readonly idleMs: number;
  private readonly maxIdle: number;
  private readonly idle = new Map<string, Conn[]>();
  private readonly all = new Set<Conn>();
  /** Where every connection's reads land (see the contract: chunks are views of it). */
  private readonly readBuf = Buffer.allocUnsafe(READ_BUFFER);

  constructor(o: Http1Options = {}) {
    this.idleMs = o.idleTimeoutMs ?? 0;
    this.maxIdle = o.maxIdlePerHost ?? Infinity;
  }

  request(
    method: 'GET' | 'POST',
    url: URL,
    head: string,
    body: Uint8Array | undefined,
    signal: AbortSignal,
    onHead: (h: Http1Head) => boolean,
    onBody: (chunk: Buffer) => void,
  ): Promise<void> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || 80);
    const length = body === undefined ? '' : `Content-Length: ${body.length}\r\n`;
    const request = `${method} ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n${head}${length}\r\n`;
    return this.attempt(`${host}:${port}`, host, port, request, body, signal, onHead, onBody, true);
  }

  private attempt(
    key: string,
    host: string,
    port: number,
    request: string,
    body: Uint8Array | undefined,
    signal: AbortSignal,
    onHead: Exchange['onHead'],
    onBody: Exchange['onBody'],
    retry: boolean,
  ): Promise<void> {
    if (signal.aborted) return Promise.reject(abortError());
    const conn = this.take(key) ?? this.open(key, host, port);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => this.fail(conn, abortError(), false);
      signal.addEventListener('abort', onAbort, { once: true });
      conn.ex = new Exchange(
        onHead,
        onBody,
        (reuse) => {
          signal.removeEventListener('abort', onAbort);
          conn.ex = null;
          if (reuse) this.park(conn);
          else this.destroy(conn);
          resolve();
        },
        (err, retryable) => {
          signal.removeEventListener('abort', onAbort);
          conn.ex = null;
          this.destroy(conn);
          if (retryable && retry && !signal.aborted) resolve(this.attempt(key, host, port, request, body, signal, onHead, onBody, false));
          else reject(err);
        },
      );
      if (body === undefined) conn.sock.write(request);
      else {
        // One segment for head and body where the kernel allows (no Nagle delay between them: noDelay is set).
        conn.sock.cork();
        conn.sock.write(request);
        conn.sock.write(body);
        conn.sock.uncork();
      }
    });
  }

  /** Destroys every connection (idle or busy; busy requests fail). Safe twice. */
  close(): void {
    for (const c of this.all) this.fail(c, eofError(false), false);
    for (const c of this.all) c.sock.destroy();
    this.all.clear();
    this.idle.clear();
  }

  private take(key: string): Conn | undefined {
    const list = this.idle.get(key);
    if (list === undefined) return undefined;
    for (;;) {
      const c = list.pop();
      if (c === undefined) return undefined;
      if (c.sock.destroyed) continue;
      if (this.idleMs > 0) c.sock.setTimeout(0);
      c.sock.ref();
      c.reused = true;
      return c;
    }
  }

  private park(c: Conn): void {
    let list = this.idle.get(c.key);
    if (list === undefined) this.idle.set(c.key, (list = []));
    if (list.length >= this.maxIdle) return this.destroy(c);
    c.sock.unref();
    if (this.idleMs > 0) c.sock.setTimeout(this.idleMs);
    list.push(c);
  }

  private destroy(c: Conn): void {
    c.sock.destroy();
    this.all.delete(c);
    const list = this.idle.get(c.key);
    if (list !== undefined) {
      const i = list.indexOf(c);
      if (i >= 0) list.splice(i, 1);
    }
  }

  private open(key: string, host: string, port: number): Conn {
    // `at.conn` is set before any read can arrive (reads start once connected, after this function returns).
    const at: { conn?: Conn } = {};
    const readBuf = this.readBuf;
    const sock = net.connect({ host, port, onread: { buffer: readBuf, callback: (n: number) => (this.onData(at.conn!, readBuf.subarray(0, n)), true) } });
    sock.setNoDelay(true);
    const c = (at.conn = new Conn(sock, key));
    this.all.add(c);
    sock.on('error', (err: NodeJS.ErrnoException) => {
      const ex = c.ex;
      // A kept-alive connection the server reset before answering: retried once on a new one.
      this.fail(c, err, c.reused && ex !== null && ex.received === 0 && (err.code === 'ECONNRESET' || err.code === 'EPIPE'));
    });
    sock.on('end', () => this.onEnd(c));
    sock.on('timeout', () => {
      if (c.ex === null) this.destroy(c); // idle for idleTimeoutMs (no timeout is armed while busy)
    });
    sock.on('close', () => {
      if (c.ex !== null) this.onEnd(c);
      this.destroy(c);
    });
    return c;
  }

  /** Fails the exchange in flight, if any; a kept-alive connection closed before any response byte is retryable. */
  private fail(c: Conn, err: Error, retryable: boolean): void {
    const ex = c.ex;
    if (ex === null || ex.done) return;
    ex.done = true;
    ex.reject(err, retryable);
  }

  private onEnd(c: Conn): void {
    const ex = c.ex;
    if (ex === null) return this.destroy(c); // idle connection closed by the server
    if (ex.done) return;
    if (!ex.inHead && ex.mode === Body.UNTIL_CLOSE) {
      ex.done = true;
      return ex.resolve(false);
    }
    this.fail(c, eofError(ex.received > 0), c.reused && ex.received === 0);
  }

  private onData(c: Conn, d: Buffer): void {
    const ex = c.ex;
    if (ex === null || ex.done) {
      // Bytes on an idle connection (or after a failure): nothing can be framed any more.
      this.destroy(c);
      return;
    }
    ex.received += d.length;
    try {
      if (ex.inHead) {
        const rest = this.head(ex, d);
        if (rest === null || ex.done) return;
        d = rest;
      }
      this.body(ex, d);
    } catch (err) {
      this.fail(c, err as Error, false);
    }
  }

  /** Accumulates and parses the response head; returns the bytes after it, or null while it is incomplete. */
  private head(ex: Exchange, d: Buffer): Buffer | null {
    for (;;) {
      const b = ex.headBuf === null ? d : Buffer.concat([ex.headBuf, d]);
      const end = b.indexOf(CRLF_CRLF);
      if (end > MAX_HEAD || (end < 0 && b.length > MAX_HEAD)) throw protocolError(`server response headers exceeded ${MAX_HEAD} bytes; aborted`);
      if (end < 0) {
        ex.headBuf = b === d ? Buffer.from(d) : b; // d is the shared read buffer: keep a copy
        return null;
      }
      ex.headBuf = null;
      const lines = b.toString('latin1', 0, end).split('\r\n');
      const m = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0]!);
      if (m === null) throw protocolError(`malformed HTTP response ${JSON.stringify(lines[0]!.slice(0, 64))}`);
      const status = Number(m[2]);
      const headers = new Map<string, string>();
      for (let i = 1; i < lines.length; i++) {
        const l = lines[i]!;
        const colon = l.indexOf(':');
        if (colon <= 0) throw protocolError(`malformed MIME header line: ${l.slice(0, 64)}`);
        const name = l.slice(0, colon).trim().toLowerCase();
        if (!headers.has(name)) headers.set(name, l.slice(colon + 1).trim());
      }
      const rest = b.subarray(end + 4);
      if (status >= 100 && status < 200) {
        // Informational (100 Continue, 103 Early Hints): the real response follows.
        if (rest.length === 0) return null;
        d = rest;
        continue;
      }
      ex.inHead = false;
      const conn = (headers.get('connection') ?? '').toLowerCase();
      ex.keepAlive = m[1] === '1' ? !conn.includes('close') : conn.includes('keep-alive');
      const te = (headers.get('transfer-encoding') ?? '').toLowerCase();
      const cl = headers.get('content-length');
      if (te !== '' && te !== 'identity') {
        if (!te.endsWith('chunked')) throw protocolError(`unsupported transfer encoding: ${JSON.stringify(te)}`);
        ex.mode = Body.CHUNK_SIZE;
      } else if (cl !== undefined) {
        if (!/^\d+$/.test(cl)) throw protocolError(`bad Content-Length ${JSON.stringify(cl)}`);
        ex.mode = Body.LENGTH;
        ex.left = Number(cl);
      } else if (status === 204 || status === 304) {
        ex.mode = Body.LENGTH;
        ex.left = 0;
      } else {
        ex.mode = Body.UNTIL_CLOSE;
        ex.keepAlive = false;
      }
      ex.deliver = ex.onHead({ status, statusText: m[3] ?? '', headers });
      if (ex.mode === Body.LENGTH && ex.left === 0) this.finish(ex, rest.length === 0);
      return rest;
    }
  }

  private emit(ex: Exchange, chunk: Buffer): void {
    if (ex.deliver && chunk.length > 0) ex.onBody(chunk);
  }

  /** The response is complete; `clean`: no bytes follow it in this read (any that do make the connection unusable). */
  private finish(ex: Exchange, clean: boolean): void {
    if (ex.done) return;
    ex.done = true;
    ex.resolve(ex.keepAlive && clean);
  }

  /** Frames body bytes: FAST PATH for Content-Length (the chunk is handed on as is); chunked decoding otherwise. */
  private body(ex: Exchange, d: Buffer): void {
    let i = 0;
    while (i < d.length && !ex.done) {
      switch (ex.mode) {
        case Body.UNTIL_CLOSE:
          this.emit(ex, i === 0 ? d : d.subarray(i));
          return;
        case Body.LENGTH: {
          const n = Math.min(ex.left, d.length - i);
          this.emit(ex, i === 0 && n === d.length ? d : d.subarray(i, i + n));
          ex.left -= n;
          i += n;
          if (ex.left === 0) this.finish(ex, i === d.length);
          break;
        }
        case Body.CHUNK_SIZE:
        case Body.TRAILER: {
          const nl = d.indexOf(10, i);
          const part = d.toString('latin1', i, nl < 0 ? d.length : nl + 1);
          i = nl < 0 ? d.length : nl + 1;
          ex.line += part;
          if (ex.line.length > 4096) throw protocolError('chunk header line too long');
          if (nl < 0) break;
          const line = ex.line.replace(/\r?\n$/, '');
          ex.line = '';
          if (ex.mode === Body.TRAILER) {
            if (line === '') this.finish(ex, i === d.length);
            break;
          }
          const size = line.split(';', 1)[0]!.trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(size)) throw protocolError(`invalid byte in chunk length ${JSON.stringify(size.slice(0, 16))}`);
          ex.left = parseInt(size, 16);
          ex.mode = ex.left === 0 ? Body.TRAILER : Body.CHUNK_DATA;
          break;
        }
        case Body.CHUNK_DATA: {
          const n = Math.min(ex.left, d.length - i);
          this.emit(ex, d.subarray(i, i + n));
          ex.left -= n;
          i += n;
          if (ex.left === 0) {
            ex.mode = Body.CHUNK_CRLF;
            ex.left = 2;
          }
          break;
        }
        case Body.CHUNK_CRLF: {
          // The CRLF after a chunk's data.
          if (d[i++] !== (ex.left === 2 ? 13 : 10)) throw protocolError('malformed chunked encoding');
          if (--ex.left === 0) ex.mode = Body.CHUNK_SIZE;
          break;
        }
      }
    }
  }
}

/** `name: value` CRLF lines for `request`'s `head` (values stringified). */
export function headerBlock(headers: Readonly<Record<string, string | number>>): string {
  let head = '';
  for (const k in headers) {
    const v = String(headers[k]);
    if (/[\r\n]/.test(k + v)) throw Object.assign(new Error(`invalid header value for ${k}`), { code: 'OB_HTTP_HEADER' });
    head += `${k}: ${v}\r\n`;
  }
  return head;
}

function abortError(): Error {
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
}
