/**
 * Component counters as the self-metrics endpoint and the status page show them (src/telemetry/counter-series.ts):
 * one series per attribute set whatever the key order, the component id first, negative increments ignored on
 * /metrics, per-instance status-page mirrors, and series that continue across a component re-created by a reload
 * and across a reader change.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { SelfTelemetry } from '../../src/telemetry/self-telemetry.ts';
import type { ReaderConfig } from '../../src/telemetry/config.ts';
import { freePorts } from '../helpers/ports.ts';

function pull(port: number): ReaderConfig {
  return { pull: { exporter: { prometheus: { host: '127.0.0.1', port, without_scope_info: true } } } };
}

/** The sample lines of one metric, sorted (series come in first-recorded order). */
async function scrape(port: number, name: string): Promise<string[]> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .sort();
}

test('counters: one series per attribute set, id first, continued across a re-created component and a reader change', async () => {
  const [a, b] = await freePorts(2);
  const st = new SelfTelemetry();
  after(() => st.shutdown());
  await st.configure({ level: 'normal', readers: [pull(a!)], resource: {}, logLevel: 'info' });

  const t1 = st.forComponent('exporter', 'prometheusremotewrite/x');
  const c1 = t1.counter('otelbridge_test_requests', 'Test requests.', '{requests}');
  c1.add(2, { status: '2xx', reason: 'none' });
  c1.add(3, { reason: 'none', status: '2xx' });
  c1.add(5);
  c1.add(-4, { status: '2xx', reason: 'none' });
  c1.add(0, { status: '5xx' });
  t1.counter('otelbridge_test_other', 'Other.').add(1, { status: '2xx' });

  const text = await (await fetch(`http://127.0.0.1:${a}/metrics`)).text();
  assert.match(text, /^# HELP otelbridge_test_requests_total Test requests\.$/m);
  assert.match(text, /^# TYPE otelbridge_test_requests_total counter$/m);
  assert.deepEqual(await scrape(a!, 'otelbridge_test_requests_total'), [
    'otelbridge_test_requests_total{exporter="prometheusremotewrite/x"} 5',
    'otelbridge_test_requests_total{exporter="prometheusremotewrite/x",status="2xx",reason="none"} 5',
  ].sort());
  assert.deepEqual(await scrape(a!, 'otelbridge_test_other_total'), ['otelbridge_test_other_total{exporter="prometheusremotewrite/x",status="2xx"} 1']);
  // The status page counts every add (negative ones too), per attribute set as the caller wrote it.
  assert.deepEqual(t1.snapshot(), {
    otelbridge_test_requests: 6,
    'otelbridge_test_requests{"status":"2xx","reason":"none"}': -2,
    'otelbridge_test_requests{"reason":"none","status":"2xx"}': 3,
    otelbridge_test_other: 1,
    'otelbridge_test_other{"status":"2xx"}': 1,
  });

  // A reload re-creates the component with the same id: its series continue, its status-page mirror starts over.
  const t2 = st.forComponent('exporter', 'prometheusremotewrite/x');
  const c2 = t2.counter('otelbridge_test_requests', 'Test requests.', '{requests}');
  c2.add(1, { reason: 'none', status: '2xx' });
  c2.add(7, { status: '5xx', reason: 'http' });
  assert.deepEqual(await scrape(a!, 'otelbridge_test_requests_total'), [
    'otelbridge_test_requests_total{exporter="prometheusremotewrite/x"} 5',
    'otelbridge_test_requests_total{exporter="prometheusremotewrite/x",status="2xx",reason="none"} 6',
    'otelbridge_test_requests_total{exporter="prometheusremotewrite/x",status="5xx",reason="http"} 7',
  ].sort());
  assert.deepEqual(t2.snapshot(), {
    otelbridge_test_requests: 8,
    'otelbridge_test_requests{"reason":"none","status":"2xx"}': 1,
    'otelbridge_test_requests{"status":"5xx","reason":"http"}': 7,
  });

  // A reader change builds a new MeterProvider: the counters keep their values, and new ones appear on it.
  await st.configure({ level: 'normal', readers: [pull(b!)], resource: {}, logLevel: 'info' });
  c2.add(1);
  st.forComponent('receiver', 'otlp').counter('otelbridge_test_new', 'New.').add(4, { transport: 'grpc' });
  assert.deepEqual(await scrape(b!, 'otelbridge_test_requests_total'), [
    'otelbridge_test_requests_total{exporter="prometheusremotewrite/x"} 6',
    'otelbridge_test_requests_total{exporter="prometheusremotewrite/x",status="2xx",reason="none"} 6',
    'otelbridge_test_requests_total{exporter="prometheusremotewrite/x",status="5xx",reason="http"} 7',
  ].sort());
  assert.deepEqual(await scrape(b!, 'otelbridge_test_new_total'), ['otelbridge_test_new_total{receiver="otlp",transport="grpc"} 4']);
});
