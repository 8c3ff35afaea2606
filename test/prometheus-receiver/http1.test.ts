/**
 * The lean HTTP/1.1 client (src/util/http1.ts) as scrapes use it against a raw TCP server that writes
 * responses byte for byte: framing (Content-Length, chunked split at every byte, close-delimited, 1xx), connection
 * reuse and its retry, and the errors users see on the targets page through HttpClient.get.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { HttpClient, type ScrapeError } from '../../src/receivers/prometheus/scrape/http-client.ts';
import { Http1Client } from '../../src/util/http1.ts';

interface RawServer {
  port: number;
  connections: number;
  requests: string[];
  /** Answers one request: writes the returned pieces one by one (with a tick between them). */
  respond: (req: string, sock: net.Socket) => Array<string | Buffer> | 'close' | 'hang';
  close(): Promise<void>;
}

const servers: RawServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function rawServer(respond: RawServer['respond']): Promise<RawServer> {
  const socks = new Set<net.Socket>();
  const s: RawServer = { port: 0, connections: 0, requests: [], respond, close: async () => undefined };
  const srv = net.createServer((sock) => {
    s.connections++;
    socks.add(sock);
    sock.on('close', () => socks.delete(sock));
    let buf = '';
    sock.on('data', async (d) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        const req = buf.slice(0, end + 4);
        buf = buf.slice(end + 4);
        s.requests.push(req);
        const out = s.respond(req, sock);
        if (out === 'close') sock.destroy();
        if (out === 'close' || out === 'hang') continue;
        for (const piece of out) {
          sock.write(piece);
          await new Promise((r) => setImmediate(r));
        }
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  s.port = (srv.address() as net.AddressInfo).port;
  s.close = () =>
    new Promise<void>((r) => {
      for (const k of socks) k.destroy();
      srv.close(() => r());
    });
  servers.push(s);
  return s;
}

async function fetchBody(c: Http1Client, s: RawServer, signal = new AbortController().signal): Promise<{ status: number; body: string; headers: Map<string, string> }> {
  let status = 0;
  let headers = new Map<string, string>();
  const parts: Buffer[] = [];
  await c.request('GET', new URL(`http://127.0.0.1:${s.port}/metrics`), 'Accept: text/plain\r\n', undefined, signal, (h) => {
    status = h.status;
    headers = h.headers;
    return true;
  }, (b) => parts.push(Buffer.from(b))); // chunks are views of the read buffer
  return { status, body: Buffer.concat(parts).toString(), headers };
}

const BODY = 'a{x="1"} 1\nb 2\n';
const bytesOf = (s: string): string[] => [...s]; // one piece per character: every split point

test('Content-Length and chunked bodies arrive whole, however the response is split; the connection is reused', async () => {
  let chunked = false;
  const s = await rawServer(() => {
    if (!chunked) return [`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`];
    const c1 = BODY.slice(0, 5);
    const c2 = BODY.slice(5);
    const wire = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${c1.length.toString(16)};ext=1\r\n${c1}\r\n${c2.length.toString(16).toUpperCase()}\r\n${c2}\r\n0\r\nX-Trailer: t\r\n\r\n`;
    return bytesOf(wire);
  });
  const c = new Http1Client();
  const r1 = await fetchBody(c, s);
  assert.equal(r1.status, 200);
  assert.equal(r1.body, BODY);
  assert.equal(r1.headers.get('content-type'), 'text/plain');
  chunked = true;
  const r2 = await fetchBody(c, s);
  assert.equal(r2.body, BODY, 'chunked, one byte per write');
  chunked = false;
  assert.equal((await fetchBody(c, s)).body, BODY);
  assert.equal(s.connections, 1, 'one kept-alive connection for all three');
  assert.match(s.requests[0]!, new RegExp(`^GET /metrics HTTP/1\\.1\\r\\nHost: 127\\.0\\.0\\.1:${s.port}\\r\\nAccept: text/plain\\r\\n\\r\\n$`));
  c.close();
});

test('idle connections close after idleTimeoutMs; at most maxIdlePerHost stay idle per host', async () => {
  const ok = () => [`HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`];
  const s = await rawServer(ok);
  const c = new Http1Client({ idleTimeoutMs: 50 });
  await fetchBody(c, s);
  await fetchBody(c, s);
  assert.equal(s.connections, 1, 'reused while younger than the idle timeout');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await fetchBody(c, s)).body, BODY);
  assert.equal(s.connections, 2, 'the idle one was closed: a new connection');
  c.close();

  const t = await rawServer(ok);
  const one = new Http1Client({ maxIdlePerHost: 1 });
  await Promise.all([fetchBody(one, t), fetchBody(one, t)]);
  assert.equal(t.connections, 2);
  await Promise.all([fetchBody(one, t), fetchBody(one, t)]);
  assert.equal(t.connections, 3, 'one of the two was kept idle and reused, the other closed');
  one.close();
});

test('1xx responses are skipped; a close-delimited body ends with the connection, which is not reused', async () => {
  let n = 0;
  const s = await rawServer((_req, sock) => {
    n++;
    if (n === 1) return ['HTTP/1.1 100 Continue\r\n\r\n', `HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`];
    setTimeout(() => sock.end(), 20);
    return [`HTTP/1.0 200 OK\r\n\r\n${BODY}`];
  });
  const c = new Http1Client();
  assert.equal((await fetchBody(c, s)).body, BODY);
  assert.equal((await fetchBody(c, s)).body, BODY);
  assert.equal((await fetchBody(c, s)).body, BODY);
  assert.equal(s.connections, 2, 'the close-delimited response used up its connection');
  c.close();
});

test('a kept-alive connection the server closed meanwhile is retried once on a new one', async () => {
  const s = await rawServer(() => [`HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`]);
  const c = new Http1Client();
  assert.equal((await fetchBody(c, s)).body, BODY);
  // The server drops the idle connection without a FIN reaching the client first: simulate by closing it as the
  // next request arrives.
  let first = true;
  s.respond = () => {
    if (first) {
      first = false;
      return 'close';
    }
    return [`HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`];
  };
  assert.equal((await fetchBody(c, s)).body, BODY);
  assert.equal(s.connections, 2);
  c.close();
});

async function scrapeError(port: number, extra: Partial<Parameters<HttpClient['get']>[1]> = {}, cfg: Record<string, unknown> = {}): Promise<ScrapeError> {
  const c = new HttpClient({ followRedirects: true, ...cfg } as never, 'otel-bridge/test');
  try {
    await c.get(`http://127.0.0.1:${port}/metrics`, { timeoutMs: 2000, headers: {}, bodySizeLimit: 0, onChunk: () => undefined, ...extra });
    assert.fail('expected the scrape to fail');
  } catch (err) {
    return err as ScrapeError;
  } finally {
    c.close();
  }
}

test('errors name what went wrong, in the Prometheus wording where it has one', async () => {
  const url = (s: RawServer) => `http://127.0.0.1:${s.port}/metrics`;
  const cut = await rawServer((_r, sock) => {
    setTimeout(() => sock.destroy(), 20);
    return ['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc'];
  });
  const e1 = await scrapeError(cut.port);
  assert.equal(e1.message, `Get "${url(cut)}": unexpected EOF`);
  assert.equal(e1.reason, 'connection');

  const hangup = await rawServer(() => 'close');
  assert.equal((await scrapeError(hangup.port)).message, `Get "${url(hangup)}": EOF`);

  const garbage = await rawServer(() => ['SSH-2.0-OpenSSH_9.6\r\n\r\n']);
  assert.equal((await scrapeError(garbage.port)).message, `Get "${url(garbage)}": net/http: HTTP/1.x transport connection broken: malformed HTTP response "SSH-2.0-OpenSSH_9.6"`);

  const badChunk = await rawServer(() => ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n']);
  assert.match((await scrapeError(badChunk.port)).message, /invalid byte in chunk length "zz"$/);

  const huge = await rawServer(() => ['HTTP/1.1 200 OK\r\n', `X-Big: ${'x'.repeat(70_000)}\r\n\r\n`]);
  assert.match((await scrapeError(huge.port)).message, /server response headers exceeded 65536 bytes; aborted$/);

  const slow = await rawServer(() => 'hang');
  const e2 = await scrapeError(slow.port, { timeoutMs: 100 });
  assert.equal(e2.message, `Get "${url(slow)}": context deadline exceeded`);
  assert.equal(e2.reason, 'timeout');

  const status = await rawServer(() => ['HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy']);
  assert.equal((await scrapeError(status.port)).message, 'server returned HTTP status 503 Service Unavailable');

  const big = await rawServer(() => [`HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n${'a 1\n'.repeat(2500)}`]);
  assert.equal((await scrapeError(big.port, { bodySizeLimit: 1000 })).message, 'body size limit exceeded');

  const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
  const gz = await rawServer(() => [`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${bomb.length}\r\n\r\n`, bomb]);
  const e3 = await scrapeError(gz.port, { bodySizeLimit: 1024 * 1024 });
  assert.equal(e3.message, 'body size limit exceeded', 'the limit counts inflated bytes');

  const notGzip = await rawServer(() => ['HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello']);
  const e4 = await scrapeError(notGzip.port);
  assert.equal(e4.reason, 'decompress');
  assert.equal(e4.message, 'gzip: invalid header');
});

test('gzip bodies are inflated on the way to onChunk; redirects are followed on the lean client too', async () => {
  // Values that do not compress away, sent in 1 KiB parts: many reads into the client's one read buffer while
  // gunzip (asynchronous) still holds earlier ones, so what it was given must have been copied.
  let text = '';
  for (let i = 0; i < 5000; i++) text += `m{a="${i}"} ${(i * 7919) % 100_003}.${(i * 104_729) % 997}\n`;
  const z = gzipSync(text);
  const parts1k: Buffer[] = [];
  for (let i = 0; i < z.length; i += 1024) parts1k.push(z.subarray(i, i + 1024));
  const target = await rawServer(() => [`HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Encoding: gzip\r\nContent-Length: ${z.length}\r\n\r\n`, ...parts1k]);
  const moved = await rawServer(() => [`HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:${target.port}/metrics\r\nContent-Length: 0\r\n\r\n`]);
  const c = new HttpClient({ followRedirects: true } as never, 'otel-bridge/test');
  const parts: Buffer[] = [];
  let ct = '';
  const n = await c.get(`http://127.0.0.1:${moved.port}/metrics`, { timeoutMs: 2000, headers: { 'Accept-Encoding': 'gzip' }, bodySizeLimit: 0, onResponse: (t) => (ct = t), onChunk: (b) => parts.push(b) });
  assert.equal(Buffer.concat(parts).toString(), text);
  assert.equal(n, text.length);
  assert.equal(ct, 'text/plain; version=0.0.4');
  assert.match(target.requests[0]!, /\r\nUser-Agent: otel-bridge\/test\r\n/);
  assert.match(target.requests[0]!, /\r\nAccept-Encoding: gzip\r\n/);
  c.close();
});
