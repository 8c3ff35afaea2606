/**
 * Sending-queue self-metrics (exporterQueueInstruments, shared by the in-memory and the persistent queue): the
 * Collector's names, descriptions and units, the gauges reading the live queue size and the configured capacity, and
 * the counters moving as batches are sent, refused (queue full) and dropped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { CreateSettings } from '../../src/component/component.ts';
import { PipelineError } from '../../src/component/errors.ts';
import type { Attrs, ComponentTelemetry } from '../../src/telemetry/component-telemetry.ts';
import { queueSchema, retrySchema } from '../../src/exporters/helper/config.ts';
import { PersistentQueueSender } from '../../src/exporters/helper/persistent-queue.ts';
import { QueueSender } from '../../src/exporters/helper/queue-sender.ts';
import { countDataPoints } from '../../src/model/count.ts';
import { everything } from '../otlp-codec/everything.ts';

interface Registered {
  kind: 'counter' | 'gauge';
  description: string;
  unit: string | undefined;
  read?: () => number | Array<[number, Attrs]>;
  totals: Map<string, number>;
}

function fakeTelemetry(): { telemetry: ComponentTelemetry; instruments: Map<string, Registered> } {
  const instruments = new Map<string, Registered>();
  const telemetry: ComponentTelemetry = {
    counter(name, description, unit) {
      assert.ok(!instruments.has(name), `${name} registered twice`);
      const r: Registered = { kind: 'counter', description, unit, totals: new Map() };
      instruments.set(name, r);
      return { add: (n, attrs) => void r.totals.set(JSON.stringify(attrs ?? {}), (r.totals.get(JSON.stringify(attrs ?? {})) ?? 0) + n) };
    },
    gauge(name, description, read, unit) {
      assert.ok(!instruments.has(name), `${name} registered twice`);
      instruments.set(name, { kind: 'gauge', description, unit, read, totals: new Map() });
      return { name };
    },
    histogram: () => ({ record: () => {} }),
    snapshot: () => ({}),
    dispose: () => {},
  };
  return { telemetry, instruments };
}

function settings(telemetry: ComponentTelemetry): CreateSettings {
  return { id: 'otlp', kind: 'exporter', logger: pino({ level: 'silent' }), telemetry };
}

/** The Collector's exporterhelper queue metrics (name -> [kind, description, unit]). */
const COLLECTOR_QUEUE_METRICS: Record<string, [string, string, string]> = {
  otelcol_exporter_sent_metric_points: ['counter', 'Number of metric points successfully sent to destination.', '{datapoints}'],
  otelcol_exporter_send_failed_metric_points: ['counter', 'Number of metric points in failed attempts to send to destination.', '{datapoints}'],
  otelcol_exporter_enqueue_failed_metric_points: ['counter', 'Number of metric points failed to be added to the sending queue.', '{datapoints}'],
  otelcol_exporter_queue_size: ['gauge', 'Current size of the retry queue (in batches).', '{batches}'],
  otelcol_exporter_queue_capacity: ['gauge', 'Fixed capacity of the retry queue (in batches).', '{batches}'],
};

function assertCollectorMetrics(instruments: Map<string, Registered>): void {
  for (const [name, [kind, description, unit]] of Object.entries(COLLECTOR_QUEUE_METRICS)) {
    const r = instruments.get(name);
    assert.ok(r, `${name} is registered`);
    assert.deepEqual([r.kind, r.description, r.unit], [kind, description, unit], name);
  }
}

const total = (r: Registered | undefined, attrs: Attrs = {}) => r?.totals.get(JSON.stringify(attrs)) ?? 0;
const gauge = (r: Registered | undefined) => r?.read?.();

test('in-memory queue: Collector metric names; size/capacity gauges and counters follow the queue', async () => {
  const { telemetry, instruments } = fakeTelemetry();
  const releases: Array<(err?: Error) => void> = [];
  const send = () => new Promise<void>((resolve, reject) => releases.push((err) => (err ? reject(err) : resolve())));
  const q = new QueueSender(settings(telemetry), queueSchema.parse({ num_consumers: 1, queue_size: 2 }), retrySchema.parse({ enabled: false }), send);
  assertCollectorMetrics(instruments);
  assert.equal(instruments.size, Object.keys(COLLECTOR_QUEUE_METRICS).length);
  assert.equal(gauge(instruments.get('otelcol_exporter_queue_capacity')), 2);
  q.start();
  const md = everything();
  const points = countDataPoints(md);
  await q.consume(md);
  await new Promise((r) => setImmediate(r));
  // The single worker holds the first batch; two more fill the queue, the fourth is refused.
  await q.consume(everything());
  await q.consume(everything());
  assert.equal(gauge(instruments.get('otelcol_exporter_queue_size')), 2);
  await assert.rejects(q.consume(everything()), (e: PipelineError) => e.code === 'OB_QUEUE_FULL');
  assert.equal(total(instruments.get('otelcol_exporter_enqueue_failed_metric_points'), { reason: 'queue_full' }), points);
  releases.shift()!();
  await new Promise((r) => setImmediate(r));
  assert.equal(total(instruments.get('otelcol_exporter_sent_metric_points')), points);
  assert.equal(gauge(instruments.get('otelcol_exporter_queue_size')), 1);
  releases.shift()!(PipelineError.permanent('OB_TEST_REJECTED', 'rejected'));
  await new Promise((r) => setImmediate(r));
  assert.equal(total(instruments.get('otelcol_exporter_send_failed_metric_points'), { reason: 'OB_TEST_REJECTED' }), points);
  assert.equal(gauge(instruments.get('otelcol_exporter_queue_size')), 0);
  const done = q.shutdown(Date.now() + 1000);
  releases.shift()!();
  await done;
  assert.equal(total(instruments.get('otelcol_exporter_sent_metric_points')), 2 * points);
});

test('persistent queue: the same Collector metrics, plus its redelivery counter', () => {
  const { telemetry, instruments } = fakeTelemetry();
  new PersistentQueueSender(settings(telemetry), queueSchema.parse({ queue_size: 7, storage: 'file_storage/q' }), retrySchema.parse({}), undefined as never, async () => {});
  assertCollectorMetrics(instruments);
  assert.ok(instruments.has('otelbridge_exporter_queue_redelivered_metric_points'));
  assert.equal(instruments.size, Object.keys(COLLECTOR_QUEUE_METRICS).length + 1);
  assert.equal(gauge(instruments.get('otelcol_exporter_queue_capacity')), 7);
  assert.equal(gauge(instruments.get('otelcol_exporter_queue_size')), 0);
});
