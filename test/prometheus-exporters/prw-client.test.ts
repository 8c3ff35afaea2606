/**
 * The remote-write client's POST on the lean HTTP/1.1 client (plain-HTTP endpoints): what a user sees in the
 * exporter's errors for a slow, absent or failing receiver, and one kept-alive connection for a stream of requests.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { PipelineError } from '../../src/component/errors.ts';
import { RemoteWriteClient } from '../../src/exporters/prometheusremotewrite/client.ts';
import { prwExporterSchema } from '../../src/exporters/prometheusremotewrite/config.ts';

const servers: http.Server[] = [];
after(() => {
  for (const s of servers) s.closeAllConnections(), s.close();
});

async function receiver(handler: http.RequestListener): Promise<{ url: string; connections: () => number; bodies: Buffer[] }> {
  const bodies: Buffer[] = [];
  let connections = 0;
  const srv = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(parts));
      handler(req, res);
    });
  });
  srv.on('connection', () => connections++);
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/api/v1/write`, connections: () => connections, bodies };
}

function client(endpoint: string, extra: Record<string, unknown> = {}): RemoteWriteClient {
  const c = new RemoteWriteClient(prwExporterSchema.parse({ endpoint, ...extra }), 'prometheusremotewrite');
  c.start(undefined);
  return c;
}

async function failure(p: Promise<void>): Promise<PipelineError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof PipelineError, String(err));
    return err;
  }
  assert.fail('expected the send to fail');
}

test('bodies arrive whole with the protocol headers, over one kept-alive connection', async () => {
  const seen: http.IncomingHttpHeaders[] = [];
  const r = await receiver((req, res) => {
    seen.push(req.headers);
    res.writeHead(204).end();
  });
  const c = client(r.url, { headers: { 'X-Scope-OrgID': 'tenant-1' } });
  const body = Buffer.alloc(200_000, 7);
  for (let i = 0; i < 3; i++) await c.send(body, 1, new AbortController().signal);
  assert.equal(r.bodies.length, 3);
  assert.ok(r.bodies.every((b) => b.equals(body)));
  assert.equal(r.connections(), 1);
  assert.equal(seen[0]!['content-encoding'], 'snappy');
  assert.equal(seen[0]!['content-type'], 'application/x-protobuf');
  assert.equal(seen[0]!['x-prometheus-remote-write-version'], '0.1.0');
  assert.equal(seen[0]!['content-length'], '200000');
  assert.equal(seen[0]!['x-scope-orgid'], 'tenant-1');
  c.close();
});

test('a failing, slow or absent receiver: retryable or permanent as the spec says, with what happened', async () => {
  const busy = await receiver((_req, res) => res.writeHead(503, { 'Retry-After': '7' }).end('overloaded, try later'));
  const e1 = await failure(client(busy.url).send(Buffer.from('x'), 1, new AbortController().signal));
  assert.equal(e1.errorClass, 'retryable');
  assert.equal(e1.retryAfterSeconds, 7);
  assert.equal(e1.message, `remote write to ${busy.url} failed: HTTP 503: overloaded, try later`);

  const bad = await receiver((_req, res) => res.writeHead(400).end('out of order sample'));
  const e2 = await failure(client(bad.url).send(Buffer.from('x'), 1, new AbortController().signal));
  assert.equal(e2.errorClass, 'permanent');
  assert.equal(e2.code, 'OB_PRW_HTTP_400');

  const slow = await receiver(() => undefined);
  const e3 = await failure(client(slow.url, { timeout: '100ms' }).send(Buffer.from('x'), 1, new AbortController().signal));
  assert.equal(e3.errorClass, 'retryable');
  assert.equal(e3.message, `remote write to ${slow.url} failed: ETIMEDOUT: no answer within timeout 100 ms`);

  const gone = 'http://127.0.0.1:1/api/v1/write';
  const e4 = await failure(client(gone).send(Buffer.from('x'), 1, new AbortController().signal));
  assert.equal(e4.errorClass, 'retryable');
  assert.match(e4.message, /^remote write to http:\/\/127\.0\.0\.1:1\/api\/v1\/write failed: ECONNREFUSED: /);

  const ac = new AbortController();
  const pending = client(slow.url).send(Buffer.from('x'), 1, ac.signal);
  setTimeout(() => ac.abort(), 50);
  assert.match((await failure(pending)).message, /failed: ECANCELED: cancelled \(exporter shutting down\)$/);
});

test("an error answer that arrives in several reads is quoted as the receiver wrote it", async () => {
  // Two writes 30 ms apart: two socket reads into the lean client's one read buffer; the second, longer one
  // overwrites where the first one's bytes were (so they must have been copied).
  const r = await receiver((_req, res) => {
    res.writeHead(400, { 'Content-Type': 'text/plain' });
    res.write('first half of the reason; ');
    setTimeout(() => res.end('y'.repeat(300)), 30);
  });
  const e = await failure(client(r.url).send(Buffer.from('x'), 1, new AbortController().signal));
  assert.equal(e.message, `remote write to ${r.url} failed: HTTP 400: first half of the reason; ${'y'.repeat(300)}`);
});
