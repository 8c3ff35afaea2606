/**
 * Real Prometheus 2.42 (Debian package `prometheus`, unpacked into .cache/peers on first use by test/helpers/peers.ts) and the receiver scrape the
 * same local targets with the same scrape config, and both remote-write to a capture server each: Prometheus with its
 * remote_write, the gateway with its prometheus receiver -> prometheusremotewrite exporter pipeline (exporter options
 * for Prometheus's label sets: `without_scope_info: true`, `target_info: {enabled: false}`; see the exporter's
 * config.ts). The series label sets, the values each series took and the set of series that got stale markers must be
 * equal.
 * Targets change by phase (4 s each, >= 3 scrapes at 1 s): a series vanishes, a target answers 500, one times out,
 * one serves an invalid body mid-way, one is removed from file_sd (end-of-run staleness).
 * Job `node` scrapes Debian's `prometheus-node-exporter` (default collectors, 127.0.0.1 only): its values move between
 * the two scrapers' requests, so for it the label sets, metric families and `up` are compared, not values.
 * Known, deliberate difference not exercised here: samples with explicit timestamps older than Prometheus's TSDB head
 * accepts ("out of bounds") are dropped by Prometheus's storage, not by its scrape; the receiver forwards them.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { decodeWriteRequest, uncompressBlock } from '../../src/codec/remotewrite/index.ts';
import { nodeExporter, prometheus } from '../helpers/peers.ts';
import { isStaleNaN } from '../../src/translate/prometheus/values.ts';
import { freePort } from '../helpers/ports.ts';
import { startGateway, telemetryYaml } from '../helpers/gateway.ts';
import { startTarget, waitFor, type TargetServer } from './helpers.ts';

const PHASE_MS = 4000;

interface Series {
  values: Set<string>;
  stale: boolean;
}
type Store = Map<string, Series>;

function keyOf(labels: ReadonlyArray<{ name: string; value: string }>): string {
  return [...labels].sort((a, b) => (a.name < b.name ? -1 : 1)).map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(',');
}

function record(store: Store, key: string, value: number): void {
  let s = store.get(key);
  if (s === undefined) store.set(key, (s = { values: new Set(), stale: false }));
  if (isStaleNaN(value)) s.stale = true;
  else s.values.add(Number.isNaN(value) ? 'NaN' : String(value));
}

const cleanup: Array<() => unknown> = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

test('receiver writes what Prometheus 2.42 writes: label sets, values, stale markers', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prom-e2e-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  let phase = 0;
  const targets: TargetServer[] = [];
  const mk = async (body: () => string) => {
    const t = await startTarget();
    t.handler = (_req, res) => {
      const fail = t.status !== 200;
      res.statusCode = t.status;
      res.setHeader('Content-Type', 'text/plain; version=0.0.4');
      if (t.delayMs > 0) setTimeout(() => res.end(body()), t.delayMs);
      else res.end(fail ? 'oops\n' : body());
      return true;
    };
    targets.push(t);
    cleanup.push(() => t.close());
    return t;
  };
  const stable = await mk(
    () =>
      '# TYPE http_requests_total counter\nhttp_requests_total{code="200",job="inner"} 10\nhttp_requests_total{code="500"} 1\n' +
      '# TYPE lat histogram\nlat_bucket{le="0.1"} 1\nlat_bucket{le="1"} 3\nlat_bucket{le="+Inf"} 4\nlat_sum 2.5\nlat_count 4\n' +
      '# TYPE rpc summary\nrpc{quantile="0.5"} 0.2\nrpc{quantile="0.9"} 0.7\nrpc_sum 9\nrpc_count 30\n' +
      `go_drop_me 1\nempty{a="",b="x"} 2\nts_series 5 ${Date.now() - 500}\n`,
  );
  const vanish = await mk(() => (phase === 1 ? 'a{x="1"} 1\n' : 'a{x="1"} 1\na{x="2"} 2\n'));
  const failing = await mk(() => 'f 1\nf2 2\n');
  const slow = await mk(() => 's 1\n');
  const invalid = await mk(() => (phase === 1 ? 'p 1\nthis is not { valid\nq 2\n' : 'p 1\nq 2\n'));
  const removed = await mk(() => 'r 1\n');
  const nePort = await freePort();
  const ne: ChildProcess = spawn(nodeExporter(), [`--web.listen-address=127.0.0.1:${nePort}`], { stdio: 'ignore' });
  cleanup.push(() => new Promise<void>((r) => (ne.exitCode !== null ? r() : (ne.once('exit', () => r()), ne.kill('SIGTERM')))));
  for (let i = 0; ; i++) {
    const ok = await fetch(`http://127.0.0.1:${nePort}/metrics`).then((r) => r.ok, () => false);
    if (ok) break;
    if (i > 100) throw new Error('node exporter did not come up');
    await new Promise((r) => setTimeout(r, 100));
  }
  const sdFile = join(dir, 'targets.json');
  const writeSd = (list: TargetServer[]) => writeFileSync(sdFile, JSON.stringify([{ targets: list.map((t) => t.address), labels: { src: 'file' } }]));
  writeSd([removed]);

  const scrapeConfig = {
    global: { scrape_interval: '1s', scrape_timeout: '500ms', external_labels: { replica: 'a' } },
    scrape_configs: [
      {
        job_name: 'e2e',
        static_configs: [{ targets: [stable, vanish, failing, slow, invalid].map((t) => t.address), labels: { team: 'core' } }],
        file_sd_configs: [{ files: [sdFile], refresh_interval: '1s' }],
        relabel_configs: [{ source_labels: ['__address__'], regex: '127\\.0\\.0\\.1:(\\d+)', target_label: 'port', replacement: 'p$1' }],
        metric_relabel_configs: [
          { source_labels: ['__name__'], regex: 'go_.*', action: 'drop' },
          { source_labels: ['code'], regex: '(.*)', target_label: 'status', replacement: 's$1' },
        ],
      },
      { job_name: 'node', static_configs: [{ targets: [`127.0.0.1:${nePort}`] }] },
    ],
  };

  // Prometheus, remote-writing to a capture server.
  const theirs: Store = new Map();
  const cport = await captureServer(theirs);
  const promCfg = { ...scrapeConfig, remote_write: [{ url: `http://127.0.0.1:${cport}/write`, queue_config: { batch_send_deadline: '500ms', max_shards: 1 } }] };
  writeFileSync(join(dir, 'prometheus.yml'), stringify(promCfg));
  const webPort = await freePort();
  const prom: ChildProcess = spawn(prometheus(), [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${webPort}`], { stdio: 'ignore' });
  cleanup.push(() => new Promise<void>((r) => (prom.exitCode !== null ? r() : (prom.once('exit', () => r()), prom.kill('SIGTERM')))));

  // The gateway, same scrape config, remote-writing to its own capture server.
  const mine: Store = new Map();
  const mport = await captureServer(mine);
  const gwCfg = {
    receivers: { prometheus: { config: scrapeConfig } },
    exporters: {
      prometheusremotewrite: {
        endpoint: `http://127.0.0.1:${mport}/api/v1/write`,
        without_scope_info: true,
        target_info: { enabled: false },
        remote_write_queue: { flush_interval: '100ms' },
      },
    },
    service: { pipelines: { metrics: { receivers: ['prometheus'], exporters: ['prometheusremotewrite'] } } },
  };
  const ours = await startGateway(stringify(gwCfg).replace(/^service:\n/m, `service:\n${telemetryYaml()}`));
  cleanup.push(() => ours.stop());

  const upCount = (store: Store) => [...store.keys()].filter((k) => k.startsWith('__name__="up"')).length;
  await waitFor(() => upCount(theirs) >= 7 && upCount(mine) >= 7, 30_000, 'both scraping every target');
  await new Promise((r) => setTimeout(r, 2500));
  phase = 1;
  failing.status = 500;
  slow.delayMs = 800;
  await new Promise((r) => setTimeout(r, PHASE_MS));
  phase = 2;
  failing.status = 200;
  slow.delayMs = 0;
  await new Promise((r) => setTimeout(r, PHASE_MS));
  writeSd([]);
  // Prometheus applies SD updates every 5 s, then waits 2 intervals + 10 % before end-of-run stale markers.
  await new Promise((r) => setTimeout(r, 11_000));
  await ours.stop();
  prom.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));

  const ignore = (k: string) => k.startsWith('__name__="scrape_duration_seconds"');
  const diff = (a: Store, b: Store) => [...a.keys()].filter((k) => !b.has(k) && !ignore(k)).sort();
  assert.deepEqual(diff(mine, theirs), [], 'series only the receiver wrote');
  assert.deepEqual(diff(theirs, mine), [], 'series only Prometheus wrote');
  const staleOf = (s: Store) => [...s].filter(([k, v]) => v.stale && !ignore(k)).map(([k]) => k).sort();
  assert.deepEqual(staleOf(mine), staleOf(theirs), 'stale markers');
  // The scenario did produce each kind of stale marker (vanished series, failed target, removed target's series and
  // report series, the partially parsed invalid body's unparsed series).
  const st = staleOf(theirs);
  for (const re of [/^__name__="a",.*x="2"/, /^__name__="f",/, /^__name__="r",/, new RegExp(`^__name__="up",.*port="p${removed.port}"`), /^__name__="q",/, /^__name__="s",/]) {
    assert.ok(st.some((k) => re.test(k)), `a stale marker matching ${re}`);
  }
  assert.ok(!st.some((k) => /^__name__="p",/.test(k)), 'p was parsed before the error: no stale marker (Prometheus rollback semantics)');
  // node exporter: same metric families and label sets (checked above with everything else), up = 1 throughout.
  const isNode = (k: string) => k.includes(',job="node"');
  const families = (s: Store) => [...new Set([...s.keys()].filter(isNode).map((k) => k.slice(0, k.indexOf(','))))].sort();
  assert.ok(families(theirs).length > 50, `node exporter families scraped by Prometheus: ${families(theirs).length}`);
  assert.deepEqual(families(mine), families(theirs), 'node exporter metric families');
  const nodeUp = (s: Store) => [...s].filter(([k]) => isNode(k) && k.startsWith('__name__="up"')).map(([, v]) => [...v.values].join());
  assert.deepEqual(nodeUp(mine), ['1']);
  assert.deepEqual(nodeUp(theirs), ['1']);
  for (const [k, v] of theirs) {
    if (ignore(k) || k.startsWith('__name__="scrape_') || isNode(k)) continue;
    assert.deepEqual([...mine.get(k)!.values].sort(), [...v.values].sort(), `values of ${k}`);
  }
});

/** A remote-write 1.0 receiver on 127.0.0.1 recording every sample into `store`; returns its port. */
async function captureServer(store: Store): Promise<number> {
  const capture: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const wr = decodeWriteRequest(uncompressBlock(Buffer.concat(chunks)));
      for (const ts of wr.timeseries) for (const s of ts.samples) record(store, keyOf(ts.labels), s.value);
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((r) => capture.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise<void>((r) => capture.close(() => r())));
  return (capture.address() as { port: number }).port;
}
