/**
 * `prometheus` exporter /metrics streaming: large bodies go out in chunks as they render (identity and gzip), HEAD
 * answers with the length, values are formatted as the exposition writer formats them, a slow or vanished reader
 * is cut off at render_timeout and frees its scrape slot. MetricsServer over a SeriesStore fed by the translator.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import pino from 'pino';
import { createParser, EntryType, formatFloat, formatFloatOM } from '../../src/codec/promtext/index.ts';
import { MetricsServer } from '../../src/exporters/prometheus/server.ts';
import { SeriesStore } from '../../src/exporters/prometheus/store.ts';
import { renderAll } from '../../src/exporters/prometheus/render.ts';
import { PrometheusTranslator } from '../../src/translate/prometheus/index.ts';
import type { MetricsData } from '../../src/model/types.ts';
import { freePort } from '../helpers/ports.ts';
import { counter, gauge, get, histogram, md, resource, seriesLines, waitFor } from './helpers.ts';

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function storeOf(data: MetricsData, exemplars = false): SeriesStore {
  const store = new SeriesStore(3_600_000, exemplars);
  const t = new PrometheusTranslator({ exemplars, deltaToCumulative: true, targetInfo: false });
  store.begin(Date.now());
  t.translate(data, store);
  store.end();
  return store;
}

/** `families` gauges x `per` series, each with a `pad`-character label: about families * per * (pad + 60) bytes. */
function bigStore(families: number, per: number, pad: number): SeriesStore {
  const ms = [];
  for (let f = 0; f < families; f++) {
    ms.push(gauge(`big_${f}`, Array.from({ length: per }, (_, i): [number, { a: Record<string, string> }] => [i % 3 === 0 ? i : i / 7, { a: { i: String(i), pad: 'p'.repeat(pad), u: 'ü' } }])));
  }
  return storeOf(md(resource(ms)));
}

interface Outcome {
  outcome: string;
  series: number;
}

async function serve(store: SeriesStore, o: { renderTimeoutMs?: number; openMetrics?: boolean } = {}): Promise<{ port: number; outcomes: Outcome[] }> {
  const port = await freePort();
  const outcomes: Outcome[] = [];
  server = new MetricsServer(store, {
    endpoint: `127.0.0.1:${port}`,
    tls: undefined,
    openMetrics: o.openMetrics ?? false,
    timestamps: false,
    maxConcurrent: 1,
    renderTimeoutMs: o.renderTimeoutMs ?? 30_000,
    logger: pino({ level: 'silent' }),
    who: 'test',
    beforeRender: () => undefined,
    onScrape: (outcome, _format, series) => void outcomes.push({ outcome, series }),
  });
  await server.listen();
  return { port, outcomes };
}

function head(port: number, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', method: 'HEAD', headers }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** GET without decoding: status, headers and the raw body bytes. */
function getRaw(port: number, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a large body is streamed in chunks (no Content-Length) and is the whole exposition, also gzipped', async () => {
  const store = bigStore(40, 500, 150); // 20k series, ~4.5 MiB
  const { port, outcomes } = await serve(store);
  const plain = await get(port);
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['transfer-encoding'], 'chunked');
  assert.equal(plain.headers['content-length'], undefined);
  assert.ok(plain.body.length > 4 * 1024 * 1024, `body of ${plain.body.length} bytes`);
  assert.equal(plain.body, renderAll(store, { format: 'text', timestamps: false }));
  const p = createParser('text', plain.body);
  let samples = 0;
  for (let e = p.next(); e !== EntryType.EOF; e = p.next()) if (e === EntryType.Series) samples++;
  assert.equal(samples, 20_000);
  assert.deepEqual(outcomes, [{ outcome: 'ok', series: 20_000 }]);

  const zipped = await getRaw(port, { 'accept-encoding': 'gzip' });
  assert.equal(zipped.headers['content-encoding'], 'gzip');
  assert.ok(zipped.body.length < plain.body.length / 5);
  assert.equal(gunzipSync(zipped.body).toString('utf8'), plain.body);

  // HEAD renders the same body (gzipped when asked) and answers with its length only.
  const h = await head(port);
  assert.equal(h.status, 200);
  assert.equal(Number(h.headers['content-length']), Buffer.byteLength(plain.body));
  assert.equal(h.bytes, 0);
  const hz = await head(port, { 'accept-encoding': 'gzip' });
  assert.equal(hz.headers['content-encoding'], 'gzip');
  assert.equal(Number(hz.headers['content-length']), zipped.body.length);
});

test('a small body is sent whole with its Content-Length; OpenMetrics streamed bodies end in # EOF', async () => {
  const small = storeOf(md(resource([gauge('g', [[1]])])));
  let { port } = await serve(small);
  const r = await getRaw(port);
  assert.equal(Number(r.headers['content-length']), r.body.length);
  assert.equal(r.headers['transfer-encoding'], undefined);
  await server!.close();

  ({ port } = await serve(bigStore(20, 500, 150), { openMetrics: true }));
  const om = await get(port, '/metrics', { accept: 'application/openmetrics-text;version=1.0.0' });
  assert.equal(om.headers['transfer-encoding'], 'chunked');
  assert.ok(om.body.endsWith('\n# EOF\n'));
  assert.equal(om.body.split('# EOF').length, 2);
  assert.equal(seriesLines(om.body).length, 10_000);
});

test('values are written as the exposition writer formats them (text and OpenMetrics)', async () => {
  const values = [0, -0, 1, -1, 7, 999_999, 1_000_000, -999_999, 123_456_789_012, 2 ** 53 + 2, 0.5, 1 / 3, -2.5e-7, 1e-5, 1e21, NaN, Infinity, -Infinity];
  const store = storeOf(
    md(
      resource([
        gauge('v', values.map((v, i): [number, { a: Record<string, string> }] => [v, { a: { i: String(i) } }])),
        counter('c', [[12, { a: { k: 'int' } }], [2.5, { a: { k: 'frac' } }], [3_000_000, { a: { k: 'big' } }]]),
        histogram('h', [1], [2, 2 ** 53 + 2], 0.25),
        histogram('hs', [1], [2, Number.MAX_SAFE_INTEGER - 2], 0.25),
      ]),
    ),
  );
  const { port } = await serve(store, { openMetrics: true });
  const text = seriesLines((await get(port)).body);
  const om = seriesLines((await get(port, '/metrics', { accept: 'application/openmetrics-text;version=1.0.0' })).body);
  const valueOf = (lines: string[], prefix: string): string | undefined => lines.find((l) => l.startsWith(prefix))?.slice(prefix.length);
  values.forEach((v, i) => {
    const prefix = `v{i="${i}",instance="pod-1",job="api"} `;
    assert.equal(valueOf(text, prefix), formatFloat(v), `text value of ${v}`);
    assert.equal(valueOf(om, prefix), formatFloatOM(v), `OpenMetrics value of ${v}`);
  });
  assert.equal(valueOf(om, 'c_total{instance="pod-1",job="api",k="int"} '), '12.0');
  assert.equal(valueOf(om, 'c_total{instance="pod-1",job="api",k="frac"} '), '2.5');
  assert.equal(valueOf(om, 'c_total{instance="pod-1",job="api",k="big"} '), formatFloatOM(3_000_000));
  assert.equal(valueOf(text, 'c_total{instance="pod-1",job="api",k="big"} '), formatFloat(3_000_000));
  // Bucket and count values are integers in OpenMetrics, as client_golang writes them.
  assert.equal(valueOf(om, 'h_seconds_bucket{instance="pod-1",job="api",le="+Inf"} '), String(2 ** 53 + 4));
  assert.equal(valueOf(om, 'h_seconds_count{instance="pod-1",job="api"} '), String(2 ** 53 + 4));
  assert.equal(valueOf(text, 'h_seconds_count{instance="pod-1",job="api"} '), formatFloat(2 ** 53 + 4));
  assert.equal(valueOf(om, 'hs_seconds_count{instance="pod-1",job="api"} '), String(Number.MAX_SAFE_INTEGER));
  assert.equal(valueOf(om, 'hs_seconds_bucket{instance="pod-1",job="api",le="1"} '), '2');
});

test('a reader too slow for render_timeout is cut off mid-body and frees its scrape slot', async () => {
  const store = bigStore(60, 500, 900); // ~28 MiB: more than the socket buffers hold
  const full = Buffer.byteLength(renderAll(store, { format: 'text', timestamps: false }));
  const { port, outcomes } = await serve(store, { renderTimeoutMs: 1500 });
  const sock = connect(port, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
  sock.pause(); // never read until the server gave up
  await waitFor(() => outcomes.length > 0, 10_000, 'the scrape outcome');
  assert.deepEqual(outcomes, [{ outcome: 'timeout', series: 0 }]);
  assert.equal(server!.activeScrapes, 0);
  const got: Buffer[] = [];
  sock.on('data', (c: Buffer) => got.push(c));
  await new Promise<void>((r) => {
    sock.once('close', () => r());
    sock.once('error', () => undefined);
    sock.resume();
  });
  const raw = Buffer.concat(got);
  assert.match(raw.subarray(0, 20).toString('latin1'), /^HTTP\/1\.1 200/);
  assert.ok(raw.length < full, `${raw.length} of ${full} bytes arrived`);
  assert.ok(!raw.subarray(-7).toString('latin1').endsWith('\r\n0\r\n\r\n'), 'no end of the chunked body');
  // The slot is free: the next scrape is served in full.
  const next = await getRaw(port);
  assert.equal(next.status, 200);
  assert.equal(next.body.length, full);
});

test('a client that goes away mid-body frees the scrape slot', async () => {
  const store = bigStore(40, 500, 900);
  const { port } = await serve(store);
  await new Promise<void>((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      res.once('data', () => req.destroy());
    });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.end();
  });
  await waitFor(() => server!.activeScrapes === 0, 10_000, 'the slot to be freed');
  assert.equal((await getRaw(port)).status, 200);
});
